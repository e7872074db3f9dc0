import { liveHost } from '../src/host.js';
import { PerformanceSection } from '@vcio/shared';
import t from 'tap';
import {
  countPidEntries,
  counterRate,
  counterRates,
  cpuUtilisation,
  createPerformanceCollector,
  filesystemsOf,
  loadOf,
  memoryOf,
  PerformanceSampler,
  type CounterReading,
  type CpuTimes,
  type SamplerDeps,
} from '../src/collectors/performance.js';
import { silentLogger } from '../src/log.js';
import { contractErrors } from './helpers/contract.js';

const times = (user: number, sys: number, idle: number, nice = 0, irq = 0): CpuTimes => ({
  user,
  nice,
  sys,
  idle,
  irq,
});

t.test('CPU utilisation is busy time over total time across cores', async (t) => {
  // Core 0: 300 busy of 1000; core 1: 100 busy of 1000 -> 400 / 2000.
  const before = [times(1000, 500, 8000), times(2000, 0, 5000)];
  const after = [times(1200, 600, 8700), times(2050, 25, 5900, 20, 5)];
  t.equal(cpuUtilisation(before, after), 0.2);
  t.equal(cpuUtilisation(before, before), null, 'no time passed');
  t.equal(cpuUtilisation([], []), null);
  t.equal(cpuUtilisation(before, [after[0]!]), null, 'a core appeared or vanished');
  t.equal(cpuUtilisation([times(10, 0, 10)], [times(5, 0, 20)]), null, 'a counter went backwards');
  t.equal(cpuUtilisation([times(0, 0, 0)], [times(100, 0, 0)]), 1);
  t.equal(cpuUtilisation([times(0, 0, 0)], [times(0, 0, 100)]), 0);
});

t.test('a counter rate is delta over seconds, null when it cannot be one', async (t) => {
  t.equal(counterRate(1000, 4000, 3), 1000);
  t.equal(counterRate(1000, 1000, 60), 0);
  t.equal(counterRate(undefined, 4000, 3), null, 'no earlier reading');
  t.equal(counterRate(5000, 100, 60), null, 'counter reset');
  t.equal(counterRate(1000, 4000, 0), null, 'no time passed');
  t.equal(counterRate(Number.NaN, 4000, 1), null);
});

t.test('rates per interface', async (t) => {
  const before = new Map<string, CounterReading>([
    ['eth0', { rxBytes: 1_000, txBytes: 500 }],
    ['wlan0', { rxBytes: 9_000, txBytes: 9_000 }],
  ]);
  const after = new Map<string, CounterReading>([
    ['eth0', { rxBytes: 61_000, txBytes: 6_500 }],
    ['wlan0', { rxBytes: 10, txBytes: 9_600 }],
    ['tun0', { rxBytes: 50, txBytes: 50 }],
  ]);
  t.same(counterRates(before, after, 60), [
    { name: 'eth0', rxBytesPerSecond: 1000, txBytesPerSecond: 100 },
    { name: 'wlan0', rxBytesPerSecond: null, txBytesPerSecond: 10 },
    { name: 'tun0', rxBytesPerSecond: null, txBytesPerSecond: null },
  ]);
});

t.test('load averages: Windows has none', async (t) => {
  t.same(loadOf('linux', [0.5, 0.25, 0.125]), { one: 0.5, five: 0.25, fifteen: 0.125 });
  t.equal(loadOf('win32', [0, 0, 0]), null);
  t.equal(loadOf('linux', []), null);
});

t.test('memory: used is total minus available; no swap is a fact', async (t) => {
  t.same(memoryOf({ total: 16_000, available: 4_000, swaptotal: 0, swapused: 0 }), {
    memory: { totalBytes: 16_000, usedBytes: 12_000, availableBytes: 4_000 },
    swap: { totalBytes: 0, usedBytes: 0 },
  });
  t.same(memoryOf({ total: 16_000, available: 20_000, swaptotal: 8_000, swapused: 1_000 }), {
    memory: { totalBytes: 16_000, usedBytes: 0, availableBytes: 16_000 },
    swap: { totalBytes: 8_000, usedBytes: 1_000 },
  });
  t.equal(
    memoryOf({ total: 16_000, available: 4_000, swaptotal: Number.NaN, swapused: 0 }).swap,
    null,
    'unreadable swap is unknown',
  );
});

t.test('filesystems', async (t) => {
  t.same(
    filesystemsOf([
      { mount: '/', size: 1000, used: 400, available: 550 },
      { mount: '', size: 1, used: 1, available: 0 },
      { mount: 'C:', size: 2000.6, used: -1, available: 10 },
    ]),
    [
      { mount: '/', sizeBytes: 1000, usedBytes: 400, freeBytes: 550 },
      { mount: 'C:', sizeBytes: 2001, usedBytes: 0, freeBytes: 10 },
    ],
  );
});

