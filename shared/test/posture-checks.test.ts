// Every posture check, table-driven: a healthy host passes on every platform the check
// covers; each row then breaks one fact and says what the check must answer. Built from
// realistic section objects (the sample system/performance plus small builders below).
import t from 'tap';
import { samplePerformance, sampleSystem } from '../src/testing/sample-report.js';
import {
  CHECKS,
  findCheck,
  type Check,
  type CheckPlatform,
  type EvaluationStatus,
  type HostPostureInput,
  type PatchesSection,
  type PendingUpdate,
  type SecuritySection,
  type Thresholds,
  resolveThresholds,
} from '../src/index.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const daysAgo = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const GiB = 1024 ** 3;

function goodSecurity(platform: CheckPlatform): SecuritySection {
  const windows = platform === 'windows';
  return {
    firewall: {
      enabled: true,
      reason: null,
      products: windows
        ? ['domain', 'private', 'public'].map((profile) => ({
            name: 'windows-firewall',
            profile,
            enabled: true,
            defaultInbound: 'block' as const,
            detail: null,
          }))
        : [
            {
              name: platform === 'darwin' ? 'macos-application-firewall' : 'ufw',
              profile: null,
              enabled: true,
              defaultInbound: 'block',
              detail: null,
            },
          ],
    },
    encryption: {
      reason: null,
      volumes: [
        {
          mount: windows ? 'C:' : '/',
          device: windows ? null : '/dev/mapper/root',
          system: true,
          encrypted: true,
          method: windows ? 'XtsAes128' : platform === 'darwin' ? 'FileVault' : 'LUKS2',
          protectionOn: windows ? true : null,
          percentEncrypted: 100,
        },
        {
          mount: windows ? 'D:' : '/srv',
          device: null,
          system: false,
          encrypted: true,
          method: null,
          protectionOn: null,
          percentEncrypted: null,
        },
      ],
    },
    antimalware: {
      reason: null,
      products: [
        {
          name: windows ? 'Microsoft Defender Antivirus' : 'SentinelOne',
          enabled: true,
          realTimeProtection: true,
          signatureVersion: '1.421.1.0',
          signaturesUpdatedAt: daysAgo(1),
          upToDate: true,
        },
      ],
    },
    automaticUpdates: {
      reason: null,
      enabled: true,
      mechanism: windows ? 'windows-update-policy' : 'unattended-upgrades',
      installsAutomatically: true,
      detail: null,
    },
    listening: {
      reason: null,
      services: [
        {
          protocol: 'tcp',
          address: '0.0.0.0',
          port: 22,
          process: 'sshd',
          pid: 812,
          exposed: true,
          risk: null,
        },
        {
          protocol: 'tcp',
          address: '127.0.0.1',
          port: 3389,
          process: 'xrdp',
          pid: 900,
          exposed: false,
          risk: 'rdp',
        },
      ],
    },
    ssh: { reason: null, present: true, permitRootLogin: 'no', passwordAuthentication: false },
    administrators: {
      reason: null,
      groups: [windows ? 'Administrators' : 'sudo'],
      members: ['it-admin', 'alice'],
    },
    guest: { reason: null, enabled: false },
    secureBoot: { reason: null, enabled: true },
    timeSync: {
      reason: null,
      synchronized: true,
      service: 'chronyd',
      source: 'pool.ntp.org',
      offsetSeconds: 0.002,
    },
  };
}

const update = (over: Partial<PendingUpdate> = {}): PendingUpdate => ({
  name: 'openssl',
  kb: null,
  currentVersion: '3.0.2-0ubuntu1.15',
  availableVersion: '3.0.2-0ubuntu1.18',
  security: true,
  severity: 'important',
  classification: 'jammy-security',
  advisories: ['USN-7000-1'],
  restartRequired: false,
  releasedAt: daysAgo(2),
  ...over,
});

function goodPatches(platform: CheckPlatform): PatchesSection {
  const manager =
    platform === 'windows' ? 'windows-update' : platform === 'darwin' ? 'softwareupdate' : 'apt';
  return {
    sources: [
      {
        manager,
        checkedAt: daysAgo(0.1),
        durationSeconds: 4.2,
        ok: true,
        error: null,
        pending: [],
        pendingCount: 0,
        securityCount: 0,
        lastInstallAt: daysAgo(3),
      },
    ],
    rebootRequired: false,
    rebootReasons: [],
  };
}

