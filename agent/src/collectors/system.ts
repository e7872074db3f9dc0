// Collector `system`: what the machine is.
//
// Collects: OS (platform, distro, release, codename, build, kernel, arch), hardware
//   (manufacturer, model, serial, virtual or not, BIOS vendor/version/date), CPU (model,
//   cores, nominal speed), memory size, physical disks, mounted filesystems, network
//   interfaces with MAC and addresses, hostname, FQDN, time zone, uptime and boot time.
// Platforms: Linux, Windows, macOS, FreeBSD (whatever systeminformation supports).
// Runs: no command of its own. systeminformation reads /proc, /sys and runs its own helpers
//   (Linux: lsblk, dmidecode when present; Windows: PowerShell/WMI; macOS: system_profiler,
//   ioreg). Node's os module supplies hostname, uptime, CPU count and addresses.
// Time: ~0.2 s on Linux; Windows can take several seconds (PowerShell start-up per query).
// Privileges: none required. Without root, Linux hides DMI serial numbers and some disk
//   details (they come out null), so running as root/SYSTEM gives the fullest inventory.
//
// Reading (readSystemInfo) and mapping (toSystemSection, pure) are separate: the mapping is
// tested against a recording of this function's output in test/fixtures/systeminformation/.
// Replay (--replay DIR): systeminformation cannot be pointed at recorded outputs, so when
// ctx.host supplies systemInfo() (a replay host: DIR/system.json, a RawSystemInfo) the
// collector maps that instead of reading this machine.
import os from 'node:os';
import si, { type Systeminformation } from 'systeminformation';
import type { Platform, SystemSection } from '@vcio/shared';
import type { Logger } from '../log.js';
import type { Collector } from './types.js';
import { knownBytes, knownDate, knownMac, knownPositive, knownText } from './known-values.js';

/** Everything toSystemSection needs, as read from the machine. null = that read failed. */
export interface RawSystemInfo {
  platform: string;
  arch: string;
  hostname: string;
  osInfo: Systeminformation.OsData | null;
  system: Systeminformation.SystemData | null;
  bios: Systeminformation.BiosData | null;
  cpu: Systeminformation.CpuData | null;
  mem: Systeminformation.MemData | null;
  diskLayout: Systeminformation.DiskLayoutData[] | null;
  fsSize: Systeminformation.FsSizeData[] | null;
  networkInterfaces: Systeminformation.NetworkInterfacesData[] | null;
  /** os.networkInterfaces(): every address of every interface (si keeps only the first) */
  osNetworkInterfaces: Record<string, os.NetworkInterfaceInfo[] | undefined>;
  /**
   * Same fields as si.time(), read from Node directly: si.time() runs `date` through a
   * synchronous shell on Linux and macOS, which blocks the agent's event loop.
   */
  time: {
    /** epoch ms; null only in a recording that does not say when it was taken (replay) */
    current: number | null;
    /** seconds; null when not known, as current */
    uptime: number | null;
    timezoneName: string;
  };
  /** fallbacks when systeminformation returns nothing */
  osCpuCount: number;
  osTotalMemBytes: number;
}

/** Awaits a read; a failure is logged and becomes null, so one bad source costs one field. */
async function attempt<T>(what: string, read: () => Promise<T>, logger: Logger): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    logger.warn({ err, read: what }, `system: ${what} failed`);
    return null;
  }
}

export async function readSystemInfo(logger: Logger): Promise<RawSystemInfo> {
  // In sequence, not in parallel: several of these spawn helpers (PowerShell on Windows),
  // and running them all at once costs more memory and CPU on the endpoint for no gain
  // that matters to an hourly collection.
  const osInfo = await attempt('si.osInfo()', () => si.osInfo(), logger);
  const system = await attempt('si.system()', () => si.system(), logger);
  const bios = await attempt('si.bios()', () => si.bios(), logger);
  const cpu = await attempt('si.cpu()', () => si.cpu(), logger);
  const mem = await attempt('si.mem()', () => si.mem(), logger);
  const diskLayout = await attempt('si.diskLayout()', () => si.diskLayout(), logger);
  const fsSize = await attempt('si.fsSize()', () => si.fsSize(), logger);
  const networkInterfaces = await attempt(
    'si.networkInterfaces()',
    () => si.networkInterfaces(),
    logger,
  );
  return {
    platform: process.platform,
    arch: os.arch(),
    hostname: os.hostname(),
    osInfo,
    system,
    bios,
    cpu,
    mem,
    diskLayout,
    fsSize,
    networkInterfaces: Array.isArray(networkInterfaces) ? networkInterfaces : null,
    osNetworkInterfaces: os.networkInterfaces(),
    time: {
      current: Date.now(),
      uptime: os.uptime(),
      timezoneName: Intl.DateTimeFormat().resolvedOptions().timeZone,
    },
    osCpuCount: os.availableParallelism(),
    osTotalMemBytes: os.totalmem(),
  };
}

export function toPlatform(nodePlatform: string): Platform {
  switch (nodePlatform) {
    case 'linux':
    case 'darwin':
    case 'freebsd':
      return nodePlatform;
    case 'win32':
      return 'windows';
    default:
      return 'other';
  }
}

/** The contract's CPU architecture names: x64, arm64, ia32, arm (else as the OS says). */
export function toArch(arch: string): string {
  const a = arch.trim().toLowerCase();
  if (a === 'x64' || a === 'x86_64' || a === 'amd64') return 'x64';
  if (a === 'arm64' || a === 'aarch64') return 'arm64';
  if (a === 'ia32' || a === 'x86' || /^i[3-6]86$/.test(a)) return 'ia32';
  if (a === 'arm' || /^armv\d/.test(a)) return 'arm';
  return a.slice(0, 32) || 'unknown';
}

