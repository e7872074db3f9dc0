import { ConfigError } from './config.js';

/** One clear line for the errors a user can fix, never a stack trace. */
export function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE')
    return `the address is already in use (${e.message}); choose another with --listen or VCIO_LISTEN`;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `permission denied: ${e.message}`;
  if (e.code === 'ENOENT') return `file not found: ${e.message}`;
  if (e.code === 'SQLITE_CANTOPEN')
    return `cannot open the database: ${e.message}; check --data-dir`;
  if (e.code === 'SQLITE_NOTADB') return `the database file is not a vcio database: ${e.message}`;
  if (error instanceof Error) return e.message;
  return String(error);
}
