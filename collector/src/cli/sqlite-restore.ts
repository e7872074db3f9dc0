// The restore itself (the command is in backup.ts): put a backup in place of the data
// directory's database.
//
// 1. The backup (plain or gzip) is copied into the data directory as a temporary file
//    (mode 0600) and checked there: PRAGMA integrity_check, a vcio schema, and a schema
//    version this collector knows (an older one is fine: the collector migrates it when it
//    starts; a newer one needs a newer collector).
// 2. Nobody may be using the current database. A collector holds its database open for its
//    whole life, and in WAL mode every open connection keeps a shared lock on the file. So
//    restore opens it in SQLite's EXCLUSIVE locking mode and asks for an exclusive lock
//    without waiting: SQLITE_BUSY means some process (a collector, an admin or export
//    command) has it open, and restore refuses. This asks the operating system's file locks
//    themselves, so a crashed collector never blocks a restore (its locks died with it), as
//    a PID file could.
// 3. Holding that lock, the current database is switched out of WAL mode, which
//    checkpoints its WAL into it: the previous database is one complete file. It is kept as
//    vcio.db.before-restore-<time> (a hard link, so vcio.db never goes missing), the backup
//    is renamed over vcio.db (atomic), and stale -wal, -shm and -journal files, which would
//    otherwise be replayed into the restored database, are removed. Then the lock goes.
//
// Keep the collector stopped until restore has finished: one started during the swap
// waits for the lock and could open the previous file.
import { chmodSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import type Database from 'better-sqlite3';
import {
  DATABASE_FILE,
  LATEST_SCHEMA,
  checkIntegrity,
  copyOwnerOnly,
  describeBytes,
  describeRows,
  describeSeconds,
  err,
  fsyncDirectory,
  isGzip,
  openExisting,
  schemaVersionOf,
  sqliteCode,
  tableRows,
} from './database-file.js';

export interface RestoreOptions {
  from?: string;
  dataDir: string;
  json?: boolean;
}

export interface RestoreResult {
  database: string;
  from: string;
  schemaVersion: number;
  /** where the database that was there before is kept (null: there was none) */
  previous: string | null;
  bytes: number;
  rows: Record<string, number>;
  seconds: number;
}

/** 2026-12-04T17:31:40.123Z → 20261204T173140Z: sorts, and is a valid file name everywhere. */
const fileTimestamp = (d: Date) => d.toISOString().replace(/[-:]|\.\d+/g, '');

const SIDE_FILES = ['-wal', '-shm', '-journal'];

export async function runRestore(
  options: RestoreOptions,
  report: (line: string) => void = err,
  now: () => Date = () => new Date(),
): Promise<RestoreResult> {
  const started = performance.now();
  if (!options.from) throw new Error('--from FILE is required (see --help)');
  const from = resolve(options.from);
  const dataDir = resolve(options.dataDir);
  const target = join(dataDir, DATABASE_FILE);
  if (!existsSync(from)) throw new Error(`no backup file at ${from}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temp = join(dataDir, `.${DATABASE_FILE}.restoring-${process.pid}`);
  const removeTemp = () => {
    for (const file of [temp, ...SIDE_FILES.map((s) => temp + s)]) rmSync(file, { force: true });
  };

  let held: Database.Database | null = null;
  try {
    // First, so a restore into a busy data directory is refused before any copying; a
    // collector started meanwhile waits for the lock (5 s) and fails to start.
    const current = existsSync(target);
    if (current) held = lockCurrent(target);

    const gzip = isGzip(from);
    report(`restore: copying ${from}${gzip ? ' (gzip)' : ''} into ${dataDir}`);
    try {
      await copyOwnerOnly(from, temp, gzip ? createGunzip() : undefined);
    } catch (error) {
      if (gzip) throw new Error(`${from} is not a readable gzip file: ${(error as Error).message}`);
      throw error;
    }
    report('restore: checking the backup (PRAGMA integrity_check)');
    const { schemaVersion, rows } = checkBackup(temp, from);
    const bytes = statSync(temp).size;

    let previous: string | null = null;
    if (current) {
      previous = `${target}.before-restore-${fileTimestamp(now())}`;
      keepAside(target, previous, held !== null);
    }
    // Before the rename, never after: once the lock goes, a -wal there is a new collector's.
    for (const side of SIDE_FILES) rmSync(target + side, { force: true });
    renameSync(temp, target);
    fsyncDirectory(dataDir);
    held?.close();
    held = null;

    const seconds = (performance.now() - started) / 1000;
    const migrates =
      schemaVersion < LATEST_SCHEMA
        ? `; the collector migrates it to version ${LATEST_SCHEMA} when it starts`
        : '';
    report(
      `restore: ${target} is now the backup (${describeBytes(bytes)}, schema version ` +
        `${schemaVersion}${migrates}) in ${describeSeconds(seconds * 1000)}`,
    );
    if (previous) report(`restore: the previous database is kept as ${previous}`);
    report(`restore: rows: ${describeRows(rows)}`);
    return { database: target, from, schemaVersion, previous, bytes, rows, seconds };
  } catch (error) {
    held?.close();
    removeTemp();
    throw error;
  }
}

/** The backup copy must be a sound vcio database of a schema this collector can run. */
function checkBackup(path: string, shownAs: string) {
  let db: Database.Database;
  try {
    db = openExisting(path, `the copy ${path} has gone`);
  } catch (error) {
    throw new Error(
      sqliteCode(error) === 'SQLITE_NOTADB' || /not an SQLite database/.test(String(error))
        ? `${shownAs} is not an SQLite database (nor a gzip of one)`
        : (error as Error).message.replace(path, shownAs),
    );
  }
  try {
    const rename = (e: unknown) => new Error((e as Error).message.replaceAll(path, shownAs));
    let schemaVersion: number;
    try {
      checkIntegrity(db, path);
      schemaVersion = schemaVersionOf(db, path);
    } catch (error) {
      throw rename(error);
    }
    if (schemaVersion > LATEST_SCHEMA) {
      throw new Error(
        `${shownAs} has schema version ${schemaVersion}, newer than this collector knows ` +
          `(${LATEST_SCHEMA}): restore it with the collector version that made it, or a newer one`,
      );
    }
    // a restored database is one file: the collector turns WAL on again when it opens it
    db.pragma('journal_mode = DELETE');
    return { schemaVersion, rows: tableRows(db) };
  } finally {
    db.close();
  }
}

/**
 * Takes the current database from under nobody: an exclusive lock, without waiting, then
 * its WAL checkpointed into it. Returns the connection holding the lock (null when the file
 * is not a database SQLite can open: nobody can be using it either, it is kept aside as is).
 */
function lockCurrent(target: string): Database.Database | null {
  let db: Database.Database;
  try {
    db = openExisting(target, `${target} has gone`, 0);
  } catch (error) {
    if (/is not an SQLite database|is damaged/.test((error as Error).message)) return null;
    throw error;
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    db.pragma('journal_mode = DELETE');
    return db;
  } catch (error) {
    db.close();
    if (/^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(error))) {
      throw new Error(
        `${target} is in use (a running collector, or an admin or export command): ` +
          'stop the collector first (e.g. systemctl stop vcio-collector), then restore',
      );
    }
    throw new Error(`cannot take ${target} over for the restore: ${(error as Error).message}`);
  }
}

/** The current database, kept under another name; vcio.db itself stays until the rename. */
function keepAside(target: string, aside: string, checkpointed: boolean): void {
  try {
    linkSync(target, aside);
  } catch {
    // a filesystem without hard links: moved instead, leaving vcio.db absent for a moment
    renameSync(target, aside);
  }
  // it holds everything the collector knew: owner-only, whatever mode SQLite created it with
  chmodSync(aside, 0o600);
  if (!checkpointed) {
    // unreadable: its side files go with it, as they are, for whoever investigates
    for (const side of ['-wal', '-shm']) {
      if (existsSync(target + side)) renameSync(target + side, aside + side);
    }
  }
}
