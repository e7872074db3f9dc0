// The seam between the service installer and the machine: every effect install, uninstall
// and status have (run a service-manager command, touch a file, ask whether we are root)
// goes through a ServiceSystem, so tests run the whole flow in a temporary directory with
// recorded fake systemctl/schtasks/launchctl calls, and `install --root DIR` stages the
// files under DIR without touching the machine's services.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { isSea } from 'node:sea';

export interface CommandResult {
  /** exit code; 127 when the command could not be started (not installed) */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ServiceSystem {
  /** the OS the service is installed for */
  platform: NodeJS.Platform;
  /**
   * Where files go: undefined on the real machine; a directory to stage them under (tests,
   * `--root`). Paths in the flow are the target OS's own ("/opt/vcio/vcio-agent",
   * "C:\\Program Files\\vcio\\vcio-agent.exe"): hostPath() maps them.
   */
  root: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Runs a command; resolves with its exit code, never rejects. */
  run(command: string, args: readonly string[]): Promise<CommandResult>;
  /** root on Linux and macOS, an elevated administrator on Windows */
  isElevated(): Promise<boolean>;
  /** the program running now, and whether it is the single executable (not node + a script) */
  executable(): { path: string; singleExecutable: boolean };
  now(): Date;
}

/** Where a target-OS path lives on this machine's file system. */
export function hostPath(system: Pick<ServiceSystem, 'root'>, target: string): string {
  if (system.root === undefined) return target;
  // C:\Program Files\vcio -> <root>/C/Program Files/vcio; /opt/vcio -> <root>/opt/vcio
  const parts = target
    .replace(/^([A-Za-z]):/, '$1')
    .split(/[\\/]+/)
    .filter((p) => p !== '');
  return path.join(system.root, ...parts);
}

export async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function runCommand(command: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { timeout: 120_000, windowsHide: true, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code =
          err === null
            ? 0
            : typeof err.code === 'number'
              ? err.code
              : err.code === 'ENOENT'
                ? 127
                : 1;
        // A command that could not start (ENOENT, EACCES) has no stderr: say why instead.
        const why = err !== null && typeof err.code === 'string' ? err.message : '';
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || why });
      },
    );
  });
}

/** The real machine. */
export function liveSystem(root?: string): ServiceSystem {
  return {
    platform: process.platform,
    root,
    env: process.env,
    run: runCommand,
    isElevated: async () => {
      if (process.platform !== 'win32') return process.getuid?.() === 0;
      // `net session` lists the server's sessions, which only an elevated administrator may
      // do: the usual check from a script, with no extra module.
      return (await runCommand('net', ['session'])).code === 0;
    },
    executable: () => ({ path: process.execPath, singleExecutable: isSea() }),
    now: () => new Date(),
  };
}
