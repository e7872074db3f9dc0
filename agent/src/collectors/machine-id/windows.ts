// Windows: MachineGuid, created when Windows is installed, from
// HKLM\SOFTWARE\Microsoft\Cryptography. Runs `reg query ... /v MachineGuid /reg:64`:
// /reg:64 reads the 64-bit registry view even from a 32-bit agent, which would otherwise be
// redirected to WOW6432Node, where MachineGuid does not exist. reg.exe is started by its
// full path under %SystemRoot% so a reg.exe earlier on PATH cannot stand in for it.
// Takes ~50 ms; no admin rights needed (the key is readable by users).
import { win32 } from 'node:path';

export const MACHINE_GUID_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Cryptography';
export const MACHINE_GUID_ARGS = [
  'query',
  MACHINE_GUID_KEY,
  '/v',
  'MachineGuid',
  '/reg:64',
] as const;

export function regExePath(env: NodeJS.ProcessEnv): string {
  const root = env.SystemRoot || env.windir || 'C:\\Windows';
  return win32.join(root, 'System32', 'reg.exe');
}

/**
 * The data of one value in `reg query KEY /v NAME` output, or null when the value is not
 * there. The value line is "    NAME    TYPE    DATA" (four-space separators); DATA may itself
 * contain spaces, so only the first two separators split.
 */
export function parseRegQueryValue(output: string, valueName: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    // The name starts at the first non-space (\S): with `\s+(.+?)` both could take the
    // leading spaces, and a long run of spaces took minutes (found by test/parser-fuzz).
    const match =
      /^\s+(\S.*?)\s{4}(REG_[A-Z_]+)\s{4}(.*)$/.exec(line) ??
      /^\s+(\S+)\s+(REG_[A-Z_]+)\s+(.*)$/.exec(line);
    if (match && match[1]!.toLowerCase() === valueName.toLowerCase()) {
      const data = match[3]!.trim();
      return data === '' ? null : data;
    }
  }
  return null;
}

/** MachineGuid from reg.exe output, or null when absent or not an id-shaped string. */
export function parseMachineGuid(output: string): string | null {
  const guid = parseRegQueryValue(output, 'MachineGuid');
  if (guid === null || guid.length > 128 || /\s/.test(guid)) return null;
  return guid;
}
