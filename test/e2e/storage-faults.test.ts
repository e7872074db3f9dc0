// Real storage faults under the real collector process, with the real agent:
//
//   - Disk full: the data directory is a small tmpfs, filled up while the collector runs.
//     Reports are answered 503 storage_unavailable with Retry-After (never 500), reads keep
//     answering, /healthz and vcio_storage_available say so, the log says it once; when
//     space returns the collector recovers by itself ("storage recovered") and the reports
//     the agent queued meanwhile arrive exactly once.
//   - Read-only file system: an ext4 image on a loop device, mounted errors=remount-ro, and
//     an error triggered through ext4's sysfs (what a failing disk does). Same answers;
//     an emergency read-only ext4 cannot be made writable again without unmounting, so the
//     operator's path is tested: stop, fsck, mount, start, and the queued reports arrive.
//
// Mounting needs root (and CAP_SYS_ADMIN): elsewhere each test skips and says why.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { agentAuthorization } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import {
  enrollAgent,
  runAgent,
  startCollectorProcess,
  tempDir,
  type CollectorProcess,
} from '../lib/processes.js';

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

/** Why a mount cannot be made here, or null when it can. */
function cannotMount(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a file system needs root';
  const probe = tempDir('mount-probe');
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    run('umount', [probe]);
    return null;
  } catch (error) {
    return `mount is not permitted here: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const sentIds = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((line) => line.includes('"msg":"report sent"'))
    .map((line) => (JSON.parse(line) as { reportId: string }).reportId);

const logged = (c: CollectorProcess, prefix: string) =>
  c.logs.filter((line) => {
    try {
      return (JSON.parse(line) as { msg?: string }).msg?.startsWith(prefix) === true;
    } catch {
      return false;
    }
  });

async function metric(c: CollectorProcess, name: string): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : NaN;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Writes zeros until the file system says ENOSPC; returns the file. */
function fillUp(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return file;
}

interface Credentials {
  agentId: string;
  secret: string;
}

/** One report straight over HTTP with the agent's own credentials: the answer as it is. */
async function postReport(c: CollectorProcess, credentials: Credentials, machineId: string) {
  const report = sampleReport({ agentId: credentials.agentId, machineId, sections: ['system'] });
  const response = await fetch(`${c.url}/api/v1/reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: agentAuthorization(credentials.agentId, credentials.secret),
    },
    body: JSON.stringify(report),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { error?: string; message?: string },
  };
}

/** What every fault must leave true: reads answer, the readiness says why, the process lives. */
async function checkRefusing(
  t: Test,
  c: CollectorProcess,
  credentials: Credentials,
  reason: RegExp,
): Promise<void> {
  const answer = await postReport(c, credentials, 'a-machine');
  t.equal(answer.status, 503, 'a report is answered 503, not 500');
  t.equal(answer.body.error, 'storage_unavailable');
  t.type(answer.body.message, 'string');
  t.equal(answer.retryAfter, '30', 'with Retry-After');

  const admin = { authorization: `Bearer ${c.bootstrap.adminToken}` };
  const hosts = await fetch(`${c.url}/api/v1/hosts`, { headers: admin });
  t.equal(hosts.status, 200, 'reads keep answering');
  t.ok(((await hosts.json()) as { total: number }).total >= 1, 'with what was stored');

  const health = await fetch(`${c.url}/healthz`);
  t.equal(health.status, 503, '/healthz: not ready');
  const body = (await health.json()) as { storage?: { reason: string } };
  t.match(body.storage?.reason, reason, `/healthz names the problem (${body.storage?.reason})`);
  t.equal(await metric(c, 'vcio_storage_available'), 0, 'vcio_storage_available 0');
  t.equal(c.child.exitCode, null, 'the collector is still running');
}

/**
 * An agent enrolled with `c` that has sent its first report: its credentials, a run of
 * `vcio-agent once` (extra flags appended), and the ids of the reports sent so far.
 */
