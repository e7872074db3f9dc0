// The machine a collector reads: its platform, its commands, its files, its clock.
//
// Collectors never touch process.platform, child_process or fs directly; they go through
// the HostAccess in their CollectContext. The live agent passes `liveHost`; `--replay DIR`
// passes a host that answers from recorded outputs (replay.ts), which is how the Windows
// and macOS paths run end to end on a Linux machine, report and all.
import { access, readFile } from 'node:fs/promises';
import type { RawSystemInfo } from './collectors/system.js';
import { runCommand, type CommandRunner } from './exec.js';

export interface HostAccess {
  /** process.platform of the machine being read */
  readonly platform: NodeJS.Platform;
  /** the machine's environment (SystemRoot, PATH...) */
  readonly env: NodeJS.ProcessEnv;
  run: CommandRunner;
  /** the file's text; throws (ENOENT when missing) when it cannot be read */
  readFile(path: string): Promise<string>;
  exists(path: string): Promise<boolean>;
  now(): Date;
  /**
   * The system collector's raw facts, on a host that has them recorded (replay.ts, from
   * system.json). The system collector cannot read through run/readFile: systeminformation
   * spawns its own helpers and reads /proc itself. So a host either supplies these facts
   * or, like liveHost, leaves this out and the collector asks systeminformation, which
   * describes the machine the agent runs on.
   */
  systemInfo?(): Promise<RawSystemInfo>;
}

export const liveHost: HostAccess = {
  platform: process.platform,
  env: process.env,
  run: runCommand,
  readFile: (path) => readFile(path, 'utf8'),
  exists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  now: () => new Date(),
};
