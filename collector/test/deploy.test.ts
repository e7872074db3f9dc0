// Deploying agents from the collector: the binary downloads, the install-commands API, and
// the generated one-liners, the bash one run for real against this collector serving a
// fake "binary" (a shell script recording how it was called). PowerShell cannot run here:
// its text is checked, its string literals read back as PowerShell reads them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { bootstrapIfEmpty, type BootstrapSecrets } from '../src/bootstrap.js';
import { buildDeployConfig, defaultAgentBinariesDir, type DeployConfig } from '../src/config.js';
import { parseSha256Sums } from '../src/deploy/binaries.js';
import {
  bashInstallCommand,
  powershellInstallCommand,
  SCRIPT_EXIT,
} from '../src/deploy/install-commands.js';
import { checkPublicUrl } from '../src/deploy/public-url.js';
import { powershellQuote, shellQuote } from '../src/deploy/quoting.js';
import { buildServer } from '../src/server.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/index.js';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../src/security/tokens.js';

const LINUX = 'vcio-agent-linux-x64';
/** A site name made to break a shell or PowerShell command that quotes it wrongly. */
const NASTY_SITE = `O'Brien & "Sons" $(touch PWNED) \`touch PWNED\` ; | ‘HQ’ $env:PATH \\`;

interface DeployCollector {
  app: FastifyInstance;
  store: SqliteStore;
  secrets: BootstrapSecrets;
  admin: { authorization: string };
  binDir: string;
  /** everything the collector logged */
  logs: () => string;
  /** http://127.0.0.1:PORT when listening */
  url: string;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A fake agent: records its arguments (one per line), the token variable and its own
 * path, then exits with `code`.
 */
function fakeAgent(recordFile: string, code: number): string {
  return [
    '#!/bin/sh',
    `printf '%s\\n' "$@" > '${recordFile}.args'`,
    `printf '%s' "\${VCIO_AGENT_ENROLL_TOKEN:-}" > '${recordFile}.token'`,
    `printf '%s' "$0" > '${recordFile}.self'`,
    `exit ${code}`,
    '',
  ].join('\n');
}

/** Writes the binaries directory: files and a SHA256SUMS listing `listed` of them. */
function writeBinaries(dir: string, files: Record<string, string>, listed = Object.keys(files)) {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(dir, name), body, { mode: 0o755 });
  }
  const sums = listed.map((name) => `${sha256(files[name]!)}  ${name}\n`).join('');
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A read-only API token scoped to one tenant, as `Authorization` wants it. */
async function readToken(c: DeployCollector, tenantId: string): Promise<string> {
  const id = newTokenId('at');
  const secret = newSecret();
  await c.store.access.insertApiToken({
    id,
    tenantId,
    role: 'read',
    name: 'read test',
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    revokedAt: null,
  });
  return `Bearer ${joinCredential(id, secret)}`;
}

async function deployCollector(
  t: Teardown,
  options: { deploy?: Partial<DeployConfig> | null; listen?: boolean } = {},
): Promise<DeployCollector> {
  const root = mkdtempSync(join(tmpdir(), 'vcio-deploy-test-'));
  const dataDir = join(root, 'data');
  const binDir = join(root, 'bin');
  mkdirSync(dataDir);
  mkdirSync(binDir);
  let logText = '';
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _encoding, done) {
        logText += String(chunk);
        done();
      },
    }),
  );
  const store = openSqliteStore(dataDir);
  const secrets = (await bootstrapIfEmpty(store, dataDir, logger))!;
  const deploy: DeployConfig | undefined =
    options.deploy === null
      ? undefined
      : { agentBinariesDir: binDir, publicUrl: null, ...options.deploy };
  const app = buildServer({
    config: { bodyLimitBytes: 1024 * 1024, tls: null, ...(deploy ? { deploy } : {}) },
    store,
    logger,
  });
  let url = '';
  if (options.listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await app.ready();
  }
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    app,
    store,
    secrets,
    admin: { authorization: `Bearer ${secrets.adminToken}` },
    binDir,
    logs: () => logText,
    url,
  };
}

