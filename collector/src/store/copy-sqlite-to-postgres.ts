// Copying an SQLite installation into an empty PostgreSQL database (`vcio-collector migrate`,
// cli/migrate.ts), for an MSP moving from one collector to several on PostgreSQL.
//
// What makes the copy trustworthy:
// - one read transaction on the SQLite file: every table is read from the same snapshot, so
//   the copy is consistent even while a collector still writes (what arrives after the
//   snapshot is not copied: stop the collector first for a cut-over);
// - the source must be at the newest schema this collector knows, and the PostgreSQL
//   migrations (the same numbered versions) are run on the target first, so both sides
//   describe the same tables;
// - the table and column lists come from the two databases themselves (sqlite_schema and
//   information_schema), and a table or column on one side only is an error: a table added
//   by a future migration is never skipped silently;
// - values are converted by the PostgreSQL column's type (BOOLEAN from 0/1, TEXT[] from a
//   JSON array, BYTEA from a BLOB, JSON text as it was written);
// - every row goes in ONE PostgreSQL transaction that first locks the tables against
//   writers: a failure leaves the target as empty as it was, and a collector started on
//   the target meanwhile waits instead of bootstrapping a tenant of its own;
// - identity keys (hosts.key, findings.id, audit_log.id) keep their values (OVERRIDING
//   SYSTEM VALUE) and their sequences continue after the largest copied;
// - the rows are counted on both sides at the end, PostgreSQL's after the commit.
//
// The target must hold no row at all: migrate never merges two installations (their keys
// would collide) and never empties a database (that is a decision for psql, not a flag).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { maskDatabaseUrl } from '../config.js';
import { migrations } from './sqlite/migrations.js';
import { openPgDatabase, type PgDatabase } from './postgres/database.js';
import { migratePg, pgSchemaVersion } from './postgres/migrate.js';
import { pgMigrations } from './postgres/migrations.js';

/** The database file name in a data directory (sqlite/index.ts's DATABASE_FILE). */
const DATABASE_FILE = 'vcio.db';
/** Both stores record their migrations here; each side's own rows stay its own. */
const MIGRATIONS_TABLE = 'schema_migrations';
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;
const DEFAULT_BATCH_ROWS = 1000;
/** A progress line for a long table at most this often. */
const PROGRESS_EVERY_MS = 2000;

const LATEST_SQLITE = migrations.reduce((max, m) => Math.max(max, m.version), 0);
const LATEST_PG = pgMigrations.reduce((max, m) => Math.max(max, m.version), 0);

/** A migration that cannot go ahead or failed: the message is the one line to show. */
export class MigrateError extends Error {}

/** The target holds rows already: migrate never merges two installations. */
export class TargetNotEmptyError extends MigrateError {}

export interface CopyOptions {
  /** the SQLite database file, or the data directory holding vcio.db */
  sqlitePath: string;
  /** the target's connection string (never shown: only its masked form is) */
  postgresUrl: string;
  /** rows per INSERT (default 1000; fewer for wide tables, to stay within the parameters) */
  batchRows?: number;
  /** a line of progress (per table, and every few seconds within a long one) */
  progress?: (line: string) => void;
}

export interface TableVerification {
  table: string;
  sqlite: number;
  postgres: number;
  ok: boolean;
}

export interface CopyResult {
  source: string;
  /** the target with its password masked */
  target: string;
  schemaVersion: number;
  tables: TableVerification[];
  rows: number;
  seconds: number;
  /** every table has as many rows in PostgreSQL as in SQLite */
  ok: boolean;
}

interface PgColumn {
  name: string;
  /** information_schema data_type: 'boolean', 'ARRAY', 'bytea', 'json', 'bigint', ... */
  type: string;
  identity: boolean;
}