/** A fully reported, healthy host; `mutate` breaks what a row is about. */
function host(
  platform: CheckPlatform,
  mutate: (h: HostPostureInput) => void = () => {},
): HostPostureInput {
  const system = sampleSystem('host-1', 7);
  system.os.platform = platform;
  system.bootedAt = daysAgo(2);
  const performance = samplePerformance(7);
  performance.filesystems = [
    { mount: '/', sizeBytes: 100 * GiB, usedBytes: 40 * GiB, freeBytes: 60 * GiB },
  ];
  const input: HostPostureInput = {
    platform,
    role: 'workstation',
    now: NOW,
    lastSeenAt: new Date(NOW.getTime() - 3_600_000),
    sections: {
      system,
      performance,
      patches: goodPatches(platform),
      security: goodSecurity(platform),
      outbox: { queued: 0, dropped: 0 },
    },
    lifecycle: {
      os: { state: 'supported', eol: '2027-04-01', product: 'Ubuntu 22.04' },
      hardware: { ageYears: 3.2, replaceAfterYears: 5 },
    },
  };
  mutate(input);
  return input;
}

const sec = (h: HostPostureInput): SecuritySection => h.sections.security!;
const pat = (h: HostPostureInput): PatchesSection => h.sections.patches!;
const PLATFORMS: CheckPlatform[] = ['linux', 'windows', 'darwin'];

t.test(
  'a healthy, fully reported host passes every check on every platform it covers',
  async (t) => {
    for (const platform of PLATFORMS) {
      for (const check of CHECKS.filter((c) => c.platforms.includes(platform))) {
        const e = check.evaluate(host(platform));
        t.equal(e.status, 'pass', `${check.id} on ${platform}: ${e.evidence}`);
        t.equal(e.credit, 1);
        t.ok(e.evidence.length > 0, 'says what it used');
      }
    }
  },
);

t.test('with nothing reported every check is unknown and says what is missing', async (t) => {
  for (const platform of PLATFORMS) {
    for (const check of CHECKS.filter((c) => c.platforms.includes(platform))) {
      const e = check.evaluate({ platform, role: null, now: NOW, lastSeenAt: null, sections: {} });
      t.equal(e.status, 'unknown', `${check.id} on ${platform}`);
      t.equal(e.credit, 0);
      t.match(e.missing, /\w/, `${check.id} names the missing input`);
    }
  }
});

t.test('off its platforms a check is not applicable, whatever the data', async (t) => {
  for (const check of CHECKS) {
    for (const platform of ['freebsd', 'other', ...PLATFORMS] as const) {
      if ((check.platforms as readonly string[]).includes(platform)) continue;
      const input = { ...host('linux'), platform };
      t.equal(check.evaluate(input).status, 'not_applicable', `${check.id} on ${platform}`);
    }
  }
});

interface Row {
  id: string;
  name: string;
  platforms?: CheckPlatform[];
  mutate: (h: HostPostureInput) => void;
  status: EvaluationStatus;
  credit?: number;
  evidence?: RegExp;
  thresholds?: Partial<Thresholds>;
}

