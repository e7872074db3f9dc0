// Running one package database's command through the host, with the three outcomes the
// readers care about: its output, "this tool is not on the machine" (a source that simply
// does not exist here, not a failure), or why it failed, in one line.
import { errorMessage } from '../../errors.js';
import { CommandStartError, commandFailure, describeCommand } from '../../exec.js';
import type { CollectContext } from '../types.js';

export type CommandOutcome =
  { stdout: string; stderr: string } | { missing: true; error: string } | { error: string };

export interface SourceCommandOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  env?: NodeJS.ProcessEnv;
  /** how the command is named in errors, when its arguments are too long to show (scripts) */
  shownArgs?: readonly string[];
}

export async function runSourceCommand(
  ctx: CollectContext,
  file: string,
  args: readonly string[],
  options: SourceCommandOptions,
): Promise<CommandOutcome> {
  const shown = options.shownArgs ?? args;
  try {
    const result = await ctx.host.run(file, args, {
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      ...(options.env ? { env: options.env } : {}),
    });
    const failure = commandFailure(file, shown, result);
    if (failure !== null) return { error: failure };
    // A cut list would read as software having been removed: refuse it.
    if (result.truncated)
      return {
        error: `command '${describeCommand(file, shown)}' failed: output went past ${options.maxOutputBytes} bytes`,
      };
    return { stdout: result.stdout, stderr: result.stderr };
  } catch (err) {
    if (err instanceof CommandStartError) {
      // Its message names the whole command line; name it as shown instead.
      const error = new CommandStartError(describeCommand(file, shown), err.code, err.cause)
        .message;
      return err.code === 'ENOENT' ? { missing: true, error } : { error };
    }
    return { error: errorMessage(err) };
  }
}
