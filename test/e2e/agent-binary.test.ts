// The agent as MSPs get it: the single executables `pnpm build:agent` makes (agent/build/),
// built here for linux-x64 and win-x64 and, for Linux, run end to end against the real
// collector process: collect, enroll, once, install --root, and the install one-liner the
// collector hands out, run with bash against a temporary prefix. The Windows executable is
// checked for structure only (no Wine on the CI machine; the Wine smoke test below runs
// where Wine is installed).
//
// Only with VCIO_TEST_BINARY=1 (CI sets it): the build takes about a minute once the Node
// packages are in agent/.build-cache/, and the first build downloads them from the npm
// registry (~80 MB).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import t from 'tap';
import { REPLAY_FIXTURES, startCollectorProcess, tempDir } from '../lib/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_SCRIPT = join(ROOT, 'agent/build/build-binaries.mjs');
const REPLAY = join(REPLAY_FIXTURES, 'windows-10-enterprise');
const LINUX = 'vcio-agent-linux-x64';
const WINDOWS = 'vcio-agent-win-x64.exe';
/** Node's SEA fuse as postject flips it (agent/build/build-binaries.mjs checks the same). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The first four bytes of every SEA preparation blob (kMagic in Node's src/node_sea.cc). */
const SEA_BLOB_MAGIC = 0x0143da20;
/** The limit for what an RMM pushes to every machine. */
const GZIP_LIMIT = 40 * 1024 * 1024;
/** Where `install` puts things on Linux, relative to the staging root. */
const STAGED = {
  binary: 'opt/vcio/vcio-agent',
  unit: 'etc/systemd/system/vcio-agent.service',
  state: 'var/lib/vcio-agent',
};

const skip =
  process.env.VCIO_TEST_BINARY !== '1'
    ? 'set VCIO_TEST_BINARY=1 to build and run the single executables (downloads Node 22 once, takes minutes)'
    : process.platform !== 'linux' || process.arch !== 'x64'
      ? 'builds and runs the binaries on linux-x64 only'
      : false;

// Tests read the API's JSON loosely: the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; the agent reads nothing of ours from the environment. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VCIO_AGENT_')),
  );
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...clean, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Gzipped size at gzip's default level, as the build measures it. */
async function gzippedSize(file: string): Promise<number> {
  let size = 0;
  const gzip = createGzip({ level: 6 });
  gzip.on('data', (chunk: Buffer) => (size += chunk.length));
  const done = new Promise((resolve, reject) => gzip.on('end', resolve).on('error', reject));
  createReadStream(file).pipe(gzip);
  await done;
  return size;
}

/** A port free right now: the public URL must be known before the collector starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

// ---------- PE (Windows executable) structure ----------

interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  rawSize: number;
  rawOffset: number;
}

interface PeResource {
  /** type/name/language, ids as numbers and names as their UTF-16 text */
  path: (string | number)[];
  data: Buffer;
}

interface PeFile {
  machine: number;
  /** 0x20b: PE32+ (64-bit) */
  optionalMagic: number;
  subsystem: number;
  /** size of the Authenticode certificate table (data directory 4); 0 when unsigned */
  certificateTableSize: number;
  resources: PeResource[];
}

/**
 * The parts of a PE file the checks need (Microsoft's "PE Format" specification): headers,
 * section table, and the resource tree walked down to each resource's bytes. Throws on
 * anything that is not a PE file, which fails the test with the reason.
 */
