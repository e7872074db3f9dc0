// Crash safety: an agent SIGKILLed while it writes reports leaves an outbox that opens
// cleanly, holding only complete reports. The writer is the compiled outbox (dist/) in a
// child process enqueueing as fast as it can.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Report } from '@vcio/shared';
import t from 'tap';
import { silentLogger } from '../src/log.js';
import { Outbox, OUTBOX_DIR } from '../src/outbox.js';
import { contractErrors } from './helpers/contract.js';
import { assertBuilt, CLI } from './helpers/run-cli.js';

t.setTimeout(60_000);

const WRITER = `
const { Outbox } = await import(process.argv[1]);
const { silentLogger } = await import(process.argv[2]);
const { newReportId } = await import('@vcio/shared');
const outbox = await Outbox.open(process.argv[3], { logger: silentLogger() });
for (let n = 0; ; n++) {
  await outbox.enqueue({
    schema: 'vcio.report/v1',
    reportId: newReportId(),
    agent: { id: '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60', version: '0.1.0' },
    host: { machineId: 'm', hostname: process.argv[4] + '-' + n },
    collectedAt: new Date().toISOString(),
    sections: {},
    // some bulk, so that a kill often lands inside a write
    errors: Array.from({ length: 60 }, (_, i) => ({ collector: 'system', message: 'x'.repeat(1500) + i })),
  });
  process.stdout.write(n + '\\n');
}
`;

async function killMidWrite(
  stateDir: string,
  round: number,
  afterReports: number,
): Promise<number> {
  const dist = path.dirname(CLI);
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      WRITER,
      pathToFileURL(path.join(dist, 'outbox.js')).href,
      pathToFileURL(path.join(dist, 'log.js')).href,
      stateDir,
      `r${round}`,
    ],
    { cwd: path.dirname(dist), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let written = 0;
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      written += chunk.toString('utf8').split('\n').length - 1;
      if (written >= afterReports && child.exitCode === null) {
        // a little later, at a random point: often inside the next write
        setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
      }
    });
    child.on('close', () => resolve());
  });
  return written;
}

t.test('SIGKILL while enqueueing leaves only complete, valid reports', async (t) => {
  assertBuilt();
  const stateDir = t.testdir();
  let confirmed = 0;
  let cutOff = 0;
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    rounds.push(await killMidWrite(stateDir, round, 30));
    confirmed += rounds[round]!;
    // counted now: the next round's open removes them
    const names = await readdir(path.join(stateDir, OUTBOX_DIR));
    cutOff += names.filter((n) => n.endsWith('.tmp')).length;
  }
  t.comment(`${cutOff} write(s) cut off by the kills`);
  const outbox = await Outbox.open(stateDir, { logger: silentLogger() });
  t.same(outbox.totals, { dropped: 0, corrupt: 0, rejected: 0 }, 'nothing damaged');
  t.ok(outbox.queued >= confirmed, `${outbox.queued} queued, ${confirmed} confirmed`);
  const names = await readdir(path.join(stateDir, OUTBOX_DIR));
  t.same(
    names.filter((n) => n.endsWith('.tmp')),
    [],
    'temp files of the killed writers are gone',
  );
  const files = names.filter((n) => /^\d{16}-.*\.json$/.test(n)).sort();
  t.equal(files.length, outbox.queued);
  let invalid = 0;
  for (const name of files) {
    const report = JSON.parse(
      await readFile(path.join(stateDir, OUTBOX_DIR, name), 'utf8'),
    ) as unknown;
    if (contractErrors(Report, report).length > 0) invalid++;
  }
  t.equal(invalid, 0, 'every queued file is a complete, valid report');
  // order survives the kills: round by round, each round in the order it wrote
  const order: string[] = [];
  for (let next = await outbox.oldest(); next; next = await outbox.oldest()) {
    order.push(next.report.host.hostname);
    await outbox.remove(next.name);
  }
  const expected = rounds.flatMap((_, round) =>
    order.filter((h) => h.startsWith(`r${round}-`)).map((_, n) => `r${round}-${n}`),
  );
  t.same(order, expected, 'enqueue order, across the kills');
  t.ok(
    rounds.every((n, round) => order.filter((h) => h.startsWith(`r${round}-`)).length >= n),
    'every confirmed write is there',
  );
});
