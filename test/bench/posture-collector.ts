// The collector's own store and posture code, loaded from its build (collector/dist) so
// the benchmark times exactly what the collector runs. The test package does not depend
// on @vcio/collector, so the modules are found from the repository root: this file runs
// both compiled (test/dist/bench, `pnpm bench`) and as source (test/bench, under tap),
// and a fixed relative path would be right in only one of the two.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// Types only (erased at build): the declarations tsc -b writes next to collector/dist.
import type * as SqliteStoreModule from '../../collector/dist/store/sqlite/index.js';
import type * as PostureServiceModule from '../../collector/dist/posture/service.js';
import type * as AssessModule from '../../collector/dist/posture/assess.js';
import type * as EventsModule from '../../collector/dist/events.js';

export type { SqliteStore } from '../../collector/dist/store/sqlite/index.js';
export type { PostureService } from '../../collector/dist/posture/service.js';
export type { AgentRecord, HostDetail } from '../../collector/dist/store/types.js';

export interface CollectorModules {
  openSqliteStore: typeof SqliteStoreModule.openSqliteStore;
  PostureService: typeof PostureServiceModule.PostureService;
  CollectorEvents: typeof EventsModule.CollectorEvents;
  loadTenantContext: typeof AssessModule.loadTenantContext;
  postureWrite: typeof AssessModule.postureWrite;
  sectionsOf: typeof AssessModule.sectionsOf;
}

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${import.meta.url}`);
    dir = parent;
  }
  return dir;
}

async function load<T>(root: string, path: string): Promise<T> {
  const file = join(root, 'collector', 'dist', path);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: build first (pnpm --silent build)`);
  }
  return (await import(pathToFileURL(file).href)) as T;
}

export async function loadCollector(): Promise<CollectorModules> {
  const root = repositoryRoot();
  const [store, service, assess, events] = await Promise.all([
    load<typeof SqliteStoreModule>(root, 'store/sqlite/index.js'),
    load<typeof PostureServiceModule>(root, 'posture/service.js'),
    load<typeof AssessModule>(root, 'posture/assess.js'),
    load<typeof EventsModule>(root, 'events.js'),
  ]);
  return {
    openSqliteStore: store.openSqliteStore,
    PostureService: service.PostureService,
    CollectorEvents: events.CollectorEvents,
    loadTenantContext: assess.loadTenantContext,
    postureWrite: assess.postureWrite,
    sectionsOf: assess.sectionsOf,
  };
}