function parsePe(file: Buffer): PeFile {
  if (file.toString('latin1', 0, 2) !== 'MZ') throw new Error('no MZ header');
  const pe = file.readUInt32LE(0x3c);
  if (!file.subarray(pe, pe + 4).equals(Buffer.from('PE\0\0', 'latin1'))) {
    throw new Error(`no PE signature at 0x${pe.toString(16)}`);
  }
  const machine = file.readUInt16LE(pe + 4);
  const sectionCount = file.readUInt16LE(pe + 6);
  const optionalSize = file.readUInt16LE(pe + 20);
  const optional = pe + 24;
  const optionalMagic = file.readUInt16LE(optional);
  if (optionalMagic !== 0x20b) throw new Error(`not PE32+ (magic 0x${optionalMagic.toString(16)})`);
  const subsystem = file.readUInt16LE(optional + 68);
  // PE32+ data directories start at offset 112 of the optional header, 8 bytes each.
  const directory = (index: number) => ({
    rva: file.readUInt32LE(optional + 112 + 8 * index),
    size: file.readUInt32LE(optional + 112 + 8 * index + 4),
  });
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = optional + optionalSize + 40 * i;
    sections.push({
      name: file.toString('latin1', at, at + 8).replace(/\0+$/, ''),
      virtualSize: file.readUInt32LE(at + 8),
      virtualAddress: file.readUInt32LE(at + 12),
      rawSize: file.readUInt32LE(at + 16),
      rawOffset: file.readUInt32LE(at + 20),
    });
  }
  const offsetOf = (rva: number): number => {
    const section = sections.find(
      (s) => rva >= s.virtualAddress && rva < s.virtualAddress + Math.max(s.virtualSize, s.rawSize),
    );
    if (!section) throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
    return rva - section.virtualAddress + section.rawOffset;
  };

  const resources: PeResource[] = [];
  const rsrc = directory(2);
  if (rsrc.size > 0) {
    const base = offsetOf(rsrc.rva);
    const walk = (at: number, path: (string | number)[]): void => {
      if (path.length > 3) throw new Error('resource tree deeper than type/name/language');
      const entries = file.readUInt16LE(at + 12) + file.readUInt16LE(at + 14);
      for (let i = 0; i < entries; i++) {
        const entry = at + 16 + 8 * i;
        const name = file.readUInt32LE(entry);
        const target = file.readUInt32LE(entry + 4);
        let key: string | number = name;
        if (name & 0x80000000) {
          const text = base + (name & 0x7fffffff);
          key = file.toString('utf16le', text + 2, text + 2 + 2 * file.readUInt16LE(text));
        }
        if (target & 0x80000000) {
          walk(base + (target & 0x7fffffff), [...path, key]);
        } else {
          const data = base + target;
          const start = offsetOf(file.readUInt32LE(data));
          resources.push({
            path: [...path, key],
            data: file.subarray(start, start + file.readUInt32LE(data + 4)),
          });
        }
      }
    };
    walk(base, []);
  }
  return {
    machine,
    optionalMagic,
    subsystem,
    certificateTableSize: directory(4).size,
    resources,
  };
}

// ---------- the tests ----------

/** The build alone takes a minute here, several on a loaded CI machine. */
const TIMEOUT_MS = 20 * 60_000;
// The file's own timeout (tap's 300 s for this package) would stop it before that.
if (!skip) t.setTimeout(TIMEOUT_MS);

const wine = ['wine64', 'wine'].find((name) => existsSync(`/usr/bin/${name}`));