interface InstallAnswer {
  tenant: { id: string; slug: string };
  site: { id: string; name: string } | null;
  token: { id: string; name: string; expiresAt: string; maxUses: number; uses: number };
  enrollmentToken: string;
  notice: string;
  url: string;
  urlSource: 'configured' | 'request';
  commands: { bash: string; powershell: string };
  platforms: { available: string[]; missing: string[] };
  warnings: string[];
}

async function createCommands(
  c: DeployCollector,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = c.admin,
  tenant = 'default',
) {
  return c.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenant}/install-commands`,
    headers,
    payload: body,
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment the one-liner runs in: no token variable inherited from the test. */
function cleanEnv(extraPath?: string): NodeJS.ProcessEnv {
  const path = extraPath ? `${extraPath}:${process.env.PATH}` : process.env.PATH;
  return { PATH: path, HOME: tmpdir(), LANG: 'C' };
}

/** Reads a PowerShell verbatim string starting at `text[start]` (a quote), as PowerShell does. */
function readPowershellString(text: string, start: number): string {
  const quotes = new Set(["'", '\u2018', '\u2019', '\u201a', '\u201b']);
  if (!quotes.has(text[start]!))
    throw new Error(`no string at ${start}: ${text.slice(start, start + 20)}`);
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (quotes.has(ch)) {
      if (quotes.has(text[i + 1]!)) {
        out += ch;
        i++;
        continue;
      }
      return out;
    }
    out += ch;
  }
  throw new Error('unterminated PowerShell string');
}

// ---------- pieces ----------

t.test('SHA256SUMS lines: text and binary mode; bad lines and unsafe names ignored', async (t) => {
  const a = 'a'.repeat(64);
  const b = 'B'.repeat(64);
  const sums = parseSha256Sums(
    [
      `${a}  vcio-agent-linux-x64`,
      `${b} *vcio-agent-win-x64.exe`,
      `${a}  ../etc/passwd`,
      `${a}  sub/dir`,
      `${a}  SHA256SUMS`,
      'not a line',
      `${a.slice(1)}  short-hash`,
      '',
    ].join('\r\n'),
  );
  t.same(
    [...sums],
    [
      ['vcio-agent-linux-x64', a],
      ['vcio-agent-win-x64.exe', 'b'.repeat(64)],
    ],
  );
});

t.test('quoting: shell and PowerShell literals read back exactly', async (t) => {
  t.equal(shellQuote("it's"), `'it'\\''s'`);
  t.equal(powershellQuote("it's ‘x’"), `'it''s ‘‘x’’'`);
  for (const value of [NASTY_SITE, '', "'", "''", 'a\u201bb', '$(x)`y`']) {
    const echoed = await run(
      'bash',
      ['-c', `printf '%s' ${shellQuote(value)}`],
      cleanEnv(),
      tmpdir(),
    );
    t.equal(echoed.stdout, value, `bash reads back ${JSON.stringify(value)}`);
    t.equal(
      readPowershellString(powershellQuote(value), 0),
      value,
      `PowerShell reads back ${JSON.stringify(value)}`,
    );
  }
});