async function enrolledAgent(t: Test, c: CollectorProcess, stateDir: string) {
  t.equal((await enrollAgent(c, stateDir)).code, 0, 'enrolled');
  const credentials = JSON.parse(
    readFileSync(join(stateDir, 'credentials.json'), 'utf8'),
  ) as Credentials;
  const once = (...extra: string[]) => runAgent(['once', '--state-dir', stateDir, ...extra]);
  const first = await once();
  t.equal(first.code, 0, first.stderr);
  return { credentials, once, delivered: sentIds(first.stderr) };
}

function checkLogs(t: Test, c: CollectorProcess, recovered: boolean): void {
  t.equal(logged(c, 'storage unavailable').length, 1, 'the fault is logged once');
  if (recovered) t.equal(logged(c, 'storage recovered').length, 1, '"storage recovered" once');
  const crashes = c.logs.filter((l) => /unhandled|uncaught|"level":60/i.test(l));
  t.same(crashes, [], 'no unhandled rejection, no fatal');
  const perRequest = logged(c, 'request rejected').filter((l) => l.includes('"status":503'));
  t.same(perRequest, [], 'no log line per refused request');
}

const mountProblem = cannotMount();

t.test(
  'disk full: 503 while full, recovers by itself, queued reports arrive once',
  { skip: mountProblem ?? false },
  async (t) => {
    const mnt = tempDir('disk-full');
    run('mount', ['-t', 'tmpfs', '-o', 'size=12m,mode=0700', 'tmpfs', mnt]);
    t.teardown(() => {
      try {
        run('umount', ['-l', mnt]);
      } finally {
        rmSync(mnt, { recursive: true, force: true });
      }
    });
    const stateDir = tempDir('agent');
    t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
    const dataDir = join(mnt, 'data');

    const c = await startCollectorProcess([], { dataDir, timeoutMs: 60_000 });
    t.teardown(() => c.stop());
    const { credentials, once, delivered } = await enrolledAgent(t, c, stateDir);
    t.equal(delivered.length, 1);

    const filler = fillUp(mnt);
    // The WAL's already-allocated pages may take a few more commits: keep sending until the
    // collector refuses (each run queues its report when it does).
    let queued = 0;
    for (let i = 0; i < 20 && queued === 0; i++) {
      const r = await once('--max-attempts', '1');
      if (r.code === 0) delivered.push(...sentIds(r.stderr));
      else {
        t.equal(r.code, 4, 'refused: the agent keeps its report');
        t.match(r.stderr, /HTTP 503 storage_unavailable/, 'the agent was told why');
        queued++;
      }
    }
    t.equal(queued, 1, 'the full disk made the collector refuse a report');
    for (let i = 0; i < 2; i++) {
      const r = await once('--max-attempts', '1');
      t.equal(r.code, 4, 'still refused, still queued');
      queued++;
    }
    await checkRefusing(t, c, credentials, /^full$/);
    t.ok((await metric(c, 'vcio_storage_errors_total{reason="full"}')) >= 1, 'errors counted');

    rmSync(filler);
    await until(() => logged(c, 'storage recovered').length > 0, '"storage recovered"');
    t.equal((await fetch(`${c.url}/healthz`)).status, 200, '/healthz: ready again');
    t.equal(await metric(c, 'vcio_storage_available'), 1);

    const after = await once();
    t.equal(after.code, 0, after.stderr);
    const late = sentIds(after.stderr);
    t.equal(late.length, queued + 1, 'the queued reports, then this run’s');
    delivered.push(...late);
    checkLogs(t, c, true);
    t.comment(
      `log lines during the fault: ${c.logs.length}; WAL checkpoint warnings: ${logged(c, 'WAL checkpoint').length}; posture warnings: ${logged(c, 'posture:').length}`,
    );
    t.equal(await c.stop(), 0, 'a clean shutdown after the fault');

    const db = new Database(join(dataDir, 'vcio.db'), { readonly: true });
    t.teardown(() => db.close());
    const ids = db.prepare('SELECT report_id FROM reports').pluck().all() as string[];
    t.equal(ids.length, delivered.length, 'every delivered report stored, none twice');
    t.same(new Set(ids), new Set(delivered), 'exactly the reports the agent sent');
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  },
);

