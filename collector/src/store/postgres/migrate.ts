// Running the numbered migrations on PostgreSQL, safely when several collectors start at
// once against one database: everything (creating schema_migrations, reading the version,
// applying what is missing) happens in one transaction that first takes a transaction-level
// advisory lock. The second collector waits on the lock, then finds the schema current and
// applies nothing; PostgreSQL's DDL is transactional, so a failed migration leaves nothing
// half-done.
import type { Migration } from '../sqlite/migrations.js';
import { SchemaTooNewError } from '../sqlite/database.js';
import type { PgDatabase } from './database.js';

/** The advisory lock key: "vcio" and "migr" as two 32-bit integers. */
const MIGRATION_LOCK = [0x7663696f, 0x6d696772] as const;

export async function migratePg(db: PgDatabase, list: readonly Migration[]): Promise<number[]> {
  const latest = list.reduce((max, m) => Math.max(max, m.version), 0);
  return db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    if (current > latest) throw new SchemaTooNewError(current, latest);
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [m.version, m.name, Date.now()],
      );
      applied.push(m.version);
    }
    return applied;
  });
}

export async function pgSchemaVersion(db: PgDatabase): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>(
    'SELECT max(version) AS v FROM schema_migrations',
  );
  return rows[0]?.v ?? 0;
}
