// Whether the database can take writes, for the whole collector.
//
// A full disk or a file system gone read-only is not a bad report: every write fails
// until an operator acts. While that lasts the collector answers reports 503 with
// Retry-After at once, before reading their bodies (the agents keep them on disk and
// retry), keeps answering reads, says so on /healthz and in vcio_storage_available, and
// logs the change once, not once per request.
//
// It recovers by itself: while unavailable, a probe tries a small real write every few
// seconds (ingest is not tried meanwhile, so the probe is what notices space coming
// back, even when a load balancer has taken the collector out of rotation and no agent
// reaches it). The first probe that succeeds logs "storage recovered" and lets reports in.
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SqliteDatabase } from './sqlite/database.js';
import { StoreUnavailableError } from './types.js';

/** The SQLite primary codes (and errno codes of our own probe) that mean "storage", by label. */
const STORAGE_REASONS: Record<string, string> = {
  SQLITE_FULL: 'full',
  SQLITE_READONLY: 'readonly',
  SQLITE_IOERR: 'ioerr',
  SQLITE_CANTOPEN: 'cantopen',
  SQLITE_CORRUPT: 'corrupt',
  SQLITE_NOTADB: 'corrupt',
  SQLITE_BUSY: 'busy',
  SQLITE_LOCKED: 'busy',
  ENOSPC: 'full',
  EDQUOT: 'full',
  EROFS: 'readonly',
  EIO: 'ioerr',
  EACCES: 'readonly',
  EPERM: 'readonly',
};

/**
 * Busy and locked pass: another connection (the checkpointer, a backup) held the lock
 * beyond busy_timeout. That request is answered 503 and counted, but the database is not
 * declared unavailable for it.
 */
const TRANSIENT = new Set(['busy']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * PostgreSQL's SQLSTATEs (store/postgres/errors.ts says which mean "unavailable") by label:
 * exact codes first, then classes. node-postgres's socket failures carry errno codes.
 */
const POSTGRES_CODES: Record<string, string> = {
  '53100': 'full', // disk_full
  '25006': 'readonly', // read_only_sql_transaction: a standby, or read-only after failover
  '55P03': 'busy', // lock_not_available
  '57014': 'timeout', // statement timeout
  '57P01': 'shutdown',
  '57P02': 'shutdown',
  '57P03': 'starting',
  ECONNREFUSED: 'connection',
  ECONNRESET: 'connection',
  ETIMEDOUT: 'connection',
  EHOSTUNREACH: 'connection',
  ENETUNREACH: 'connection',
  ENOTFOUND: 'connection',
  EAI_AGAIN: 'connection',
};
const POSTGRES_CLASSES: Record<string, string> = {
  '08': 'connection',
  '53': 'resources',
  '58': 'ioerr',
};
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** 'full', 'readonly', 'ioerr'... for a storage failure; null for any other error. */
export function storageFailureReason(error: unknown): string | null {
  const code = errorCode(error);
  if (code === undefined) {
    // node-postgres reports a connection lost under a query with no code at all
    return error instanceof Error &&
      /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
      ? 'connection'
      : null;
  }
  const postgres =
    POSTGRES_CODES[code] ?? (SQLSTATE.test(code) ? POSTGRES_CLASSES[code.slice(0, 2)] : undefined);
  if (postgres) return postgres;
  // Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED) share the primary's prefix.
  const primary = code.startsWith('SQLITE_') ? code.split('_').slice(0, 2).join('_') : code;
  return STORAGE_REASONS[primary] ?? null;
}

/** SQLite errors that mean the database cannot take writes, as opposed to a bad report. */
export function isStorageFailure(error: unknown): boolean {
  return storageFailureReason(error) !== null && errorCode(error)?.startsWith('SQLITE_') === true;
}

/** `SQLITE_FULL: database or disk is full`: the code and SQLite's own words. */
export function describeStorageError(error: unknown): string {
  const code = errorCode(error) ?? 'unknown';
  return `${code}: ${error instanceof Error ? error.message : String(error)}`;
}

/** What /healthz and the 503s tell about storage. */
export type StorageStatus =
  { available: true } | { available: false; reason: string; message: string; since: Date };

/** Throws when storage cannot take a small write. */
export type StorageProbe = () => void;

interface Logger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface StorageAvailabilityOptions {
  logger: Logger;
  /** where vcio_storage_available and vcio_storage_errors_total go; none: not exported */
  registry?: Registry;
  /** the write that proves storage is back; without one, nothing declares recovery */
  probe?: StorageProbe | null;
  /** between probes while unavailable */
  probeIntervalMs?: number;
}

const DEFAULT_PROBE_INTERVAL_MS = 2000;
/** Reasons are a fixed set (the table above), capped all the same. */
const MAX_REASONS = 16;

export class StorageAvailability {
  private current: StorageStatus = { available: true };
  private readonly logger: Logger;
  private readonly probe: StorageProbe | null;
  private readonly probeIntervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly errors: Counter<'reason'> | null;
  private readonly reasons = new Set<string>();
  /** requests answered 503 while unavailable, for the recovery log line */
  private refused = 0;

  constructor(options: StorageAvailabilityOptions) {
    this.logger = options.logger;
    this.probe = options.probe ?? null;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    const registers = options.registry ? [options.registry] : [];
    const status = () => this.current;
    this.errors = options.registry
      ? new Counter({
          name: 'vcio_storage_errors_total',
          help: 'Writes that failed because of storage (full, readonly, ioerr, busy...), probes included.',
          labelNames: ['reason'],
          registers,
        })
      : null;
    if (options.registry) {
      new Gauge({
        name: 'vcio_storage_available',
        help: '1 when the database takes writes; 0 while reports are refused for storage (see /healthz).',
        registers,
        collect() {
          this.set(status().available ? 1 : 0);
        },
      });
    }
  }

  get status(): StorageStatus {
    return this.current;
  }

  get available(): boolean {
    return this.current.available;
  }

  /**
   * Whether reports are refused without trying them: while unavailable, when a probe can
   * tell recovery. A store without one (not SQLite) keeps trying writes instead, and the
   * first that succeeds (reportSuccess) ends the outage.
   */
  get refusing(): boolean {
    return !this.current.available && this.probe !== null;
  }

  /** A write succeeded: storage is available (logged when that ends an outage). */
  reportSuccess(): void {
    if (!this.current.available) this.recover();
  }

  /** One request refused at the door because storage is unavailable (for the recovery line). */
  countRefused(): void {
    this.refused++;
  }

  /**
   * A write failed for storage: counts it and, unless it is only a lock held too long,
   * declares storage unavailable (logged on the change only) and starts probing.
   */
  reportFailure(error: unknown): void {
    const cause = error instanceof StoreUnavailableError ? (error.cause ?? error) : error;
    const reason = storageFailureReason(cause) ?? 'other';
    this.count(reason);
    if (TRANSIENT.has(reason) || !this.current.available || this.closed) return;
    const message =
      error instanceof StoreUnavailableError ? error.reason : describeStorageError(cause);
    this.current = { available: false, reason, message, since: new Date() };
    this.refused = 0;
    this.logger.error(
      { reason, problem: message },
      'storage unavailable: reports are answered 503 until a write succeeds again',
    );
    this.scheduleProbe();
  }

  /** Stops probing (the collector is shutting down). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs the probe now; true when storage is (back) available. Tests and /healthz use it. */
  probeNow(): boolean {
    if (this.current.available) return true;
    if (!this.probe) return false;
    try {
      this.probe();
    } catch (error) {
      this.count(storageFailureReason(error) ?? 'other');
      return false;
    }
    this.recover();
    return true;
  }

  private recover(): void {
    const down = this.current;
    if (down.available) return;
    this.current = { available: true };
    this.logger.info(
      {
        reason: down.reason,
        downSeconds: Math.round((Date.now() - down.since.getTime()) / 1000),
        refusedRequests: this.refused,
      },
      'storage recovered: accepting reports again',
    );
  }

  private scheduleProbe(): void {
    if (!this.probe || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.probeNow()) this.scheduleProbe();
    }, this.probeIntervalMs);
    this.timer.unref();
  }

  private count(reason: string): void {
    if (!this.errors) return;
    let label = reason;
    if (!this.reasons.has(label)) {
      if (this.reasons.size >= MAX_REASONS) label = 'other';
      else this.reasons.add(label);
    }
    this.errors.inc({ reason: label });
  }
}

