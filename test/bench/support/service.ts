// A server under test, run as a child Node process: start it, learn its URL from what it
// prints, watch its output, stop it gracefully. Registered for cleanup as soon as it is
// spawned, so a failure anywhere later still stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onCleanup } from './cleanup.js';

export interface ServiceOptions {
  name: string;
  /** arguments after `node` */
  args: string[];
  /** the URL the service listens on, from one line of its stdout; null for other lines */
  findUrl(line: string): string | null;
  /** every stdout line after the URL line (logs to tally, for instance) */
  onLine?(line: string): void;
  startTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Service {
  name: string;
  pid: number;
  url: string;
  /** the last lines the service wrote to stderr, for error messages */
  stderrTail(): string[];
  /** resolves when the process has exited, however that happened */
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited */
  stop(graceMs?: number): Promise<Exit & { stopMs: number }>;
}

const STDERR_LINES = 20;

export async function startService(options: ServiceOptions): Promise<Service> {
  const child = spawn(process.execPath, options.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT etc.); the error event says why.
    throw await new Promise<Error>((resolve) => child.once('error', resolve));
  }
  const pid = child.pid;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES) stderr.shift();
  });

  const stop = async (graceMs = 10_000) => {
    const started = performance.now();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    }
    return { ...(await exited), stopMs: performance.now() - started };
  };
  const unregister = onCleanup({
    name: `stop ${options.name} (pid ${pid})`,
    graceful: async () => {
      await stop();
    },
    immediate: () => killNow(child),
  });
  void exited.then(unregister);

  const url = await waitForUrl(child, options, exited, stderr);
  return { name: options.name, pid, url, stderrTail: () => [...stderr], exited, stop };
}

function waitForUrl(
  child: ChildProcess,
  options: ServiceOptions,
  exited: Promise<Exit>,
  stderr: string[],
): Promise<string> {
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  return new Promise<string>((resolve, reject) => {
    let url: string | null = null;
    const fail = (why: string) => {
      killNow(child);
      const tail = stderr.length > 0 ? `\n  stderr: ${stderr.join('\n  stderr: ')}` : '';
      reject(new Error(`${options.name}: ${why}${tail}`));
    };
    const timer = setTimeout(() => fail(`did not print its URL within ${timeoutMs} ms`), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (url !== null) {
        options.onLine?.(line);
        return;
      }
      url = options.findUrl(line);
      if (url !== null) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    void exited.then(({ code, signal }) => {
      if (url !== null) return;
      clearTimeout(timer);
      // Let the last stderr lines arrive before quoting them.
      setTimeout(() => fail(`exited before listening (code ${code}, signal ${signal})`), 50);
    });
  });
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
