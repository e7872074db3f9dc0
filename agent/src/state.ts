// The agent's state directory: credentials.json, and outbox/ with the reports not yet
// acknowledged by the collector (outbox.ts).
//
// Readable by root/admin only: credentials.json holds the agent's secret, and anyone who
// reads it can send reports as this machine. The directory is created 0700 and the file
// written 0600. On Windows those modes mean little; the default location under
// %ProgramData% inherits its ACL, and tightening that ACL is left to the installer.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, NotEnrolledError, StateDirError } from './errors.js';
import { checkStoredTls, type TlsSettings } from './tls.js';

export const CREDENTIALS_FILE = 'credentials.json';
export const STATE_DIR_ENV = 'VCIO_AGENT_STATE_DIR';

export interface Credentials {
  collectorUrl: string;
  agentId: string;
  secret: string;
  tenant: string;
  enrolledAt: string;
  /** enrolled with --insecure-http: plain HTTP to a non-loopback collector was allowed */
  insecureHttp?: boolean;
  /**
   * enrolled with --ca-file / --pin-sha256: the CA bundle's content and the pins, kept here
   * so that `run` under the service (own /tmp, read-only file system) checks the collector
   * as enrollment did; absent: the default store, no pins (tls.ts)
   */
  tls?: TlsSettings;
}

export function defaultStateDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  switch (platform) {
    case 'win32':
      return path.win32.join(env.ProgramData || 'C:\\ProgramData', 'vcio', 'agent');
    case 'darwin':
      return '/Library/Application Support/vcio/agent';
    default:
      return '/var/lib/vcio-agent';
  }
}

/** --state-dir wins, then VCIO_AGENT_STATE_DIR, then the platform's default. */
export function resolveStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const chosen = flag || env[STATE_DIR_ENV] || defaultStateDir(platform, env);
  return path.resolve(chosen);
}

export function stateDirError(action: string, target: string, err: unknown): StateDirError {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? ' (run as root/Administrator, or choose another directory with --state-dir)'
      : '';
  return new StateDirError(`cannot ${action} ${target}: ${code ?? errorMessage(err)}${hint}`, {
    cause: err,
  });
}

export async function ensureStateDir(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    // The umask may have narrowed the mode given to mkdir: set it explicitly, but only on a
    // directory made here. An existing one may be shared (--state-dir /tmp) and keeps its
    // mode; the credentials file inside is 0600 either way.
    if (created !== undefined && process.platform !== 'win32') await chmod(dir, 0o700);
  } catch (err) {
    throw stateDirError('create state directory', dir, err);
  }
}

/** Writes `file` so that a reader sees the old content or the new, never half of it. */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  if (process.platform !== 'win32') {
    // The rename is durable only once the directory entry is flushed too.
    const dir = await open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

export async function saveCredentials(dir: string, credentials: Credentials): Promise<string> {
  await ensureStateDir(dir);
  const file = path.join(dir, CREDENTIALS_FILE);
  try {
    await writeFileAtomic(file, `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
  } catch (err) {
    throw stateDirError('write', file, err);
  }
  return file;
}

function isCredentials(value: unknown): value is Credentials {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (['collectorUrl', 'agentId', 'secret', 'tenant', 'enrolledAt'] as const).every(
    (k) => typeof v[k] === 'string' && v[k] !== '',
  );
}

export async function loadCredentials(dir: string): Promise<Credentials> {
  const file = path.join(dir, CREDENTIALS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotEnrolledError(dir);
    throw stateDirError('read', file, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateDirError(
      `${file} is not valid JSON; enroll again with vcio-agent enroll --force`,
    );
  }
  if (!isCredentials(parsed)) {
    throw new StateDirError(
      `${file} is missing fields; enroll again with vcio-agent enroll --force`,
    );
  }
  // Damaged TLS settings must stop the agent, not quietly fall back to weaker checks.
  const tlsProblem = checkStoredTls(parsed.tls);
  if (tlsProblem) {
    throw new StateDirError(
      `${file}: ${tlsProblem}; set them again with vcio-agent trust, or enroll again with --force`,
    );
  }
  return parsed;
}

/** Credentials when enrolled, null when not; other problems (damaged file) still throw. */
export async function loadCredentialsIfEnrolled(dir: string): Promise<Credentials | null> {
  try {
    return await loadCredentials(dir);
  } catch (err) {
    if (err instanceof NotEnrolledError) return null;
    throw err;
  }
}
