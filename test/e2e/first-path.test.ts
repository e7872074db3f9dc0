// The first end-to-end path: the real collector process, the real agent process
// enrolling and reporting this machine, and what a user then sees through the API.
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import { hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { agentAuthorization } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import { enrollAgent, runAgent, startCollectorProcess, tempDir } from '../lib/processes.js';

// Tests read the API's JSON loosely: the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

t.test('agent enrolls, reports this machine, and the API shows it', async (t) => {
  // A limit well under the 4 MiB default, still above a real first report (system,
  // patches, security and this machine's whole software list: about 150 KB here).
  const collector = await startCollectorProcess(['--body-limit', '1mb']);
  const stateDir = tempDir('agent');
  t.teardown(async () => {
    await collector.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const admin = { authorization: `Bearer ${collector.bootstrap.adminToken}` };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${collector.url}/api/v1${path}`, { ...init, headers: { ...admin, ...init.headers } });

  const enroll = await enrollAgent(collector, stateDir);
  t.equal(enroll.code, 0, `enroll: ${enroll.stderr}`);
  t.notMatch(
    enroll.stderr + enroll.stdout,
    collector.bootstrap.enrollToken.split('.')[1]!,
    'the token secret is not printed',
  );

  const once = await runAgent(['once', '--state-dir', stateDir]);
  t.equal(once.code, 0, `once: ${once.stderr}`);

  const list = await json(await api('/hosts'));
  t.equal(list.total, 1);
  const summary = list.hosts[0];
  t.equal(summary.hostname, hostname(), 'this machine’s real hostname');
  t.equal(summary.os.platform, process.platform === 'win32' ? 'windows' : process.platform);

  const host = await json(await api(`/hosts/${summary.id}`));
  const system = host.sections.system.data;
  t.equal(system.memory.totalBytes, totalmem(), 'this machine’s real memory size');
  t.equal(system.os.kernel, release(), 'this machine’s real kernel');
  // The agent reports what it cannot read as null, never "": nothing on the way may
  // turn one into the other.
  const empties: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === '') empties.push(path);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`);
    }
  };
  walk(system, 'system');
  t.same(empties, [], 'no empty strings stored');
  t.ok(host.latestPerformance, 'a performance sample was stored');
  t.ok(host.latestPerformance.memoryTotalBytes > 0);

  const tenants = await json(await api('/tenants'));
  t.equal(tenants.tenants[0].hostCount, 1);

  // From here on, the agent's own credentials, as a misbehaving client would use them.
  const creds = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
  const agentAuth = agentAuthorization(creds.agentId, creds.secret);
  const send = (body: string, authorization?: string) =>
    fetch(`${collector.url}/api/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body,
    });
  // An agent speaks only for the machine it enrolled as.
  const elsewhere = sampleReport({ agentId: creds.agentId, machineId: 'e2e-second-machine' });
  const spoofed = await send(JSON.stringify(elsewhere), agentAuth);
  t.equal(spoofed.status, 403);
  t.equal((await json(spoofed)).error, 'machine_mismatch');

  const report = sampleReport({ agentId: creds.agentId, machineId: summary.machineId });
  const samplesOf = async () =>
    (await json(await api(`/hosts/${summary.id}/performance`))).samples.length as number;
  const samplesBefore = await samplesOf();

  const bad = await send(JSON.stringify({ ...report, collectedAt: 'yesterday' }), agentAuth);
  t.equal(bad.status, 400);
  t.match(await json(bad), { error: 'invalid_request', message: /collectedAt/ });

  const anonymous = await send(JSON.stringify(report));
  t.equal(anonymous.status, 401);
  t.equal((await json(anonymous)).error, 'unauthenticated');

  t.equal((await send(JSON.stringify(report), agentAuth)).status, 202);
  const retry = await send(JSON.stringify(report), agentAuth);
  t.equal(retry.status, 202);
  t.equal((await json(retry)).duplicate, true);
  t.equal(await samplesOf(), samplesBefore + 1, 'the duplicate report id was stored once');

  // Past the 1 MiB limit set above: refused before it is parsed or validated.
  const huge = { ...report, sections: { ...report.sections, padding: 'y'.repeat(1_200_000) } };
  const tooLarge = await send(JSON.stringify(huge), agentAuth);
  t.equal(tooLarge.status, 413);
  t.equal((await json(tooLarge)).error, 'payload_too_large');

  t.equal(await collector.stop(), 0, 'SIGTERM shuts the collector down cleanly');
});

t.test('the collector refuses bad flags with one clear line', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { COLLECTOR_MAIN } = await import('../lib/processes.js');
  const run = spawnSync(process.execPath, [COLLECTOR_MAIN, '--listen', 'nonsense'], {
    encoding: 'utf8',
  });
  t.equal(run.status, 1);
  t.match(run.stderr, /^vcio-collector: error: --listen 'nonsense' is not HOST:PORT/);
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
  const help = spawnSync(process.execPath, [COLLECTOR_MAIN, 'serve', '--help'], {
    encoding: 'utf8',
  });
  t.equal(help.status, 0);
  t.match(help.stdout, /VCIO_DATA_DIR/);
});

t.test('SIGTERM stops the collector even when nobody reads its logs any more', async (t) => {
  const collector = await startCollectorProcess();
  t.teardown(() => collector.stop());
  // A log shipper that died: the read end of the collector's stdout is gone.
  collector.child.stdout!.destroy();
  const started = Date.now();
  const code = await Promise.race([
    collector.stop(),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
  ]);
  if (code === 'hung') collector.child.kill('SIGKILL');
  const detail = code === 0 ? '' : `: ${collector.logs.slice(-10).join('\n')}`;
  t.equal(code, 0, `exited with ${code} in ${Date.now() - started} ms${detail}`);
});

t.test('the agent service stops on SIGTERM even when nobody reads its logs', async (t) => {
  const { spawn } = await import('node:child_process');
  const { AGENT_CLI } = await import('../lib/processes.js');
  const collector = await startCollectorProcess();
  const stateDir = tempDir('agent-run');
  t.teardown(async () => {
    await collector.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });
  const enroll = await enrollAgent(collector, stateDir);
  t.equal(enroll.code, 0);
  const agent = spawn(
    process.execPath,
    [AGENT_CLI, 'run', '--state-dir', stateDir, '--performance-every', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
  // Wait for its first report, then take its log reader away and let it keep logging.
  await new Promise<void>((resolve) => {
    agent.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('report sent')) resolve();
    });
  });
  agent.stdout.destroy();
  agent.stderr.destroy();
  await new Promise((r) => setTimeout(r, 2500));
  agent.kill('SIGTERM');
  const code = await Promise.race([
    exited,
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
  ]);
  if (code === 'hung') agent.kill('SIGKILL');
  t.equal(code, 0, 'the agent exited cleanly');
});
