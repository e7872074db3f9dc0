// The collector goes away and comes back: every report the agent queued in the meantime
// arrives exactly once, in the order it was collected. The real collector process, the
// real agent process, and the collector's own database as the witness.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { enrollAgent, runAgent, startCollectorProcess, tempDir } from '../lib/processes.js';

const sentIds = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((line) => line.includes('"msg":"report sent"'))
    .map((line) => (JSON.parse(line) as { reportId: string }).reportId);

t.test('reports queued during an outage arrive exactly once, in order', async (t) => {
  const dataDir = tempDir('collector');
  const stateDir = tempDir('agent');
  t.teardown(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  const once = (...extra: string[]) => runAgent(['once', '--state-dir', stateDir, ...extra]);

  const first = await startCollectorProcess([], { dataDir });
  t.teardown(() => first.stop());
  t.equal((await enrollAgent(first, stateDir)).code, 0);
  const before = await once();
  t.equal(before.code, 0, before.stderr);
  const sent = sentIds(before.stderr);
  await first.stop();

  // Down: each run queues its report and gives up after one attempt (exit 4).
  for (let i = 0; i < 3; i++) {
    const down = await once('--max-attempts', '1');
    t.equal(down.code, 4, 'unreachable');
  }

  // Back on the same address, with the same database.
  const port = new URL(first.url).port;
  const second = await startCollectorProcess(['--listen', `127.0.0.1:${port}`], { dataDir });
  t.teardown(() => second.stop());
  const after = await once();
  t.equal(after.code, 0, after.stderr);
  const delivered = sentIds(after.stderr);
  t.equal(delivered.length, 4, 'the three queued reports, then this run’s');
  sent.push(...delivered);
  await second.stop();

  const db = new Database(join(dataDir, 'vcio.db'), { readonly: true });
  t.teardown(() => db.close());
  const rows = db
    .prepare(
      'SELECT report_id AS id, collected_at AS at FROM reports ORDER BY received_at, report_id',
    )
    .all() as { id: string; at: number }[];
  t.equal(rows.length, 5, 'five reports stored, none twice');
  t.same(new Set(rows.map((r) => r.id)), new Set(sent), 'exactly the reports the agent sent');
  const collected = rows.map((r) => r.at);
  t.same(
    collected,
    [...collected].sort((a, b) => a - b),
    'stored in the order they were collected',
  );
  t.same(
    rows.map((r) => r.id),
    sent,
    'in the agent’s order',
  );
});
