// The `system` section: what the machine is. Collected hourly and on start.
import { Type, type Static } from '@sinclair/typebox';
import { Bytes, List, NonNegative, Text, Timestamp, Unknown } from './common.js';

export const Platform = Type.Union([
  Type.Literal('linux'),
  Type.Literal('windows'),
  Type.Literal('darwin'),
  Type.Literal('freebsd'),
  Type.Literal('other'),
]);
export type Platform = Static<typeof Platform>;

export const OsInfo = Type.Object({
  platform: Platform,
  /** e.g. "Debian GNU/Linux", "Microsoft Windows 11 Pro", "macOS" */
  distro: Unknown(Text()),
  /** e.g. "12", "10.0.22631", "14.4.1" */
  release: Unknown(Text(128)),
  codename: Unknown(Text(128)),
  /** OS build number where the OS has one (Windows build, macOS build, e.g. "23E224") */
  build: Unknown(Text(128)),
  kernel: Unknown(Text(128)),
  /** CPU architecture as the OS reports it, normalised: x64, arm64, ia32, arm */
  arch: Text(32),
});
export type OsInfo = Static<typeof OsInfo>;

export const HardwareInfo = Type.Object({
  manufacturer: Unknown(Text()),
  model: Unknown(Text()),
  serial: Unknown(Text()),
  /** true when the OS says it runs in a VM or container; null when it cannot tell */
  virtual: Unknown(Type.Boolean()),
  bios: Type.Object({
    vendor: Unknown(Text()),
    version: Unknown(Text()),
    /** firmware release date (YYYY-MM-DD): the best proxy for hardware age */
    releaseDate: Unknown(Type.String({ format: 'date', maxLength: 10 })),
  }),
});
export type HardwareInfo = Static<typeof HardwareInfo>;

export const CpuInfo = Type.Object({
  manufacturer: Unknown(Text()),
  model: Unknown(Text()),
  logicalCores: Type.Integer({ minimum: 1 }),
  physicalCores: Unknown(Type.Integer({ minimum: 1 })),
  /** nominal speed; unknown on many VMs and containers, which report 0 */
  speedGhz: Unknown(NonNegative),
});

export const PhysicalDisk = Type.Object({
  device: Unknown(Text()),
  type: Unknown(Text(64)),
  name: Unknown(Text()),
  vendor: Unknown(Text()),
  serial: Unknown(Text()),
  interface: Unknown(Text(64)),
  sizeBytes: Unknown(Bytes),
});

export const Filesystem = Type.Object({
  mount: Text(),
  device: Unknown(Text()),
  fsType: Unknown(Text(64)),
  sizeBytes: Unknown(Bytes),
});

export const NetworkInterface = Type.Object({
  name: Text(256),
  mac: Unknown(Text(64)),
  ipv4: List(Text(64), 64),
  ipv6: List(Text(128), 64),
  type: Unknown(Text(64)),
  up: Unknown(Type.Boolean()),
  virtual: Unknown(Type.Boolean()),
  speedMbps: Unknown(NonNegative),
});

export const SystemSection = Type.Object({
  hostname: Text(255),
  fqdn: Unknown(Text(255)),
  /** IANA zone, e.g. "Europe/Berlin" */
  timezone: Unknown(Text(128)),
  uptimeSeconds: Unknown(NonNegative),
  bootedAt: Unknown(Timestamp),
  os: OsInfo,
  hardware: HardwareInfo,
  cpu: CpuInfo,
  memory: Type.Object({ totalBytes: Bytes }),
  /** physical disks; empty when the OS exposes none (containers), see disksKnown */
  disks: List(PhysicalDisk, 128),
  /** false when the disk layout could not be read: an empty list then means unknown */
  disksKnown: Type.Boolean(),
  filesystems: List(Filesystem, 256),
  network: List(NetworkInterface, 256),
});
export type SystemSection = Static<typeof SystemSection>;
