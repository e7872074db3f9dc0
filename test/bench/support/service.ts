// A server under test, run as a child Node process: start it, learn its URL from what it
// prints, stop it gracefully. Registered for cleanup as soon as it is spawned, so a
// failure anywhere later still stops it.
//
// The child writes stdout and stderr to a log file, not to a pipe to us. pino writes
// synchronously: through a pipe, a benchmark busy generating load (and slow to drain
// the pipe) would stall the server it measures, and once the benchmark died the
// server's next log line would fail with EPIPE, on which pino's flush retries forever
// (the process then ignores SIGTERM). A file has neither problem.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { onCleanup } from './cleanup.js';

export interface ServiceOptions {
  name: string;
  /** arguments after `node` (the service runs with exit-with-parent.js preloaded) */
  args: string[];
  /** the child's environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** where the child's stdout and stderr go */
  logFile: string;
  /** the URL the service listens on, from one line of its output; null for other lines */
  findUrl(line: string): string | null;
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
  /** every line the service has written so far */
  logLines(): string[];
  /** resolves when the process has exited, however that happened */
  exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited */
  stop(graceMs?: number): Promise<Exit & { stopMs: number }>;
}

// Stops the child when this process dies without stopping it (see the file).
const EXIT_WITH_PARENT = new URL('./exit-with-parent.js', import.meta.url).href;

export async function startService(options: ServiceOptions): Promise<Service> {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...options.args], {
      stdio: ['pipe', log, log],
      env: options.env ?? process.env,
    });
  } finally {
    closeSync(log); // the child has its own copy
  }
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT etc.); the error event says why.
    throw await new Promise<Error>((resolve) => child.once('error', resolve));
  }
  const pid = child.pid;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const logLines = () => readFileSync(options.logFile, 'utf8').split('\n').filter(Boolean);

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

  try {
    const url = await waitForUrl(options, logLines, exited);
    return { name: options.name, pid, url, logLines, exited, stop };
  } catch (error) {
    killNow(child);
    throw error;
  }
}

/** Polls the log for the URL line: a server starts in well under a second. */
async function waitForUrl(
  options: ServiceOptions,
  logLines: () => string[],
  exited: Promise<Exit>,
): Promise<string> {
  const deadline = performance.now() + (options.startTimeoutMs ?? 15_000);
  const state: { exit: Exit | null } = { exit: null };
  void exited.then((e) => (state.exit = e));
  for (;;) {
    const lines = logLines();
    for (const line of lines) {
      const url = options.findUrl(line);
      if (url !== null) return url;
    }
    const tail = lines
      .slice(-20)
      .map((l) => `\n  | ${l}`)
      .join('');
    if (state.exit !== null) {
      const { code, signal } = state.exit;
      throw new Error(
        `${options.name} exited before listening (code ${code}, signal ${signal})${tail}`,
      );
    }
    if (performance.now() > deadline) {
      throw new Error(
        `${options.name} did not say where it listens within the time allowed${tail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
