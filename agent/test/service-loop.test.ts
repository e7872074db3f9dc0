import type { Report } from '@vcio/shared';
import t from 'tap';
import type { AnyCollector } from '../src/collectors/types.js';
import type { ReportDelivery } from '../src/delivery.js';
import { silentLogger } from '../src/log.js';
import { jitteredMs, runServiceLoop } from '../src/service-loop.js';

function collector(name: 'system' | 'performance', cadenceSeconds: number): AnyCollector {
  return {
    name,
    cadenceSeconds,
    platforms: ['linux'],
    timeoutSeconds: 1,
    collect: async () => ({}),
  } as unknown as AnyCollector;
}

function harness(
  stopAfterTicks: number,
  options: { failDelivery?: boolean; failBuild?: boolean } = {},
) {
  let clock = 0;
  const stop = new AbortController();
  const ticks: Array<{ at: number; collectors: string[] }> = [];
  const delivered: Report[] = [];
  const delivery: ReportDelivery = {
    deliver: async (report) => {
      delivered.push(report);
      if (ticks.length >= stopAfterTicks) stop.abort();
      if (options.failDelivery) throw new Error('collector down');
    },
  };
  return {
    stop,
    ticks,
    delivered,
    options: {
      collectors: [collector('system', 3600), collector('performance', 60)],
      jitter: 0,
      build: async (due: readonly AnyCollector[]) => {
        ticks.push({ at: clock, collectors: due.map((c) => c.name) });
        if (options.failBuild) {
          if (ticks.length >= stopAfterTicks) stop.abort();
          throw new Error('build failed');
        }
        return { reportId: String(ticks.length) } as Report;
      },
      delivery,
      logger: silentLogger(),
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Error('aborted');
        clock += ms;
      },
    },
  };
}

t.test('first tick sends everything, then each collector on its own cadence', async (t) => {
  const h = harness(4);
  const { ticks } = await runServiceLoop(h.options, h.stop.signal);
  t.equal(ticks, 4);
  t.same(h.ticks, [
    { at: 0, collectors: ['system', 'performance'] },
    { at: 60_000, collectors: ['performance'] },
    { at: 120_000, collectors: ['performance'] },
    { at: 180_000, collectors: ['performance'] },
  ]);
  t.equal(h.delivered.length, 4);
});

t.test('the system inventory comes back after its own interval', async (t) => {
  const h = harness(62);
  await runServiceLoop(h.options, h.stop.signal);
  const withSystem = h.ticks
    .filter((tick) => tick.collectors.includes('system'))
    .map((tick) => tick.at);
  t.same(withSystem, [0, 3_600_000]);
});

t.test('interval overrides (the --performance-every flag)', async (t) => {
  const h = harness(3);
  await runServiceLoop({ ...h.options, intervals: { performance: 5 } }, h.stop.signal);
  t.same(
    h.ticks.map((tick) => tick.at),
    [0, 5000, 10_000],
  );
});

t.test('a failed delivery or build does not stop the loop', async (t) => {
  const h = harness(3, { failDelivery: true });
  t.equal((await runServiceLoop(h.options, h.stop.signal)).ticks, 3);
  const b = harness(2, { failBuild: true });
  t.equal((await runServiceLoop(b.options, b.stop.signal)).ticks, 2);
});

t.test('a stop signal before the start runs nothing', async (t) => {
  const h = harness(1);
  h.stop.abort();
  t.equal((await runServiceLoop(h.options, h.stop.signal)).ticks, 0);
});

t.test('stopping while waiting ends the loop at once', async (t) => {
  const h = harness(100);
  const options = {
    ...h.options,
    sleep: async (_ms: number, signal: AbortSignal) => {
      h.stop.abort();
      if (signal.aborted) throw new Error('aborted');
    },
  };
  t.equal((await runServiceLoop(options, h.stop.signal)).ticks, 1);
});

t.test('jitter moves an interval by at most the given fraction', async (t) => {
  t.equal(
    jitteredMs(60, 0.1, () => 0),
    54_000,
  );
  t.equal(
    jitteredMs(60, 0.1, () => 0.5),
    60_000,
  );
  t.equal(
    jitteredMs(60, 0.1, () => 0.999999),
    66_000,
  );
  t.equal(
    jitteredMs(0.0001, 0.5, () => 0),
    1,
    'never zero',
  );
});