const rows: Row[] = [
  // patching
  {
    id: 'patch-critical-pending',
    name: 'a critical update pending fails',
    status: 'fail',
    evidence: /1 critical pending: KB5034441/,
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ severity: 'critical', kb: 'KB5034441' })];
    },
  },
  {
    id: 'patch-critical-pending',
    name: 'an important update is not critical',
    status: 'pass',
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update()];
    },
  },
  {
    id: 'patch-critical-pending',
    name: 'no source answering is unknown, not zero pending',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(pat(h).sources[0]!, {
        ok: false,
        error: 'Could not get lock /var/lib/dpkg/lock-frontend',
      });
    },
  },
  {
    id: 'patch-critical-pending',
    name: 'a source with no error text is still unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(pat(h).sources[0]!, { ok: false, error: null });
    },
  },
  {
    id: 'patch-critical-pending',
    name: 'no source at all is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources = [];
    },
  },
  {
    id: 'patch-critical-pending',
    name: 'a pass says when some sources did not answer',
    status: 'pass',
    evidence: /some sources did not answer/,
    mutate: (h) => {
      pat(h).sources.push({ ...pat(h).sources[0]!, manager: 'dnf', ok: false, error: 'timeout' });
    },
  },
  {
    id: 'patch-security-pending',
    name: 'a pending security update fails, listing at most five',
    status: 'fail',
    evidence: /7 security.*and 2 more/,
    mutate: (h) => {
      pat(h).sources[0]!.pending = Array.from({ length: 7 }, (_, i) => update({ name: `pkg${i}` }));
    },
  },
  {
    id: 'patch-security-pending',
    name: 'a security count beyond the cut list fails',
    status: 'fail',
    evidence: /40 security/,
    mutate: (h) => {
      pat(h).sources[0]!.securityCount = 40;
    },
  },
  {
    id: 'patch-security-pending',
    name: 'a source that does not count security updates is judged by its list',
    status: 'pass',
    mutate: (h) => {
      Object.assign(pat(h).sources[0]!, {
        securityCount: null,
        pending: [update({ security: false, severity: 'low' })],
      });
    },
  },
  {
    id: 'patch-security-pending',
    name: 'non-security updates pass',
    status: 'pass',
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ security: false, severity: null })];
    },
  },
  {
    id: 'patch-security-pending',
    name: 'no source answering is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources[0]!.ok = false;
    },
  },
  {
    id: 'patch-security-pending-14d',
    name: 'a security update released 20 days ago fails',
    status: 'fail',
    evidence: /over 14 days/,
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ releasedAt: daysAgo(20) })];
    },
  },
  {
    id: 'patch-security-pending-14d',
    name: 'released 10 days ago passes',
    status: 'pass',
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ releasedAt: daysAgo(10) })];
    },
  },
  {
    id: 'patch-security-pending-14d',
    name: 'the tenant threshold is honoured',
    status: 'fail',
    thresholds: { securityPendingDays: 7 },
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ releasedAt: daysAgo(10) })];
    },
  },
  {
    id: 'patch-security-pending-14d',
    name: 'a security update without a release date is unknown, not a pass',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources[0]!.pending = [update({ releasedAt: null })];
    },
  },
  {
    id: 'patch-security-pending-14d',
    name: 'no source answering is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources[0]!.ok = false;
    },
  },
  {
    id: 'patch-no-install-30d',
    name: 'last install 45 days ago fails',
    status: 'fail',
    evidence: /45 days ago/,
    mutate: (h) => {
      pat(h).sources[0]!.lastInstallAt = daysAgo(45);
    },
  },
  {
    id: 'patch-no-install-30d',
    name: 'the newest install of all sources counts',
    status: 'pass',
    mutate: (h) => {
      pat(h).sources[0]!.lastInstallAt = daysAgo(45);
      pat(h).sources.push({ ...pat(h).sources[0]!, lastInstallAt: daysAgo(1) });
    },
  },
  {
    id: 'patch-no-install-30d',
    name: 'no source knowing its last install is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources[0]!.lastInstallAt = null;
    },
  },
  {
    id: 'patch-reboot-pending',
    name: 'pending since a boot 2 days ago is partial',
    status: 'partial',
    credit: 0.5,
    evidence: /at most 2 days: linux-image/,
    mutate: (h) => {
      Object.assign(pat(h), {
        rebootRequired: true,
        rebootReasons: ['linux-image-5.15.0-107-generic'],
      });
    },
  },
  {
    id: 'patch-reboot-pending',
    name: 'pending on a machine up for 30 days fails',
    status: 'fail',
    evidence: /longer than 7 days$/,
    mutate: (h) => {
      pat(h).rebootRequired = true;
      h.sections.system!.bootedAt = daysAgo(30);
    },
  },
  {
    id: 'patch-reboot-pending',
    name: 'pending with no boot time known fails',
    status: 'fail',
    mutate: (h) => {
      pat(h).rebootRequired = true;
      h.sections.system!.bootedAt = null;
    },
  },
  {
    id: 'patch-reboot-pending',
    name: 'reboot state unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).rebootRequired = null;
    },
  },
  {
    id: 'patch-source-failing',
    name: 'one of two sources failing is partial',
    status: 'partial',
    credit: 0.5,
    evidence: /dnf \(Cannot download repomd.xml\)/,
    mutate: (h) => {
      pat(h).sources.push({
        ...pat(h).sources[0]!,
        manager: 'dnf',
        ok: false,
        error: 'Cannot download repomd.xml',
      });
    },
  },
  {
    id: 'patch-source-failing',
    name: 'the only source failing fails',
    status: 'fail',
    evidence: /no error given/,
    mutate: (h) => {
      Object.assign(pat(h).sources[0]!, { ok: false, error: null });
    },
  },
  {
    id: 'patch-source-failing',
    name: 'no source at all is unknown',
    status: 'unknown',
    mutate: (h) => {
      pat(h).sources = [];
    },
  },
  {
    id: 'patch-automatic-updates-off',
    name: 'automatic updates off fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).automaticUpdates.enabled = false;
    },
  },
  {
    id: 'patch-automatic-updates-off',
    name: 'notify only is partial',
    status: 'partial',
    credit: 0.5,
    mutate: (h) => {
      sec(h).automaticUpdates.installsAutomatically = false;
    },
  },
  {
    id: 'patch-automatic-updates-off',
    name: 'install mode unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).automaticUpdates, { installsAutomatically: null, mechanism: null });
    },
  },
  {
    id: 'patch-automatic-updates-off',
    name: 'state unreadable is unknown with the reason',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).automaticUpdates, { enabled: null, reason: 'registry key missing' });
    },
  },
  {
    id: 'patch-automatic-updates-off',
    name: 'state unreadable without a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).automaticUpdates.enabled = null;
    },
  },
  // protection
  {
    id: 'antimalware-absent-or-disabled',
    name: 'no product read in full fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).antimalware.products = [];
    },
  },
  {
    id: 'antimalware-absent-or-disabled',
    name: 'no product with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).antimalware, {
        products: [],
        reason: 'Get-MpComputerStatus: access denied',
      });
    },
  },
  {
    id: 'antimalware-absent-or-disabled',
    name: 'every product disabled fails',
    status: 'fail',
    evidence: /off/,
    mutate: (h) => {
      sec(h).antimalware.products[0]!.enabled = false;
    },
  },
  {
    id: 'antimalware-absent-or-disabled',
    name: 'product state unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.enabled = null;
    },
  },
  {
    id: 'antimalware-absent-or-disabled',
    name: 'product state unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.enabled = null;
      sec(h).antimalware.reason = 'wmi timeout';
    },
  },
  {
    id: 'antimalware-realtime-off',
    name: 'real-time off fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.realTimeProtection = false;
    },
  },
  {
    id: 'antimalware-realtime-off',
    name: 'real-time unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.realTimeProtection = null;
    },
  },
  {
    id: 'antimalware-realtime-off',
    name: 'no enabled product is not applicable (the absent check fails instead)',
    status: 'not_applicable',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.enabled = false;
    },
  },
  {
    id: 'antimalware-realtime-off',
    name: 'products unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).antimalware, { products: [], reason: 'needs admin' });
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'signatures 5 days old fail',
    status: 'fail',
    evidence: /5\.0 days old/,
    mutate: (h) => {
      sec(h).antimalware.products[0]!.signaturesUpdatedAt = daysAgo(5);
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'the tenant threshold is honoured',
    status: 'pass',
    thresholds: { signatureMaxAgeDays: 7 },
    mutate: (h) => {
      sec(h).antimalware.products[0]!.signaturesUpdatedAt = daysAgo(5);
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'no date but the product says up to date passes',
    status: 'pass',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.signaturesUpdatedAt = null;
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'no date and the product says out of date fails',
    status: 'fail',
    mutate: (h) => {
      Object.assign(sec(h).antimalware.products[0]!, {
        signaturesUpdatedAt: null,
        upToDate: false,
      });
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'neither date nor verdict is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).antimalware.products[0]!, { signaturesUpdatedAt: null, upToDate: null });
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'no enabled product is not applicable',
    status: 'not_applicable',
    mutate: (h) => {
      sec(h).antimalware.products[0]!.enabled = false;
    },
  },
  {
    id: 'antimalware-signatures-stale',
    name: 'products unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).antimalware, { products: [], reason: 'needs admin' });
    },
  },
  {
    id: 'firewall-off',
    name: 'one Windows profile off is partial by share',
    platforms: ['windows'],
    status: 'partial',
    credit: 2 / 3,
    evidence: /public: off/,
    mutate: (h) => {
      sec(h).firewall.products[2]!.enabled = false;
    },
  },
  {
    id: 'firewall-off',
    name: 'every Windows profile off fails',
    platforms: ['windows'],
    status: 'fail',
    mutate: (h) => {
      for (const p of sec(h).firewall.products) p.enabled = false;
    },
  },
  {
    id: 'firewall-off',
    name: 'a Windows profile unreadable is unknown',
    platforms: ['windows'],
    status: 'unknown',
    mutate: (h) => {
      sec(h).firewall.products[0]!.enabled = null;
    },
  },
  {
    id: 'firewall-off',
    name: 'a Windows profile unreadable with a reason is unknown',
    platforms: ['windows'],
    status: 'unknown',
    mutate: (h) => {
      sec(h).firewall.products[0]!.enabled = null;
      sec(h).firewall.reason = 'Get-NetFirewallProfile failed';
    },
  },
  {
    id: 'firewall-off',
    name: 'firewall off fails',
    platforms: ['linux', 'darwin'],
    status: 'fail',
    mutate: (h) => {
      sec(h).firewall.enabled = false;
    },
  },
  {
    id: 'firewall-off',
    name: 'off with no product named fails',
    platforms: ['linux'],
    status: 'fail',
    evidence: /no product named/,
    mutate: (h) => {
      Object.assign(sec(h).firewall, { enabled: false, products: [] });
    },
  },
  {
    id: 'firewall-off',
    name: 'state unreadable is unknown',
    platforms: ['linux', 'darwin'],
    status: 'unknown',
    mutate: (h) => {
      sec(h).firewall.enabled = null;
    },
  },
  {
    id: 'firewall-off',
    name: 'state unreadable with a reason is unknown',
    platforms: ['linux'],
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).firewall, { enabled: null, reason: 'needs root: nft list ruleset' });
    },
  },
  {
    id: 'secure-boot-off',
    name: 'Secure Boot off fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).secureBoot.enabled = false;
    },
  },
  {
    id: 'secure-boot-off',
    name: 'unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).secureBoot.enabled = null;
    },
  },
  {
    id: 'secure-boot-off',
    name: 'unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).secureBoot, { enabled: null, reason: 'legacy BIOS boot' });
    },
  },
  // encryption
  {
    id: 'encryption-os-disk',
    name: 'the system volume not encrypted fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.encrypted = false;
    },
  },
  {
    id: 'encryption-os-disk',
    name: 'still encrypting is partial by percent',
    status: 'partial',
    credit: 0.4,
    mutate: (h) => {
      Object.assign(sec(h).encryption.volumes[0]!, { percentEncrypted: 40, method: null });
    },
  },
  {
    id: 'encryption-os-disk',
    name: 'state unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.encrypted = null;
    },
  },
  {
    id: 'encryption-os-disk',
    name: 'no volume marked as system is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.system = null;
    },
  },
  {
    id: 'encryption-os-disk',
    name: 'no volume with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).encryption, { volumes: [], reason: 'needs root: lsblk' });
    },
  },
  {
    id: 'encryption-os-disk',
    name: 'a volume without a mount is named by device',
    status: 'fail',
    evidence: /^\/dev\/sda2 not/,
    mutate: (h) => {
      Object.assign(sec(h).encryption.volumes[0]!, {
        mount: null,
        device: '/dev/sda2',
        encrypted: false,
      });
    },
  },
  {
    id: 'encryption-all-fixed-volumes',
    name: 'one of two volumes plain is partial',
    status: 'partial',
    credit: 0.5,
    mutate: (h) => {
      sec(h).encryption.volumes[1]!.encrypted = false;
    },
  },
  {
    id: 'encryption-all-fixed-volumes',
    name: 'every volume plain fails',
    status: 'fail',
    evidence: /a volume/,
    mutate: (h) => {
      for (const v of sec(h).encryption.volumes)
        Object.assign(v, { encrypted: false, mount: null, device: null });
    },
  },
  {
    id: 'encryption-all-fixed-volumes',
    name: 'one volume unreadable is unknown, not a pass',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes[1]!.encrypted = null;
    },
  },
  {
    id: 'encryption-all-fixed-volumes',
    name: 'no volume reported is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes = [];
    },
  },
  {
    id: 'encryption-bitlocker-suspended',
    name: 'protection suspended fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.protectionOn = false;
    },
  },
  {
    id: 'encryption-bitlocker-suspended',
    name: 'protection state unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.protectionOn = null;
    },
  },
  {
    id: 'encryption-bitlocker-suspended',
    name: 'an unencrypted C: is not applicable (encryption-os-disk fails)',
    status: 'not_applicable',
    mutate: (h) => {
      sec(h).encryption.volumes[0]!.encrypted = false;
    },
  },
  {
    id: 'encryption-bitlocker-suspended',
    name: 'volumes unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).encryption.volumes = [];
    },
  },
  // exposure
  ...(['rdp', 'smb', 'telnet', 'ftp', 'vnc', 'netbios'] as const).flatMap((risk): Row[] => {
    const id = risk === 'netbios' ? 'exposure-other-risky-service' : `exposure-${risk}`;
    return [
      {
        id,
        name: `${risk} on 0.0.0.0 fails`,
        status: 'fail',
        evidence: /tcp\/\d+ on 0\.0\.0\.0 \(svc\)/,
        mutate: (h) => {
          sec(h).listening.services.push({
            protocol: 'tcp',
            address: '0.0.0.0',
            port: 1000,
            process: 'svc',
            pid: 1,
            exposed: true,
            risk,
          });
        },
      },
      {
        id,
        name: `${risk} on loopback only passes`,
        status: 'pass',
        mutate: (h) => {
          sec(h).listening.services.push({
            protocol: 'tcp',
            address: '127.0.0.1',
            port: 1000,
            process: null,
            pid: null,
            exposed: false,
            risk,
          });
        },
      },
      {
        id,
        name: `${risk} not found in a partial read is unknown`,
        status: 'unknown',
        mutate: (h) => {
          sec(h).listening.reason = 'some processes not visible without root';
        },
      },
    ];
  }),
  {
    id: 'exposure-rdp',
    name: 'an exposed RDP found in a partial read still fails',
    status: 'fail',
    evidence: /3389 on 10\.0\.4\.17$/,
    mutate: (h) => {
      sec(h).listening.reason = 'partial';
      sec(h).listening.services.push({
        protocol: 'tcp',
        address: '10.0.4.17',
        port: 3389,
        process: null,
        pid: null,
        exposed: true,
        risk: 'RDP',
      });
    },
  },
  {
    id: 'exposure-rdp',
    name: 'another risk class does not fail RDP',
    status: 'pass',
    mutate: (h) => {
      sec(h).listening.services.push({
        protocol: 'tcp',
        address: '0.0.0.0',
        port: 445,
        process: null,
        pid: null,
        exposed: true,
        risk: 'smb',
      });
    },
  },
  {
    id: 'exposure-other-risky-service',
    name: 'a named risk class is not "other"',
    status: 'pass',
    mutate: (h) => {
      sec(h).listening.services.push({
        protocol: 'tcp',
        address: '0.0.0.0',
        port: 23,
        process: null,
        pid: null,
        exposed: true,
        risk: 'telnet',
      });
    },
  },
  {
    id: 'exposure-firewall-default-inbound-allow',
    name: 'default inbound allow fails',
    platforms: ['linux', 'darwin'],
    status: 'fail',
    mutate: (h) => {
      sec(h).firewall.products[0]!.defaultInbound = 'allow';
    },
  },
  {
    id: 'exposure-firewall-default-inbound-allow',
    name: 'one Windows profile allowing is partial',
    platforms: ['windows'],
    status: 'partial',
    credit: 2 / 3,
    evidence: /domain: allow/,
    mutate: (h) => {
      sec(h).firewall.products[0]!.defaultInbound = 'allow';
    },
  },
  {
    id: 'exposure-firewall-default-inbound-allow',
    name: 'no enabled firewall stating its policy is unknown',
    status: 'unknown',
    mutate: (h) => {
      for (const p of sec(h).firewall.products) p.defaultInbound = null;
    },
  },
  {
    id: 'exposure-firewall-default-inbound-allow',
    name: 'policy unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).firewall, { products: [], reason: 'needs root' });
    },
  },
  // identity
  {
    id: 'identity-ssh-root-login',
    name: 'PermitRootLogin yes fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).ssh.permitRootLogin = 'yes';
    },
  },
  {
    id: 'identity-ssh-root-login',
    name: 'prohibit-password is partial',
    status: 'partial',
    credit: 0.5,
    mutate: (h) => {
      sec(h).ssh.permitRootLogin = 'prohibit-password';
    },
  },
  {
    id: 'identity-ssh-root-login',
    name: 'unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).ssh, { permitRootLogin: null, reason: 'needs root: sshd -T' });
    },
  },
  {
    id: 'identity-ssh-root-login',
    name: 'unreadable without a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).ssh.permitRootLogin = null;
    },
  },
  {
    id: 'identity-ssh-root-login',
    name: 'no SSH server is not applicable',
    status: 'not_applicable',
    mutate: (h) => {
      sec(h).ssh.present = false;
    },
  },
  {
    id: 'identity-ssh-root-login',
    name: 'SSH presence unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).ssh.present = null;
    },
  },
  {
    id: 'identity-ssh-password-auth',
    name: 'password authentication fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).ssh.passwordAuthentication = true;
    },
  },
  {
    id: 'identity-ssh-password-auth',
    name: 'unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).ssh.passwordAuthentication = null;
    },
  },
  {
    id: 'identity-ssh-password-auth',
    name: 'no SSH server is not applicable',
    status: 'not_applicable',
    mutate: (h) => {
      sec(h).ssh.present = false;
    },
  },
  {
    id: 'identity-ssh-password-auth',
    name: 'presence unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).ssh, { present: null, reason: 'no permission' });
    },
  },
  {
    id: 'identity-too-many-admins',
    name: 'four administrators fail',
    status: 'fail',
    evidence: /more than 3/,
    mutate: (h) => {
      sec(h).administrators.members.push('bob', 'carol');
    },
  },
  {
    id: 'identity-too-many-admins',
    name: 'the tenant limit is honoured',
    status: 'pass',
    thresholds: { maxAdmins: 5 },
    mutate: (h) => {
      sec(h).administrators.members.push('bob', 'carol');
    },
  },
  {
    id: 'identity-too-many-admins',
    name: 'a partial read is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).administrators.reason = 'domain group not resolvable';
    },
  },
  {
    id: 'identity-too-many-admins',
    name: 'no group read still counts members',
    status: 'pass',
    evidence: /no group read/,
    mutate: (h) => {
      sec(h).administrators.groups = [];
    },
  },
  {
    id: 'identity-guest-enabled',
    name: 'guest enabled fails',
    status: 'fail',
    mutate: (h) => {
      sec(h).guest.enabled = true;
    },
  },
  {
    id: 'identity-guest-enabled',
    name: 'unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).guest.enabled = null;
    },
  },
  {
    id: 'identity-guest-enabled',
    name: 'unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).guest, { enabled: null, reason: 'access denied' });
    },
  },
  // lifecycle
  {
    id: 'lifecycle-os-end-of-life',
    name: 'end of life fails',
    status: 'fail',
    evidence: /Ubuntu 22.04 is past end of life \(end of life 2027/,
    mutate: (h) => {
      h.lifecycle!.os.state = 'end_of_life';
    },
  },
  {
    id: 'lifecycle-os-end-of-life',
    name: 'ending soon is still supported',
    status: 'pass',
    mutate: (h) => {
      h.lifecycle!.os.state = 'ending_soon';
    },
  },
  {
    id: 'lifecycle-os-end-of-life',
    name: 'an unmatched OS is unknown',
    status: 'unknown',
    mutate: (h) => {
      h.lifecycle!.os = { state: 'unknown', eol: null, product: null };
    },
  },
  {
    id: 'lifecycle-os-ending-soon',
    name: 'ending soon is partial',
    status: 'partial',
    credit: 0.5,
    mutate: (h) => {
      h.lifecycle!.os.state = 'ending_soon';
    },
  },
  {
    id: 'lifecycle-os-ending-soon',
    name: 'end of life is left to the end-of-life check',
    status: 'not_applicable',
    mutate: (h) => {
      h.lifecycle!.os.state = 'end_of_life';
    },
  },
  {
    id: 'lifecycle-os-ending-soon',
    name: 'an unmatched OS is unknown',
    status: 'unknown',
    mutate: (h) => {
      h.lifecycle!.os.state = 'unknown';
    },
  },
  {
    id: 'lifecycle-os-ending-soon',
    name: 'supported with no date passes',
    status: 'pass',
    mutate: (h) => {
      h.lifecycle!.os.eol = null;
    },
  },
  {
    id: 'lifecycle-hardware-age',
    name: 'six years against five fails',
    status: 'fail',
    evidence: /6\.0 years old, replace after 5/,
    mutate: (h) => {
      h.lifecycle!.hardware.ageYears = 6;
    },
  },
  {
    id: 'lifecycle-hardware-age',
    name: 'a virtual machine is not applicable',
    status: 'not_applicable',
    mutate: (h) => {
      h.sections.system!.hardware.virtual = true;
      h.lifecycle!.hardware.ageYears = 12;
    },
  },
  {
    id: 'lifecycle-hardware-age',
    name: 'no age is unknown',
    status: 'unknown',
    mutate: (h) => {
      h.lifecycle!.hardware.ageYears = null;
    },
  },
  // operations
  {
    id: 'operations-agent-not-reporting',
    name: 'silent for 30 hours fails',
    status: 'fail',
    evidence: /30\.0 hours ago/,
    mutate: (h) => {
      h.lastSeenAt = new Date(NOW.getTime() - 30 * 3_600_000);
    },
  },
  {
    id: 'operations-agent-not-reporting',
    name: 'the tenant limit is honoured',
    status: 'pass',
    thresholds: { offlineHours: 48 },
    mutate: (h) => {
      h.lastSeenAt = new Date(NOW.getTime() - 30 * 3_600_000);
    },
  },
  {
    id: 'operations-time-not-synchronised',
    name: 'not synchronised fails',
    status: 'fail',
    evidence: /chronyd from pool/,
    mutate: (h) => {
      sec(h).timeSync.synchronized = false;
    },
  },
  {
    id: 'operations-time-not-synchronised',
    name: 'no service named still judged',
    status: 'fail',
    evidence: /not synchronised$/,
    mutate: (h) => {
      Object.assign(sec(h).timeSync, { synchronized: false, service: null, source: null });
    },
  },
  {
    id: 'operations-time-not-synchronised',
    name: 'synchronised with no service named passes',
    status: 'pass',
    mutate: (h) => {
      Object.assign(sec(h).timeSync, { service: null, source: null });
    },
  },
  {
    id: 'operations-time-not-synchronised',
    name: 'unreadable is unknown',
    status: 'unknown',
    mutate: (h) => {
      sec(h).timeSync.synchronized = null;
    },
  },
  {
    id: 'operations-time-not-synchronised',
    name: 'unreadable with a reason is unknown',
    status: 'unknown',
    mutate: (h) => {
      Object.assign(sec(h).timeSync, { synchronized: null, reason: 'timedatectl missing' });
    },
  },
  {
    id: 'operations-disk-full',
    name: 'a filesystem 95% full fails',
    status: 'fail',
    evidence: /\/var 95%/,
    mutate: (h) => {
      h.sections.performance!.filesystems.push({
        mount: '/var',
        sizeBytes: 100,
        usedBytes: 95,
        freeBytes: 5,
      });
    },
  },
  {
    id: 'operations-disk-full',
    name: 'the tenant ratio is honoured',
    status: 'pass',
    thresholds: { diskFullRatio: 0.97 },
    mutate: (h) => {
      h.sections.performance!.filesystems.push({
        mount: '/var',
        sizeBytes: 100,
        usedBytes: 95,
        freeBytes: 5,
      });
    },
  },
  {
    id: 'operations-disk-full',
    name: 'no sized filesystem is unknown',
    status: 'unknown',
    mutate: (h) => {
      h.sections.performance!.filesystems = [
        { mount: '/proc', sizeBytes: 0, usedBytes: 0, freeBytes: 0 },
      ];
    },
  },
  {
    id: 'operations-outbox-dropping',
    name: 'dropped reports fail',
    status: 'fail',
    evidence: /12 report\(s\) dropped/,
    mutate: (h) => {
      h.sections.outbox = { queued: 500, dropped: 12 };
    },
  },
  {
    id: 'operations-outbox-dropping',
    name: 'a drop within the last 7 days fails',
    status: 'fail',
    evidence: /12 report\(s\) dropped, 500 queued, the last 2026-11-25/,
    mutate: (h) => {
      h.sections.outbox = { queued: 500, dropped: 12, lastDroppedAt: '2026-11-25T09:00:00Z' };
    },
  },
  {
    id: 'operations-outbox-dropping',
    name: 'a drop long ago is history, not a finding',
    status: 'pass',
    evidence: /over 7 days ago/,
    mutate: (h) => {
      h.sections.outbox = { queued: 0, dropped: 12, lastDroppedAt: '2025-01-10T09:00:00Z' };
    },
  },
];

