// Realistic reports for tests and benchmarks: the shape and size of what a real agent
// sends (a performance report is about 2 KB of JSON), with ids and numbers that vary by
// seed so that many simulated agents do not all send the same bytes.
import { randomUUID } from 'node:crypto';
import { newReportId } from '../report/report-id.js';
import type { Report } from '../report/report.js';
import type { PendingUpdate } from '../report/patches.js';
import type { PerformanceSection } from '../report/performance.js';
import type { SecuritySection } from '../report/security.js';
import type { SystemSection } from '../report/system.js';

const GiB = 1024 ** 3;

export interface SampleOptions {
  agentId?: string;
  machineId?: string;
  hostname?: string;
  reportId?: string;
  collectedAt?: Date;
  /** varies the numbers; the same seed gives the same report apart from ids */
  seed?: number;
  sections?: ('system' | 'performance')[];
}

/** Deterministic 0..1 values from a seed (mulberry32), so tests stay reproducible. */
function numbers(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function samplePerformance(seed = 1): PerformanceSection {
  const next = numbers(seed);
  const total = 16 * GiB;
  const used = Math.round(total * (0.3 + next() * 0.6));
  const mounts = ['/', '/boot', '/boot/efi', '/home', '/var', '/var/lib/docker', '/srv/data'];
  return {
    intervalSeconds: 60,
    cpu: { utilisation: Math.round(next() * 1000) / 1000 },
    load: { one: next() * 4, five: next() * 3, fifteen: next() * 2 },
    memory: { totalBytes: total, usedBytes: used, availableBytes: total - used },
    swap: { totalBytes: 2 * GiB, usedBytes: Math.round(next() * 0.2 * GiB) },
    filesystems: mounts.map((mount) => {
      const size = Math.round((20 + next() * 480) * GiB);
      const usedBytes = Math.round(size * next());
      return { mount, sizeBytes: size, usedBytes, freeBytes: size - usedBytes };
    }),
    network: ['lo', 'eth0', 'eth1', 'wlan0', 'docker0', 'br-4f2a9c1d', 'tailscale0'].map(
      (name) => ({
        name,
        rxBytesPerSecond: Math.round(next() * 5_000_000),
        txBytesPerSecond: Math.round(next() * 1_000_000),
      }),
    ),
    processes: { total: 100 + Math.floor(next() * 400) },
  };
}

export function sampleSystem(hostname = 'ws-0001', seed = 1): SystemSection {
  const next = numbers(seed);
  return {
    hostname,
    fqdn: `${hostname}.corp.example`,
    timezone: 'Europe/Berlin',
    uptimeSeconds: Math.round(next() * 3_000_000),
    bootedAt: new Date(Date.now() - 86_400_000).toISOString(),
    os: {
      platform: 'linux',
      distro: 'Ubuntu',
      release: '22.04.4 LTS',
      codename: 'jammy',
      build: null,
      kernel: '5.15.0-105-generic',
      arch: 'x64',
    },
    hardware: {
      manufacturer: 'Dell Inc.',
      model: 'Latitude 5420',
      serial: `SN${Math.floor(next() * 1e8)}`,
      virtual: false,
      bios: { vendor: 'Dell Inc.', version: '1.31.0', releaseDate: '2023-09-12' },
    },
    cpu: {
      manufacturer: 'Intel',
      model: 'Core i5-1145G7',
      logicalCores: 8,
      physicalCores: 4,
      speedGhz: 2.6,
    },
    memory: { totalBytes: 16 * GiB },
    disks: [
      {
        device: '/dev/nvme0n1',
        type: 'NVMe',
        name: 'PM991a NVMe Samsung 512GB',
        vendor: 'Samsung',
        serial: 'S6FKNX0T123456',
        interface: 'PCIe',
        sizeBytes: 512_110_190_592,
      },
    ],
    disksKnown: true,
    filesystems: [{ mount: '/', device: '/dev/nvme0n1p2', fsType: 'ext4', sizeBytes: 490 * GiB }],
    network: [
      {
        name: 'eth0',
        mac: '3c:52:82:aa:bb:cc',
        ipv4: ['10.0.4.17'],
        ipv6: ['fe80::3e52:82ff:feaa:bbcc'],
        type: 'wired',
        up: true,
        virtual: false,
        speedMbps: 1000,
      },
    ],
  };
}

export function sampleReport(options: SampleOptions = {}): Report {
  const seed = options.seed ?? 1;
  const hostname = options.hostname ?? `ws-${String(seed).padStart(4, '0')}`;
  const wanted = options.sections ?? ['performance'];
  const report: Report = {
    schema: 'vcio.report/v1',
    reportId: options.reportId ?? newReportId(),
    agent: { id: options.agentId ?? randomUUID(), version: '0.1.0' },
    host: { machineId: options.machineId ?? `machine-${seed}`, hostname },
    collectedAt: (options.collectedAt ?? new Date()).toISOString(),
    sections: {},
    errors: [],
  };
  if (wanted.includes('system')) report.sections.system = sampleSystem(hostname, seed);
  if (wanted.includes('performance')) report.sections.performance = samplePerformance(seed);
  return report;
}

/** A Linux machine's security settings as a non-root agent reads them (many unknowns). */
export function sampleSecurity(): SecuritySection {
  return {
    firewall: { enabled: null, products: [], reason: 'nft list ruleset needs root (exit 1)' },
    encryption: { volumes: [], reason: 'no block devices visible in this container' },
    antimalware: { products: [], reason: null },
    automaticUpdates: {
      enabled: true,
      mechanism: 'unattended-upgrades',
      installsAutomatically: true,
      detail: null,
      reason: null,
    },
    listening: {
      services: [
        {
          protocol: 'tcp',
          address: '0.0.0.0',
          port: 22,
          process: 'sshd',
          pid: 612,
          exposed: true,
          risk: null,
        },
      ],
      reason: null,
    },
    ssh: {
      present: true,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: 'sshd -T needs root (exit 255)',
    },
    administrators: { groups: ['sudo'], members: ['alice'], reason: null },
    guest: { enabled: null, reason: 'Linux has no guest account' },
    secureBoot: { enabled: null, reason: 'mokutil is not installed' },
    timeSync: {
      synchronized: true,
      service: 'systemd-timesyncd',
      source: null,
      offsetSeconds: null,
      reason: null,
    },
  };
}

/** A pending update; what the source does not say is null. */
export function samplePendingUpdate(
  name: string,
  currentVersion: string,
  availableVersion: string,
  extra: Partial<PendingUpdate> = {},
): PendingUpdate {
  return {
    name,
    kb: null,
    currentVersion,
    availableVersion,
    security: null,
    severity: null,
    classification: null,
    advisories: [],
    restartRequired: null,
    releasedAt: null,
    ...extra,
  };
}