t.test('the agent binaries, built and run', { skip, timeout: TIMEOUT_MS }, async (t) => {
  const work = tempDir('agent-binary');
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const out = join(work, 'release');
  const version = (
    JSON.parse(await readFile(join(ROOT, 'agent/package.json'), 'utf8')) as { version: string }
  ).version;

  const build = await run(process.execPath, [
    BUILD_SCRIPT,
    '--targets',
    'linux-x64,win-x64',
    '--out',
    out,
  ]);
  if (build.code !== 0) {
    t.fail(`the build failed (${build.code}): ${build.stderr}\n${build.stdout.slice(-2000)}`);
    return;
  }
  t.match(build.stdout, /vcio-agent-linux-x64 +[\d.]+ MiB +gzipped +[\d.]+ MiB/);
  t.match(build.stdout, /vcio-agent-win-x64\.exe +[\d.]+ MiB +gzipped +[\d.]+ MiB/);
  t.match(build.stdout, /start-up \d+ ms \(median of 5\)/);
  const linux = join(out, LINUX);
  const windows = join(out, WINDOWS);
  const sums = await readFile(join(out, 'SHA256SUMS'), 'utf8');
  t.equal(
    sums,
    `${await sha256(linux)}  ${LINUX}\n${await sha256(windows)}  ${WINDOWS}\n`,
    'SHA256SUMS lists both binaries with their real hashes',
  );
  for (const file of [linux, windows]) {
    t.ok((await gzippedSize(file)) < GZIP_LIMIT, `${file} is under 40 MiB gzipped`);
  }

  await t.test('linux-x64: --version, collect and check with the embedded snapshot', async (t) => {
    t.same(await run(linux, ['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });

    const collect = await run(linux, ['collect', '--replay', REPLAY, '--log-level', 'warn']);
    t.equal(collect.code, 0, collect.stderr);
    const report = JSON.parse(collect.stdout) as { schema: string; host: { hostname: string } };
    t.equal(report.schema, 'vcio.report/v1');
    t.equal(report.host.hostname, 'DESKTOP-WIN01');

    // check reads the endoflife.date snapshot: inside the binary, from the SEA asset
    const check = await run(linux, ['check', '--replay', REPLAY, '--json', '--log-level', 'warn']);
    t.ok(check.code === 0 || check.code >= 20, `check exit code ${check.code}: ${check.stderr}`);
    t.match(JSON.parse(check.stdout), { lifecycle: {} });
  });

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const collector = await startCollectorProcess([
    // given again after the helper's 127.0.0.1:0: the last one wins
    '--listen',
    `127.0.0.1:${port}`,
    '--agent-binaries',
    out,
    '--public-url',
    publicUrl,
  ]);
  t.teardown(() => collector.stop());
  t.equal(collector.url, publicUrl);
  const { enrollToken, adminToken, tenant } = collector.bootstrap;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${collector.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, ...init.headers },
    });

  await t.test('linux-x64: enroll and once; the collector has the report', async (t) => {
    const stateDir = join(work, 'state');
    const enroll = await run(linux, [
      'enroll',
      '--state-dir',
      stateDir,
      '--url',
      collector.url,
      '--token',
      enrollToken,
    ]);
    t.equal(enroll.code, 0, `enroll: ${enroll.stderr}`);
    t.notMatch(enroll.stdout + enroll.stderr, enrollToken.split('.')[1]!, 'no secret printed');
    const credentials = JSON.parse(await readFile(join(stateDir, 'credentials.json'), 'utf8'));
    t.match(credentials, { agentId: String, secret: String });

    const once = await run(linux, ['once', '--state-dir', stateDir, '--log-level', 'warn']);
    t.equal(once.code, 0, `once: ${once.stderr}`);
    const hosts = await json(await api('/hosts'));
    t.equal(hosts.total, 1, 'one host reported');
    t.equal(hosts.hosts[0].hostname, hostname(), 'this machine, collected by the binary');
    const host = await json(await api(`/hosts/${hosts.hosts[0].id}`));
    t.ok(host.sections.system.data.memory.totalBytes > 0, 'its system section is stored');
    t.ok(host.latestPerformance, 'and a performance sample');
  });

  await t.test('linux-x64: install --root, the unit, status and uninstall', async (t) => {
    const root = join(work, 'root');
    const install = await run(linux, [
      'install',
      '--root',
      root,
      '--url',
      collector.url,
      '--token',
      enrollToken,
    ]);
    t.same(install, { code: 0, stdout: '', stderr: '' }, 'install is silent');
    const installed = join(root, STAGED.binary);
    t.equal(await sha256(installed), await sha256(linux), 'the binary copied itself');
    t.same(await run(installed, ['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });

    const unit = await readFile(join(root, STAGED.unit), 'utf8');
    const lines = unit.split('\n');
    t.ok(
      lines.includes('ExecStart=/opt/vcio/vcio-agent run --state-dir /var/lib/vcio-agent'),
      'ExecStart runs the installed binary with the state directory',
    );
    for (const hardening of [
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/vcio-agent',
      'ProtectHome=read-only',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelTunables=yes',
      'Restart=on-failure',
    ]) {
      t.ok(lines.includes(hardening), hardening);
    }
    t.ok(existsSync(join(root, STAGED.state, 'credentials.json')), 'enrolled into the root');

    const status = await run(linux, ['status', '--root', root, '--json']);
    t.equal(status.code, 0, status.stderr);
    t.match(JSON.parse(status.stdout), { installed: true, enrolled: true, tenant: tenant.slug });

    const uninstall = await run(linux, ['uninstall', '--root', root]);
    t.same(uninstall, { code: 0, stdout: '', stderr: '' }, 'uninstall is silent');
    t.notOk(existsSync(installed), 'binary removed');
    t.notOk(existsSync(join(root, STAGED.unit)), 'unit removed');
    t.ok(existsSync(join(root, STAGED.state, 'credentials.json')), 'state kept without --purge');
  });

  await t.test('linux-x64: the install one-liner from the collector, run with bash', async (t) => {
    const created = await api(`/tenants/${tenant.slug}/install-commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'e2e binary', maxUses: 5 }),
    });
    t.equal(created.status, 201);
    const answer = await json(created);
    t.equal(answer.url, publicUrl);
    t.equal(answer.urlSource, 'configured');
    t.same(answer.platforms.available, ['linux-x64', 'win-x64']);
    const bash: string = answer.commands.bash;

    const prefix = join(work, 'prefix');
    // The one-liner's download directory (mktemp -d honours TMPDIR): empty again afterwards.
    const downloads = join(work, 'downloads');
    // Not root, the one-liner runs install through sudo, which would drop the staging
    // variable and install on this machine: this stand-in runs it as the same user instead.
    const bin = join(work, 'bin');
    await mkdir(downloads);
    await mkdir(bin);
    await writeFile(
      join(bin, 'sudo'),
      '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done\nexec "$@"\n',
      { mode: 0o755 },
    );
    const liveUnitBefore = existsSync(`/${STAGED.unit}`);
    const env = {
      VCIO_AGENT_INSTALL_ROOT: prefix,
      TMPDIR: downloads,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    };

    const first = await run('bash', ['-c', bash], env);
    t.same(first, { code: 0, stdout: '', stderr: '' }, 'the one-liner succeeds, silently');
    t.equal(await sha256(join(prefix, STAGED.binary)), await sha256(linux), 'binary staged');
    t.match(await readFile(join(prefix, STAGED.unit), 'utf8'), /^ExecStart=\/opt\/vcio\//m);
    t.ok(existsSync(join(prefix, STAGED.state, 'credentials.json')), 'enrolled');
    t.same(await readdir(downloads), [], 'the download was deleted');
    t.equal(existsSync(`/${STAGED.unit}`), liveUnitBefore, 'this machine left alone');

    const tokenUses = async () =>
      (await json(await api(`/tenants/${tenant.slug}/install-commands`))).tokens.find(
        (token: { id: string }) => token.id === answer.token.id,
      ).uses;
    t.equal(await tokenUses(), 1, 'the install token enrolled one machine');
    const status = await run(linux, ['status', '--json'], { VCIO_AGENT_INSTALL_ROOT: prefix });
    t.match(JSON.parse(status.stdout), { installed: true, enrolled: true, tenant: tenant.slug });

    // Again, as an RMM re-runs its script: a repair, keeping the enrollment.
    const again = await run('bash', ['-c', bash], env);
    t.same(again, { code: 0, stdout: '', stderr: '' }, 'running it again succeeds');
    t.equal(await tokenUses(), 1, 'and does not enroll again');
  });

  await t.test('win-x64: a PE32+ x64 console executable with the SEA blob', async (t) => {
    const file = await readFile(windows);
    const pe = parsePe(file);
    t.equal(pe.machine, 0x8664, 'machine type x64 (AMD64)');
    t.equal(pe.optionalMagic, 0x20b, 'PE32+');
    t.equal(pe.subsystem, 3, 'console subsystem (IMAGE_SUBSYSTEM_WINDOWS_CUI)');
    t.ok(file.includes(`${SEA_FUSE}:1`), 'the SEA fuse is flipped');
    t.notOk(file.includes(`${SEA_FUSE}:0`), 'and not left unflipped anywhere');
    const blob = pe.resources.find((r) => r.path[0] === 10 && r.path[1] === 'NODE_SEA_BLOB');
    t.ok(blob, 'an RT_RCDATA resource named NODE_SEA_BLOB');
    if (blob) {
      t.equal(blob.data.readUInt32LE(0), SEA_BLOB_MAGIC, 'holding a SEA blob');
      t.ok(blob.data.includes('vcio.report/v1'), 'with the agent bundled in it');
    }
    if ((await run('which', ['osslsigncode'])).code === 0) {
      t.equal(pe.certificateTableSize, 0, "Node's broken signature was removed");
    }
    t.ok((await stat(windows)).size > 50 * 1024 * 1024, 'the whole Node runtime is in it');
  });

  await t.test(
    'win-x64 under Wine: --version and collect',
    { skip: wine ? false : 'Wine is not installed (Debian: apt-get install wine64)' },
    async (t) => {
      const winEnv = { WINEDEBUG: '-all', WINEPREFIX: join(work, 'wine') };
      const versionRun = await run(wine!, [windows, '--version'], winEnv);
      t.equal(versionRun.code, 0, versionRun.stderr);
      t.equal(versionRun.stdout.trim(), version);
      const collect = await run(wine!, [windows, 'collect', '--replay', REPLAY], winEnv);
      t.equal(collect.code, 0, collect.stderr);
      t.match(JSON.parse(collect.stdout), { schema: 'vcio.report/v1' });
    },
  );
});
