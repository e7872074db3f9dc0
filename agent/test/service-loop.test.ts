import type { Report } from '@vcio/shared';
import t from 'tap';
import type { AnyCollector } from '../src/collectors/types.js';
import type { ReportDelivery } from '../src/delivery.js';
import { silentLogger } from '../src/log.js';
import { jitteredMs, lanes, runServiceLoop } from '../src/service-loop.js';

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

t.test('a slow patch scan never holds up the metrics', async (t) => {
  let clock = 0;
  const stop = new AbortController();
  let release: () => void = () => {};
  const scanDone = new Promise<void>((r) => (release = r));
  const built: Array<{ at: number; collectors: string[] }> = [];
  const delivered: string[][] = [];
  const slow = { ...collector('system', 21_600), name: 'patches', timeoutSeconds: 900 };
  const result = runServiceLoop(
    {
      collectors: [collector('performance', 60), slow as AnyCollector],
      jitter: 0,
      build: async (due) => {
        const names = due.map((c) => c.name);
        built.push({ at: clock, collectors: names });
        if (names.includes('patches')) await scanDone; // minutes on Windows
        return { reportId: names.join(','), sections: {} } as unknown as Report;
      },
      delivery: {
        deliver: async (report) => {
          delivered.push(report.reportId.split(','));
          if (delivered.length === 5) release(); // the scan ends after four metrics reports
          if (delivered.length === 7) stop.abort();
        },
      },
      logger: silentLogger(),
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Error('aborted');
        clock += ms;
      },
    },
    stop.signal,
  );
  await result;
  t.same(built.slice(0, 6), [
    { at: 0, collectors: ['performance'] },
    { at: 0, collectors: ['patches'] },
    { at: 60_000, collectors: ['performance'] },
    { at: 120_000, collectors: ['performance'] },
    { at: 180_000, collectors: ['performance'] },
    { at: 240_000, collectors: ['performance'] },
  ]);
  t.same(delivered.slice(0, 6), [
    ['performance'],
    ['performance'],
    ['performance'],
    ['performance'],
    ['performance'],
    ['patches'],
  ]);
  t.equal(built.filter((b) => b.collectors.includes('patches')).length, 1, 'not started twice');
});

t.test('lanes: fast collectors together, slow ones in a report of their own', async (t) => {
  const perf = collector('performance', 60);
  const patches = { ...perf, name: 'patches', timeoutSeconds: 900 } as AnyCollector;
  t.same(
    lanes([patches, perf]).map((g) => g.map((c) => c.name)),
    [['performance'], ['patches']],
  );
  t.same(lanes([perf]).length, 1);
  t.same(lanes([]), []);
});

t.test('stopping waits for the reports being built', async (t) => {
  const stop = new AbortController();
  let finished = false;
  const slow = { ...collector('system', 3600), name: 'patches', timeoutSeconds: 900 };
  await runServiceLoop(
    {
      collectors: [slow as AnyCollector],
      jitter: 0,
      build: async () => {
        stop.abort();
        await new Promise((r) => setTimeout(r, 50));
        finished = true;
        return { reportId: 'x', sections: {} } as unknown as Report;
      },
      delivery: { deliver: async () => {} },
      logger: silentLogger(),
      random: () => 0.5,
      now: () => 0,
      sleep: async () => {
        throw new Error('aborted');
      },
    },
    stop.signal,
  );
  t.ok(finished, 'the report in progress was finished, not dropped');
});
