// The backup itself (the command is in backup.ts): a consistent copy of the collector's
// SQLite database, taken while the collector runs and agents report.
//
// How: SQLite's online backup API (better-sqlite3's db.backup()), copying pages in steps so
// progress can be shown. On its own the API restarts whenever another connection writes
// between two steps, and a collector under ingest writes every few milliseconds: measured
// here, a 110 MB copy restarted 1,258 times in 3,000 steps and never finished. So the backup's connection first opens a read
// transaction and holds it to the end: every step reads the same snapshot (WAL readers do
// not block the writer, and the writer does not disturb them), and the copy is the
// database as it was at that instant. Meanwhile the collector's WAL grows by what is
// ingested during the copy; it is checkpointed once the backup lets go.
//
// The copy goes to a temporary file beside --out, is switched to a single-file journal
// mode (no -wal beside it), passes PRAGMA integrity_check, is flushed to disk, and only
// then renamed over --out: a backup file that exists is complete and sound.
//
// PostgreSQL stores are the operator's pg_dump; this command is for the SQLite store.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createGzip } from 'node:zlib';
import {
  DATABASE_FILE,
  checkIntegrity,
  copyOwnerOnly,
  createOwnerOnly,
  describeBytes,
  describeRows,
  describeSeconds,
  err,
  fsyncDirectory,
  fsyncPath,
  openExisting,
  schemaVersionOf,
  tableRows,
} from './database-file.js';

/** Pages copied per step: 4 MiB at SQLite's default page size. */
const PAGES_PER_STEP = 1024;
/** Progress lines at most this often (a small database makes none). */
const PROGRESS_EVERY_MS = 1000;

export interface BackupOptions {
  dataDir: string;
  out?: string;
  force?: boolean;
  gzip?: boolean;
  json?: boolean;
  /** not a flag: tests take small steps so that many writes fall between them */
  pagesPerStep?: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  gzip: boolean;
  schemaVersion: number;
  rows: Record<string, number>;
  seconds: number;
}

export async function runBackup(
  options: BackupOptions,
  report: (line: string) => void = err,
): Promise<BackupResult> {
  const started = performance.now();
  if (!options.out) throw new Error('--out FILE is required (see --help)');
  const out = resolve(options.out);
  const source = join(resolve(options.dataDir), DATABASE_FILE);
  if (!existsSync(dirname(out))) throw new Error(`no directory ${dirname(out)} for --out`);
  if (existsSync(out) && !options.force) {
    throw new Error(`${out} already exists: give --force to replace it`);
  }
  const db = openExisting(
    source,
    `no collector database at ${source}: give the collector's --data-dir (or VCIO_DATA_DIR)`,
  );
  // Beside --out, so the final rename stays on one filesystem (and is atomic).
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const gzipTemp = `${temp}.gz`;
  const cleanUp = () => {
    for (const file of [temp, `${temp}-journal`, `${temp}-wal`, `${temp}-shm`, gzipTemp]) {
      rmSync(file, { force: true });
    }
  };
  try {
    createOwnerOnly(temp);
    let schemaVersion: number;
    try {
      // The snapshot: read by this transaction's first statement, held until the end.
      db.exec('BEGIN');
      schemaVersion = schemaVersionOf(db, source);
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      let lastLine = performance.now();
      await db.backup(temp, {
        progress({ totalPages, remainingPages }) {
          const now = performance.now();
          if (now - lastLine >= PROGRESS_EVERY_MS) {
            lastLine = now;
            const done = totalPages - remainingPages;
            report(
              `backup: ${Math.floor((100 * done) / totalPages)}% ` +
                `(${describeBytes(done * pageSize)} of ${describeBytes(totalPages * pageSize)})`,
            );
          }
          return options.pagesPerStep ?? PAGES_PER_STEP;
        },
      });
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    }

    report('backup: copied; checking the copy (PRAGMA integrity_check)');
    const copy = openExisting(temp, `the copy ${temp} has gone`);
    let rows: Record<string, number>;
    try {
      // One self-contained file: the source's WAL flag would have a -wal appear beside it.
      copy.pragma('journal_mode = DELETE');
      checkIntegrity(copy, temp);
      if (schemaVersionOf(copy, temp) !== schemaVersion) {
        throw new Error('the copy has another schema version than the snapshot it was taken from');
      }
      rows = tableRows(copy);
    } finally {
      copy.close();
    }

    let final = temp;
    if (options.gzip) {
      await copyOwnerOnly(temp, gzipTemp, createGzip({ level: 6 }));
      rmSync(temp);
      final = gzipTemp;
    } else {
      fsyncPath(temp);
    }
    renameSync(final, out);
    fsyncDirectory(dirname(out));
    const bytes = statSync(out).size;
    const seconds = (performance.now() - started) / 1000;
    report(
      `backup: wrote ${out} (${describeBytes(bytes)}${options.gzip ? ', gzip' : ''}, ` +
        `schema version ${schemaVersion}) in ${describeSeconds(seconds * 1000)}`,
    );
    report(`backup: rows: ${describeRows(rows)}`);
    return { file: out, bytes, gzip: Boolean(options.gzip), schemaVersion, rows, seconds };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
