// The contract itself: what report v1 accepts and what it refuses, checked with the
// same JSON Schema the collector validates with.
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { KNOWN_SECTIONS, Report, REPORT_SCHEMA_ID, EnrollRequest } from '../src/index.js';
import { sampleReport, samplePerformance, sampleSystem } from '../src/testing/sample-report.js';

const firstError = (value: unknown) => {
  const e = Value.Errors(Report, value).First();
  return e ? `${e.path}: ${e.message}` : null;
};

t.test('sample reports are valid v1 reports', async (t) => {
  t.equal(firstError(sampleReport()), null);
  t.equal(firstError(sampleReport({ sections: ['system', 'performance'] })), null);
  t.equal(sampleReport().schema, REPORT_SCHEMA_ID);
  t.same(KNOWN_SECTIONS, ['system', 'performance', 'patches', 'software', 'security', 'outbox']);
});

t.test('a realistic performance report is about 2 KB', async (t) => {
  const size = JSON.stringify(sampleReport()).length;
  t.ok(size > 1500 && size < 2600, `${size} bytes`);
});

t.test('the same seed gives the same numbers', async (t) => {
  t.same(samplePerformance(7), samplePerformance(7));
  t.not(samplePerformance(7).memory.usedBytes, samplePerformance(8).memory.usedBytes);
  t.same(sampleSystem('a', 3), sampleSystem('a', 3));
});

t.test('compatibility: sections are optional, unknown sections pass', async (t) => {
  const report = sampleReport();
  t.equal(firstError({ ...report, sections: {} }), null, 'a report with no sections (all failed)');
  t.equal(
    firstError({ ...report, sections: { ...report.sections, licences: { seats: 12 } } }),
    null,
    'a newer agent’s section does not break an older collector',
  );
});

t.test('unknown is null, never a made-up zero', async (t) => {
  const report = sampleReport({ sections: ['system', 'performance'] });
  const system = report.sections.system!;
  const unknowns = {
    ...report,
    sections: {
      system: {
        ...system,
        hardware: { ...system.hardware, serial: null, virtual: null },
        cpu: { ...system.cpu, speedGhz: null, physicalCores: null },
        disks: [],
        disksKnown: false,
      },
      performance: { ...report.sections.performance!, load: null, swap: null },
    },
  };
  t.equal(firstError(unknowns), null);
});

t.test('what v1 refuses', async (t) => {
  const good = sampleReport({ sections: ['system', 'performance'] });
  const perf = good.sections.performance!;
  const cases: [string, unknown, RegExp][] = [
    ['another schema', { ...good, schema: 'vcio.report/v2' }, /\/schema/],
    ['a report id that is not a UUID', { ...good, reportId: '42' }, /\/reportId/],
    ['a missing host', { ...good, host: undefined }, /\/host/],
    ['an unknown top-level field', { ...good, extra: true }, /\/extra/],
    [
      'a CPU utilisation above 1',
      { ...good, sections: { performance: { ...perf, cpu: { utilisation: 1.5 } } } },
      /\/sections\/performance\/cpu\/utilisation/,
    ],
    [
      'negative bytes',
      {
        ...good,
        sections: { performance: { ...perf, memory: { ...perf.memory, usedBytes: -1 } } },
      },
      /usedBytes/,
    ],
    [
      'an unbounded list',
      { ...good, errors: Array.from({ length: 65 }, () => ({ collector: 'x', message: 'y' })) },
      /\/errors/,
    ],
  ];
  for (const [name, value, path] of cases) {
    const error = firstError(value);
    t.ok(error, name);
    t.match(error ?? '', path, name);
  }
});

t.test('enroll requests are strict', async (t) => {
  const ok = { token: 'et_x.y', machineId: 'm', hostname: 'h', agentVersion: '0.1.0' };
  t.ok(Value.Check(EnrollRequest, ok));
  t.notOk(Value.Check(EnrollRequest, { ...ok, machineId: '' }));
  t.notOk(Value.Check(EnrollRequest, { ...ok, admin: true }));
});
