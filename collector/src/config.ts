// The collector's configuration: defaults, parsing and checks. Every flag has a VCIO_*
// environment variable (wired in main.ts); this module only turns their text into values.
export interface CollectorConfig {
  listen: { host: string; port: number };
  /** SQLite database and bootstrap secrets */
  dataDir: string;
  tls: { certFile: string; keyFile: string } | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** performance samples and the report-id ledger are kept this long */
  retentionDays: number;
  /** the largest request body accepted, after decompression */
  bodyLimitBytes: number;
  /** SQLite synchronous mode: normal (default) or full (survives power loss, slower) */
  synchronous: 'normal' | 'full';
}

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  dataDir: './data',
  logLevel: 'info',
  retentionDays: 30,
  bodyLimitBytes: 4 * 1024 * 1024,
  synchronous: 'normal',
} as const;

export class ConfigError extends Error {}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces). Port 0 picks a free port. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new ConfigError(
      `--listen '${text}' is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, :8080)`,
    );
  }
  const host = match[1] ?? (match[2] === '' ? '0.0.0.0' : match[2]!);
  return { host, port };
}

export function parsePositiveInteger(
  name: string,
  text: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > max) {
    throw new ConfigError(`${name} '${text}' must be a whole number from 1 to ${max}`);
  }
  return n;
}

/** `4194304`, `512kb`, `4mb`, `1gb`. */
export function parseByteSize(name: string, text: string): number {
  const match = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(text.trim());
  if (!match) throw new ConfigError(`${name} '${text}' is not a size (e.g. 4mb, 512kb)`);
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit]!;
  const bytes = Number(match[1]) * factor;
  if (bytes < 1024) throw new ConfigError(`${name} must be at least 1kb`);
  return bytes;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export interface RawOptions {
  listen: string;
  dataDir: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
  retentionDays: string;
  bodyLimit: string;
  synchronous: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function buildConfig(raw: RawOptions): CollectorConfig {
  if (Boolean(raw.tlsCert) !== Boolean(raw.tlsKey)) {
    throw new ConfigError('TLS needs both --tls-cert and --tls-key (VCIO_TLS_CERT, VCIO_TLS_KEY)');
  }
  const logLevel = raw.logLevel as CollectorConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`--log-level '${raw.logLevel}' must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (raw.synchronous !== 'normal' && raw.synchronous !== 'full') {
    throw new ConfigError(`--synchronous '${raw.synchronous}' must be normal or full`);
  }
  return {
    listen: parseListen(raw.listen),
    dataDir: raw.dataDir,
    tls: raw.tlsCert && raw.tlsKey ? { certFile: raw.tlsCert, keyFile: raw.tlsKey } : null,
    logLevel,
    retentionDays: parsePositiveInteger('--retention-days', raw.retentionDays, 3650),
    bodyLimitBytes: parseByteSize('--body-limit', raw.bodyLimit),
    synchronous: raw.synchronous,
  };
}