t.test('public URL: https, loopback http, or http by explicit request only', async (t) => {
  t.equal(checkPublicUrl('https://vcio.example.com/', false), 'https://vcio.example.com');
  t.equal(checkPublicUrl('https://vcio.example.com/msp/', false), 'https://vcio.example.com/msp');
  t.equal(checkPublicUrl('http://127.0.0.1:8080', false), 'http://127.0.0.1:8080');
  t.equal(checkPublicUrl('http://[::1]:8080', false), 'http://[::1]:8080');
  t.equal(checkPublicUrl('http://localhost:8080', false), 'http://localhost:8080');
  t.throws(
    () => checkPublicUrl('http://vcio.lan:8080', false),
    /refusing plain http:\/\/ to vcio\.lan/,
  );
  t.equal(checkPublicUrl('http://vcio.lan:8080', true), 'http://vcio.lan:8080');
  t.throws(() => checkPublicUrl('ftp://vcio.example.com', true), /must start with https:\/\//);
  t.throws(() => checkPublicUrl('https://user:pw@vcio.example.com', true), /user name or password/);
  t.throws(() => checkPublicUrl('https://vcio.example.com/?a=1', true), /query/);
  t.throws(() => checkPublicUrl('not a url', true), /is not a URL/);

  t.throws(() => buildDeployConfig({ publicUrl: 'ftp://x' }), /--public-url: /);
  t.throws(() => buildDeployConfig({ agentBinaries: '/nonexistent/vcio' }), /is not a directory/);
  // Without the option: agent/release of this checkout, when it exists.
  const release = join(import.meta.dirname, '..', '..', 'agent', 'release');
  t.equal(defaultAgentBinariesDir(), existsSync(release) ? release : null);
  t.equal(buildDeployConfig({}).agentBinariesDir, defaultAgentBinariesDir());
  const dir = mkdtempSync(join(tmpdir(), 'vcio-deploy-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.same(buildDeployConfig({ agentBinaries: dir, publicUrl: 'https://vcio.example.com/' }), {
    agentBinariesDir: dir,
    publicUrl: 'https://vcio.example.com',
  });
});

// ---------- downloads ----------

t.test('downloads: listed binaries streamed without credentials, with ETag', async (t) => {
  const c = await deployCollector(t);
  const binary = '#!/bin/sh\necho fake agent\n';
  writeBinaries(c.binDir, { [LINUX]: binary, 'not-listed': 'secret-ish' }, [LINUX]);

  const res = await c.app.inject({ method: 'GET', url: `/downloads/agent/${LINUX}` });
  t.equal(res.statusCode, 200);
  t.equal(res.body, binary);
  t.equal(res.headers['content-length'], String(Buffer.byteLength(binary)));
  t.equal(res.headers['content-type'], 'application/octet-stream');
  t.equal(res.headers.etag, `"sha256-${sha256(binary)}"`);
  t.match(res.headers['content-disposition'], `filename="${LINUX}"`);

  const again = await c.app.inject({
    method: 'GET',
    url: `/downloads/agent/${LINUX}`,
    headers: { 'if-none-match': res.headers.etag as string },
  });
  t.equal(again.statusCode, 304, 'unchanged: 304');
  t.equal(again.body, '');

  const sums = await c.app.inject({ method: 'GET', url: '/downloads/agent/SHA256SUMS' });
  t.equal(sums.statusCode, 200);
  t.equal(sums.body, `${sha256(binary)}  ${LINUX}\n`);
  t.match(sums.headers['content-type'], /^text\/plain/);

  const head = await c.app.inject({ method: 'HEAD', url: `/downloads/agent/${LINUX}` });
  t.equal(head.statusCode, 200);

  for (const url of [
    '/downloads/agent/not-listed',
    '/downloads/agent/vcio-agent-darwin-arm64',
    '/downloads/agent/..%2Fdata%2Fvcio.db',
    '/downloads/agent/..%2F..%2Fetc%2Fpasswd',
  ]) {
    const missing = await c.app.inject({ method: 'GET', url });
    t.equal(missing.statusCode, 404, url);
    t.match(missing.json(), { error: 'not_found', message: /listed in SHA256SUMS/ }, url);
  }

  // Listed, then deleted (a rebuild under way): a 404, not a 500.
  rmSync(join(c.binDir, LINUX));
  t.equal(
    (await c.app.inject({ method: 'GET', url: `/downloads/agent/${LINUX}` })).statusCode,
    404,
  );
  // A rebuild deletes SHA256SUMS first: nothing is offered meanwhile.
  rmSync(join(c.binDir, 'SHA256SUMS'));
  t.equal(
    (await c.app.inject({ method: 'GET', url: '/downloads/agent/SHA256SUMS' })).statusCode,
    404,
  );
});

t.test('downloads: a collector without binaries says how to serve them', async (t) => {
  const c = await deployCollector(t, { deploy: null });
  for (const url of [`/downloads/agent/${LINUX}`, '/downloads/agent/SHA256SUMS']) {
    const res = await c.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404);
    t.match(res.json(), { error: 'not_found', message: /--agent-binaries/ });
  }
});

