// The agent benchmark's child processes: Node run to completion (the cycle driver, the
// agent's `enroll`, a bare `node -e ''`), and the baselines measured in the same run.
//
// Every Node child runs with the same exit-with-parent.js preload as the services (the
// agent included), so the baselines carry the same small extra as what they are
// compared with, and none of them outlives a benchmark that is killed.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './support/cleanup.js';
import { ticksPerSecond } from './support/proc.js';
import { readStat, readStatus, statCpuSeconds } from './support/procfs.js';
import { median } from './support/report.js';
import { startService } from './support/service.js';

export const AGENT_CLI = fileURLToPath(new URL('../../../agent/dist/cli.js', import.meta.url));
export const AGENT_DRIVER = fileURLToPath(new URL('./agent-driver.js', import.meta.url));
const EXIT_WITH_PARENT = new URL('./support/exit-with-parent.js', import.meta.url).href;

/**
 * This process's environment without VCIO_* variables: one left in the shell (a log
 * level, a state directory) must not quietly change what is measured.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VCIO_')),
  );
}

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  wallMs: number;
  /**
   * CPU of the child and everything it waited for, from this process's cutime+cstime:
   * exact only while no other child of this process ends at the same time.
   */
  cpuMs: number;
}

/**
 * Runs `node <args>` to completion; stdout is kept, stderr goes to `logFile`. Killed
 * (and the promise rejected) after `timeoutMs`.
 */
export async function runNode(options: {
  name: string;
  args: string[];
  logFile: string;
  timeoutMs: number;
}): Promise<NodeRun> {
  const log = openSync(options.logFile, 'a');
  const childCpu = () => statCpuSeconds(readStat('self'), ticksPerSecond()).children;
  const cpuBefore = childCpu();
  const started = performance.now();
  let child;
  try {
    child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...options.args], {
      stdio: ['pipe', 'pipe', log],
      env: cleanEnv(),
    });
  } finally {
    closeSync(log);
  }
  const unregister = onCleanup({
    name: `stop ${options.name} (pid ${child.pid})`,
    graceful: async () => void child.kill('SIGKILL'),
    immediate: () => void child.kill('SIGKILL'),
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${options.name} did not finish within ${options.timeoutMs / 1000} s`));
        }, options.timeoutMs);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        // 'close', not 'exit': stdout is complete only once its pipe has closed.
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
      },
    );
    return {
      ...exit,
      stdout,
      wallMs: performance.now() - started,
      cpuMs: (childCpu() - cpuBefore) * 1000,
    };
  } finally {
    unregister();
  }
}

/** Parses the one JSON line a driver prints, with the log's tail when it failed. */
export function driverOutput<T>(run: NodeRun, what: string, logTail: () => string): T {
  if (run.code !== 0) {
    throw new Error(`${what} exited with ${run.code ?? run.signal}; its log ends:\n${logTail()}`);
  }
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON result: ${run.stdout.slice(0, 200)}`);
  }
}

export interface Baselines {
  /** an idle Node process (a timer and nothing else) a second after start */
  idleRssMiB: number;
  idleHwmMiB: number;
  /** `node -e ''`: starting Node and exiting, CPU and wall clock */
  startCpuMs: number;
  startWallMs: number;
  runs: number;
}

const IDLE_SCRIPT = "process.stdout.write('ready\\n'); setInterval(() => {}, 1 << 30);";

/** Medians of `runs` idle processes and `runs` bare starts of Node, one at a time. */
export async function measureBaselines(dir: string, runs: number): Promise<Baselines> {
  const idle: { rss: number; hwm: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const service = await startService({
      name: 'idle node',
      args: ['-e', IDLE_SCRIPT],
      env: cleanEnv(),
      logFile: join(dir, 'idle-node.log'),
      findUrl: (line) => (line === 'ready' ? line : null),
    });
    // Let start-up settle: what is compared is a process sitting idle.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = readStatus(service.pid);
    idle.push({ rss: status.rssKiB / 1024, hwm: status.hwmKiB / 1024 });
    await service.stop();
  }
  const starts: NodeRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runNode({
      name: 'node -e ""',
      args: ['-e', ''],
      logFile: join(dir, 'node-start.log'),
      timeoutMs: 30_000,
    });
    if (run.code !== 0) throw new Error(`node -e '' exited with ${run.code ?? run.signal}`);
    starts.push(run);
  }
  return {
    idleRssMiB: median(idle.map((i) => i.rss)),
    idleHwmMiB: median(idle.map((i) => i.hwm)),
    startCpuMs: median(starts.map((s) => s.cpuMs)),
    startWallMs: median(starts.map((s) => s.wallMs)),
    runs,
  };
}
