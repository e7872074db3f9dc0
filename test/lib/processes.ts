// The real collector and the real agent as child processes, for end-to-end tests and
// benchmarks: temporary data directories, port 0 (the collector reports the port it
// got), and cleanup that also runs when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const COLLECTOR_MAIN = join(root, 'collector/dist/main.js');
export const AGENT_CLI = join(root, 'agent/dist/cli.js');
/** Recorded machines for `vcio-agent ... --replay DIR` (agent/test/fixtures/replay/README.md). */
export const REPLAY_FIXTURES = join(root, 'agent/test/fixtures/replay');

export interface Bootstrap {
  tenant: { id: string; slug: string };
  adminToken: string;
  enrollToken: string;
}

export interface CollectorProcess {
  url: string;
  dataDir: string;
  bootstrap: Bootstrap;
  child: ChildProcess;
  /** every log line the collector printed so far */
  logs: string[];
  /** SIGTERM and wait; resolves with the exit code */
  stop(): Promise<number | null>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vcio-${prefix}-`));
}

export async function startCollectorProcess(
  args: string[] = [],
  options: { dataDir?: string; timeoutMs?: number } = {},
): Promise<CollectorProcess> {
  const dataDir = options.dataDir ?? tempDir('collector');
  const child = spawn(
    process.execPath,
    [COLLECTOR_MAIN, '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // A collector that never became usable must not outlive the failure: it would keep the
  // test file running until tap's timeout.
  const killed = (error: unknown): never => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`collector did not start in time:\n${logs.join('\n')}`)),
      options.timeoutMs ?? 15_000,
    );
    const onLine = (line: string) => {
      logs.push(line);
      const match = /"msg":"vcio collector listening on ([^"]+)"/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  }).catch(killed);
  let bootstrap: Bootstrap;
  try {
    bootstrap = JSON.parse(readFileSync(join(dataDir, 'bootstrap.json'), 'utf8')) as Bootstrap;
  } catch (error) {
    return killed(error);
  }
  let stopped: Promise<number | null> | null = null;
  return {
    url,
    dataDir,
    bootstrap,
    child,
    logs,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        const code = await exit;
        if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command of the real agent to completion. */
export function runAgent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT_CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `vcio-agent enroll` into the collector's bootstrap tenant, with state in stateDir. */
export function enrollAgent(
  collector: CollectorProcess,
  stateDir: string,
  options: { replay?: string } = {},
): Promise<RunResult> {
  return runAgent([
    'enroll',
    '--state-dir',
    stateDir,
    '--url',
    collector.url,
    '--token',
    collector.bootstrap.enrollToken,
    // a recorded machine enrolls as itself: an agent speaks only for the machine it enrolled as
    ...(options.replay ? ['--replay', options.replay] : []),
  ]);
}
