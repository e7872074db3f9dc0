import { mkdir, readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { NotEnrolledError, StateDirError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import {
  CREDENTIALS_FILE,
  defaultStateDir,
  ensureStateDir,
  loadCredentials,
  loadCredentialsIfEnrolled,
  resolveStateDir,
  saveCredentials,
  type Credentials,
} from '../src/state.js';

const credentials: Credentials = {
  collectorUrl: 'https://vcio.example.com',
  agentId: '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60',
  secret: 's3cr3t-value',
  tenant: 'acme',
  enrolledAt: '2026-01-02T03:04:05.000Z',
};

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

t.test('default state directories per OS', async (t) => {
  t.equal(defaultStateDir('linux', {}), '/var/lib/vcio-agent');
  t.equal(defaultStateDir('freebsd', {}), '/var/lib/vcio-agent');
  t.equal(defaultStateDir('darwin', {}), '/Library/Application Support/vcio/agent');
  t.equal(
    defaultStateDir('win32', { ProgramData: 'D:\\ProgramData' }),
    'D:\\ProgramData\\vcio\\agent',
  );
  t.equal(defaultStateDir('win32', {}), 'C:\\ProgramData\\vcio\\agent');
});

t.test('--state-dir beats the environment, which beats the default', async (t) => {
  const env = { VCIO_AGENT_STATE_DIR: '/from/env' };
  t.equal(resolveStateDir('/from/flag', env, 'linux'), '/from/flag');
  t.equal(resolveStateDir(undefined, env, 'linux'), '/from/env');
  t.equal(resolveStateDir(undefined, {}, 'linux'), '/var/lib/vcio-agent');
  t.equal(resolveStateDir('relative/dir', {}, 'linux'), path.resolve('relative/dir'));
});

t.test(
  'credentials are saved 0600 in a 0700 directory and read back',
  { skip: process.platform === 'win32' && 'POSIX modes' },
  async (t) => {
    const dir = path.join(t.testdir(), 'nested', 'state');
    const file = await saveCredentials(dir, credentials);
    t.equal(file, path.join(dir, CREDENTIALS_FILE));
    t.equal(await mode(dir), 0o700);
    t.equal(await mode(file), 0o600);
    t.same(await loadCredentials(dir), credentials);
    t.same(await readdir(dir), [CREDENTIALS_FILE], 'no temporary file left behind');
  },
);

t.test(
  'an existing directory keeps its mode (it may be shared); the file is 0600 and replaced whole',
  { skip: process.platform === 'win32' && 'POSIX modes' },
  async (t) => {
    const dir = t.testdir();
    await chmod(dir, 0o755);
    await saveCredentials(dir, credentials);
    t.equal(await mode(dir), 0o755, 'not chmod-ed: --state-dir /tmp must not lock up /tmp');
    await saveCredentials(dir, { ...credentials, tenant: 'other', insecureHttp: true });
    t.same(await loadCredentials(dir), { ...credentials, tenant: 'other', insecureHttp: true });
    t.same(await readdir(dir), [CREDENTIALS_FILE]);
    t.equal(await mode(path.join(dir, CREDENTIALS_FILE)), 0o600);
  },
);

t.test(
  'a new directory is 0700 whatever the umask',
  { skip: process.platform === 'win32' && 'POSIX modes' },
  async (t) => {
    const old = process.umask(0o000);
    t.teardown(() => void process.umask(old));
    const dir = path.join(t.testdir(), 'made-here');
    await ensureStateDir(dir);
    t.equal(await mode(dir), 0o700);
  },
);

t.test('no credentials means "not enrolled" with the command to fix it', async (t) => {
  const dir = t.testdir();
  const err = (await loadCredentials(dir).catch((e: unknown) => e)) as NotEnrolledError;
  t.type(err, NotEnrolledError);
  t.equal(err.exitCode, ExitCode.notEnrolled);
  t.equal(
    err.message,
    `not enrolled: no credentials in ${dir}; run vcio-agent enroll --url URL --token TOKEN`,
  );
  t.equal(await loadCredentialsIfEnrolled(dir), null);
});

t.test('a damaged credentials file is a state error, not "not enrolled"', async (t) => {
  const dir = t.testdir({ [CREDENTIALS_FILE]: '{"agentId": ' });
  await t.rejects(loadCredentials(dir), StateDirError);
  await t.rejects(loadCredentialsIfEnrolled(dir), /is not valid JSON/);
  const partial = t.testdir({ [CREDENTIALS_FILE]: JSON.stringify({ agentId: 'x' }) });
  await t.rejects(loadCredentials(partial), /is missing fields/);
  const notObject = t.testdir({ [CREDENTIALS_FILE]: 'null' });
  await t.rejects(loadCredentials(notObject), /is missing fields/);
});

t.test('a state directory that cannot be created is exit code 6 with a hint', async (t) => {
  const base = t.testdir({ 'a-file': 'x' });
  // A path below a regular file fails for root too (ENOTDIR), unlike a permission test.
  const err = (await ensureStateDir(path.join(base, 'a-file', 'state')).catch(
    (e: unknown) => e,
  )) as StateDirError;
  t.type(err, StateDirError);
  t.equal(err.exitCode, ExitCode.stateDir);
  t.match(err.message, /^cannot create state directory .*a-file\/state: ENOTDIR$/);
  const readErr = (await loadCredentials(path.join(base, 'a-file')).catch(
    (e: unknown) => e,
  )) as StateDirError;
  t.type(readErr, StateDirError);
  t.match(readErr.message, /^cannot read .*credentials\.json: ENOTDIR$/);
});

t.test(
  'permission problems name the fix',
  { skip: process.getuid?.() === 0 && 'root ignores file permissions' },
  async (t) => {
    const base = t.testdir();
    await mkdir(path.join(base, 'locked'), { mode: 0o500 });
    await t.rejects(saveCredentials(path.join(base, 'locked', 'state'), credentials), {
      message:
        /EACCES \(run as root\/Administrator, or choose another directory with --state-dir\)$/,
    });
  },
);

t.test('a write that fails leaves no temporary file', async (t) => {
  const dir = t.testdir();
  // A directory where the file should go makes the rename fail after the temp file exists.
  await mkdir(path.join(dir, CREDENTIALS_FILE));
  await t.rejects(saveCredentials(dir, credentials), StateDirError);
  t.same(await readdir(dir), [CREDENTIALS_FILE]);
  await writeFile(path.join(dir, 'unrelated'), '');
  t.ok((await readFile(path.join(dir, 'unrelated'), 'utf8')) === '');
});
