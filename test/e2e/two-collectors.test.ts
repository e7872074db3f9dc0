// Two real collector processes on one PostgreSQL database, as behind a load balancer:
// agents spread over both (the real agent for one machine per collector, simulated agents
// for load), a live console on B seeing what agents report through A, and A - the leader -
// killed with SIGKILL under load. Then: every report either collector answered 202 is in
// the database exactly once, B becomes leader within a bound and runs the background jobs
// (the posture sweep re-assesses a stale host), and the agents that were sending to A are
// pointed at B, as a load balancer would, and deliver what A never acknowledged, once.
//
// A starts first and is the leader before B starts, so the collector killed is the leader
// and the console (on B) survives it. Leader election: collector/src/cluster/leadership.ts.
import t from 'tap';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FeedClient, type Message } from '../lib/feed-client.js';
import { postgresUnavailable, psqlLines, startCluster } from '../lib/postgres.js';
import {
  REPLAY_FIXTURES,
  runAgent,
  startCollectorProcess,
  tempDir,
  type CollectorProcess,
} from '../lib/processes.js';
import { enrollSimulatedAgent, type SimulatedAgent } from '../lib/simulated-agent.js';

/** simulated agents per collector */
const AGENTS_PER_COLLECTOR = 3;
/** B must lead this soon after A is killed: the try interval (3 s) and headroom for load */
const FAILOVER_BOUND_MS = 15_000;
/**
 * The sweep runs every minute on the leader (posture/service.ts), on B's own timer: after
 * the failover it comes within a minute, plus headroom for a loaded machine.
 */
const SWEEP_BOUND_MS = 90_000;
const LEADER_LOG = 'cluster: became leader';

const unavailable = postgresUnavailable();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until check returns a value (not undefined/false), or fails after timeoutMs. */
async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

const leads = (c: CollectorProcess) => c.logs.some((line) => line.includes(LEADER_LOG));

/** SQL string literal (the values here are ids the test made or read back). */
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

