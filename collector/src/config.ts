// The collector's configuration: defaults, parsing and checks. Every flag has a VCIO_*
// environment variable (wired in main.ts); this module only turns their text into values.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPublicUrl, PublicUrlError } from './deploy/public-url.js';
import type { IngestLimits } from './http/overload.js';
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
  /** GET /metrics: per-host series, the fleet cache, auth */
  metrics: MetricsConfig;
  /** live feed: a host is offline after this many missed performance intervals */
  offlineAfter: number;
  /** live feed: seconds between heartbeats to connected clients */
  heartbeatSeconds: number;
  /** agent downloads and install commands (routes/deploy.ts) */
  deploy: DeployConfig;
  /** admission control for reports (http/overload.ts) */
  ingest: IngestLimits;
  /** where the Store lives (store/factory.ts); absent: SQLite in dataDir */
  database?: DatabaseConfig;
}

/**
 * SQLite in the data directory (the default), or a PostgreSQL server shared by several
 * collectors. `display` is the URL with any password masked: the only form ever logged.
 */
export type DatabaseConfig =
  { kind: 'sqlite' } | { kind: 'postgres'; url: string; display: string };

const POSTGRES_URL = /^postgres(?:ql)?:\/\/\S+$/i;

/** The connection string with its password (in the user part or the query) replaced by ***. */
export function maskDatabaseUrl(url: string): string {
  return (
    url
      // greedy to the last @ before the path: a password may hold an unencoded @
      .replace(/^([a-z]+:\/\/[^:@/?#]*):[^/?#]*@/i, '$1:***@')
      .replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***')
  );
}

/**
 * --database / VCIO_DATABASE_URL: empty or absent is SQLite in the data directory; a
 * postgres:// or postgresql:// URL is PostgreSQL. The error never echoes the value: it
 * may hold a password.
 */
export function parseDatabase(text: string | undefined): DatabaseConfig {
  const url = text?.trim() ?? '';
  if (url === '') return { kind: 'sqlite' };
  if (!POSTGRES_URL.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new ConfigError(
      `--database (VCIO_DATABASE_URL) must be a postgres:// or postgresql:// URL` +
        (scheme && !/^postgres(ql)?$/i.test(scheme) ? ` (got a ${scheme}: URL)` : '') +
        `; leave it unset for SQLite in --data-dir`,
    );
  }
  return { kind: 'postgres', url, display: maskDatabaseUrl(url) };
}

export interface DeployConfig {
  /** what `pnpm build:agent` wrote (binaries and SHA256SUMS); null: none served */
  agentBinariesDir: string | null;
  /** the URL agents reach the collector at; null: taken from each request */
  publicUrl: string | null;
}

/**
 * Without --agent-binaries: agent/release of the checkout this collector runs from
 * (../../agent/release from src/ and dist/ alike), when it exists at start-up.
 */
export function defaultAgentBinariesDir(): string | null {
  const dir = fileURLToPath(new URL('../../agent/release', import.meta.url));
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : null;
}

export function buildDeployConfig(raw: Partial<RawOptions>): DeployConfig {
  let agentBinariesDir = defaultAgentBinariesDir();
  if (raw.agentBinaries) {
    agentBinariesDir = path.resolve(raw.agentBinaries);
    if (!existsSync(agentBinariesDir) || !statSync(agentBinariesDir).isDirectory()) {
      throw new ConfigError(`--agent-binaries '${raw.agentBinaries}' is not a directory`);
    }
  }
  let publicUrl: string | null = null;
  if (raw.publicUrl) {
    try {
      // http to a remote host is judged per request (insecureHttp), not here
      publicUrl = checkPublicUrl(raw.publicUrl, true);
    } catch (error) {
      if (!(error instanceof PublicUrlError)) throw error;
      throw new ConfigError(`--public-url: ${error.message}`);
    }
  }
  return { agentBinariesDir, publicUrl };
}

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  dataDir: './data',
  logLevel: 'info',
  retentionDays: 30,
  bodyLimitBytes: 4 * 1024 * 1024,
  synchronous: 'normal',
  offlineAfter: 3,
  heartbeatSeconds: 20,
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
  metricsPerHost?: string;
  metricsCacheSeconds?: string;
  metricsOnlineSeconds?: string;
  metricsToken?: string;
  metricsBasicAuth?: string;
  offlineAfter?: string;
  heartbeat?: string;
  agentBinaries?: string;
  publicUrl?: string;
  maxInFlightReports?: string;
  maxInFlightReportBytes?: string;
  overloadRetryAfter?: string;
  database?: string;
}

/**
 * Ingest admission (http/overload.ts). 1000 reports in flight is ~10× what the collector
 * needs at full speed on loopback, leaving room for agents on slow links whose bodies take
 * a while to arrive; 64 MiB of declared bodies bounds their memory whatever their sizes.
 */
export const INGEST_DEFAULTS = {
  maxInFlightReports: 1000,
  maxInFlightReportBytes: '64mb',
  overloadRetryAfter: 5,
} as const;

export function buildIngestLimits(raw: Partial<RawOptions>): IngestLimits {
  return {
    maxInFlight: parsePositiveInteger(
      '--max-in-flight-reports',
      raw.maxInFlightReports ?? String(INGEST_DEFAULTS.maxInFlightReports),
      1_000_000,
    ),
    maxInFlightBytes: parseByteSize(
      '--max-in-flight-report-bytes',
      raw.maxInFlightReportBytes ?? INGEST_DEFAULTS.maxInFlightReportBytes,
    ),
    retryAfterSeconds: parsePositiveInteger(
      '--overload-retry-after',
      raw.overloadRetryAfter ?? String(INGEST_DEFAULTS.overloadRetryAfter),
      3600,
    ),
  };
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
    metrics: buildMetricsConfig(raw),
    offlineAfter: parsePositiveInteger(
      '--offline-after',
      raw.offlineAfter ?? String(DEFAULTS.offlineAfter),
      1000,
    ),
    heartbeatSeconds: parsePositiveInteger(
      '--heartbeat',
      raw.heartbeat ?? String(DEFAULTS.heartbeatSeconds),
      3600,
    ),
    deploy: buildDeployConfig(raw),
    ingest: buildIngestLimits(raw),
    database: parseDatabase(raw.database),
  };
}

export interface MetricsConfig {
  /** hosts given per-host series: Infinity (on, the default), 0 (off) or a cap */
  perHostLimit: number;
  /** fleet and per-host figures are read from the database at most this often (0: every scrape) */
  cacheSeconds: number;
  /** a host is online when it reported within this many seconds */
  onlineSeconds: number;
  /** null: /metrics is open, as Prometheus exporters usually are */
  auth: MetricsAuth | null;
}

/** What a scraper must present: the bearer token or the basic-auth credentials (either works). */
export interface MetricsAuth {
  bearerToken: string | null;
  basic: { username: string; password: string } | null;
}

export const METRICS_DEFAULTS = {
  perHost: 'on',
  cacheSeconds: 15,
  // Three missed performance reports (every 60 s) before a host counts as offline.
  onlineSeconds: 180,
} as const;

/** `on`, `off`, or the most hosts to give per-host series (e.g. 5000). */
export function parsePerHost(text: string): number {
  const value = text.trim().toLowerCase();
  if (value === 'on') return Infinity;
  if (value === 'off' || value === '0') return 0;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  throw new ConfigError(
    `--metrics-per-host '${text}' must be on, off, or the most hosts to export (e.g. 5000)`,
  );
}

function parseSeconds(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new ConfigError(
      `${name} '${text}' must be a whole number of seconds from ${min} to ${max}`,
    );
  }
  return n;
}