function toUp(operstate: string | undefined): boolean | null {
  if (operstate === 'up') return true;
  if (operstate === 'down') return false;
  return null; // 'unknown', 'dormant', ...: the OS does not say
}

function networkOf(raw: RawSystemInfo): SystemSection['network'] {
  const fromSi = new Map((raw.networkInterfaces ?? []).map((n) => [n.iface, n]));
  const names = new Set([...fromSi.keys(), ...Object.keys(raw.osNetworkInterfaces)]);
  const result: SystemSection['network'] = [];
  for (const name of names) {
    const info = fromSi.get(name);
    const addresses = raw.osNetworkInterfaces[name] ?? [];
    const ipv4 = addresses.filter((a) => a.family === 'IPv4').map((a) => a.address);
    const ipv6 = addresses.filter((a) => a.family === 'IPv6').map((a) => a.address);
    if (info && ipv4.length === 0 && knownText(info.ip4)) ipv4.push(info.ip4);
    if (info && ipv6.length === 0 && knownText(info.ip6)) ipv6.push(info.ip6);
    result.push({
      name: name.slice(0, 256),
      mac: knownMac(info?.mac ?? addresses[0]?.mac),
      ipv4: ipv4.slice(0, 64),
      ipv6: ipv6.slice(0, 64),
      type: knownText(info?.type, 64),
      up: toUp(info?.operstate),
      virtual: typeof info?.virtual === 'boolean' ? info.virtual : null,
      speedMbps: knownPositive(info?.speed),
    });
  }
  return result.slice(0, 256);
}

export function toSystemSection(raw: RawSystemInfo): SystemSection {
  const { osInfo, system, bios, cpu } = raw;
  const disks = (raw.diskLayout ?? []).slice(0, 128).map((d) => ({
    device: knownText(d.device),
    type: knownText(d.type, 64),
    name: knownText(d.name),
    vendor: knownText(d.vendor),
    serial: knownText(d.serialNum),
    interface: knownText(d.interfaceType, 64),
    sizeBytes: knownPositive(d.size) === null ? null : knownBytes(d.size),
  }));
  const filesystems = (raw.fsSize ?? [])
    .filter((f) => knownText(f.mount) !== null)
    .slice(0, 256)
    .map((f) => ({
      mount: f.mount.slice(0, 512),
      device: knownText(f.fs),
      fsType: knownText(f.type, 64),
      sizeBytes: knownBytes(f.size),
    }));
  const { current, uptime } = raw.time;
  const uptimeSeconds = uptime !== null && uptime >= 0 && Number.isFinite(uptime) ? uptime : null;
  // Whole seconds: uptime and "now" are read at slightly different moments, and a boot
  // time that wobbles by milliseconds between reports would look like a change.
  const bootedAt =
    uptimeSeconds === null || current === null
      ? null
      : new Date(Math.round((current - uptimeSeconds * 1000) / 1000) * 1000).toISOString();
  const logicalCores = cpu && cpu.cores >= 1 ? cpu.cores : Math.max(1, raw.osCpuCount);
  const physicalCores =
    cpu && Number.isInteger(cpu.physicalCores) && cpu.physicalCores >= 1 ? cpu.physicalCores : null;
  return {
    hostname: (knownText(raw.hostname, 255) ?? knownText(osInfo?.hostname, 255) ?? 'unknown').slice(
      0,
      255,
    ),
    fqdn: knownText(osInfo?.fqdn, 255),
    timezone: knownText(raw.time.timezoneName, 128),
    uptimeSeconds,
    bootedAt,
    os: {
      platform: toPlatform(raw.platform),
      distro: knownText(osInfo?.distro),
      release: knownText(osInfo?.release, 128),
      codename: knownText(osInfo?.codename, 128),
      build: knownText(osInfo?.build, 128),
      kernel: knownText(osInfo?.kernel, 128),
      arch: toArch(knownText(osInfo?.arch, 32) ?? raw.arch),
    },
    hardware: {
      manufacturer: knownText(system?.manufacturer),
      model: knownText(system?.model),
      serial: knownText(system?.serial),
      virtual: typeof system?.virtual === 'boolean' ? system.virtual : null,
      bios: {
        vendor: knownText(bios?.vendor),
        version: knownText(bios?.version),
        releaseDate: knownDate(bios?.releaseDate),
      },
    },
    cpu: {
      manufacturer: knownText(cpu?.manufacturer),
      model: knownText(cpu?.brand),
      logicalCores,
      physicalCores,
      speedGhz: knownPositive(cpu?.speed),
    },
    memory: { totalBytes: knownBytes(raw.mem?.total) || raw.osTotalMemBytes },
    disks,
    // An empty layout is what containers and some VMs give: it says nothing about disks.
    disksKnown: disks.length > 0,
    filesystems,
    network: networkOf(raw),
  };
}

export function createSystemCollector(): Collector<'system'> {
  return {
    name: 'system',
    cadenceSeconds: 3600,
    platforms: ['linux', 'win32', 'darwin', 'freebsd'],
    timeoutSeconds: 60,
    async collect(ctx) {
      const raw = ctx.host.systemInfo
        ? await ctx.host.systemInfo()
        : await readSystemInfo(ctx.logger);
      return toSystemSection(raw);
    },
  };
}
