// The one way the agent runs an OS command (reg, ioreg, later apt, dnf, powershell...).
//
// - An argument array and no shell: nothing in an argument is ever interpreted, so a value
//   read from the machine cannot turn into a command.
// - A timeout: a wedged command (a hung `reg` on a broken profile, `ioreg` on a busy Mac)
//   must not stall a report. On timeout the child gets SIGTERM, then SIGKILL after a grace.
// - Bounded output: past maxOutputBytes the rest is dropped and `truncated` is set, so a
//   runaway command cannot grow the agent's memory.
// - A non-zero exit is a result, not an exception: callers decide what an exit code means
//   (`reg query` exits 1 when a value is missing). Only "could not start it at all" throws.
import { spawn } from 'node:child_process';
import { AgentError, errorMessage } from './errors.js';

export interface RunOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  /** time between SIGTERM and SIGKILL after a timeout */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the command was ended by a signal */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** true when stdout or stderr went past maxOutputBytes and was cut */
  truncated: boolean;
  durationMs: number;
}

/** `reg query HKLM\...`: how a command is named in error messages and logs. */
export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}

/** The command could not be started (missing binary, no permission to execute it). */
export class CommandStartError extends AgentError {
  constructor(
    readonly command: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    const why = code === 'ENOENT' ? 'executable not found (ENOENT)' : errorMessage(cause);
    super(`command '${command}' failed: ${why}`, undefined, { cause });
  }
}

class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.truncated = this.truncated || chunk.length > 0;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<CommandResult> {
  const command = describeCommand(file, args);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      shell: false,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    const stdout = new BoundedBuffer(options.maxOutputBytes);
    const stderr = new BoundedBuffer(options.maxOutputBytes);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const timeout = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 1000);
      killTimer.unref();
    }, options.timeoutMs);

    const finish = (): void => {
      settled = true;
      clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
    };

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err: NodeJS.ErrnoException) => {
      // 'error' without a started process: the binary is missing or not executable.
      if (settled) return;
      finish();
      reject(new CommandStartError(command, err.code, err));
    });
    child.on('close', (exitCode, signal) => {
      if (settled) return;
      finish();
      resolve({
        stdout: stdout.text(),
        stderr: stderr.text(),
        exitCode,
        signal,
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}

/**
 * Why a finished command did not succeed, in one line, or null when it did (exit 0, no
 * timeout). For collectors that treat any non-zero exit as a failure.
 */
export function commandFailure(
  file: string,
  args: readonly string[],
  result: CommandResult,
): string | null {
  const command = describeCommand(file, args);
  if (result.timedOut)
    return `command '${command}' failed: timed out after ${result.durationMs} ms`;
  if (result.exitCode === 0) return null;
  const how =
    result.exitCode === null
      ? `killed by ${result.signal ?? 'a signal'}`
      : `exit code ${result.exitCode}`;
  const detail = firstLine(result.stderr) ?? firstLine(result.stdout);
  return `command '${command}' failed: ${how}${detail ? `: ${detail}` : ''}`;
}

function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line === undefined ? undefined : line.slice(0, 300);
}

/** The shape of runCommand, for collectors that take a fake runner in tests. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: RunOptions,
) => Promise<CommandResult>;
