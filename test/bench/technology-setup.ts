// `pnpm bench technology`'s collector and data: the collector's own store and server,
// loaded from its build (collector/dist) and run in this process, so the benchmark can
// watch the collector's main thread (its event loop is this process's); and a tenant of
// hosts with their software lists, written straight into the collector's SQLite database.
import { createHash, randomUUID } from 'node:crypto';
import { loadCollectorModule } from './support/collector-build.js';
// Types only (erased at build): the declarations tsc -b writes next to collector/dist.
import type * as SqliteStoreModule from '../../collector/dist/store/sqlite/index.js';
import type * as ServerModule from '../../collector/dist/server.js';
import type * as BootstrapModule from '../../collector/dist/bootstrap.js';
import type * as CollectorModule from '../../collector/dist/collector.js';
import type { SqliteStore } from '../../collector/dist/store/sqlite/index.js';

export type { SqliteStore } from '../../collector/dist/store/sqlite/index.js';

export interface TechnologyCollectorModules {
  openSqliteStore: typeof SqliteStoreModule.openSqliteStore;
  buildServer: typeof ServerModule.buildServer;
  bootstrapIfEmpty: typeof BootstrapModule.bootstrapIfEmpty;
  createLogger: typeof CollectorModule.createLogger;
}

export async function loadTechnologyCollector(): Promise<TechnologyCollectorModules> {
  const [store, server, bootstrap, collector] = await Promise.all([
    loadCollectorModule<typeof SqliteStoreModule>('store/sqlite/index.js'),
    loadCollectorModule<typeof ServerModule>('server.js'),
    loadCollectorModule<typeof BootstrapModule>('bootstrap.js'),
    loadCollectorModule<typeof CollectorModule>('collector.js'),
  ]);
  return {
    openSqliteStore: store.openSqliteStore,
    buildServer: server.buildServer,
    bootstrapIfEmpty: bootstrap.bootstrapIfEmpty,
    createLogger: collector.createLogger,
  };
}

export const BENCH_TENANT = 'bench-tenant';

export interface FleetShape {
  hosts: number;
  packagesPerHost: number;
}

/**
 * One tenant of `hosts` hosts with `packagesPerHost` packages each, drawn from a catalogue
 * twice that size (so products are shared unevenly, as in a real fleet) from 120 publishers,
 * each product in one to four versions across the fleet. Deterministic: the same shape
 * gives the same rows.
 */
export function seedTechnologyFleet(store: SqliteStore, shape: FleetShape): void {
  const db = store.db;
  const now = Date.now();
  const token = db.prepare('SELECT id FROM enrollment_tokens LIMIT 1').pluck().get() as string;
  const insertAgent = db.prepare(`INSERT INTO agents (id, tenant_id, secret_hash,
    enrollment_token_id, machine_id, hostname, version, created_at)
    VALUES (?, ?, ?, ?, ?, ?, '0.1.0', ?)`);
  const insertHost = db.prepare(`INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id,
    agent_version, os_platform, os_distro, os_release, first_seen, last_seen, last_report_at)
    VALUES (?, ?, ?, ?, ?, '0.1.0', 'linux', 'Ubuntu', '24.04 LTS', ?, ?, ?) RETURNING key`);
  const insertItem = db.prepare(`INSERT INTO host_software (host_key, item, source, name, version,
    version_key, publisher) VALUES (?, ?, 'dpkg', ?, ?, ?, ?)`);
  const insertState = db.prepare(`INSERT INTO host_software_state (host_key, hash, count,
    sources, updated_at, report_id) VALUES (?, ?, ?, '[]', ?, ?)`);
  const catalogue = shape.packagesPerHost * 2;
  db.transaction(() => {
    db.prepare('INSERT INTO tenants (id, slug, name, created_at) VALUES (?, ?, ?, ?)').run(
      BENCH_TENANT,
      BENCH_TENANT,
      'Bench tenant',
      now,
    );
    for (let h = 0; h < shape.hosts; h++) {
      const machine = `bench-${String(h).padStart(6, '0')}`;
      const agentId = randomUUID();
      insertAgent.run(agentId, BENCH_TENANT, Buffer.alloc(32), token, machine, machine, now);
      const { key } = insertHost.get(
        randomUUID(),
        BENCH_TENANT,
        machine,
        machine,
        agentId,
        now,
        now,
        now,
      ) as { key: number };
      // a window of the catalogue that moves with the host: every product is on some hosts
      const first = (h * 37) % catalogue;
      for (let i = 0; i < shape.packagesPerHost; i++) {
        const p = (first + i) % catalogue;
        const minor = (h + p) % (1 + (p % 4));
        const version = `${1 + (p % 9)}.${minor}.${p % 7}`;
        const versionKey = [1 + (p % 9), minor, p % 7].map((n) => String(n).padStart(8, '0'));
        insertItem.run(
          key,
          i,
          `package-${String(p).padStart(5, '0')}`,
          version,
          versionKey.join('.'),
          `Publisher ${p % 120}`,
        );
      }
      insertState.run(
        key,
        createHash('sha256').update(machine).digest('hex'),
        shape.packagesPerHost,
        now,
        randomUUID(),
      );
    }
  })();
}

/**
 * Makes the tenant's software look changed (one host's list hash), so the next request
 * groups it again: the first request after a change, the cost being measured.
 */
export function touchSoftware(store: SqliteStore, round: number): void {
  store.db
    .prepare(
      `UPDATE host_software_state SET hash = ? WHERE host_key =
         (SELECT min(key) FROM hosts WHERE tenant_id = ?)`,
    )
    .run(`touched-${round}-${randomUUID()}`, BENCH_TENANT);
}
