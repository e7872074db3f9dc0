// What `vcio-collector backup` and `restore` share: opening a database file with errors a
// person can act on, checking that a file is a sound vcio database, a per-table summary,
// owner-only copies, and fsync for files and directories (a rename is durable only once
// its directory is).
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  openSync,
  readSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import Database from 'better-sqlite3';
import { migrations } from '../store/sqlite/migrations.js';

/** The database file name (store/sqlite/index.ts's DATABASE_FILE, without loading the store). */
export const DATABASE_FILE = 'vcio.db';

/** The newest schema version this collector's migrations know. */
export const LATEST_SCHEMA = migrations.reduce((max, m) => Math.max(max, m.version), 0);

export const err = (line: string) => process.stderr.write(`${line}\n`);

export function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Opens an existing database file; a missing, unreadable or foreign file is one clear line. */
export function openExisting(path: string, missing: string, timeoutMs = 10_000): Database.Database {
  if (!existsSync(path)) throw new Error(missing);
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new Error(`cannot read ${path}: ${sqliteCode(error) || message(error)}`);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: timeoutMs });
    // SQLite reads the header lazily: a file that is not a database fails here
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    throw new Error(describeOpenError(path, error));
  }
  return db;
}

function describeOpenError(path: string, error: unknown): string {
  switch (sqliteCode(error)) {
    case 'SQLITE_NOTADB':
      return `${path} is not an SQLite database`;
    case 'SQLITE_CORRUPT':
      return `${path} is damaged: ${message(error)}`;
    case 'SQLITE_CANTOPEN':
      return `cannot open ${path}: ${message(error)}`;
    default:
      return `cannot open ${path}: ${message(error)}`;
  }
}

/** The schema version of a vcio database; throws for an SQLite database that is not one. */
export function schemaVersionOf(db: Database.Database, path: string): number {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!hasTable) {
    throw new Error(`${path} is not a vcio collector database (it has no schema_migrations table)`);
  }
  const version = db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as
    number | null;
  if (!version) throw new Error(`${path} is not a vcio collector database (no schema version)`);
  return version;
}

/** PRAGMA integrity_check over the whole file; throws with SQLite's first complaint. */
export function checkIntegrity(db: Database.Database, path: string): void {
  let problems: { integrity_check: string }[];
  try {
    problems = db.pragma('integrity_check(10)') as { integrity_check: string }[];
  } catch (error) {
    // damage SQLite meets before it can list it (a broken schema page, say)
    throw new Error(`${path} is damaged: ${message(error)}`);
  }
  const first = problems[0]?.integrity_check;
  if (first !== 'ok') {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new Error(`${path} fails PRAGMA integrity_check: ${first ?? 'no answer'}${more}`);
  }
}

/** Row counts per table, by name. */
export function tableRows(db: Database.Database): Record<string, number> {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map((name) => [
      name,
      db
        .prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`)
        .pluck()
        .get() as number,
    ]),
  );
}

/** "hosts 120, performance_samples 172,800, ..." (empty tables left out). */
export function describeRows(rows: Record<string, number>): string {
  const parts = Object.entries(rows)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export const describeSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Makes an empty file only its owner can read, failing if it exists. */
export function createOwnerOnly(path: string): void {
  closeSync(openSync(path, 'wx', 0o600));
}

/** Copies a file, through gzip or gunzip if given, into a new owner-only file. */
export async function copyOwnerOnly(from: string, to: string, through?: Transform): Promise<void> {
  const source = createReadStream(from);
  const target = createWriteStream(to, { flags: 'wx', mode: 0o600 });
  if (through) await pipeline(source, through, target);
  else await pipeline(source, target);
  fsyncPath(to);
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A rename survives a crash once its directory is on disk. Not every platform allows it. */
export function fsyncDirectory(dir: string): void {
  try {
    fsyncPath(dir);
  } catch {
    // Windows cannot open a directory for fsync; its renames are journaled by NTFS
  }
}

/** Whether a file starts with the gzip magic bytes. */
export function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