/** Free space a probe insists on before it declares a full disk recovered. */
const PROBE_HEADROOM_BYTES = 1024 * 1024;
const PROBE_CHUNK = Buffer.alloc(64 * 1024);

/**
 * The recovery probe for the SQLite store: (1) a MiB written and synced to a file in the
 * data directory, then removed, so that recovery needs some headroom, not the last few
 * free blocks (which the next batch of reports would fill again); (2) a real SQLite commit
 * that rewrites the database header's user_version with its own value (vcio's migrations
 * keep their version in a table; user_version is otherwise unused), which fails while the
 * database or its file system cannot be written.
 */
export function sqliteWriteProbe(db: SqliteDatabase, dataDir: string): StorageProbe {
  const file = join(dataDir, '.write-probe');
  return () => {
    const fd = openSync(file, 'w', 0o600);
    try {
      for (let written = 0; written < PROBE_HEADROOM_BYTES; written += PROBE_CHUNK.length) {
        writeSync(fd, PROBE_CHUNK);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      try {
        unlinkSync(file);
      } catch {
        // a read-only file system may refuse even this; the next probe overwrites it
      }
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    db.transaction(() => db.pragma(`user_version = ${Number(version)}`)).immediate();
  };
}

/**
 * For warnings that repeat while a fault lasts (the checkpointer retries every second: a
 * full disk would log 3,600 identical lines an hour): a message is logged when it first
 * appears or changes, then at most once per `intervalMs` with how often it repeated.
 */
export function repeatLimitedWarning(
  warn: (obj: object, msg: string) => void,
  intervalMs = 10 * 60_000,
  now: () => number = Date.now,
): (message: string) => void {
  let last: string | null = null;
  let loggedAt = 0;
  let repeats = 0;
  return (message) => {
    const at = now();
    if (message === last && at - loggedAt < intervalMs) {
      repeats++;
      return;
    }
    warn(repeats > 0 && message === last ? { repeats } : {}, message);
    last = message;
    loggedAt = at;
    repeats = 0;
  };
}
