// The connection pool and the two ways the PostgreSQL store talks through it: a single
// statement, or a transaction on one pooled connection. Both turn a database that cannot
// answer into StoreUnavailableError (every route answers 503 for it, as for a full SQLite
// disk), and a transaction that lost a deadlock or a serialization check is run again.
import pg from 'pg';
import { isRetryable, storeError } from './errors.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgDatabase {
  readonly pool: pg.Pool;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    query: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  /**
   * Runs work in one transaction (READ COMMITTED: each statement sees what committed before
   * it; uniqueness and row locks keep concurrent writers correct). A deadlock or
   * serialization failure rolls back and runs work again, up to a few times.
   */
  transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

export interface PgDatabaseOptions {
  connectionString: string;
  /** connections in the pool (default 10) */
  max?: number;
  /** told about connection errors on idle connections (the pool replaces them) */
  onWarning?: (message: string) => void;
}

const TRANSACTION_ATTEMPTS = 5;

// bigint (int8) as a JavaScript number: times are milliseconds (well inside 2^53), counts
// and identity keys too. Without this node-postgres returns strings.
const INT8_OID = 20;
const types = new pg.TypeOverrides();
types.setTypeParser(INT8_OID, (text: string) => Number(text));

export function openPgDatabase(options: PgDatabaseOptions): PgDatabase {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    types,
    application_name: 'vcio-collector',
    // A database that does not answer within this is unavailable: 503 rather than a hang.
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server (restart, failover) emits 'error' on the pool;
  // unhandled, that would end the process. The pool opens a new one when next needed.
  pool.on('error', (error) => options.onWarning?.(`postgres connection lost: ${error.message}`));

  async function transactionOnce<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollback) {
        // The connection itself failed: do not return it to the pool.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  return {
    pool,
    async query<R extends pg.QueryResultRow>(query: string | pg.QueryConfig, values?: unknown[]) {
      try {
        return await pool.query<R>(query, values);
      } catch (error) {
        throw storeError(error);
      }
    },
    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await transactionOnce(work);
        } catch (error) {
          if (attempt < TRANSACTION_ATTEMPTS && isRetryable(error)) continue;
          throw storeError(error);
        }
      }
    },
    end: () => pool.end(),
  };
}
