// The host's stable machine id: what the collector files every report under, so it must
// survive reboots, agent reinstalls and re-enrollment.
//
// Platforms and sources (one file each, side by side):
//   linux.ts   Linux, FreeBSD and other Unix-likes: /etc/machine-id, /var/lib/dbus/machine-id
//   windows.ts Windows: MachineGuid via `reg query ... /reg:64`
//   darwin.ts  macOS: IOPlatformUUID via `ioreg -rd1 -c IOPlatformExpertDevice`
// Time: a file read, or one command of well under a second (timeout 15 s).
// Privileges: none.
//
// There is no fallback to a generated id: a report the collector cannot attribute to a
// machine is worse than no report, so a missing id is an error (exit code 7).
import { readFile } from 'node:fs/promises';
import { MachineIdError } from '../../errors.js';
import { commandFailure, runCommand, type CommandResult } from '../../exec.js';
import { IOREG_ARGS, IOREG_PATH, parseIoregPlatformUuid } from './darwin.js';
import { readLinuxMachineId } from './linux.js';
import { MACHINE_GUID_ARGS, parseMachineGuid, regExePath } from './windows.js';

export interface MachineIdDeps {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  readFile(path: string): Promise<string>;
  run(file: string, args: readonly string[]): Promise<CommandResult>;
}

const COMMAND_LIMITS = { timeoutMs: 15_000, maxOutputBytes: 256 * 1024 };

export const defaultMachineIdDeps: MachineIdDeps = {
  platform: process.platform,
  env: process.env,
  readFile: (path) => readFile(path, 'utf8'),
  run: (file, args) => runCommand(file, args, COMMAND_LIMITS),
};

async function fromCommand(
  deps: MachineIdDeps,
  file: string,
  args: readonly string[],
  parse: (stdout: string) => string | null,
  what: string,
): Promise<string> {
  let result: CommandResult;
  try {
    result = await deps.run(file, args);
  } catch (err) {
    throw new MachineIdError(`cannot read this machine's id: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const failure = commandFailure(file, args, result);
  if (failure) throw new MachineIdError(`cannot read this machine's id: ${failure}`);
  const id = parse(result.stdout);
  if (id === null)
    throw new MachineIdError(
      `cannot read this machine's id: no ${what} in the output of '${[file, ...args].join(' ')}'`,
    );
  return id;
}

export async function readMachineId(deps: MachineIdDeps = defaultMachineIdDeps): Promise<string> {
  switch (deps.platform) {
    case 'win32':
      return fromCommand(
        deps,
        regExePath(deps.env),
        MACHINE_GUID_ARGS,
        parseMachineGuid,
        'MachineGuid',
      );
    case 'darwin':
      return fromCommand(deps, IOREG_PATH, IOREG_ARGS, parseIoregPlatformUuid, 'IOPlatformUUID');
    default: {
      const found = await readLinuxMachineId(deps.readFile);
      if ('id' in found) return found.id;
      throw new MachineIdError(
        `cannot read this machine's id: ${found.problems.join('; ')} (run systemd-machine-id-setup or dbus-uuidgen --ensure to create one)`,
      );
    }
  }
}