type Convert = (value: unknown) => unknown;

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyResult> {
  const started = performance.now();
  const say = options.progress ?? (() => {});
  const display = maskDatabaseUrl(options.postgresUrl);
  const redact = redactor(options.postgresUrl, display);
  const path = sqliteFile(options.sqlitePath);

  const sqlite = openSource(path);
  let pgdb: PgDatabase | undefined;
  try {
    // The snapshot: every read below, counts included, sees the database as of here.
    sqlite.exec('BEGIN');
    const schemaVersion = sourceVersion(sqlite, path);
    const sqliteTables = sqliteColumns(sqlite);
    const counts = new Map(
      [...sqliteTables.keys()].map((table) => [
        table,
        Number(
          sqlite
            .prepare(`SELECT count(*) FROM ${quote(table)}`)
            .pluck()
            .get(),
        ),
      ]),
    );
    say(
      `source ${path}: schema version ${schemaVersion}, ${sqliteTables.size} tables, ` +
        `${sum(counts.values()).toLocaleString('en-US')} rows`,
    );

    pgdb = openPgDatabase({ connectionString: options.postgresUrl, max: 1 });
    const db = pgdb;
    await withTarget(redact, display, 'connect to', () => db.query('SELECT 1'));
    await withTarget(redact, display, 'migrate the schema of', async () => {
      const applied = await migratePg(db, pgMigrations);
      const version = await pgSchemaVersion(db);
      say(
        `target ${display}: schema version ${version}` +
          (applied.length > 0 ? ` (migrations ${applied.join(', ')} applied)` : ''),
      );
      if (version !== schemaVersion) {
        throw new MigrateError(
          `the target's schema is version ${version} and the source's ${schemaVersion}: ` +
            'migrate with the vcio-collector version that wrote both',
        );
      }
    });
    const pgTables = await withTarget(redact, display, 'read the schema of', () =>
      postgresColumns(db),
    );
    const plan = matchSchemas(sqliteTables, pgTables);
    const order = await withTarget(redact, display, 'read the foreign keys of', () =>
      foreignKeyOrder(db, [...plan.keys()]),
    );

    const batchRows = Math.max(1, options.batchRows ?? DEFAULT_BATCH_ROWS);
    const client = await withTarget(redact, display, 'connect to', () => db.pool.connect());
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // Writers wait for the commit (readers do not): a collector started on the target now
      // finds the copied tenants rather than bootstrapping its own, and a second migrate
      // finds the target full.
      await client.query(`LOCK TABLE ${order.map(quote).join(', ')} IN EXCLUSIVE MODE`);
      await refuseNonEmpty(client, order, display);
      for (const table of order) {
        const columns = plan.get(table)!;
        const copied = await copyTable(sqlite, client, table, columns, {
          batchRows,
          total: counts.get(table)!,
          say,
        });
        if (copied !== counts.get(table)) {
          throw new MigrateError(
            `${table}: read ${copied} rows from the snapshot that counted ${counts.get(table)}`,
          );
        }
        for (const column of columns.filter((c) => c.identity)) {
          // The next key after the largest copied, so new rows never collide with old ones.
          await client.query(
            `SELECT setval(pg_get_serial_sequence($1, $2),
                           coalesce((SELECT max(${quote(column.name)}) FROM ${quote(table)}), 0) + 1,
                           false)`,
            [quote(table), column.name],
          );
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollback) {
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      }
      if (error instanceof TargetNotEmptyError) throw error;
      if (error instanceof MigrateError) {
        throw new MigrateError(`${redact(error.message)}; nothing was kept in ${display}`);
      }
      throw new MigrateError(
        `copying into ${display} failed, nothing was kept there: ${redact(messageOf(error))}`,
        { cause: error },
      );
    } finally {
      client.release(broken);
    }
    sqlite.exec('COMMIT');

    // Counted after the commit, on their own: what a collector on the target will see.
    const tables: TableVerification[] = [];
    for (const table of [...order].sort()) {
      const { rows } = await withTarget(redact, display, 'count the rows of', () =>
        db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${quote(table)}`),
      );
      const postgres = Number(rows[0]!.n);
      const source = counts.get(table)!;
      tables.push({ table, sqlite: source, postgres, ok: source === postgres });
    }
    return {
      source: path,
      target: display,
      schemaVersion,
      tables,
      rows: sum(counts.values()),
      seconds: (performance.now() - started) / 1000,
      ok: tables.every((t) => t.ok),
    };
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    sqlite.close();
    await pgdb?.end().catch(() => {});
  }
}

/** `sqlite:PATH` (or a bare path): a database file, or a data directory holding vcio.db. */
export function parseSource(text: string): string {
  const path = text.replace(/^sqlite:(\/\/)?/i, '');
  if (path === '') throw new MigrateError('--from needs a path: sqlite:/var/lib/vcio/vcio.db');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new MigrateError(`--from must be sqlite:PATH (got ${path.split(':')[0]}: URL)`);
  }
  return path;
}

function sqliteFile(path: string): string {
  const absolute = resolve(path);
  if (existsSync(absolute) && statSync(absolute).isDirectory()) {
    return join(absolute, DATABASE_FILE);
  }
  return absolute;
}

function openSource(path: string): Database.Database {
  if (!existsSync(path)) {
    throw new MigrateError(`no SQLite database at ${path}: give sqlite:<the collector's vcio.db>`);
  }
  let db: Database.Database;
  try {
    // Read-only: migrate never changes the installation it copies.
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
    // SQLite reads the header lazily: a file that is not a database fails here.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    throw new MigrateError(`cannot open ${path} as an SQLite database: ${messageOf(error)}`);
  }
  return db;
}

function sourceVersion(db: Database.Database, path: string): number {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  if (!hasTable) {
    throw new MigrateError(`${path} is not a vcio collector database (no ${MIGRATIONS_TABLE})`);
  }
  const version = Number(
    db.prepare(`SELECT coalesce(max(version), 0) FROM ${MIGRATIONS_TABLE}`).pluck().get(),
  );
  if (version < LATEST_SQLITE) {
    throw new MigrateError(
      `${path} is at schema version ${version}, this collector's is ${LATEST_SQLITE}: ` +
        'start this collector once on the SQLite database to migrate it first',
    );
  }
  if (version > LATEST_SQLITE) {
    throw new MigrateError(
      `${path} is at schema version ${version}, newer than this collector knows ` +
        `(${LATEST_SQLITE}): run migrate with the vcio-collector that wrote it`,
    );
  }
  if (LATEST_PG !== LATEST_SQLITE) {
    // A build whose PostgreSQL migrations lag its SQLite ones cannot hold the newest tables.
    throw new MigrateError(
      `this collector's PostgreSQL schema (version ${LATEST_PG}) lags its SQLite schema ` +
        `(${LATEST_SQLITE}): use a release whose two schemas match`,
    );
  }
  return version;
}

/** The vcio tables of the SQLite database and their columns, in declaration order. */
function sqliteColumns(db: Database.Database): Map<string, string[]> {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name",
    )
    .pluck()
    .all(MIGRATIONS_TABLE) as string[];
  return new Map(
    tables.map((table) => [
      table,
      (db.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name),
    ]),
  );
}

async function postgresColumns(db: PgDatabase): Promise<Map<string, PgColumn[]>> {
  const { rows } = await db.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_identity: string;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_identity
       FROM information_schema.columns c
       JOIN information_schema.tables t
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        AND c.table_name <> $1
      ORDER BY c.table_name, c.ordinal_position`,
    [MIGRATIONS_TABLE],
  );
  const tables = new Map<string, PgColumn[]>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? [];
    columns.push({
      name: row.column_name,
      type: row.data_type,
      identity: row.is_identity === 'YES',
    });
    tables.set(row.table_name, columns);
  }
  return tables;
}

/**
 * The tables to copy, with the PostgreSQL columns in SQLite's order. Both sides must have
 * the same tables and the same columns: anything on one side only stops the migration.
 */
export function matchSchemas(
  sqlite: Map<string, string[]>,
  postgres: Map<string, PgColumn[]>,
): Map<string, PgColumn[]> {
  const onlyIn = (a: Iterable<string>, b: { has(k: string): boolean }) =>
    [...a].filter((name) => !b.has(name)).sort();
  const sqliteOnly = onlyIn(sqlite.keys(), postgres);
  const pgOnly = onlyIn(postgres.keys(), sqlite);
  if (sqliteOnly.length > 0 || pgOnly.length > 0) {
    const parts = [
      sqliteOnly.length > 0 ? `only in SQLite: ${sqliteOnly.join(', ')}` : '',
      pgOnly.length > 0 ? `only in PostgreSQL: ${pgOnly.join(', ')}` : '',
    ].filter(Boolean);
    throw new MigrateError(
      `the two databases do not have the same tables (${parts.join('; ')}): ` +
        'the target must be a database of its own for vcio, at the same schema version',
    );
  }
  const plan = new Map<string, PgColumn[]>();
  for (const [table, names] of sqlite) {
    const pgColumns = new Map(postgres.get(table)!.map((c) => [c.name, c]));
    const missing = onlyIn(names, pgColumns);
    const extra = onlyIn(pgColumns.keys(), new Set(names));
    if (missing.length > 0 || extra.length > 0) {
      throw new MigrateError(
        `table ${table} has different columns in the two databases` +
          (missing.length > 0 ? `; only in SQLite: ${missing.join(', ')}` : '') +
          (extra.length > 0 ? `; only in PostgreSQL: ${extra.join(', ')}` : ''),
      );
    }
    plan.set(
      table,
      names.map((name) => pgColumns.get(name)!),
    );
  }
  return plan;
}

/** The tables ordered so that every table comes after those its foreign keys point to. */
async function foreignKeyOrder(db: PgDatabase, tables: string[]): Promise<string[]> {
  const { rows } = await db.query<{ child: string; parent: string }>(
    `SELECT child.relname AS child, parent.relname AS parent
       FROM pg_constraint k
       JOIN pg_class child ON child.oid = k.conrelid
       JOIN pg_class parent ON parent.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema()`,
  );
  return orderByDependencies(
    tables,
    rows.map((r) => [r.child, r.parent]),
  );
}

/** Topological order, alphabetical among equals so that runs repeat; a cycle is an error. */
export function orderByDependencies(
  tables: string[],
  edges: [child: string, parent: string][],
): string[] {
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const [child, parent] of edges) {
    if (child !== parent && parents.has(child) && parents.has(parent)) {
      parents.get(child)!.add(parent);
    }
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < tables.length) {
    const ready = [...parents.keys()]
      .filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)))
      .sort();
    if (ready.length === 0) {
      const left = [...parents.keys()].filter((t) => !placed.has(t)).sort();
      throw new MigrateError(`foreign keys form a cycle among ${left.join(', ')}`);
    }
    for (const t of ready) {
      order.push(t);
      placed.add(t);
    }
  }
  return order;
}

async function refuseNonEmpty(
  client: pg.PoolClient,
  tables: string[],
  display: string,
): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    tables
      .map((t) => `SELECT ${literal(t)} AS name WHERE EXISTS (SELECT 1 FROM ${quote(t)})`)
      .join(' UNION ALL '),
  );
  if (rows.length > 0) {
    throw new TargetNotEmptyError(
      `${display} already holds data (in ${rows
        .map((r) => r.name)
        .sort()
        .join(', ')}): ` +
        'migrate copies into an empty database only. To start over, drop and create the ' +
        'database (DROP DATABASE ...; CREATE DATABASE ...) and run migrate before any ' +
        'collector starts on it',
    );
  }
}

async function copyTable(
  sqlite: Database.Database,
  client: pg.PoolClient,
  table: string,
  columns: PgColumn[],
  options: { batchRows: number; total: number; say: (line: string) => void },
): Promise<number> {
  const started = performance.now();
  const perBatch = Math.min(options.batchRows, Math.floor(MAX_PARAMETERS / columns.length));
  const convert = columns.map((c) => converter(table, c));
  const identity = columns.some((c) => c.identity);
  const insert = (rows: number) => {
    const tuples = Array.from(
      { length: rows },
      (_, r) => `(${columns.map((_, i) => `$${r * columns.length + i + 1}`).join(', ')})`,
    );
    return (
      `INSERT INTO ${quote(table)} (${columns.map((c) => quote(c.name)).join(', ')})` +
      (identity ? ' OVERRIDING SYSTEM VALUE' : '') +
      ` VALUES ${tuples.join(', ')}`
    );
  };
  const fullBatch = insert(perBatch);
  // Integers exactly as stored (BigInt): nothing is rounded through a double on the way.
  const read = sqlite
    .prepare(`SELECT ${columns.map((c) => quote(c.name)).join(', ')} FROM ${quote(table)}`)
    .raw(true)
    .safeIntegers(true);

  let copied = 0;
  let lastReport = performance.now();
  let values: unknown[] = [];
  let rows = 0;
  const flush = async () => {
    if (rows === 0) return;
    // A full batch is a named statement: PostgreSQL parses and plans it once per table.
    await client.query(
      rows === perBatch
        ? { name: `vcio_copy_${table}`, text: fullBatch, values }
        : { text: insert(rows), values },
    );
    copied += rows;
    values = [];
    rows = 0;
    if (performance.now() - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = performance.now();
      options.say(
        `  ${table}: ${copied.toLocaleString('en-US')} of ${options.total.toLocaleString('en-US')} rows`,
      );
    }
  };
  // The SQLite cursor stays open across the awaits: nothing else uses this connection.
  for (const row of read.iterate() as Iterable<unknown[]>) {
    for (let i = 0; i < row.length; i++) values.push(convert[i]!(row[i]));
    rows++;
    if (rows === perBatch) await flush();
  }
  await flush();
  const seconds = (performance.now() - started) / 1000;
  options.say(
    `copied ${table}: ${copied.toLocaleString('en-US')} row${copied === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`,
  );
  return copied;
}

/** How a stored SQLite value becomes a parameter for the PostgreSQL column. */
function converter(table: string, column: PgColumn): Convert {
  const where = `${table}.${column.name}`;
  const fail = (value: unknown, expected: string): never => {
    throw new MigrateError(
      `${where}: expected ${expected}, found ${describeValue(value)}; the SQLite database ` +
        'holds a value this schema does not allow',
    );
  };
  switch (column.type) {
    case 'boolean':
      // SQLite's 0/1 flags (json_extract gives 1 for true)
      return (v) => {
        if (v === null) return null;
        if (v === 0n || v === 0) return false;
        if (v === 1n || v === 1) return true;
        return fail(v, '0, 1 or NULL');
      };
    case 'ARRAY':
      // A JSON array of strings in SQLite; node-postgres sends a JS array as an array literal.
      return (v) => {
        if (v === null) return null;
        let parsed: unknown;
        try {
          parsed = typeof v === 'string' ? JSON.parse(v) : undefined;
        } catch {
          parsed = undefined;
        }
        if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) {
          return fail(v, 'a JSON array of strings');
        }
        return parsed;
      };
    case 'bytea':
      return (v) => (v === null || Buffer.isBuffer(v) ? v : fail(v, 'a BLOB'));
    case 'json':
    case 'jsonb':
      // The text exactly as written (PostgreSQL's JSON type keeps it so): hashes and key
      // order stay as they were.
      return (v) => (v === null || typeof v === 'string' ? v : fail(v, 'JSON text'));
    default:
      // Numbers and text: BigInt and numbers are sent as their decimal text.
      return (v) => (Buffer.isBuffer(v) ? fail(v, 'a number or text') : v);
  }
}

function describeValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return `a ${value.length}-byte BLOB`;
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Runs a step against the target; a failure is one line naming it, password masked. */
async function withTarget<T>(
  redact: (text: string) => string,
  display: string,
  action: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof MigrateError) throw new MigrateError(redact(error.message));
    throw new MigrateError(
      `cannot ${action} the PostgreSQL database ${display}: ${redact(messageOf(error))}`,
      { cause: error },
    );
  }
}

/**
 * Removes the connection string and its password from a message: a driver error may echo
 * the URL. A password of fewer than 4 characters is not searched for on its own (it would
 * blank out ordinary words); the URL around it still is.
 */
export function redactor(url: string, display: string): (text: string) => string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not a URL node can parse: only the whole string is replaced
  }
  const secrets = [password, encodeURIComponent(password)].filter((p) => p.length >= 4);
  return (text) => {
    let out = text.split(url).join(display);
    for (const secret of secrets) out = out.split(secret).join('***');
    return out.replace(/\s*\n\s*/g, ' ');
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
