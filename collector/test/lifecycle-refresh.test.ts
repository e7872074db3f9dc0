// `vcio-collector lifecycle refresh|show`, the real CLI (collector/dist/main.js: build
// first), against files and a local fake of the endoflife.date API v1.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEndOfLife, type EndOfLifeData } from '@vcio/shared';
import type { SnapshotRelease } from '../src/lifecycle/api-v1.js';
import { EMBEDDED_FILE, EMBEDDED_LICENSE } from '../src/lifecycle/paths.js';
import { essentials, fullResponse, productResponse } from './lifecycle-api-fixture.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const embedded = loadEndOfLife();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// At most two CLI runs at once: each loads the whole collector, and the machine is shared.
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  if (running >= MAX_RUNNING) await new Promise<void>((go) => waiting.push(go));
  running += 1;
  try {
    return await runCli(args, env);
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (!('VCIO_DATA_DIR' in env)) delete childEnv.VCIO_DATA_DIR;
    const child = spawn(process.execPath, [MAIN, ...args], { env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Only a run that hangs for good gets here (exit code null fails its test).
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-lifecycle-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const copyPath = (dataDir: string) => join(dataDir, 'endoflife', 'releases.json');
const readCopy = (dataDir: string) =>
  JSON.parse(readFileSync(copyPath(dataDir), 'utf8')) as EndOfLifeData;
const clone = (data: EndOfLifeData) => structuredClone(data);

/** The embedded data with windows 10-22h2's eol moved a year and an Ubuntu release added. */
function modified(): EndOfLifeData {
  const data = clone(embedded);
  data.sourceDate = '2026-12-01';
  data.products.windows!.releases.find((r) => r.releaseCycle === '10-22h2')!.eol = '2026-10-13';
  data.products.ubuntu!.releases.unshift({
    releaseCycle: '26.10',
    codename: 'Stonking Stingray',
    releaseDate: '2026-10-15',
    eol: '2027-07-01',
  });
  return data;
}

/** What these helpers use of a tap test. */
type Tap = Pick<typeof t, 'equal' | 'match' | 'notMatch' | 'teardown'>;

/** A one-line error: exit 1, one stderr line, nothing that looks like a stack. */
function assertOneLineError(t: Tap, run: Run, pattern: RegExp) {
  t.equal(run.code, 1, 'exit code 1');
  // Progress lines of --api ("fetching from ...", "ubuntu: 44 releases") are not errors.
  const progress = /^(fetching from .*|[\w.-]+: (\d+ releases|not found \(404\)))$/;
  const lines = run.stderr.split('\n').filter((l) => l !== '' && !progress.test(l));
  t.equal(lines.length, 1, `one error line: ${JSON.stringify(run.stderr)}`);
  t.match(lines[0], /^vcio-collector: error: /);
  t.match(lines[0], pattern);
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** The fake API: products from `data`, unless `mode` says otherwise. */
async function fakeApi(
  t: Tap,
  data: EndOfLifeData,
  mode: 'ok' | 'error500' | 'hang' | { missing: string } = 'ok',
): Promise<{ base: string; paths: string[] }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (mode === 'hang') return; // never answers
    if (mode === 'error500') {
      res.writeHead(500).end('oops');
      return;
    }
    const match = /^\/api\/v1\/products\/([^/]+)\/?$/.exec(req.url ?? '');
    const id = match ? decodeURIComponent(match[1]!) : '';
    const product = data.products[id];
    if (!product || (typeof mode === 'object' && mode.missing === id)) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(productResponse(id, product)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/api/v1`, paths };
}

t.test('--help on each command', async (t) => {
  const cases: [string[], RegExp[]][] = [
    [
      ['lifecycle', '--help'],
      [/Usage: vcio-collector lifecycle/, /show/, /refresh/],
    ],
    [
      ['lifecycle', 'refresh', '--help'],
      [
        /Usage: vcio-collector lifecycle refresh/,
        /--from <file>/,
        /--api \[base-url\]/,
        /--allow-shrink/,
        /--timeout/,
        /VCIO_DATA_DIR/,
      ],
    ],
    [
      ['lifecycle', 'show', '--help'],
      [/Usage: vcio-collector lifecycle show/, /--data-dir/],
    ],
    [['--help'], [/lifecycle/]],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(args)));
  cases.forEach(([args, patterns], i) => {
    t.equal(runs[i]!.code, 0, args.join(' '));
    for (const p of patterns) t.match(runs[i]!.stdout, p, `${args.join(' ')}: ${p}`);
  });
});

t.test('--from a newer file: written with its licence, changes printed, show tells', async (t) => {
  const dataDir = tempDir(t);
  const file = join(tempDir(t), 'newer.json');
  writeFileSync(file, JSON.stringify(modified()));

  const before = await cli(['lifecycle', 'show', '--data-dir', dataDir]);
  t.equal(before.code, 0);
  t.match(before.stdout, `origin: embedded (${EMBEDDED_FILE})`);

  const run = await cli(['lifecycle', 'refresh', '--from', file, '--data-dir', dataDir]);
  t.equal(run.code, 0, run.stderr);
  t.same(readCopy(dataDir), modified(), 'the copy is the file');
  t.equal(
    readFileSync(join(dataDir, 'endoflife', 'LICENSE'), 'utf8'),
    readFileSync(EMBEDDED_LICENSE, 'utf8'),
    'the MIT licence beside it',
  );
  t.same(
    readdirSync(join(dataDir, 'endoflife')).sort(),
    ['LICENSE', 'releases.json'],
    'no temp files',
  );
  t.match(
    run.stdout,
    `wrote ${copyPath(dataDir)} (source date 2026-12-01: 45 products, 1050 releases)`,
  );
  t.match(run.stdout, /^products updated: 2 \(windows, ubuntu\)$/m);
  t.match(run.stdout, /^releases added: 1 \(ubuntu 26\.10\)$/m);
  t.match(run.stdout, /^dates moved: 1\n {2}windows 10-22h2: eol 2025-10-14 -> 2026-10-13$/m);

  // The same directory through the variable `serve` uses.
  const shown = await cli(['lifecycle', 'show'], { VCIO_DATA_DIR: dataDir });
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, `origin: refreshed (${copyPath(dataDir)})`);
  t.match(shown.stdout, /^source date: 2026-12-01$/m);
  t.match(shown.stdout, /^products: 45, releases: 1050$/m);
  t.match(shown.stdout, /^ {2}ubuntu +45 releases {2}Ubuntu$/m);
});

t.test('an invalid or unreadable file: exit 1, one line, the copy untouched', async (t) => {
  const dataDir = tempDir(t);
  const dir = tempDir(t);
  mkdirSync(join(dataDir, 'endoflife'));
  writeFileSync(copyPath(dataDir), JSON.stringify(modified()));
  const copyBefore = readFileSync(copyPath(dataDir));
  const statBefore = statSync(copyPath(dataDir));

  const broken = clone(modified());
  (broken.products.debian!.releases[2] as { eol: unknown }).eol = 'soon';
  const cases: [string, string, RegExp][] = [
    [
      'bad-date.json',
      JSON.stringify(broken),
      /bad-date\.json: endoflife data: products\.debian\.releases\[2\]\.eol is neither a date nor a boolean/,
    ],
    ['not-json.json', '{"products": ', /not-json\.json is not JSON/],
    [
      'api-ish.json',
      JSON.stringify({ schema_version: '1.0.0', result: [{ name: 'ubuntu' }] }),
      /api-ish\.json result\[0\]: label is not a string/,
    ],
  ];
  const runs: [Promise<Run>, RegExp][] = cases.map(([name, content, pattern]) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return [cli(['lifecycle', 'refresh', '--from', file, '--data-dir', dataDir]), pattern];
  });
  runs.push(
    [
      cli(['lifecycle', 'refresh', '--from', join(dir, 'absent.json'), '--data-dir', dataDir]),
      /cannot read .*absent\.json: no such file/,
    ],
    [cli(['lifecycle', 'refresh', '--data-dir', dataDir]), /give one of --from FILE or --api/],
  );
  for (const [run, pattern] of runs) assertOneLineError(t, await run, pattern);
  t.same(readFileSync(copyPath(dataDir)), copyBefore, 'the copy is unchanged');
  t.equal(statSync(copyPath(dataDir)).mtimeMs, statBefore.mtimeMs, 'and not rewritten');
});

t.test('--from an API v1 dump or a single product answer', async (t) => {
  const dataDir = tempDir(t);
  const dir = tempDir(t);
  const dump = join(dir, 'full.json');
  // A real dump has hundreds of products; those the collector does not know are left out.
  const extra = { ...modified().products, 'not-tracked': embedded.products.nginx! };
  writeFileSync(dump, JSON.stringify(fullResponse(extra)));
  const run = await cli(['lifecycle', 'refresh', '--from', dump, '--data-dir', dataDir]);
  t.equal(run.code, 0, run.stderr);
  const copy = readCopy(dataDir);
  t.notOk('not-tracked' in copy.products);
  t.match(copy.source, /endoflife\.date API v1/);
  t.match(run.stdout, /^releases added: 1 \(ubuntu 26\.10\)$/m);
  t.match(run.stdout, /windows 10-22h2: eol 2025-10-14 -> 2026-10-13/);

  // One product's answer replaces that product and keeps the rest.
  const debian = clone(embedded).products.debian!;
  debian.releases[0]!.eol = '2031-06-30';
  const one = join(dir, 'debian.json');
  writeFileSync(one, JSON.stringify(productResponse('debian', debian)));
  const single = await cli(['lifecycle', 'refresh', '--from', one, '--data-dir', dataDir]);
  t.equal(single.code, 0, single.stderr);
  t.match(single.stdout, /^products updated: 1 \(debian\)$/m);
  t.equal(readCopy(dataDir).products.debian!.releases[0]!.eol, '2031-06-30');
  t.equal(Object.keys(readCopy(dataDir).products).length, 45);
});

t.test('--api against a local endoflife.date API v1: converted correctly', async (t) => {
  const dataDir = tempDir(t);
  const served = modified();
  const api = await fakeApi(t, served);
  const run = await cli(['lifecycle', 'refresh', '--api', api.base, '--data-dir', dataDir]);
  t.equal(run.code, 0, run.stderr);
  t.equal(api.paths.length, 45, 'one request per product');
  t.ok(api.paths.includes('/api/v1/products/windows-server'));
  t.match(run.stderr, /^ubuntu: 45 releases$/m);
  t.match(run.stderr, /^windows: 47 releases$/m);
  t.match(run.stdout, /^releases added: 1 \(ubuntu 26\.10\)$/m);
  t.match(run.stdout, /^ {2}windows 10-22h2: eol 2025-10-14 -> 2026-10-13$/m);
  t.notMatch(run.stdout, /removed/);

  const copy = readCopy(dataDir);
  t.equal(copy.sourceCommit, '');
  t.match(copy.sourceDate, /^\d{4}-\d{2}-\d{2}$/);
  for (const [id, product] of Object.entries(served.products)) {
    t.equal(copy.products[id]!.title, product.title);
    t.same(
      copy.products[id]!.releases.map((r) => essentials(r as SnapshotRelease)),
      product.releases.map((r) => essentials(r as SnapshotRelease)),
      `${id}: the same releases and dates`,
    );
  }
  const shown = await cli(['lifecycle', 'show', '--data-dir', dataDir]);
  t.match(shown.stdout, /^source commit: none \(fetched from the API\)$/m);
});

t.test('--api: a server error, a hang and no server are clear one-line errors', async (t) => {
  const dataDir = tempDir(t);

  const failing = await fakeApi(t, embedded, 'error500');
  const hanging = await fakeApi(t, embedded, 'hang');
  // A port nothing listens on: take one, then close it.
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((done) => closed.close(() => done()));

  const refresh = (...args: string[]) =>
    cli(['lifecycle', 'refresh', '--data-dir', dataDir, ...args]);
  // Independent runs, side by side (two at a time).
  const [error500, hung, refused, notUrl, badTimeout] = await Promise.all([
    refresh('--api', failing.base),
    refresh('--api', hanging.base, '--timeout', '1'),
    refresh('--api', `http://127.0.0.1:${port}/api/v1`),
    refresh('--api', 'not a url'),
    refresh('--api', failing.base, '--timeout', 'soon'),
  ]);
  assertOneLineError(t, error500!, /products\/windows answered HTTP 500/);
  // The server never answers: without the timeout the run would hang until killed.
  assertOneLineError(t, hung!, /products\/windows: no complete answer within 1 s/);
  assertOneLineError(
    t,
    refused!,
    /cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/v1 \(.*ECONNREFUSED.*\); without internet access, use --from FILE/,
  );
  assertOneLineError(t, notUrl!, /--api 'not a url' is not a URL/);
  assertOneLineError(t, badTimeout!, /--timeout 'soon' must be a number of seconds/);
  t.throws(() => statSync(copyPath(dataDir)), /ENOENT/, 'nothing written');
});

t.test('shrinking is refused without --allow-shrink', async (t) => {
  const dataDir = tempDir(t);
  const api = await fakeApi(t, embedded, { missing: 'sharepoint' });
  const refused = await cli(['lifecycle', 'refresh', '--api', api.base, '--data-dir', dataDir]);
  assertOneLineError(
    t,
    refused,
    /the new data lost 1 product\(s\) \(sharepoint\); nothing written \(--allow-shrink accepts it\)/,
  );
  t.match(refused.stderr, /^sharepoint: not found \(404\)$/m);
  t.throws(() => statSync(copyPath(dataDir)), /ENOENT/, 'nothing written');

  const allowed = await cli([
    'lifecycle',
    'refresh',
    '--api',
    api.base,
    '--allow-shrink',
    '--data-dir',
    dataDir,
  ]);
  t.equal(allowed.code, 0, allowed.stderr);
  t.match(allowed.stdout, /^products removed: 1 \(sharepoint\)$/m);
  t.notOk('sharepoint' in readCopy(dataDir).products);

  // A file that lost releases, compared with the copy now in use.
  const fewer = readCopy(dataDir);
  fewer.products.ubuntu!.releases.splice(0, 2);
  const file = join(tempDir(t), 'fewer.json');
  writeFileSync(file, JSON.stringify(fewer));
  const copyBefore = readFileSync(copyPath(dataDir));
  assertOneLineError(
    t,
    await cli(['lifecycle', 'refresh', '--from', file, '--data-dir', dataDir]),
    /the new data lost 2 release\(s\) \(ubuntu 26\.04, ubuntu 25\.10\)/,
  );
  t.same(readFileSync(copyPath(dataDir)), copyBefore, 'the copy is unchanged');
});
