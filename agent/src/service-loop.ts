// The `run` loop: each collector on its own cadence, one report per tick holding every
// collector that was due.
//
// The first tick runs every collector, so a freshly started agent shows up complete at once.
// After that each collector is next due after its interval, shifted by up to ±jitter of it,
// so thousands of agents started together (an RMM rollout, a power cut) spread out rather
// than hitting the collector in the same second every minute.
//
// Each report goes to the delivery (the outbox: queued on disk, sent in the background), so a
// collector outage delays reports without holding up collection.
//
// Two lanes, so a slow collector never holds up the metrics: fast collectors (timeout of a
// minute or less: performance, system) report together; the slow ones (a Windows Update
// search or softwareupdate can take minutes: patches, software, security) report
// together in a report of their own. Reports are built in the background; a collector
// still running is not started again until it has finished.
//
// Stopping (SIGTERM from systemd or the service manager, Ctrl-C) lets the tick in progress
// finish its collection, skips any further retry, then returns; `run` then waits for the
// request on the wire. Whatever is still queued is sent after the next start.
import type { Report } from '@vcio/shared';
import type { AnyCollector } from './collectors/types.js';
import type { ReportDelivery } from './delivery.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';

/** ±10 % of each interval unless --jitter says otherwise */
export const DEFAULT_JITTER = 0.1;

export interface ServiceLoopOptions {
  collectors: readonly AnyCollector[];
  /** seconds between runs per collector name; a collector's own cadence when absent */
  intervals?: Partial<Record<string, number>>;
  /** fraction of the interval the next run may move either way (0.1 = ±10 %) */
  jitter: number;
  build(collectors: readonly AnyCollector[]): Promise<Report>;
  delivery: ReportDelivery;
  logger: Logger;
  random(): number;
  /** wall clock or monotonic, in ms */
  now(): number;
  /** resolves after ms, rejects when the signal aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export function jitteredMs(intervalSeconds: number, jitter: number, random: () => number): number {
  const spread = (random() * 2 - 1) * jitter;
  return Math.max(1, Math.round(intervalSeconds * 1000 * (1 + spread)));
}

/** Collectors allowed to hold up a report for this long or less share the fast lane. */
export const FAST_LANE_TIMEOUT_SECONDS = 60;

/** The due collectors as one group per lane, fast first; empty lanes left out. */
export function lanes(due: readonly AnyCollector[]): AnyCollector[][] {
  const fast = due.filter((c) => c.timeoutSeconds <= FAST_LANE_TIMEOUT_SECONDS);
  const slow = due.filter((c) => c.timeoutSeconds > FAST_LANE_TIMEOUT_SECONDS);
  return [fast, slow].filter((group) => group.length > 0);
}

export async function runServiceLoop(
  options: ServiceLoopOptions,
  stop: AbortSignal,
): Promise<{ ticks: number }> {
  const interval = (c: AnyCollector): number => options.intervals?.[c.name] ?? c.cadenceSeconds;
  const nextDue = new Map<string, number>(options.collectors.map((c) => [c.name, options.now()]));
  const running = new Set<string>();
  const tasks = new Set<Promise<void>>();
  // Aborted when a report finishes, so the loop looks again at what it may start.
  let finished = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });

  const report = async (group: readonly AnyCollector[]): Promise<void> => {
    try {
      await options.delivery.deliver(await options.build(group), stop);
    } catch (err) {
      // Building failed, or the report could not be queued (logged by the delivery); the
      // loop carries on with the next tick.
      options.logger.debug({ err: errorMessage(err) }, 'tick failed');
    } finally {
      for (const c of group) running.delete(c.name);
      finished.abort();
    }
  };
  const launch = (group: readonly AnyCollector[]): void => {
    for (const c of group) running.add(c.name);
    const task = report(group);
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  };

  let ticks = 0;
  while (!stop.aborted) {
    const tickAt = options.now();
    const free = options.collectors.filter((c) => !running.has(c.name));
    const due = free.filter((c) => (nextDue.get(c.name) ?? 0) <= tickAt);
    if (due.length > 0) {
      for (const c of due)
        nextDue.set(c.name, tickAt + jitteredMs(interval(c), options.jitter, options.random));
      ticks++;
      for (const group of lanes(due)) launch(group);
      // Let a build that finishes at once (a fast lane) settle before looking again.
      await Promise.resolve();
      continue;
    }
    if (free.length === 0) {
      // Everything is running: wait for a report to finish (or the stop).
      await Promise.race([...tasks, stopped]);
      continue;
    }
    // The next due time of a free collector, or of a running one when it lies ahead; a
    // running one already due is started when it finishes (which aborts the sleep).
    const now = options.now();
    const wake = Math.min(
      ...options.collectors
        .map((c) => ({ c, at: nextDue.get(c.name) ?? 0 }))
        .filter(({ c, at }) => !running.has(c.name) || at > now)
        .map(({ at }) => at),
    );
    finished = new AbortController();
    try {
      await options.sleep(
        Math.max(0, wake - options.now()),
        AbortSignal.any([stop, finished.signal]),
      );
    } catch {
      if (stop.aborted) break;
    }
  }
  // Stopping: the reports being built are finished and queued, not lost.
  await Promise.allSettled([...tasks]);
  return { ticks };
}
