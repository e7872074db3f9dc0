// The agent's secret: rotating it, and keeping the running agent's credentials current.
//
// Rotation (`vcio-agent rotate`, or by itself when the collector's answer asks for it) is
// built so that a crash at any point leaves a secret that works:
//   1. POST /agent/rotate with the current secret; the collector answers a new secret and
//      keeps it pending: the current one keeps working.
//   2. The new credentials are written to credentials.json atomically (writeFileAtomic:
//      the old file or the new one, never half of one).
//   3. POST /agent/rotate/confirm with the new secret: the collector drops the old one.
//      Any later request with the new secret does the same, so a failed confirmation only
//      leaves the old secret valid a little longer.
// A crash before 2 keeps the old (still valid) secret on disk; a crash after 2 keeps the
// new one (valid as pending, then completed by the next request). A lock file keeps two
// rotations on one machine (the service's and a manual one) from overtaking each other,
// which could leave on disk a pending secret the other one replaced.
//
// A 401 is the collector refusing the credentials (revoked, or unknown after a restore):
// the running agent reads credentials.json again (a rotation or re-enrollment by another
// process changes it), and when nothing changed it logs that once, keeps every report
// queued, and does not send again until credentials.json changes or REFUSED_RETRY_MS has
// passed, instead of asking once a minute.
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RotateConfirmResponse, RotateResponse } from '@vcio/shared';
import { agentAuthorization } from '@vcio/shared/agent';
import { AgentError, errorMessage, RejectedError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Logger } from './log.js';
import { CREDENTIALS_FILE, loadCredentials, saveCredentials, type Credentials } from './state.js';
import {
  apiUrl,
  checkCollectorUrl,
  postWithRetry,
  type RetryPolicy,
  type TransportDeps,
} from './transport.js';

export const ROTATE_LOCK_FILE = 'rotate.lock';
/** A lock older than this was left by a rotation that died: taken over. */
export const STALE_LOCK_MS = 5 * 60_000;
/** After a 401, the next attempt with the same credentials waits this long. */
export const REFUSED_RETRY_MS = 60 * 60_000;

export interface RotateOptions {
  stateDir: string;
  credentials: Credentials;
  policy: RetryPolicy;
  deps: TransportDeps;
  logger: Logger;
}

function base(credentials: Credentials): string {
  return checkCollectorUrl(credentials.collectorUrl, credentials.insecureHttp === true).toString();
}

function agentPost(credentials: Credentials, route: string, what: string, options: RotateOptions) {
  return postWithRetry(
    apiUrl(base(credentials), route),
    {},
    {
      what,
      policy: options.policy,
      deps: options.deps,
      headers: { authorization: agentAuthorization(credentials.agentId, credentials.secret) },
      ...(credentials.tls ? { tls: credentials.tls } : {}),
    },
  );
}

function parseJson<T>(body: string, what: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new AgentError(`${what} answer from the collector is not JSON`);
  }
}