// ---------- the API ----------

t.test('install commands: admin only, tenant-scoped, token shown once', async (t) => {
  const c = await deployCollector(t);
  writeBinaries(c.binDir, { [LINUX]: 'x' });
  const other = { id: 'tenant-other', slug: 'other', name: 'Other Co', createdAt: new Date() };
  await c.store.tenants.createTenant(other);
  const readDefault = await readToken(c, c.secrets.tenant.id);

  t.equal((await createCommands(c, {}, {})).statusCode, 401, 'no token: 401');
  const forbidden = await createCommands(c, {}, { authorization: readDefault });
  t.equal(forbidden.statusCode, 403, 'a read token cannot create');
  t.match(forbidden.json(), { error: 'forbidden' });

  const created = await createCommands(c, { name: 'NinjaOne policy', maxUses: 2 });
  t.equal(created.statusCode, 201, created.body);
  t.equal(created.headers['cache-control'], 'no-store');
  const answer = created.json<InstallAnswer>();
  t.match(answer, {
    tenant: { slug: 'default' },
    token: { name: 'NinjaOne policy', maxUses: 2, uses: 0 },
    url: 'http://localhost',
    urlSource: 'request',
    platforms: { available: ['linux-x64'], missing: ['win-x64', 'darwin-x64', 'darwin-arm64'] },
    notice: /shown only in this answer/,
  });
  t.match(answer.enrollmentToken, /^et_[\w-]+\.\S+$/);
  const hours = (Date.parse(answer.token.expiresAt) - Date.now()) / 3_600_000;
  t.ok(hours > 71.9 && hours <= 72, `expires in 72 h by default (${hours})`);
  t.ok(
    answer.warnings.some((w) => w.includes('win-x64')),
    'missing platforms are named',
  );
  t.ok(
    answer.warnings.some((w) => w.includes('--public-url')),
    'a derived URL is flagged',
  );
  const secret = answer.enrollmentToken.split('.')[1]!;
  t.ok(answer.commands.bash.includes(answer.enrollmentToken));
  t.ok(answer.commands.powershell.includes(answer.enrollmentToken));
  t.notOk(c.logs().includes(secret), 'the token secret is never logged');

  // The list: own tenant for a read token, no secrets; another tenant is a 404.
  const listed = await c.app.inject({
    method: 'GET',
    url: '/api/v1/tenants/default/install-commands',
    headers: { authorization: readDefault },
  });
  t.equal(listed.statusCode, 200);
  t.match(listed.json(), {
    tokens: [{ id: answer.token.id, name: 'NinjaOne policy', uses: 0, maxUses: 2, active: true }],
  });
  t.equal(
    listed.json<{ tokens: unknown[] }>().tokens.length,
    1,
    'the bootstrap token is not an install token',
  );
  t.notOk(listed.body.includes(secret), 'no secret in the list');
  for (const method of ['GET', 'POST'] as const) {
    const res = await c.app.inject({
      method,
      url: '/api/v1/tenants/other/install-commands',
      headers: { authorization: readDefault },
      ...(method === 'POST' ? { payload: {} } : {}),
    });
    t.equal(res.statusCode, method === 'GET' ? 404 : 403, `${method} another tenant`);
  }
  const otherAdmin = await createCommands(c, {}, c.admin, 'other');
  t.equal(otherAdmin.statusCode, 201, 'the admin creates for any tenant');
  t.equal(otherAdmin.json<InstallAnswer>().tenant.slug, 'other');

  // The token enrolls like any enrollment token, into its tenant, as often as allowed.
  const enroll = (machineId: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: {
        token: answer.enrollmentToken,
        machineId,
        hostname: machineId,
        agentVersion: '0.1.0',
      },
    });
  const first = await enroll('m-1');
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json<{ tenant: string }>().tenant, 'default');
  t.equal((await enroll('m-2')).statusCode, 201);
  t.equal((await enroll('m-3')).statusCode, 401, 'maxUses reached');
  const after = await c.app.inject({
    method: 'GET',
    url: '/api/v1/tenants/default/install-commands',
    headers: c.admin,
  });
  t.match(after.json(), { tokens: [{ uses: 2, active: false }] });

  // Audited, with who, and never the secret.
  const audit = await c.store.audit.query({
    action: 'enrollment_token.create',
    limit: 10,
    offset: 0,
  });
  t.equal(audit.total, 2);
  t.match(audit.entries[1], {
    actorName: 'bootstrap admin token',
    tenantId: c.secrets.tenant.id,
    targetId: answer.token.id,
    detail: { via: 'install-commands', maxUses: 2 },
  });
  t.notOk(JSON.stringify(audit.entries).includes(secret));
});

