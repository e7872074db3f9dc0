// The two ways the posture benchmark times assessment:
//   service pass: the collector's PostureService itself re-assessing every host (queue
//                 them all, wait for idle): the real cost, scheduling and events included;
//   split pass:   the same steps called one by one and timed apart, to say where the
//                 time goes: read (getHost, getHostAttributes), judge (assessHost),
//                 write (postureWrite + recordHostPosture).
import { assessHost, loadEndOfLife, type HostAssessment, type Platform } from '@vcio/shared';
import type { CollectorModules, SqliteStore } from './posture-collector.js';

export interface ServicePass {
  hosts: number;
  wallSeconds: number;
  /** this process's CPU (every thread: SQLite and GC included) over the pass */
  cpuSeconds: number;
  /** warnings the service logged (a failed assessment is logged, not thrown) */
  warnings: string[];
}

/**
 * One service for every round, as one runs for the collector's lifetime: from the second
 * round on, its per-host caches (the key software's lifecycle by the list's hash) are warm,
 * as they are for every re-assessment after a host's first.
 */
export function benchService(collector: CollectorModules, store: SqliteStore, warnings: string[]) {
  return new collector.PostureService({
    store,
    events: new collector.CollectorEvents(),
    logger: {
      warn: (obj, msg) => warnings.push(`${msg} ${String((obj as { err?: unknown }).err ?? '')}`),
      debug: () => {},
    },
    // No debounce: the pass measures assessing, not the 200 ms the collector waits for
    // more reports to arrive before starting.
    debounceMs: 0,
  });
}

export async function servicePass(
  service: ReturnType<typeof benchService>,
  hostIds: readonly string[],
  warnings: string[],
): Promise<ServicePass> {
  const warningsBefore = warnings.length;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const id of hostIds) service.queueHost(id);
  await service.idle();
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    hosts: hostIds.length,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    warnings: warnings.slice(warningsBefore),
  };
}

export interface SplitPass {
  hosts: number;
  /** totals over the pass, ms */
  readMs: number;
  judgeMs: number;
  writeMs: number;
  /** hosts whose score here differs from the one the service stored just before (hosts
   * the service did not assess are not compared: its warnings count them) */
  mismatches: string[];
  /** hosts whose read or write threw (as the service would log and skip them) */
  failures: string[];
}

const PLATFORMS: readonly Platform[] = ['linux', 'windows', 'darwin', 'freebsd', 'other'];

export async function splitPass(
  collector: CollectorModules,
  store: SqliteStore,
  tenantId: string,
  hostIds: readonly string[],
): Promise<SplitPass> {
  const expected = new Map(
    (store.db.prepare('SELECT host_id, score FROM host_posture').all() as HostScore[]).map((r) => [
      r.host_id,
      r.score,
    ]),
  );
  const now = new Date();
  // Once per batch, as the service does: outside the per-host figures.
  const tenant = await collector.loadTenantContext(store, tenantId, now);
  const lifecycleData = loadEndOfLife();
  const pass: SplitPass = {
    hosts: 0,
    readMs: 0,
    judgeMs: 0,
    writeMs: 0,
    mismatches: [],
    failures: [],
  };
  for (const id of hostIds) {
    try {
      await timeHost(pass, id);
    } catch (error) {
      pass.failures.push(`${id}: ${String(error)}`);
    }
  }
  return pass;

  async function timeHost(pass: SplitPass, id: string): Promise<void> {
    const t0 = performance.now();
    const host = await store.hosts.getHost(id);
    if (!host) throw new Error(`host ${id} is gone from the store`);
    const attributes = await store.posture.getHostAttributes(id);
    const t1 = performance.now();
    const assessment: HostAssessment = assessHost(collector.sectionsOf(host), {
      now,
      lastSeenAt: host.lastReportAt,
      platform: PLATFORMS.find((p) => p === host.os.platform),
      hostId: host.id,
      role: attributes.role,
      purchaseDate: attributes.purchaseDate,
      settings: tenant.settings,
      acceptances: tenant.acceptances,
      lifecycleData,
    });
    const t2 = performance.now();
    await store.posture.recordHostPosture(collector.postureWrite(host, assessment, now));
    const t3 = performance.now();
    pass.hosts++;
    pass.readMs += t1 - t0;
    pass.judgeMs += t2 - t1;
    pass.writeMs += t3 - t2;
    // A host the service failed to assess (logged as a warning) has nothing to compare.
    if (expected.has(id) && !sameScore(expected.get(id), assessment.posture.score)) {
      pass.mismatches.push(`${id}: service ${expected.get(id)}, here ${assessment.posture.score}`);
    }
  }
}

interface HostScore {
  host_id: string;
  score: number | null;
}

function sameScore(a: number | null | undefined, b: number | null): boolean {
  if (a === undefined) return false;
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) < 1e-9;
}
