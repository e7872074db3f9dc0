// Serialising the read-then-write transactions of one thing (a host's posture, a tenant's
// score history, an initiative's progress) across every collector on the database, as
// SQLite's BEGIN IMMEDIATE does within one: a transaction-level advisory lock on a key
// derived from the thing's id, released at commit or rollback.
//
// An advisory lock rather than a row lock: locking the hosts row would also hold up the
// ingest of that host's reports (which updates the row) for as long as its assessment is
// written. The single-bigint key space is apart from the (int, int) keys of the migration
// lock, and a hash collision between two ids only makes two writers take turns.
import type { Queryable } from './database.js';

export async function lockKey(client: Queryable, scope: string, id: string): Promise<void> {
  await client.query({
    name: 'vcio_keyed_lock',
    text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    values: [`vcio.${scope}:${id}`],
  });
}