t.test('install commands: body checks, sites, public URL', async (t) => {
  const c = await deployCollector(t, { deploy: { publicUrl: 'https://vcio.example.com/msp' } });
  for (const body of [{ maxUses: 0 }, { expiresInHours: 0 }, { extra: 1 }, { name: 'a\nb' }]) {
    const res = await createCommands(c, body);
    t.equal(res.statusCode, 400, JSON.stringify(body));
    t.match(res.json(), { error: 'invalid_request' });
  }
  t.equal((await createCommands(c, { site: 'nowhere' })).statusCode, 404, 'unknown site');

  await c.store.tenants.createSite({
    id: 'site-1',
    tenantId: c.secrets.tenant.id,
    slug: 'hq',
    name: NASTY_SITE,
    createdAt: new Date(),
    archivedAt: null,
  });
  const res = await createCommands(c, { site: 'hq', expiresInHours: 1 });
  t.equal(res.statusCode, 201, res.body);
  const answer = res.json<InstallAnswer>();
  t.equal(answer.url, 'https://vcio.example.com/msp');
  t.equal(answer.urlSource, 'configured');
  t.match(answer.site, { id: 'site-1', name: NASTY_SITE });
  t.notOk(answer.warnings.some((w) => w.includes('--public-url')));
  t.ok(
    answer.warnings.some((w) => w.includes('pnpm build:agent')),
    'no binaries yet: said',
  );
  const record = await c.store.access.findEnrollmentToken(answer.token.id);
  t.equal(record?.siteId, 'site-1', 'machines enrolled land in the site');
  t.ok(answer.commands.bash.includes(`--site ${shellQuote(NASTY_SITE)}`));
  t.ok(answer.commands.powershell.includes(`--site ${powershellQuote(NASTY_SITE)}`));
  t.ok(answer.commands.bash.includes(" --proto '=https'"), 'curl never leaves https');

  await c.store.tenants.setSiteArchived('site-1', new Date());
  t.equal((await createCommands(c, { site: 'hq' })).statusCode, 409, 'archived site');
});

t.test('install commands: plain http to a remote host only when asked for', async (t) => {
  const c = await deployCollector(t);
  const remote = { ...c.admin, host: 'vcio.lan:8080' };
  const refused = await createCommands(c, {}, remote);
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), {
    error: 'unusable_public_url',
    message: /refusing plain http:\/\/ to vcio\.lan.*--public-url/,
  });
  const tokens = await c.store.access.listEnrollmentTokens(c.secrets.tenant.id);
  t.equal(tokens.length, 1, 'a refused request creates no token');

  const allowed = await createCommands(c, { insecureHttp: true }, remote);
  t.equal(allowed.statusCode, 201);
  const answer = allowed.json<InstallAnswer>();
  t.equal(answer.url, 'http://vcio.lan:8080');
  t.ok(answer.commands.bash.includes('install --url "$u" --insecure-http'));
  t.ok(answer.commands.powershell.includes('install --url $u --insecure-http'));
  t.notOk(answer.commands.bash.includes('--proto'), 'plain http: no https-only curl');
});