/** Errors never echo the values: a misplaced one may be a real password. */
export function parseMetricsAuth(token?: string, basicAuth?: string): MetricsAuth | null {
  if (!token && !basicAuth) return null;
  if (token && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    throw new ConfigError(
      '--metrics-token (VCIO_METRICS_TOKEN) must be 16 to 512 printable characters, no spaces',
    );
  }
  let basic: MetricsAuth['basic'] = null;
  if (basicAuth) {
    const colon = basicAuth.indexOf(':');
    const username = basicAuth.slice(0, colon);
    const password = basicAuth.slice(colon + 1);
    if (colon <= 0 || password.length < 8 || basicAuth.length > 1024 || /[\r\n]/.test(basicAuth)) {
      throw new ConfigError(
        '--metrics-basic-auth (VCIO_METRICS_BASIC_AUTH) must be USER:PASSWORD with a password of at least 8 characters',
      );
    }
    basic = { username, password };
  }
  return { bearerToken: token || null, basic };
}

export function buildMetricsConfig(raw: Partial<RawOptions>): MetricsConfig {
  return {
    perHostLimit: parsePerHost(raw.metricsPerHost ?? METRICS_DEFAULTS.perHost),
    cacheSeconds: parseSeconds(
      '--metrics-cache-seconds',
      raw.metricsCacheSeconds ?? String(METRICS_DEFAULTS.cacheSeconds),
      0,
      3600,
    ),
    onlineSeconds: parseSeconds(
      '--metrics-online-seconds',
      raw.metricsOnlineSeconds ?? String(METRICS_DEFAULTS.onlineSeconds),
      1,
      30 * 86_400,
    ),
    auth: parseMetricsAuth(raw.metricsToken, raw.metricsBasicAuth),
  };
}
