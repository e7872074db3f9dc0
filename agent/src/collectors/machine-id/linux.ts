// Linux (and other Unix-likes without a better source): the systemd/D-Bus machine id.
// Reads /etc/machine-id, falling back to /var/lib/dbus/machine-id (older or minimal systems
// where only D-Bus created one). No command, no privileges; both files are world-readable.

export const LINUX_MACHINE_ID_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'] as const;

/**
 * The id in a machine-id file, or null when the file holds none: empty (an image prepared
 * for cloning), "uninitialized" (systemd during first boot), or not 32 hex digits.
 */
export function parseLinuxMachineId(text: string): string | null {
  const id = text.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id) || /^0+$/.test(id)) return null;
  return id;
}

export async function readLinuxMachineId(
  readFile: (path: string) => Promise<string>,
): Promise<{ id: string } | { problems: string[] }> {
  const problems: string[] = [];
  for (const path of LINUX_MACHINE_ID_FILES) {
    let text: string;
    try {
      text = await readFile(path);
    } catch (err) {
      problems.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    const id = parseLinuxMachineId(text);
    if (id) return { id };
    problems.push(`${path}: no machine id in it (${JSON.stringify(text.trim().slice(0, 40))})`);
  }
  return { problems };
}
