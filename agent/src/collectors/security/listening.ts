// Listening sockets as the report states them: which are reachable from the network, and
// which are services an attacker looks for first. Shared by every platform's reader.
import type { ListeningService } from '@vcio/shared';

/**
 * Well-known ports of services that should not face a network unprotected: remote
 * desktops and shells that send passwords in clear, file sharing that worms spread by.
 * By port because the process name is often unknown (no privilege to see it).
 */
const RISKY_TCP_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'ftp'],
  [23, 'telnet'],
  // rpcbind and NFS export file systems by host address; the Docker API without TLS and
  // memcached answer anyone who connects, the first with root on the machine
  [111, 'rpcbind'],
  [139, 'netbios'],
  [445, 'smb'],
  [512, 'rexec'],
  [513, 'rlogin'],
  [514, 'rsh'],
  [2049, 'nfs'],
  [2375, 'docker-api'],
  [3389, 'rdp'],
  [5900, 'vnc'],
  [5901, 'vnc'],
  [5902, 'vnc'],
  [5985, 'winrm'],
  [5986, 'winrm'],
  [11211, 'memcached'],
]);

const RISKY_UDP_PORTS: ReadonlyMap<number, string> = new Map([
  [69, 'tftp'],
  [111, 'rpcbind'],
  [137, 'netbios'],
  [138, 'netbios'],
  [161, 'snmp'],
  [2049, 'nfs'],
  [3389, 'rdp'],
  // memcached over UDP is a traffic amplifier for attacks on others
  [11211, 'memcached'],
]);

/** Loopback in every spelling the OS tools print: 127.x, ::1, ::ffff:127.x, localhost. */
export function isLoopback(address: string): boolean {
  const a = address
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  return (
    a === '::1' ||
    a === 'localhost' ||
    /^127\./.test(a) ||
    /^::ffff:127\./.test(a) ||
    a === '0:0:0:0:0:0:0:1'
  );
}

export interface ListeningSocket {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  process: string | null;
  pid: number | null;
}

export function toListeningService(socket: ListeningSocket): ListeningService {
  const ports = socket.protocol === 'tcp' ? RISKY_TCP_PORTS : RISKY_UDP_PORTS;
  return {
    protocol: socket.protocol,
    address: socket.address.slice(0, 64),
    port: socket.port,
    process: socket.process === null ? null : socket.process.slice(0, 256),
    pid: socket.pid,
    exposed: !isLoopback(socket.address),
    risk: ports.get(socket.port) ?? null,
  };
}

/** One entry per protocol, address and port (ss and netstat repeat a socket per thread). */
export function uniqueServices(sockets: readonly ListeningSocket[]): ListeningService[] {
  const seen = new Map<string, ListeningService>();
  for (const socket of sockets) {
    const key = `${socket.protocol} ${socket.address} ${socket.port}`;
    if (!seen.has(key)) seen.set(key, toListeningService(socket));
  }
  return [...seen.values()].slice(0, 1024);
}
