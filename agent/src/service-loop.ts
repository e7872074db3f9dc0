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

export async function runServiceLoop(
  options: ServiceLoopOptions,
  stop: AbortSignal,
): Promise<{ ticks: number }> {
  const interval = (c: AnyCollector): number => options.intervals?.[c.name] ?? c.cadenceSeconds;
  const nextDue = new Map<string, number>(options.collectors.map((c) => [c.name, options.now()]));
  let ticks = 0;
  while (!stop.aborted) {
    const tickAt = options.now();
    const due = options.collectors.filter((c) => (nextDue.get(c.name) ?? 0) <= tickAt);
    if (due.length > 0) {
      for (const c of due)
        nextDue.set(c.name, tickAt + jitteredMs(interval(c), options.jitter, options.random));
      ticks++;
      try {
        const report = await options.build(due);
        await options.delivery.deliver(report, stop);
      } catch (err) {
        // Building failed, or the report could not be queued (logged by the delivery); the
        // loop carries on with the next tick.
        options.logger.debug({ err: errorMessage(err) }, 'tick failed');
      }
      continue;
    }
    const wake = Math.min(...nextDue.values());
    try {
      await options.sleep(Math.max(0, wake - options.now()), stop);
    } catch {
      break;
    }
  }
  return { ticks };
}
