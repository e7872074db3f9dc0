// The collector's own store and posture code, loaded from its build (collector/dist) so
// the benchmark times exactly what the collector runs (support/collector-build.ts).
import { loadCollectorModule } from './support/collector-build.js';
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

export async function loadCollector(): Promise<CollectorModules> {
  const [store, service, assess, events] = await Promise.all([
    loadCollectorModule<typeof SqliteStoreModule>('store/sqlite/index.js'),
    loadCollectorModule<typeof PostureServiceModule>('posture/service.js'),
    loadCollectorModule<typeof AssessModule>('posture/assess.js'),
    loadCollectorModule<typeof EventsModule>('events.js'),
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