t.test('each check answers as the row says, on every platform it covers', async (t) => {
  for (const row of rows) {
    const check = findCheck(row.id);
    t.ok(check, `${row.id} is in the catalog`);
    for (const platform of row.platforms ?? (check as Check).platforms) {
      const e = (check as Check).evaluate(
        host(platform, row.mutate),
        resolveThresholds(row.thresholds),
      );
      const label = `${row.id} on ${platform}: ${row.name}`;
      t.equal(e.status, row.status, `${label} (${e.evidence})`);
      const credit = row.credit ?? (row.status === 'pass' ? 1 : 0);
      t.ok(Math.abs(e.credit - credit) < 1e-9, `${label}: credit ${e.credit}`);
      if (row.status === 'unknown') t.match(e.missing, /\w/, `${label}: says what is missing`);
      if (row.evidence) t.match(e.evidence, row.evidence, `${label}: evidence`);
    }
  }
});

t.test('every check has at least a fail or partial row, and every check appears', async (t) => {
  for (const check of CHECKS) {
    t.ok(
      rows.some((r) => r.id === check.id && (r.status === 'fail' || r.status === 'partial')),
      `${check.id} can fail`,
    );
  }
});

t.test('evaluate uses the default thresholds when none are given', async (t) => {
  const check = findCheck('patch-no-install-30d')!;
  t.equal(
    check.evaluate(
      host('linux', (h) => {
        pat(h).sources[0]!.lastInstallAt = daysAgo(31);
      }),
    ).status,
    'fail',
  );
  t.equal(
    check.evaluate(
      host('linux', (h) => {
        pat(h).sources[0]!.lastInstallAt = daysAgo(29);
      }),
    ).status,
    'pass',
  );
});
