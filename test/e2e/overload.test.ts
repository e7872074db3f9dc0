// Overload against the real collector process, with the real agent: with every ingest
// slot taken, the agent's report is shed with 503 overloaded and a Retry-After, and the
// agent's next attempt comes no sooner than the Retry-After said (not its own, shorter,
// backoff). The held slot is a report whose body is still arriving, as from a slow link.
import { request as httpRequest } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { agentAuthorization } from '@vcio/shared';
import { enrollAgent, runAgent, startCollectorProcess, tempDir } from '../lib/processes.js';

interface AgentLine {
  time: number;
  msg: string;
  attempt?: number;
  retryInMs?: number;
  problem?: string;
  attempts?: number;
}

const agentLines = (stderr: string): AgentLine[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AgentLine);

t.test('the agent waits for the Retry-After of a shed report', async (t) => {
  const RETRY_AFTER = 2;
  const c = await startCollectorProcess(
    ['--max-in-flight-reports', '1', '--overload-retry-after', String(RETRY_AFTER)],
    { timeoutMs: 60_000 },
  );
  t.teardown(() => c.stop());
  const stateDir = tempDir('agent');
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  t.equal((await enrollAgent(c, stateDir)).code, 0, 'enrolled');
  const credentials = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as {
    agentId: string;
    secret: string;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${c.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 600; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  // The one slot: a report whose body never finishes until released.
  const held = httpRequest(`${c.url}/api/v1/reports`, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': '1000',
      authorization: agentAuthorization(credentials.agentId, credentials.secret),
    },
  });
  const heldAnswer = new Promise<number>((resolve, reject) => {
    held.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    held.on('error', reject);
  });
  held.write('{');
  await until(async () => (await metric('vcio_ingest_in_flight_reports')) === 1, 'the slot taken');

  const agent = runAgent(['once', '--state-dir', stateDir]);
  await until(async () => (await metric('vcio_ingest_shed_total')) >= 1, 'the report shed');
  held.end(' '.repeat(999)); // not JSON: a 400, and the slot is free
  t.equal(await heldAnswer, 400, 'the held request is answered once complete');

  const result = await agent;
  t.equal(result.code, 0, result.stderr);
  const lines = agentLines(result.stderr);
  const retry = lines.find((l) => l.msg === 'sending report failed, will retry');
  const sent = lines.find((l) => l.msg === 'report sent');
  t.ok(retry && sent, 'one retry, then sent');
  t.match(retry!.problem, /HTTP 503 overloaded/, 'the agent was told it was shed');
  t.ok(
    retry!.retryInMs! >= RETRY_AFTER * 1000 && retry!.retryInMs! < 2 * RETRY_AFTER * 1000,
    `the agent waits what Retry-After said (${retry!.retryInMs} ms), not its own backoff (< 1 s)`,
  );
  t.ok(
    sent!.time - retry!.time >= retry!.retryInMs!,
    `its next attempt came ${sent!.time - retry!.time} ms later, no sooner`,
  );
  t.equal(sent!.attempts, 2, 'accepted on the second attempt');
  t.equal(await metric('vcio_ingest_shed_total{limit="requests"}'), 1, 'shed exactly once');
});
