// macOS: IOPlatformUUID, the hardware UUID of the Mac (survives OS reinstalls). Runs
// `/usr/sbin/ioreg -rd1 -c IOPlatformExpertDevice` (~30 ms, no privileges needed).
export const IOREG_PATH = '/usr/sbin/ioreg';
export const IOREG_ARGS = ['-rd1', '-c', 'IOPlatformExpertDevice'] as const;

/**
 * The IOPlatformUUID property from ioreg's text output, or null. The line looks like
 * `    "IOPlatformUUID" = "1AB2345C-03E4-57D4-A375-1234D48DE123"`, possibly behind the tree's
 * `| ` prefix when ioreg is run without -r.
 */
export function parseIoregPlatformUuid(output: string): string | null {
  const match = /"IOPlatformUUID"\s*=\s*"([^"\r\n]+)"/.exec(output);
  const id = match?.[1]?.trim();
  if (!id || id.length > 128 || /\s/.test(id)) return null;
  return id;
}
