// `pnpm bench posture` (test/bench/posture*.ts) and `pnpm bench ingest --bodies state`:
// the options, the arithmetic behind the fleet figures, the passes on a tiny fleet, and
// the command line end to end (needs the build: `pnpm --silent build`).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReportBodies } from '../bench/ingest-bodies.js';
import { UsageError } from '../bench/support/benchmark.js';
import { parseOptions } from '../bench/posture.js';
import { loadCollector } from '../bench/posture-collector.js';
import {
  hostsPerCore,
  percentOfCore,
  serviceFigures,
  splitFigures,
} from '../bench/posture-figures.js';
import { benchService, servicePass, splitPass } from '../bench/posture-passes.js';
import { createFleet } from '../bench/posture-setup.js';

const BENCH_MAIN = fileURLToPath(new URL('../dist/bench/main.js', import.meta.url));

t.test('options: defaults, values, and mistakes as usage errors', async (t) => {
  t.same(parseOptions([]), {
    hosts: 1000,
    software: 1500,
    rounds: 3,
    ingestSeconds: 10,
    agents: 200,
  });
  t.same(parseOptions(['--hosts', '20', '--software', '0', '--rounds', '1', '--ingest', '0']), {
    hosts: 20,
    software: 0,
    rounds: 1,
    ingestSeconds: 0,
    agents: 200,
  });
  const refused = (args: string[], message: RegExp, why: string) => {
    let error: unknown = null;
    try {
      parseOptions(args);
    } catch (e) {
      error = e;
    }
    t.ok(error instanceof UsageError, `${why}: a usage error`);
    t.match(String((error as Error | null)?.message), message, why);
  };
  refused(['--hosts', '0'], /--hosts '0' must be a whole number from 1 to 100000/, 'no hosts');
  refused(['--software', '20001'], /from 0 to 20000/, 'over the schema limit');
  refused(['--hosts', '1.5'], /--hosts '1.5'/, 'not whole');
  refused(['--fast'], /Unknown option '--fast'/, 'unknown option');
  refused(['extra'], /positional/, 'no positionals');
});

t.test('fleet arithmetic', async (t) => {
  // 1,000 hosts at 6 ms each, every minute: 6 s of CPU a minute = 10% of a core
  t.equal(percentOfCore(1_000, 6, 60), 10);
  t.ok(Math.abs(percentOfCore(1_000, 6, 3_600) - 10 / 60) < 1e-12, 'the same, hourly');
  t.equal(hostsPerCore(6, 60), 10_000);
  t.same(serviceFigures({ hosts: 200, wallSeconds: 2, cpuSeconds: 1, warnings: [] }), {
    msPerHost: 10,
    hostsPerSecond: 100,
    cpuMsPerHost: 5,
  });
  t.same(
    splitFigures({ hosts: 4, readMs: 8, judgeMs: 4, writeMs: 2, mismatches: [], failures: [] }),
    {
      readMs: 2,
      judgeMs: 1,
      writeMs: 0.5,
      totalMs: 3.5,
    },
  );
});

t.test('the passes assess every host of a tiny fleet, and agree', async (t) => {
  const collector = await loadCollector();
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bench-posture-test-'));
  const store = collector.openSqliteStore(join(dir, 'data'));
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const fleet = await createFleet(store, 4, 30);
  t.equal(fleet.hostIds.length, 4);
  t.equal(new Set(fleet.hostIds).size, 4, 'a host per agent');
  const warnings: string[] = [];
  const postureService = benchService(collector, store, warnings);
  t.teardown(() => postureService.stop());
  const service = await servicePass(postureService, fleet.hostIds, warnings);
  t.same(service.warnings, []);
  t.equal(service.hosts, 4);
  t.ok(service.wallSeconds > 0 && service.cpuSeconds > 0, 'timed');
  const rows = store.db.prepare('SELECT count(*) AS n FROM host_posture').get() as { n: number };
  t.equal(rows.n, 4, 'every host assessed by the service');
  const split = await splitPass(collector, store, fleet.tenantId, fleet.hostIds);
  t.equal(split.hosts, 4);
  t.same(split.mismatches, [], 'the split pass judges as the service does');
  t.same(split.failures, []);
  t.ok(split.readMs > 0 && split.judgeMs > 0 && split.writeMs > 0, 'each part timed');
});

t.test(
  'ingest bodies: state reports carry security and patches, the default does not',
  async (t) => {
    const agents = [{ agentId: 'a', secret: 's', machineId: 'm-1', hostname: 'h-1', seed: 1 }];
    const sections = (bodies: ReportBodies) => {
      const body = bodies.next().body;
      return Object.keys((JSON.parse(String(body)) as { sections: object }).sections).sort();
    };
    t.same(sections(new ReportBodies(agents, false)), ['performance']);
    t.same(sections(new ReportBodies(agents, false, 'state')), [
      'patches',
      'performance',
      'security',
    ]);
  },
);

t.test('the command line', async (t) => {
  const bench = (...args: string[]) =>
    spawnSync(process.execPath, [BENCH_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

  const help = bench('posture', '--help');
  t.equal(help.status, 0);
  t.match(help.stdout, /usage: pnpm bench posture/);
  t.match(bench('--help').stdout, /posture\s+ms to re-assess a host/, 'listed');

  const bad = bench('posture', '--hosts', 'many');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--hosts 'many' must be a whole number/);
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace');

  const badBodies = bench('ingest', '--bodies', 'all');
  t.equal(badBodies.status, 2);
  t.match(badBodies.stderr, /--bodies 'all' must be performance or state/);

  const tiny = bench(
    'posture',
    '--hosts',
    '6',
    '--software',
    '40',
    '--rounds',
    '1',
    '--ingest',
    '0',
  );
  t.equal(tiny.status, 0, tiny.stderr);
  t.match(tiny.stdout, /^machine: .+, \d+ cores/m, 'the machine line');
  t.match(tiny.stdout, /^median\s+\d+\.\d\d\s+\d/m, 'a median row');
  t.match(tiny.stdout, /6 host_posture rows \(expected 6\)/);
  t.match(tiny.stdout, /% of one core: 1,000 hosts \d/);
  t.match(tiny.stdout, /PASS \(part 1\)/);
});