async function takeLock(stateDir: string, now: number): Promise<() => Promise<void>> {
  const file = path.join(stateDir, ROTATE_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = now - (await stat(file)).mtimeMs;
      if (age < STALE_LOCK_MS) {
        throw new AgentError(
          `another rotation is running (${file}); try again in a few minutes`,
          ExitCode.unexpected,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new AgentError(`cannot take the rotation lock ${file}`);
}

/**
 * Rotates the agent's secret (see the header); resolves with the new credentials, written
 * to disk. `confirmed` false: the confirmation failed, the next request completes it.
 */
export async function rotateSecret(
  options: RotateOptions,
): Promise<{ credentials: Credentials; confirmed: boolean }> {
  const release = await takeLock(options.stateDir, options.deps.now());
  try {
    // What is on disk is what counts (another process may have rotated since we read it).
    const current = await loadCredentials(options.stateDir).catch(() => options.credentials);
    const { response } = await agentPost(current, 'agent/rotate', 'secret rotation', options);
    const answer = parseJson<Partial<RotateResponse>>(response.body, 'rotation');
    if (answer.agentId !== current.agentId || typeof answer.secret !== 'string' || !answer.secret) {
      throw new AgentError('rotation answer from the collector lacks the agent id or the secret');
    }
    const credentials: Credentials = { ...current, secret: answer.secret };
    await saveCredentials(options.stateDir, credentials);
    options.logger.info({ agentId: current.agentId }, 'new secret written');
    let confirmed = false;
    try {
      const { response: done } = await agentPost(
        credentials,
        'agent/rotate/confirm',
        'rotation confirmation',
        options,
      );
      confirmed =
        parseJson<Partial<RotateConfirmResponse>>(done.body, 'confirmation').rotationPending ===
        false;
    } catch (err) {
      options.logger.warn(
        { err: errorMessage(err) },
        'rotation not confirmed yet: the next report completes it (the old secret works until then)',
      );
    }
    return { credentials, confirmed };
  } finally {
    await release();
  }
}

/** Same agent, same secret, same collector. */
function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.agentId === b.agentId && a.secret === b.secret && a.collectorUrl === b.collectorUrl;
}

/**
 * The running agent's credentials: re-read when credentials.json changes, refused ones held
 * back after a 401, and a rotation when the collector asks for one. The delivery (outbox
 * drain) asks it before and after each send.
 */
export class CredentialKeeper {
  private creds: Credentials;
  private fileStamp: string | null = null;
  private refusedAt: number | null = null;
  /** the refusal was logged; again only once other credentials were refused too */
  private loggedRefusal = false;
  private rotating: Promise<void> | null = null;

  constructor(
    private readonly stateDir: string,
    initial: Credentials,
    private readonly options: {
      policy: RetryPolicy;
      deps: TransportDeps;
      logger: Logger;
    },
  ) {
    this.creds = initial;
  }

  current(): Credentials {
    return this.creds;
  }

  private async stamp(): Promise<string | null> {
    try {
      const s = await stat(path.join(this.stateDir, CREDENTIALS_FILE));
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return null;
    }
  }

  /** Re-reads credentials.json when it changed on disk; true when it held other credentials. */
  async reload(force = false): Promise<boolean> {
    const stamp = await this.stamp();
    if (!force && stamp !== null && stamp === this.fileStamp) return false;
    this.fileStamp = stamp;
    let loaded: Credentials;
    try {
      loaded = await loadCredentials(this.stateDir);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err) }, 'credentials not readable; kept');
      return false;
    }
    if (sameCredentials(loaded, this.creds)) return false;
    this.creds = loaded;
    this.refusedAt = null;
    this.loggedRefusal = false;
    this.options.logger.info(
      { agentId: loaded.agentId },
      'credentials changed on disk; using them',
    );
    return true;
  }

  /**
   * Before a drain: false while the collector refuses these credentials (nothing is sent).
   * Picks up credentials changed on disk first.
   */
  async maySend(): Promise<boolean> {
    await this.reload();
    if (this.refusedAt === null) return true;
    if (this.options.deps.now() - this.refusedAt >= REFUSED_RETRY_MS) {
      this.refusedAt = null; // one more try; a 401 starts the wait again (quietly)
      return true;
    }
    return false;
  }

  /** The error a drain ends with while the credentials are refused. */
  refusal(): AgentError {
    return new RejectedError(
      `${this.lastRefusal ?? `the collector refused agent ${this.creds.agentId}`}; reports stay queued until this machine is enrolled again (vcio-agent enroll --force --url URL --token TOKEN)`,
      401,
    );
  }
  private lastRefusal: string | undefined;

  /**
   * After a 401: true when credentials.json now holds other credentials (send again with
   * them); false when the refusal stands (logged the first time only).
   */
  async refused(err: RejectedError): Promise<boolean> {
    if (await this.reload(true)) return true;
    this.lastRefusal = err.message;
    this.refusedAt = this.options.deps.now();
    if (!this.loggedRefusal) {
      this.loggedRefusal = true;
      this.options.logger.error(
        { agentId: this.creds.agentId, err: err.message },
        'the collector refuses this agent (revoked, or unknown there): reports stay queued and are not sent until this machine is enrolled again (vcio-agent enroll --force --url URL --token TOKEN)',
      );
    }
    return false;
  }

  /** After an accepted report: rotates in the background when the collector asked for it. */
  rotateIfAsked(asked: boolean | undefined): void {
    if (asked !== true || this.rotating) return;
    this.rotating = this.rotate()
      .catch((err: unknown) => {
        // The old secret keeps working; the next answer asks again.
        this.options.logger.warn({ err: errorMessage(err) }, 'secret rotation failed; will retry');
      })
      .finally(() => {
        this.rotating = null;
      });
  }

  /** Resolves when no rotation is running. */
  async settled(): Promise<void> {
    while (this.rotating) await this.rotating;
  }

  private async rotate(): Promise<void> {
    this.options.logger.info(
      { agentId: this.creds.agentId },
      'the collector asks for a new secret',
    );
    const { credentials, confirmed } = await rotateSecret({
      stateDir: this.stateDir,
      credentials: this.creds,
      ...this.options,
    });
    this.creds = credentials;
    this.fileStamp = await this.stamp();
    this.options.logger.info({ agentId: credentials.agentId, confirmed }, 'secret rotated');
  }
}