// ---------- the one-liners ----------

t.test('bash one-liner: syntax, download, SHA-256 check, exit code, quoting', async (t) => {
  const c = await deployCollector(t, { listen: true });
  const work = mkdtempSync(join(tmpdir(), 'vcio-deploy-run-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const record = join(work, 'record');
  await c.store.tenants.createSite({
    id: 'site-1',
    tenantId: c.secrets.tenant.id,
    slug: 'hq',
    name: NASTY_SITE,
    createdAt: new Date(),
    archivedAt: null,
  });
  const create = async () => {
    const res = await fetch(`${c.url}/api/v1/tenants/default/install-commands`, {
      method: 'POST',
      headers: { ...c.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'hq' }),
    });
    t.equal(res.status, 201);
    return (await res.json()) as InstallAnswer;
  };
  const runBash = (command: string, path?: string) =>
    run('bash', ['-c', command], cleanEnv(path), work);

  writeBinaries(c.binDir, { [LINUX]: fakeAgent(record, 0) });
  const answer = await create();
  t.equal(answer.url, c.url, 'the URL this request used');
  const syntax = await runBash(`bash -n -c ${shellQuote(answer.commands.bash)}`);
  t.equal(syntax.code, 0, `bash -n: ${syntax.stderr}`);

  const ok = await runBash(answer.commands.bash);
  t.equal(ok.code, 0, `installed: ${ok.stderr}`);
  const args = readFileSync(`${record}.args`, 'utf8').split('\n').slice(0, -1);
  t.same(
    args,
    ['install', '--url', c.url, '--site', NASTY_SITE],
    'the agent got exactly these arguments',
  );
  t.equal(
    readFileSync(`${record}.token`, 'utf8'),
    answer.enrollmentToken,
    'the token, in the environment',
  );
  t.notOk(
    args.some((a) => a.includes(answer.enrollmentToken)),
    'not on the command line',
  );
  t.notOk(existsSync(join(work, 'PWNED')), 'nothing in the site name ran');
  const self = readFileSync(`${record}.self`, 'utf8');
  t.notOk(existsSync(self), 'the download was cleaned up');

  // install's exit code is the one-liner's.
  writeBinaries(c.binDir, { [LINUX]: fakeAgent(record, 5) });
  const refused = await runBash((await create()).commands.bash);
  t.equal(refused.code, 5, 'exit code of install propagated');

  // A binary changed after SHA256SUMS was written: refused, never run.
  rmSync(`${record}.args`);
  writeBinaries(c.binDir, { [LINUX]: fakeAgent(record, 0) });
  writeFileSync(join(c.binDir, LINUX), `${fakeAgent(record, 0)}# tampered\n`, { mode: 0o755 });
  const tampered = await runBash((await create()).commands.bash);
  t.equal(tampered.code, SCRIPT_EXIT.checksumMismatch);
  t.match(tampered.stderr, `vcio: SHA-256 check failed for ${LINUX}`);
  t.match(tampered.stderr, 'not installing');
  t.notOk(existsSync(`${record}.args`), 'the tampered binary did not run');

  // Not listed in SHA256SUMS: the download itself fails.
  writeBinaries(c.binDir, { [LINUX]: fakeAgent(record, 0), other: 'x' }, ['other']);
  const unlisted = await runBash((await create()).commands.bash);
  t.equal(unlisted.code, SCRIPT_EXIT.downloadFailed);
  t.match(unlisted.stderr, `vcio: cannot download ${c.url}/downloads/agent/${LINUX}`);
  t.notOk(existsSync(`${record}.args`));

  // A machine with no binary: a clear message and the "unsupported" code.
  const fakeBin = join(work, 'fake-bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'uname'), '#!/bin/sh\n[ "$1" = -s ] && echo Plan9 || echo mips\n');
  chmodSync(join(fakeBin, 'uname'), 0o755);
  const plan9 = await runBash(answer.commands.bash, fakeBin);
  t.equal(plan9.code, SCRIPT_EXIT.unsupported);
  t.match(plan9.stderr, 'vcio: no agent binary for Plan9 mips');
});

t.test('bash one-liner: a URL made to break the shell is passed to curl intact', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'vcio-deploy-url-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // A fake curl records its arguments and fails, as an unreachable collector would.
  writeFileSync(
    join(work, 'curl'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${work}/curl.args'\nexit 7\n`,
  );
  chmodSync(join(work, 'curl'), 0o755);
  const url = checkPublicUrl(
    `https://vcio.example.com/a'b"c$(touch PWNED)\`touch PWNED\`;x|y`,
    false,
  );
  const command = bashInstallCommand({ url, token: "et_x.s'$(touch PWNED)" });
  const res = await run('bash', ['-c', command], cleanEnv(work), work);
  t.equal(res.code, SCRIPT_EXIT.downloadFailed);
  const args = readFileSync(join(work, 'curl.args'), 'utf8').split('\n');
  t.ok(
    args.includes(`${url}/downloads/agent/${LINUX}`),
    `curl got ${url}/downloads/agent/${LINUX}`,
  );
  t.notOk(existsSync(join(work, 'PWNED')), 'nothing in the URL or token ran');
});

t.test('PowerShell one-liner: quoted literals, hash check, exit codes', async (t) => {
  const url = "https://vcio.example.com/o'neil‘s$(Get-Process)`n";
  const token = "et_abc.s'e‘c$(x)";
  const ps = powershellInstallCommand({ url, token, site: NASTY_SITE });
  const literalAfter = (prefix: string) => {
    const at = ps.indexOf(prefix);
    t.ok(at >= 0, `has ${prefix}`);
    return readPowershellString(ps, at + prefix.length);
  };
  t.equal(literalAfter('$u = '), url, 'the URL reads back exactly');
  t.equal(literalAfter('$t = '), token, 'the token reads back exactly');
  t.equal(literalAfter('--site '), NASTY_SITE, 'the site reads back exactly');
  t.match(ps, /^& \{ \$ErrorActionPreference = 'Stop'; /);
  t.match(ps, /\}$/);
  t.match(ps, 'Invoke-WebRequest -UseBasicParsing -Uri "$u/downloads/agent/$f" -OutFile $exe');
  t.match(ps, "$f = 'vcio-agent-win-x64.exe'");
  t.match(ps, '(Get-FileHash -Algorithm SHA256 -LiteralPath $exe).Hash.ToLowerInvariant()');
  t.match(ps, `if (-not $w -or $w -ne $h) {`);
  t.match(ps, `exit ${SCRIPT_EXIT.checksumMismatch} }`);
  t.match(ps, 'WindowsBuiltInRole]::Administrator');
  t.match(ps, `exit ${SCRIPT_EXIT.notElevated} }`);
  t.match(ps, '$env:VCIO_AGENT_ENROLL_TOKEN = $t; & $exe install --url $u --site ');
  t.match(ps, '$c = $LASTEXITCODE;');
  t.match(ps, /exit \$c \}$/);
  t.notOk(ps.includes('--token'), 'the token is not on the command line');
  t.notOk(/[\r\n]/.test(ps), 'one line');
  // Every double-quoted string interpolates only the script's own variables.
  for (const m of ps.matchAll(/"([^"]*)"/g)) {
    t.notOk(m[1]!.includes('Get-Process') || m[1]!.includes('touch'), `no value inside "${m[1]}"`);
  }
});