function fakeDeps(): SamplerDeps & {
  clock: number;
  cpu: CpuTimes[];
  net: Map<string, CounterReading>;
  sleeps: number[];
  netFails: boolean;
} {
  const deps = {
    clock: 0,
    cpu: [times(0, 0, 0)],
    net: new Map<string, CounterReading>([['eth0', { rxBytes: 0, txBytes: 0 }]]),
    sleeps: [] as number[],
    netFails: false,
    logger: silentLogger(),
    readCpuTimes: () => deps.cpu.map((c) => ({ ...c })),
    readNetworkCounters: async () => {
      if (deps.netFails) throw new Error('no network stats');
      return new Map([...deps.net].map(([k, v]) => [k, { ...v }]));
    },
    now: () => deps.clock,
    sleep: async (ms: number) => {
      deps.sleeps.push(ms);
      deps.clock += ms;
      deps.cpu = deps.cpu.map((c) => ({
        ...c,
        user: c.user + ms / 4,
        idle: c.idle + (ms * 3) / 4,
      }));
      deps.net = new Map(
        [...deps.net].map(([k, v]) => [
          k,
          { rxBytes: v.rxBytes + ms * 10, txBytes: v.txBytes + ms },
        ]),
      );
    },
  };
  return deps;
}

t.test('the sampler measures twice on its first call, then since the previous call', async (t) => {
  const deps = fakeDeps();
  const sampler = new PerformanceSampler(deps, 1000);
  const first = await sampler.measure();
  t.same(deps.sleeps, [1000], 'a one-shot collection waits ~1 s between readings');
  t.equal(first.intervalSeconds, 1);
  t.equal(first.cpuUtilisation, 0.25);
  t.same(first.network, [{ name: 'eth0', rxBytesPerSecond: 10_000, txBytesPerSecond: 1000 }]);

  await deps.sleep(59_000); // the service loop's next tick, a minute later
  const second = await sampler.measure();
  t.same(deps.sleeps, [1000, 59_000], 'no extra wait: the previous reading is the start');
  t.equal(second.intervalSeconds, 59);
  t.equal(second.cpuUtilisation, 0.25);
  t.same(second.network, [{ name: 'eth0', rxBytesPerSecond: 10_000, txBytesPerSecond: 1000 }]);
});

t.test(
  'after more than a day the sampler starts over rather than report a day-long average',
  async (t) => {
    const deps = fakeDeps();
    const sampler = new PerformanceSampler(deps, 500);
    await sampler.measure();
    deps.clock += 2 * 86_400_000;
    const later = await sampler.measure();
    t.equal(later.intervalSeconds, 0.5);
    t.same(deps.sleeps, [500, 500]);
  },
);

t.test('network counters that cannot be read leave the network list empty', async (t) => {
  const deps = fakeDeps();
  deps.netFails = true;
  const result = await new PerformanceSampler(deps, 10).measure();
  t.same(result.network, []);
  t.equal(result.cpuUtilisation, 0.25);
});

t.test('the real collector on this machine produces a valid section', async (t) => {
  const collector = createPerformanceCollector();
  t.equal(collector.name, 'performance');
  t.equal(collector.cadenceSeconds, 60);
  const section = await collector.collect({
    logger: silentLogger(),
    signal: new AbortController().signal,
    host: liveHost,
  });
  t.same(contractErrors(PerformanceSection, section), []);
  t.ok(
    section.intervalSeconds >= 0.9 && section.intervalSeconds < 5,
    `interval ${section.intervalSeconds}`,
  );
  t.ok(section.memory.totalBytes > 0);
  if (process.platform === 'linux') t.not(section.load, null);
  const again = await collector.collect({
    logger: silentLogger(),
    signal: new AbortController().signal,
    host: liveHost,
  });
  t.ok(
    again.intervalSeconds < section.intervalSeconds + 5,
    'the second call measures since the first',
  );
});

t.test('the Linux process count is the pid entries of /proc', async (t) => {
  t.equal(countPidEntries(['1', '42', 'self', 'thread-self', 'cpuinfo', '1234', 'sys']), 3);
  t.equal(countPidEntries([]), 0);
  if (process.platform !== 'linux') return;
  const section = await createPerformanceCollector().collect({
    logger: silentLogger(),
    signal: new AbortController().signal,
    host: liveHost,
  });
  t.ok(
    (section.processes.total ?? 0) >= 1,
    `${section.processes.total} processes, this one included`,
  );
});
