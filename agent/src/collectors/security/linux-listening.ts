// Listening sockets on Linux, from `ss -tulpn` (TCP and UDP, listening, numeric, with
// processes), parsed by parseSs and turned into report entries by listening.ts.
//
// No -H: iproute2 before 4.x (RHEL 7) has no --no-header, and the header line is easy to
// skip. -p shows the owning process only for the agent's own sockets unless it runs as
// root (or the socket belongs to another PID namespace, as in a container): those entries
// carry process null and the reason says why.
import type { ListeningService } from '@vcio/shared';
import { uniqueServices, type ListeningSocket } from './listening.js';
import { cap, failureReason, succeeded, textLines, type LinuxSecurityHost } from './linux-run.js';

/**
 * "0.0.0.0:22", "[::]:22", "*:22", "127.0.0.53%lo:53", "[fe80::1]%eth0:546", ":::22" (old
 * ss) -> address as printed without brackets (interface suffix kept) and port; null for
 * anything else (a port of "*").
 */
export function parseSsEndpoint(text: string): { address: string; port: number } | null {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m) return null;
  let address = cap(m, 1);
  const bracketed = /^\[([^\]]*)\](%\S+)?$/.exec(address);
  if (bracketed) address = `${cap(bracketed, 1)}${cap(bracketed, 2)}`;
  else if (address === '::' || address === '') address = '::';
  const port = Number(m[2]);
  return port <= 65535 ? { address, port } : null;
}

/** `ss -tulpn` rows: Netid State Recv-Q Send-Q Local Peer [users:(("name",pid=N,fd=M),...)]. */
export function parseSs(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of textLines(text)) {
    const fields = line.trim().split(/\s+/);
    const protocol = fields[0];
    if ((protocol !== 'tcp' && protocol !== 'udp') || fields.length < 6) continue;
    const local = parseSsEndpoint(cap(fields, 4));
    if (local === null) continue;
    const user = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(fields.slice(6).join(' '));
    sockets.push({
      protocol,
      address: local.address,
      port: local.port,
      process: user ? (user[1] ?? null) : null,
      pid: user ? Number(user[2]) : null,
    });
  }
  return sockets;
}

export interface ListeningGroup {
  services: ListeningService[];
  reason: string | null;
}

export async function readLinuxListening(h: LinuxSecurityHost): Promise<ListeningGroup> {
  const ss = await h.locate('ss');
  if (ss === null)
    return { services: [], reason: 'ss (iproute2) is not installed: listening sockets unknown' };
  const ran = await h.run(ss, ['-tulpn']);
  if (!succeeded(ran)) return { services: [], reason: failureReason(ran) };
  const services = uniqueServices(parseSs(ran.result.stdout));
  const anonymous = services.filter((s) => s.process === null).length;
  return {
    services,
    reason:
      anonymous === 0
        ? null
        : `ss shows the owning process only to root: ${anonymous} of ${services.length} sockets without a process name (or they belong to another container)`,
  };
}
