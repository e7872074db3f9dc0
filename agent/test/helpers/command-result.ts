// A finished command as runCommand reports it, for tests that fake the command runner.
import type { CommandResult } from '../../src/exec.js';

export const commandResult = (
  stdout: string,
  over: Partial<CommandResult> = {},
): CommandResult => ({
  stdout,
  stderr: '',
  exitCode: 0,
  signal: null,
  timedOut: false,
  truncated: false,
  durationMs: 5,
  ...over,
});
