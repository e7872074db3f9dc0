// The agent's logger: pino, JSON lines, always on stderr. stdout belongs to `collect`, whose
// output is the report itself and must stay parseable.
import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, destination: number = 2): Logger {
  return pino(
    {
      name: 'vcio-agent',
      level,
      base: { pid: process.pid },
      // Defence in depth: no code path logs credentials, but if one ever passes an object
      // holding them, the value is replaced rather than written to a log an RMM uploads.
      redact: {
        paths: [
          'secret',
          '*.secret',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    // Synchronous writes: a CLI that exits right after logging must not lose the line.
    pino.destination({ fd: destination, sync: true }),
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
