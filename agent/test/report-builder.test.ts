import { Report } from '@vcio/shared';
import t from 'tap';
import { collectorsFor, collectorNames, createCollectors } from '../src/collectors/index.js';
import type { AnyCollector, Collector } from '../src/collectors/types.js';
import { silentLogger } from '../src/log.js';
import { buildReport, NIL_AGENT_ID } from '../src/report-builder.js';
import { AGENT_VERSION } from '../src/version.js';
import { contractErrors } from './helpers/contract.js';

const MACHINE_ID = '3d1219c7c4c5404aaa1f6d2a48adfda4';

function fake(name: 'system' | 'performance', collect: Collector['collect']): AnyCollector {
  return {
    name,
    cadenceSeconds: 60,
    platforms: ['linux', 'win32', 'darwin', 'freebsd'],
    timeoutSeconds: 5,
    collect,
  } as AnyCollector;
}

t.test('contract: a report from the real collectors on this machine is valid', async (t) => {
  const report = await buildReport({
    collectors: collectorsFor(process.platform),
    agentId: NIL_AGENT_ID,
    machineId: MACHINE_ID,
    hostname: 'vm',
    logger: silentLogger(),
  });
  t.same(contractErrors(Report, report), []);
  t.same(report.errors, [], 'every collector succeeded here');
  t.same(Object.keys(report.sections).sort(), [
    'patches',
    'performance',
    'security',
    'software',
    'system',
  ]);
  t.equal(report.schema, 'vcio.report/v1');
  t.equal(report.agent.version, AGENT_VERSION);
  t.same(report.host, { machineId: MACHINE_ID, hostname: 'vm' });
});

t.test('a collector that throws becomes an error entry and its section is absent', async (t) => {
  const report = await buildReport({
    collectors: [
      fake('system', async () => {
        throw new Error("command 'lsblk' failed: exit code 1");
      }),
    ],
    agentId: '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60',
    machineId: MACHINE_ID,
    hostname: 'vm',
    logger: silentLogger(),
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  t.same(report.sections, {});
  t.same(report.errors, [{ collector: 'system', message: "command 'lsblk' failed: exit code 1" }]);
  t.equal(report.collectedAt, '2026-01-02T03:04:05.000Z');
  t.same(contractErrors(Report, report), []);
});

t.test('a collector past its timeout becomes an error entry and is told to stop', async (t) => {
  let aborted = false;
  const slow = fake('performance', (ctx) => {
    ctx.signal.addEventListener('abort', () => (aborted = true));
    return new Promise(() => {}); // never settles
  });
  const report = await buildReport({
    collectors: [slow],
    agentId: NIL_AGENT_ID,
    machineId: MACHINE_ID,
    hostname: 'vm',
    logger: silentLogger(),
    timeoutMs: 50,
  });
  t.same(report.errors, [{ collector: 'performance', message: 'timed out after 0.05 s' }]);
  t.ok(aborted, 'the collector saw its signal abort');
  t.same(contractErrors(Report, report), []);
});

t.test('messages are bounded; a throw without a message still says something', async (t) => {
  const report = await buildReport({
    collectors: [
      fake('system', async () => {
        throw new Error('x'.repeat(5000));
      }),
      fake('performance', async () => {
        throw new Error('');
      }),
    ],
    agentId: NIL_AGENT_ID,
    machineId: MACHINE_ID,
    hostname: '',
    logger: silentLogger(),
  });
  t.equal(report.errors[0]?.message.length, 2048);
  t.equal(report.errors[1]?.message, 'failed without a message');
  t.equal(report.host.hostname, 'unknown');
  t.same(contractErrors(Report, report), []);
});

t.test('report ids are fresh UUIDs', async (t) => {
  const options = {
    collectors: [],
    agentId: NIL_AGENT_ID,
    machineId: MACHINE_ID,
    hostname: 'vm',
    logger: silentLogger(),
  };
  const a = await buildReport(options);
  const b = await buildReport(options);
  t.not(a.reportId, b.reportId);
  t.same(contractErrors(Report, a), []);
});

t.test('the registry lists every collector once', async (t) => {
  t.same(collectorNames(), ['system', 'performance', 'patches', 'software', 'security']);
  t.same(
    collectorsFor('aix', createCollectors()).map((c) => c.name),
    [],
    'nothing claims a platform it was not written for',
  );
});
