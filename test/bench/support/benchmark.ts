// What every benchmark module exports, and the option checks they share.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface BenchmarkModule {
  /** the text `pnpm bench <name> --help` prints */
  usage: string;
  /** runs the benchmark; resolves with the exit code (0 pass, 1 fail) */
  run(args: string[]): Promise<number>;
}

/** Bad command line: main prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

/** A whole number option within [min, max]. */
export function intOption(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`--${name} '${text}' must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/**
 * node:util parseArgs for a benchmark's flags: strict, no positionals, and a mistake
 * reported as a UsageError (main prints it with the usage and exits 2).
 */
export function parseBenchArgs<T extends ParseArgsConfig['options']>(
  args: string[],
  options: T,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
