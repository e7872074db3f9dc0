// The agent benchmark's arithmetic (test/bench/agent-figures.ts): per-cycle summaries,
// the agent's log as the benchmark reads it, the steady-state figures, the projection and
// the PASS/FAIL rule. A slip here would print wrong figures without anything failing.
import t from 'tap';
import type { CycleResult, DriverResult } from '../bench/agent-driver.js';
import {
  agentStartedUrl,
  cadenceText,
  medianFigures,
  percentAtCadence,
  percentOfCore,
  projectedPercent,
  sentReports,
  steadyFigures,
  summariseCycles,
  underTarget,
  type SteadyObservations,
} from '../bench/agent-figures.js';

// Captured on the vcio dev container (Debian 12), 2026-11-27, command: the stderr of
// `vcio-agent run --state-dir <tmp> --performance-every 3` against a local collector,
// stopped with SIGTERM after ~9 s.
const AGENT_LOG = [
  '{"level":30,"time":1795823266943,"pid":16513,"name":"vcio-agent","agentId":"a02f11a5-c37c-41cb-bbd6-89380d5345a3","collector":"http://127.0.0.1:35683","collectors":["system","performance","patches"],"outbox":{"queued":0,"dropped":0},"msg":"agent started"}',
  '{"level":30,"time":1795823268913,"pid":16513,"name":"vcio-agent","reportId":"01a21f68-739a-7c49-9a41-204e42d6c67b","sections":["system","performance","patches","outbox"],"status":202,"duplicate":false,"attempts":1,"ms":131,"outbox":{"queued":0,"dropped":0},"msg":"report sent"}',
  '{"level":30,"time":1795823270223,"pid":16513,"name":"vcio-agent","reportId":"01a21f68-793f-7778-9d25-e896b3a2e234","sections":["performance"],"status":202,"duplicate":false,"attempts":1,"ms":6,"outbox":{"queued":0,"dropped":0},"msg":"report sent"}',
  '{"level":30,"time":1795823273073,"pid":16513,"name":"vcio-agent","reportId":"01a21f68-845d-706d-b28c-fff00e53c2b4","sections":["performance"],"status":202,"duplicate":false,"attempts":1,"ms":12,"outbox":{"queued":0,"dropped":0},"msg":"report sent"}',
  '{"level":30,"time":1795823275519,"pid":16513,"name":"vcio-agent","ticks":3,"outbox":{"queued":0,"dropped":0},"msg":"agent stopped"}',
];

function cycle(wallMs: number, selfCpuMs: number, childCpuMs: number, errors: string[] = []) {
  // In the cycle itself: all but 1 ms of the process's CPU (the rest came in the gap).
  const inCycleCpuMs = selfCpuMs - 1 + childCpuMs;
  return { wallMs, selfCpuMs, childCpuMs, inCycleCpuMs, rssKiB: 60_000, errors, reportBytes: 900 };
}

function driver(cycles: CycleResult[]): DriverResult {
  return {
    collector: 'x',
    loadMs: 200,
    loadedRssKiB: 60_000,
    cycles,
    rssKiB: 61_000,
    hwmKiB: 62_000,
  };
}

t.test('summariseCycles keeps the cold cycle apart and takes medians of the rest', async (t) => {
  const summary = summariseCycles(
    driver([
      cycle(1200, 300, 20),
      cycle(10, 5, 0),
      cycle(30, 20, 10),
      cycle(20, 8, 10, ['patches: apt list failed']),
    ]),
  );
  t.same(summary.cold, { wallMs: 1200, cpuMs: 320, childCpuMs: 20, inCycleCpuMs: 319 });
  // cpu = self + children per cycle: 5, 30, 18 -> 18
  t.same(summary.warm, { wallMs: 20, cpuMs: 18, childCpuMs: 10, inCycleCpuMs: 17 });
  t.equal(summary.measuredCycles, 3);
  t.equal(summary.failedCycles, 1);
  t.same(summary.errors, ['patches: apt list failed']);
});

t.test('summariseCycles counts the cold cycle’s errors and lists each message once', async (t) => {
  const summary = summariseCycles(
    driver([cycle(5, 1, 0, ['x: boom']), cycle(5, 1, 0, ['x: boom']), cycle(5, 1, 0)]),
  );
  t.equal(summary.failedCycles, 2);
  t.same(summary.errors, ['x: boom']);
});

t.test('summariseCycles with no measured cycle reports unknown medians, not zeros', async (t) => {
  const summary = summariseCycles(driver([cycle(100, 50, 0)]));
  t.equal(summary.measuredCycles, 0);
  t.ok(Number.isNaN(summary.warm.cpuMs));
  t.ok(Number.isNaN(summary.warm.wallMs));
  t.ok(Number.isNaN(summary.warm.inCycleCpuMs));
  t.ok(Number.isNaN(summariseCycles(driver([])).cold.cpuMs), 'no cycle at all');
});

t.test('percentages are of one core', async (t) => {
  t.equal(percentOfCore(3, 600), 0.5);
  t.equal(percentOfCore(2, 1), 200, 'two busy cores');
  t.ok(Number.isNaN(percentOfCore(1, 0)), 'no time passed: unknown');
  t.equal(percentAtCadence(36, 3600), 0.001, '36 ms every hour');
  t.equal(percentAtCadence(30, 60), 0.05, '30 ms every minute');
});

t.test('sentReports reads the real agent log: every report sent with its sections', async (t) => {
  const sent = sentReports(AGENT_LOG);
  t.equal(sent.length, 3);
  t.same(sent[0], {
    time: 1795823268913,
    sections: ['system', 'performance', 'patches', 'outbox'],
  });
  t.same(
    sent.slice(1).map((r) => r.sections),
    [['performance'], ['performance']],
  );
  t.same(sentReports(['not json', '', '{"msg":"report queued"}']), []);
  t.same(sentReports(['{"msg":"report sent"}']), [{ time: NaN, sections: [] }]);
});

