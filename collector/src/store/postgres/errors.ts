// Which PostgreSQL failures mean "the database cannot take this now" (answer 503, the agent
// keeps its report and retries) rather than "this request is at fault", and which mean
// "run the transaction again".
import { StoreUnavailableError } from '../types.js';

/**
 * SQLSTATE classes and codes of a database that cannot answer: connection exceptions (08),
 * insufficient resources (53: disk full 53100, out of memory, too many connections),
 * operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up,
 * 57014 statement timeout), system errors (58: I/O), a read-only server (25006: a hot
 * standby, or default_transaction_read_only after a failover), a lock not obtained within
 * lock_timeout (55P03, as SQLite's BUSY).
 */
const UNAVAILABLE_CLASSES = ['08', '53', '58'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '57014', '25006', '55P03']);

/** Socket-level failures reaching the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a unix socket that is gone: the server is not running
]);

/**
 * node-postgres reports a lost or refused connection with these messages and no code
 * (the socket closed under a query; the pool's connection timeout).
 */
const LOST_CONNECTION =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed/i;

/** Deadlocks and serialization failures: the transaction did nothing, run it again. */
const RETRYABLE_CODES = new Set(['40P01', '40001']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = codeOf(error);
  if (code !== undefined) {
    if (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
    if (UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true;
  }
  return error instanceof Error && LOST_CONNECTION.test(error.message);
}

export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** The error to throw: StoreUnavailableError for an unavailable database, else as it was. */
export function storeError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  const code = codeOf(error) ?? 'connection';
  const message = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`postgres ${code}: ${message}`, { cause: error });
}