/** An ext4 image on a loop device that can be failed into emergency read-only. */
function cannotLoop(): string | null {
  for (const tool of ['losetup', 'mkfs.ext4', 'e2fsck']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return null;
}

t.test(
  'read-only file system: 503 while read-only, then the operator path',
  { skip: mountProblem ?? cannotLoop() ?? false },
  async (t) => {
    const work = tempDir('readonly');
    const image = join(work, 'fs.img');
    const mnt = join(work, 'mnt');
    mkdirSync(mnt);
    run('truncate', ['-s', '48M', image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    let loop: string;
    try {
      loop = run('losetup', ['-f', '--show', image]).trim();
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      return t.plan(0, `no loop device: ${(error as Error).message.split('\n')[0]}`);
    }
    const device = loop.replace('/dev/', '');
    const mount = () => run('mount', ['-o', 'errors=remount-ro', loop, mnt]);
    const umount = () => {
      if (run('cat', ['/proc/mounts']).includes(` ${mnt} `)) run('umount', [mnt]);
    };
    mount();
    t.teardown(() => {
      try {
        umount();
      } finally {
        run('losetup', ['-d', loop]);
        rmSync(work, { recursive: true, force: true });
      }
    });
    const trigger = `/sys/fs/ext4/${device}/trigger_fs_error`;
    if (!existsSync(trigger)) return t.plan(0, `${trigger} does not exist (kernel without it)`);

    const stateDir = tempDir('agent');
    t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
    const dataDir = join(mnt, 'data');
    // synchronous=full: an emergency read-only remount drops the file system's unwritten
    // pages, as a power cut does, and with the default NORMAL a report acknowledged in the
    // last moments before can be among them (database.ts). FULL syncs each commit.
    const c = await startCollectorProcess(['--synchronous', 'full'], {
      dataDir,
      timeoutMs: 60_000,
    });
    t.teardown(() => c.stop());
    const { credentials, once, delivered } = await enrolledAgent(t, c, stateDir);

    run('sh', ['-c', `echo 'vcio storage-faults test' > ${trigger}`]);
    t.match(
      run('cat', ['/proc/mounts']),
      new RegExp(`${mnt} ext4 (ro,|\\S*emergency_ro)`),
      'the file system is read-only',
    );
    let queued = 0;
    for (let i = 0; i < 3; i++) {
      const r = await once('--max-attempts', '1');
      t.equal(r.code, 4, 'refused: the agent keeps its report');
      t.match(r.stderr, /HTTP 503 storage_unavailable/);
      queued++;
    }
    await checkRefusing(t, c, credentials, /^(readonly|ioerr)$/);
    checkLogs(t, c, false);

    // The operator's fix: stop the collector, repair and remount, start it again.
    // The WAL cannot be checkpointed into a read-only database: the collector exits anyway
    // (status 1, "shutdown failed" with the reason); the WAL is applied on the next start.
    const code = await c.stop();
    t.not(code, null, 'it exits rather than hanging on its read-only database');
    t.equal(logged(c, 'stopped').length, 1, 'and says it stopped');
    umount();
    try {
      run('e2fsck', ['-f', '-y', loop]);
    } catch {
      // exit 1: errors corrected, as expected after a triggered error
    }
    mount();
    const port = new URL(c.url).port;
    const second = await startCollectorProcess(
      ['--listen', `127.0.0.1:${port}`, '--synchronous', 'full'],
      { dataDir, timeoutMs: 60_000 },
    );
    t.teardown(() => second.stop());
    const after = await once();
    t.equal(after.code, 0, after.stderr);
    const late = sentIds(after.stderr);
    t.equal(late.length, queued + 1, 'the queued reports, then this run’s');
    delivered.push(...late);
    t.equal(await second.stop(), 0);

    const db = new Database(join(dataDir, 'vcio.db'), { readonly: true });
    t.teardown(() => db.close());
    const ids = db.prepare('SELECT report_id FROM reports').pluck().all() as string[];
    t.same(
      new Set(ids),
      new Set(delivered),
      `exactly the reports the agent sent: stored ${ids.join(',')}; sent ${delivered.join(',')}`,
    );
    t.equal(ids.length, delivered.length, 'none twice');
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  },
);