t.test('agentStartedUrl finds the collector URL only in the `agent started` line', async (t) => {
  t.equal(agentStartedUrl(AGENT_LOG[0]!), 'http://127.0.0.1:35683');
  t.equal(agentStartedUrl(AGENT_LOG[1]!), null);
  t.equal(agentStartedUrl('{"msg":"agent started"}'), null, 'no collector field');
  t.equal(agentStartedUrl('agent started'), null, 'not JSON');
});

function observations(overrides: Partial<SteadyObservations> = {}): SteadyObservations {
  return {
    startedAt: 1_000,
    // 2 CPU s in the first 3 s (start-up), then 0.6 CPU s over the next 120 s.
    burst: { at: 4_000, cpuSeconds: 2 },
    end: { at: 124_000, cpuSeconds: 2.6 },
    rss: [
      { at: 2_000, kib: 110 * 1024 }, // in the burst: not steady
      { at: 5_000, kib: 70 * 1024 },
      { at: 60_000, kib: 74 * 1024 },
      { at: 124_000, kib: 72 * 1024 },
    ],
    hwmKiB: 120 * 1024,
    ...overrides,
  };
}

t.test('steadyFigures: CPU with and without the start-up burst, RSS after it', async (t) => {
  const f = steadyFigures(observations());
  t.equal(f.windowSeconds, 123);
  t.equal(f.cpuPercentAll, (2.6 / 123) * 100);
  t.equal(f.steadySeconds, 120);
  t.equal(f.cpuPercentSteady.toFixed(6), '0.500000');
  t.equal(f.burstSeconds, 3);
  t.equal(f.burstCpuSeconds, 2);
  t.equal(f.rssSteadyMedianMiB, 72, 'the burst’s 110 MiB sample is left out');
  t.equal(f.rssSteadyMaxMiB, 74);
  t.equal(f.rssSamples, 3);
  t.equal(f.hwmMiB, 120);
});

t.test('steadyFigures without a report sent: steady figures unknown, not 0', async (t) => {
  const f = steadyFigures(observations({ burst: null }));
  t.ok(Number.isNaN(f.cpuPercentSteady));
  t.ok(Number.isNaN(f.rssSteadyMedianMiB));
  t.ok(Number.isNaN(f.rssSteadyMaxMiB));
  t.ok(Number.isNaN(f.burstSeconds));
  t.equal(f.rssSamples, 0);
  t.ok(f.cpuPercentAll > 0, 'the whole window is still known');
  t.equal(underTarget(f.cpuPercentSteady, 0.5), 'FAIL', 'unknown never passes');
});

t.test('underTarget: strictly under passes; at the target or NaN fails', async (t) => {
  t.equal(underTarget(0.49, 0.5), 'PASS');
  t.equal(underTarget(0.5, 0.5), 'FAIL');
  t.equal(underTarget(59.9, 60), 'PASS');
  t.equal(underTarget(NaN, 60), 'FAIL');
});

const COLLECTORS = [
  { name: 'system', cadenceSeconds: 3600 },
  { name: 'performance', cadenceSeconds: 60 },
  { name: 'patches', cadenceSeconds: 21600 },
];

t.test(
  'projectedPercent adds the collectors the window did not see, at their cadence',
  async (t) => {
    const cost = new Map([
      ['system', 180],
      ['performance', 15],
      ['patches', 1080],
    ]);
    const p = projectedPercent(0.1, COLLECTORS, new Set(['performance', 'outbox']), cost);
    t.same(
      p.terms.map((x) => x.collector),
      ['system', 'patches'],
    );
    t.equal(p.terms[0]!.percent.toFixed(6), '0.005000', '180 ms an hour');
    t.equal(p.terms[1]!.percent.toFixed(6), '0.005000', '1080 ms every 6 h');
    t.equal(p.percent.toFixed(6), '0.110000');
    const none = projectedPercent(0.1, COLLECTORS, new Set(), cost);
    t.equal(none.terms.length, 3, 'a window that saw no collector adds all three');
    t.equal(none.percent.toFixed(6), (0.1 + 0.005 + 0.025 + 0.005).toFixed(6));
  },
);

t.test('projectedPercent is unknown when a needed collector was not measured', async (t) => {
  const p = projectedPercent(0.1, COLLECTORS, new Set(['performance']), new Map([['system', 1]]));
  t.ok(Number.isNaN(p.percent));
  t.ok(Number.isNaN(p.terms.find((x) => x.collector === 'patches')!.percent));
});

t.test('medianFigures takes each figure’s median across rounds', async (t) => {
  const a = steadyFigures(observations());
  const b = steadyFigures(observations({ end: { at: 124_000, cpuSeconds: 3.2 } }));
  const c = steadyFigures(observations({ end: { at: 124_000, cpuSeconds: 2.9 } }));
  const m = medianFigures([a, b, c]);
  t.equal(m.cpuPercentSteady, c.cpuPercentSteady);
  t.equal(m.rssSteadyMedianMiB, 72);
  const lost = steadyFigures(observations({ burst: null }));
  t.equal(medianFigures([a, lost]).cpuPercentSteady, a.cpuPercentSteady, 'unknowns are skipped');
});

t.test('cadenceText says cadences as people do', async (t) => {
  t.equal(cadenceText(60), '60 s');
  t.equal(cadenceText(3600), '1 h');
  t.equal(cadenceText(21600), '6 h');
  t.equal(cadenceText(1800), '30 min');
  t.equal(cadenceText(NaN), '-');
});
