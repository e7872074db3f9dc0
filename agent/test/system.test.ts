import { SystemSection } from '@vcio/shared';
import t from 'tap';
import {
  toArch,
  toPlatform,
  toSystemSection,
  type RawSystemInfo,
} from '../src/collectors/system.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const recorded = (): RawSystemInfo =>
  JSON.parse(readFixture('systeminformation/linux-debian-container.json')) as RawSystemInfo;

t.test('maps the recording from a Debian container', async (t) => {
  const section = toSystemSection(recorded());
  t.same(contractErrors(SystemSection, section), []);
  t.equal(section.hostname, 'vm');
  t.equal(section.fqdn, 'vm');
  t.equal(section.timezone, 'UTC');
  t.equal(section.uptimeSeconds, recorded().time.uptime);
  t.match(section.bootedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  t.same(section.os, {
    platform: 'linux',
    distro: 'Debian GNU/Linux',
    release: '12',
    codename: 'bookworm',
    build: null,
    kernel: '6.18.44-fc-v657',
    arch: 'x64',
  });
  t.same(section.hardware, {
    manufacturer: null,
    model: 'Docker Container',
    serial: null,
    virtual: true,
    bios: { vendor: null, version: null, releaseDate: null },
  });
  t.same(section.cpu, {
    manufacturer: 'Intel',
    model: 'Xeon® Processor',
    logicalCores: 2,
    physicalCores: 2,
    speedGhz: null,
  });
  t.equal(section.memory.totalBytes, 25276510208);
  t.same(section.disks, []);
  t.equal(section.disksKnown, false, 'an empty disk layout says nothing about disks');
  t.same(section.filesystems, [
    { mount: '/', device: '/dev/vda', fsType: 'ext4', sizeBytes: 270553174016 },
  ]);
  t.same(section.network, [
    {
      name: 'lo',
      mac: null,
      ipv4: ['127.0.0.1'],
      ipv6: ['::1'],
      type: 'virtual',
      up: null,
      virtual: false,
      speedMbps: null,
    },
    {
      name: 'eth0',
      mac: '02:fc:00:00:00:01',
      ipv4: ['192.0.2.2'],
      ipv6: ['fd00::2', 'fe80::fc:ff:fe00:1'],
      type: 'wired',
      up: true,
      virtual: false,
      speedMbps: null,
    },
  ]);
});

t.test('a real PC: disks, BIOS date, serials and link speed come through', async (t) => {
  const raw = recorded();
  raw.system = {
    manufacturer: 'Dell Inc.',
    model: 'OptiPlex 7090',
    version: '',
    serial: 'JH7XYZ3',
    uuid: '',
    sku: '',
    virtual: false,
  };
  raw.bios = { vendor: 'Dell Inc.', version: '1.21.0', releaseDate: '2023-08-10', revision: '' };
  raw.diskLayout = [
    {
      device: '/dev/nvme0n1',
      type: 'NVMe',
      name: 'PC SN810 NVMe WDC 512GB',
      vendor: 'Western Digital',
      size: 512110190592,
      bytesPerSector: 512,
      totalCylinders: 0,
      totalHeads: 0,
      totalSectors: 0,
      totalTracks: 0,
      tracksPerCylinder: 0,
      sectorsPerTrack: 0,
      firmwareRevision: '',
      serialNum: '22160A800123',
      interfaceType: 'PCIe',
      smartStatus: 'Ok',
      temperature: null,
    },
  ];
  raw.networkInterfaces![1]!.speed = 1000;
  raw.networkInterfaces![1]!.operstate = 'down';
  raw.cpu!.speed = 2.5;
  const section = toSystemSection(raw);
  t.same(contractErrors(SystemSection, section), []);
  t.equal(section.hardware.serial, 'JH7XYZ3');
  t.equal(section.hardware.virtual, false);
  t.same(section.hardware.bios, {
    vendor: 'Dell Inc.',
    version: '1.21.0',
    releaseDate: '2023-08-10',
  });
  t.equal(section.disksKnown, true);
  t.same(section.disks, [
    {
      device: '/dev/nvme0n1',
      type: 'NVMe',
      name: 'PC SN810 NVMe WDC 512GB',
      vendor: 'Western Digital',
      serial: '22160A800123',
      interface: 'PCIe',
      sizeBytes: 512110190592,
    },
  ]);
  t.equal(section.network[1]?.speedMbps, 1000);
  t.equal(section.network[1]?.up, false);
  t.equal(section.cpu.speedGhz, 2.5);
});

t.test('failed reads fall back to Node facts or null, never to zero', async (t) => {
  const raw = recorded();
  raw.osInfo = null;
  raw.system = null;
  raw.bios = null;
  raw.cpu = null;
  raw.mem = null;
  raw.diskLayout = null;
  raw.fsSize = null;
  raw.networkInterfaces = null;
  raw.osNetworkInterfaces = { eth0: raw.osNetworkInterfaces.eth0 };
  raw.time.uptime = Number.NaN;
  const section = toSystemSection(raw);
  t.same(contractErrors(SystemSection, section), []);
  t.equal(section.os.arch, 'x64', 'from os.arch()');
  t.equal(section.os.distro, null);
  t.equal(section.cpu.logicalCores, raw.osCpuCount);
  t.equal(section.cpu.physicalCores, null);
  t.equal(section.memory.totalBytes, raw.osTotalMemBytes);
  t.equal(section.uptimeSeconds, null);
  t.equal(section.bootedAt, null);
  t.equal(section.disksKnown, false);
  t.same(section.filesystems, []);
  t.same(section.network, [
    {
      name: 'eth0',
      mac: '02:fc:00:00:00:01',
      ipv4: ['192.0.2.2'],
      ipv6: ['fd00::2', 'fe80::fc:ff:fe00:1'],
      type: null,
      up: null,
      virtual: null,
      speedMbps: null,
    },
  ]);
});

t.test('an interface only systeminformation knows keeps its one address', async (t) => {
  const raw = recorded();
  raw.osNetworkInterfaces = {};
  const section = toSystemSection(raw);
  t.same(section.network.find((n) => n.name === 'eth0')?.ipv4, ['192.0.2.2']);
  t.same(section.network.find((n) => n.name === 'eth0')?.ipv6, ['fd00::2']);
});

t.test('bounded lists stay within the contract', async (t) => {
  const raw = recorded();
  raw.fsSize = Array.from({ length: 300 }, (_, i) => ({
    fs: `tmpfs${i}`,
    type: 'tmpfs',
    size: 1,
    used: 0,
    available: 1,
    use: 0,
    mount: `/m/${i}`,
    rw: true,
  }));
  raw.fsSize.push({
    fs: 'x',
    type: 'x',
    size: 1,
    used: 0,
    available: 1,
    use: 0,
    mount: '',
    rw: true,
  });
  const section = toSystemSection(raw);
  t.equal(section.filesystems.length, 256);
  t.same(contractErrors(SystemSection, section), []);
});

t.test('platform and architecture names', async (t) => {
  t.equal(toPlatform('linux'), 'linux');
  t.equal(toPlatform('win32'), 'windows');
  t.equal(toPlatform('darwin'), 'darwin');
  t.equal(toPlatform('freebsd'), 'freebsd');
  t.equal(toPlatform('sunos'), 'other');
  for (const [given, expected] of [
    ['x64', 'x64'],
    ['x86_64', 'x64'],
    ['AMD64', 'x64'],
    ['arm64', 'arm64'],
    ['aarch64', 'arm64'],
    ['ia32', 'ia32'],
    ['x86', 'ia32'],
    ['i686', 'ia32'],
    ['armv7l', 'arm'],
    ['arm', 'arm'],
    ['riscv64', 'riscv64'],
    ['', 'unknown'],
  ] as const) {
    t.equal(toArch(given), expected, given);
  }
});
