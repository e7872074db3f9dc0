// Keeps initiative history current: after a tenant's posture changes (the posture service's
// 'posture.changed' events, gathered for a few seconds so a re-scored tenant is measured
// once) and on a timer, so an initiative whose hosts did not change still gets its daily
// point. The store records a point only when the counts changed or none exists that UTC
// day, so running often costs reads, not rows.
import type { CollectorEvents, PostureChangedEvent } from '../events.js';
import type { Store } from '../store/types.js';
import { recordInitiativeProgress } from './progress.js';

export interface TrackerLogger {
  warn(obj: object, msg: string): void;
}

export interface InitiativeTrackerOptions {
  store: Store;
  events: CollectorEvents;
  logger: TrackerLogger;
  now?: () => Date;
  /** every active initiative is measured this often (ms); default hourly */
  everyMs?: number;
  /** a changed tenant is measured this long after its first change (ms) */
  debounceMs?: number;
  /**
   * With several collectors on one database the timed pass runs on the leader only; a
   * posture change is measured by the collector where it happened (relayed changes are
   * not heard here: events.ts). Absent: always the leader.
   */
  leadership?: { isLeader(): boolean };
}

export interface InitiativeTracker {
  /** measures the tenant's active initiatives now; the number measured */
  recordTenant(tenantId: string): Promise<number>;
  /** measures every active initiative of every tenant now */
  recordAll(): Promise<number>;
  /** resolves when no measurement is pending or running */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const TRACKER_DEFAULTS = { everyMs: 3_600_000, debounceMs: 5_000 };

export function startInitiativeTracker(options: InitiativeTrackerOptions): InitiativeTracker {
  const { store, events, logger } = options;
  const now = options.now ?? (() => new Date());
  const everyMs = options.everyMs ?? TRACKER_DEFAULTS.everyMs;
  const debounceMs = options.debounceMs ?? TRACKER_DEFAULTS.debounceMs;
  const dirty = new Set<string>();
  let flushTimer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** One measurement at a time: they share the database and must not interleave. */
  function serial<T>(work: () => Promise<T>): Promise<T> {
    const next = running.then(work, work);
    running = next.catch(() => undefined);
    return next;
  }

  async function measure(tenantId: string | null): Promise<number> {
    const initiatives = await store.initiatives.list(tenantId, 'active');
    const at = now();
    for (const initiative of initiatives) {
      if (stopped) break;
      await recordInitiativeProgress(store, initiative, at);
    }
    return initiatives.length;
  }

  const guarded = (tenantId: string | null) =>
    serial(() => measure(tenantId)).catch((error: unknown) => {
      logger.warn({ err: error, tenantId }, 'initiatives: recording progress failed; will retry');
      return 0;
    });

  function flush(): void {
    flushTimer = null;
    const tenants = [...dirty];
    dirty.clear();
    for (const tenantId of tenants) void guarded(tenantId);
  }

  const onChanged = (event: PostureChangedEvent) => {
    if (stopped) return;
    dirty.add(event.tenantId);
    flushTimer ??= setTimeout(flush, debounceMs);
  };
  events.on('posture.changed', onChanged);
  const interval = setInterval(() => {
    if (options.leadership && !options.leadership.isLeader()) return;
    void guarded(null);
  }, everyMs);
  interval.unref();

  return {
    recordTenant: (tenantId) => serial(() => measure(tenantId)),
    recordAll: () => serial(() => measure(null)),
    async idle() {
      if (flushTimer) {
        clearTimeout(flushTimer);
        flush();
      }
      await running;
    },
    async stop() {
      stopped = true;
      events.off('posture.changed', onChanged);
      clearInterval(interval);
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      dirty.clear();
      await running;
    },
  };
}
