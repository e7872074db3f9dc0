// What the conformance suite runs against: a factory per Store implementation, each giving
// an empty database and, on demand, a second Store instance on that same database (two
// collectors on one PostgreSQL database; two connections to one SQLite file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/store/types.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { TestPostgres } from '../support/postgres.js';

/**
 * The parts of the Store both implementations have so far. The PostgreSQL store grows to
 * the whole Store in issue 9; the suite grows with it.
 */
export interface ConformanceStore {
  tenants: Store['tenants'];
  access: Store['access'];
  audit: Store['audit'];
  hosts: Store['hosts'];
  reports: Store['reports'];
  inventory: Store['inventory'];
  posture: Store['posture'];
  technology: Store['technology'];
  initiatives: Store['initiatives'];
  maintenance: Store['maintenance'];
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ConformanceDatabase {
  store: ConformanceStore;
  /** another Store instance on the same database, closed with the test */
  another(): Promise<ConformanceStore>;
}

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** an empty database, closed and removed on the test's teardown */
  open(t: Teardown): Promise<ConformanceDatabase>;
}

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  async open(t) {
    const dir = mkdtempSync(join(tmpdir(), 'vcio-conformance-'));
    const stores: ConformanceStore[] = [];
    const open = () => {
      const store = openSqliteStore(dir);
      stores.push(store);
      return store;
    };
    t.teardown(async () => {
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { store: open(), another: async () => open() };
  },
};

/** The PostgreSQL store is imported only when a server is there (coverage counts what loads). */
export async function postgresFactory(server: TestPostgres): Promise<StoreFactory> {
  const { openPostgresStore } = await import('../../src/store/postgres/index.js');
  return {
    name: 'postgres',
    async open(t) {
      const url = await server.createDatabase();
      const stores: ConformanceStore[] = [];
      const open = async () => {
        const store = await openPostgresStore(url);
        stores.push(store);
        return store;
      };
      t.teardown(async () => {
        for (const store of stores) await store.close();
      });
      return { store: await open(), another: open };
    },
  };
}