t.test(
  'two collectors on one PostgreSQL: spread agents, a shared live feed, SIGKILL of the leader',
  { skip: unavailable ?? false },
  async (t) => {
    const testStarted = Date.now();
    // Teardown in one place and in order: agents stop, collectors stop (SIGKILL if one
    // hangs), then PostgreSQL, then the directories. Runs on failure too.
    let stopDatabase: () => unknown = () => {};
    const cluster = startCluster({ teardown: (fn) => (stopDatabase = fn) });
    const collectors: CollectorProcess[] = [];
    const dirs: string[] = [];
    const consoles: FeedClient[] = [];
    let running = true;
    t.teardown(async () => {
      running = false;
      for (const c of consoles) c.ws.terminate();
      await Promise.all(
        collectors.map(async (c) => {
          const hung = setTimeout(() => c.child.kill('SIGKILL'), 15_000);
          await c.stop();
          clearTimeout(hung);
        }),
      );
      stopDatabase();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    const dir = (prefix: string) => {
      const made = tempDir(prefix);
      dirs.push(made);
      return made;
    };
    const sql = (query: string) => psqlLines(cluster.url, query);
    const serve = ['--database', cluster.url, '--log-level', 'info'];

    // ---- A first, the leader; then B on the same database with the same secrets ----
    const a = await startCollectorProcess(serve, { dataDir: dir('two-a'), timeoutMs: 30_000 });
    collectors.push(a);
    await waitFor('A becomes leader', () => leads(a), 20_000);
    const bDir = dir('two-b');
    // bootstrap.json is written by the first collector on an empty database only; the
    // operator hands its tokens to every collector (the test helper reads them from there)
    copyFileSync(join(a.dataDir, 'bootstrap.json'), join(bDir, 'bootstrap.json'));
    const b = await startCollectorProcess(serve, { dataDir: bDir, timeoutMs: 30_000 });
    collectors.push(b);
    const bStarted = Date.now();
    t.same(b.bootstrap, a.bootstrap, 'B uses the same tenant and tokens');
    t.notOk(
      b.logs.some((line) => /first start: created tenant/.test(line)),
      'B did not bootstrap a second tenant',
    );
    t.match(sql('SELECT count(*) FROM tenants'), ['1'], 'one tenant in the shared database');

    // ---- a console on B ----
    const console_ = await new FeedClient(b).opened();
    consoles.push(console_);
    console_.send({ type: 'auth', token: a.bootstrap.adminToken });
    await console_.type('hello');
    console_.send({ type: 'subscribe', tenant: a.bootstrap.tenant.slug });
    await console_.type('subscribed');

    // ---- the real agent: this machine through A, a recorded Windows machine through B ----
    const hereState = dir('two-agent-here');
    const enrollHere = await runAgent([
      'enroll',
      '--state-dir',
      hereState,
      '--url',
      a.url,
      '--token',
      a.bootstrap.enrollToken,
    ]);
    t.equal(enrollHere.code, 0, `enroll through A: ${enrollHere.stderr}`);
    const hereAgentId = (
      JSON.parse(readFileSync(join(hereState, 'credentials.json'), 'utf8')) as { agentId: string }
    ).agentId;
    const enrolled = await console_.next(
      (m) => m.type === 'agent.enrolled' && m.data.agentId === hereAgentId,
    );
    t.match(enrolled.data, { hostname: hostname() }, 'B’s console: enrolled through A');
    const onceHere = await runAgent(['once', '--state-dir', hereState]);
    t.equal(onceHere.code, 0, `once through A: ${onceHere.stderr}`);
    const reported = await console_.next(
      (m) => m.type === 'host.reported' && m.data.agentId === hereAgentId,
    );
    t.match(reported.data, { hostname: hostname() }, 'B’s console: reported through A');
    const [hereReportId] = sql(
      `SELECT report_id FROM reports WHERE agent_id = ${lit(hereAgentId)}`,
    );
    t.equal(reported.data.reportId, hereReportId, 'the event names the stored report');

    const windows = join(REPLAY_FIXTURES, 'windows-10-enterprise');
    const windowsState = dir('two-agent-windows');
    const enrollWindows = await runAgent([
      'enroll',
      '--state-dir',
      windowsState,
      '--url',
      b.url,
      '--token',
      b.bootstrap.enrollToken,
      '--replay',
      windows,
    ]);
    t.equal(enrollWindows.code, 0, `enroll --replay through B: ${enrollWindows.stderr}`);
    const onceWindows = await runAgent(['once', '--state-dir', windowsState, '--replay', windows]);
    t.equal(onceWindows.code, 0, `once --replay through B: ${onceWindows.stderr}`);
    const windowsHost = (
      JSON.parse(readFileSync(join(windows, 'host.json'), 'utf8')) as { hostname: string }
    ).hostname;

    // ---- simulated agents: half enrolled through A, half through B ----
    const viaA: SimulatedAgent[] = [];
    const viaB: SimulatedAgent[] = [];
    for (let i = 0; i < AGENTS_PER_COLLECTOR * 2; i++) {
      const onA = i % 2 === 0;
      (onA ? viaA : viaB).push(await enrollSimulatedAgent(onA ? a : b, i, 'two'));
    }
    const agents = [...viaA, ...viaB];
    // A's events leave on one connection, in order: once B's console has the last
    // enrollment made through A, anything repeated before it would have arrived too.
    const lastViaA = viaA.at(-1)!;
    await console_.next((m) => m.type === 'agent.enrolled' && m.data.agentId === lastViaA.agentId);
    const about = (type: string, agentId: string) =>
      console_.messages.filter((m: Message) => m.type === type && m.data?.agentId === agentId);
    t.equal(about('agent.enrolled', hereAgentId).length, 1, 'the enrollment through A: once');
    t.equal(about('host.reported', hereAgentId).length, 1, 'the report through A: once');

    // ---- load on both, then SIGKILL the leader ----
    // A host last assessed two hours ago is stale, and only the leader's sweep re-assesses
    // it. Made stale just before the kill (A sweeps a minute after its start, not now):
    // an assessment stamped after the kill can only be B's.
    const windowsHostId = await waitFor(
      'the recorded Windows host is assessed',
      () =>
        sql(
          `SELECT h.id FROM hosts h JOIN host_posture p ON p.host_id = h.id
           WHERE h.hostname = ${lit(windowsHost)}`,
        )[0],
      30_000,
    );
    const driveA = Promise.all(viaA.map((agent) => agent.run(a.url, () => running)));
    const driveB = Promise.all(viaB.map((agent) => agent.run(b.url, () => running)));
    await waitFor(
      'every agent acknowledged on both collectors',
      () => agents.every((agent) => agent.acked.size >= 5),
      30_000,
    );
    await sleep(1_000); // a stretch of load on both before the kill
    t.notOk(leads(b), 'B is not the leader while A lives');
    const staleAt = Date.now() - 2 * 3_600_000;
    sql(`UPDATE host_posture SET assessed_at = ${staleAt} WHERE host_id = ${lit(windowsHostId)}`);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await driveA; // every agent on A stops at its first unanswered report
    const ackedByAIds = new Set(viaA.flatMap((agent) => [...agent.acked]));
    const ackedByA = ackedByAIds.size;
    const doubtAtKill = viaA.flatMap((agent) => [...agent.inDoubt.keys()]);
    const inDoubt = doubtAtKill.length;
    t.ok(ackedByA > 0, `${ackedByA} reports acknowledged by A before the kill`);
    t.ok(
      viaA.every((agent) => agent.inDoubt.size === 1),
      `each of A's agents holds the report A never answered (${inDoubt} in doubt)`,
    );

    // ---- B takes over: leadership, then the background jobs ----
    await waitFor('B becomes leader', () => leads(b), FAILOVER_BOUND_MS);
    const failoverMs = Date.now() - killedAt;
    t.pass(`B became leader ${failoverMs} ms after A was killed`);

    // ---- A's agents go to B (the load balancer's move) while B's keep sending ----
    const redirected = Promise.all(viaA.map((agent) => agent.run(b.url, () => running)));
    await sleep(1_500);
    running = false;
    await Promise.all([redirected, driveB]);
    // whatever is still in doubt (nothing should be: B did not die) is sent until answered
    for (const agent of agents) {
      await agent.run(b.url, () => false);
      t.equal(agent.inDoubt.size, 0, `${agent.hostname}: nothing left in doubt`);
    }
    const resentAsDuplicates = viaA.reduce((n, agent) => n + agent.duplicatesAnswered, 0);
    t.ok(
      viaA.every((agent) => [...agent.acked].some((id) => !ackedByAIds.has(id))),
      'every redirected agent has new reports acknowledged by B',
    );

    const reassessed = await waitFor(
      'B’s sweep re-assesses the stale host',
      () =>
        Number(
          sql(`SELECT assessed_at FROM host_posture WHERE host_id = ${lit(windowsHostId)}`)[0],
        ) > killedAt && Date.now(),
      SWEEP_BOUND_MS,
      500,
    );
    t.pass(
      `B re-assessed the stale host ${reassessed - killedAt} ms after the kill ` +
        `(${reassessed - bStarted} ms after B started)`,
    );

    // ---- the database: every acknowledged report exactly once ----
    const ids = agents.map((agent) => lit(agent.agentId)).join(',');
    const stored = sql(`SELECT report_id FROM reports WHERE agent_id IN (${ids})`);
    const storedSet = new Set(stored);
    const acked = new Set(agents.flatMap((agent) => [...agent.acked]));
    const lost = [...acked].filter((id) => !storedSet.has(id));
    t.same(lost.slice(0, 10), [], `${lost.length} acknowledged reports lost`);
    t.equal(stored.length, storedSet.size, 'no report id stored twice');
    t.equal(stored.length, acked.size, `${acked.size} reports stored, each acknowledged`);
    const [samples] = sql(
      `SELECT count(*) FROM performance_samples s JOIN hosts h ON h.key = s.host_key
       WHERE h.agent_id IN (${ids})`,
    );
    t.equal(Number(samples), stored.length, 'one performance sample per report: none twice');
    t.same(
      doubtAtKill.filter((id) => !storedSet.has(id) || !acked.has(id)),
      [],
      'the reports A never answered arrived through B',
    );

    // ---- B's console, through all of it ----
    const seenOnB = console_.messages
      .filter((m: Message) => m.type === 'host.reported')
      .map((m: Message) => m.data.reportId as string);
    t.equal(new Set(seenOnB).size, seenOnB.length, 'no report announced twice on B’s console');
    t.ok(
      seenOnB.some((id) => ackedByAIds.has(id)),
      'B’s console saw the simulated agents’ reports through A',
    );
    t.notOk(
      console_.messages.some((m: Message) => m.type === 'resume_gap'),
      'B’s console was never told it missed events',
    );

    t.equal(await b.stop(), 0, 'B stops cleanly');
    t.comment(
      `${acked.size} reports acknowledged (${ackedByA} by A before the kill), ${inDoubt} in ` +
        `doubt at the kill, ${resentAsDuplicates} resent reports answered as duplicates; ` +
        `failover ${failoverMs} ms; test ${Date.now() - testStarted} ms`,
    );
  },
);
