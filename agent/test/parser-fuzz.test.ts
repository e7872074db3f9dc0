// The agent's parsers under mutated real outputs: the recorded fixtures (test/fixtures/),
// truncated at random points, with lines dropped and duplicated, bytes flipped, unicode
// inserted, huge lines, and empty. Two levels:
//
// - every collector that parses command output (patches, software, security) runs on a
//   machine whose every command answer and file is a mutated fixture: no exception may
//   escape the collector layer (a parse failure becomes an entry in the report's
//   errors[]), and the report must still satisfy the contract, or the collector would
//   refuse it;
// - every exported parse function is called directly on mutated fixtures of its own
//   input: it returns, or throws an Error with a message (which the collector layer turns
//   into a reported error), and never takes long (no catastrophic backtracking).
//
// Seeded: the seed is printed; replay with VCIO_FUZZ_SEED=<seed>, more cases with
// VCIO_FUZZ_COUNT=<n>.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { Report } from '@vcio/shared';
import { collectorsFor } from '../src/collectors/index.js';
import * as machineDarwin from '../src/collectors/machine-id/darwin.js';
import * as machineLinux from '../src/collectors/machine-id/linux.js';
import * as machineWindows from '../src/collectors/machine-id/windows.js';
import * as patchesApt from '../src/collectors/patches/apt.js';
import * as patchesDnf from '../src/collectors/patches/dnf.js';
import * as patchesLinux from '../src/collectors/patches/linux.js';
import * as patchesMacos from '../src/collectors/patches/macos.js';
import * as patchesWindows from '../src/collectors/patches/windows.js';
import * as patchesZypper from '../src/collectors/patches/zypper.js';
import * as secAccounts from '../src/collectors/security/linux-accounts.js';
import * as secAntimalware from '../src/collectors/security/linux-antimalware.js';
import * as secBoot from '../src/collectors/security/linux-boot.js';
import * as secEncryption from '../src/collectors/security/linux-encryption.js';
import * as secFirewall from '../src/collectors/security/linux-firewall.js';
import * as secListening from '../src/collectors/security/linux-listening.js';
import * as secSsh from '../src/collectors/security/linux-ssh.js';
import * as secTime from '../src/collectors/security/linux-time.js';
import * as secUpdates from '../src/collectors/security/linux-updates.js';
import * as secMacos from '../src/collectors/security/macos-text.js';
import * as secSshd from '../src/collectors/security/sshd-config.js';
import * as secWindowsScript from '../src/collectors/security/windows-script.js';
import * as secWindows from '../src/collectors/security/windows-text.js';
import * as softLinux from '../src/collectors/software/linux.js';
import * as softMacos from '../src/collectors/software/macos.js';
import * as softWindows from '../src/collectors/software/windows.js';
import { CommandStartError, type CommandResult } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { buildReport } from '../src/report-builder.js';
import { replayHost } from '../src/replay.js';
import { captureLogger } from './helpers/capture-logger.js';
import { contractErrors } from './helpers/contract.js';
import { fixturePath } from './helpers/fixtures.js';

// ---------------------------------------------------------------------------------------
// Seeded randomness and mutations

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const seed = process.env.VCIO_FUZZ_SEED
  ? Number(process.env.VCIO_FUZZ_SEED) >>> 0
  : (Date.now() ^ (process.pid << 16)) >>> 0;
const requested = Number(process.env.VCIO_FUZZ_COUNT);
const count = (fallback: number) =>
  Number.isInteger(requested) && requested > 0 ? requested : fallback;

const UNICODE = [
  '\u0000',
  '\ufeff',
  '\u202e',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  '\r',
  '\t',
  '\u00a0',
  '\u2028',
];
const MUTATIONS = [
  'truncate',
  'drop-lines',
  'duplicate-lines',
  'flip-bytes',
  'unicode',
  'huge-line',
  'empty',
  'shuffle-lines',
  'crlf',
  'whitespace-only',
  'numbers',
] as const;
type Mutation = (typeof MUTATIONS)[number];

function mutate(text: string, rng: Rng, kind: Mutation = rng.pick(MUTATIONS)): string {
  const lines = text.split('\n');
  switch (kind) {
    case 'truncate':
      return text.slice(0, rng.int(text.length + 1));
    case 'drop-lines':
      return lines.filter(() => rng.next() > 0.3).join('\n');
    case 'duplicate-lines':
      return lines.flatMap((l) => (rng.next() < 0.3 ? [l, l] : [l])).join('\n');
    case 'flip-bytes': {
      const bytes = Buffer.from(text, 'utf8');
      for (let n = 1 + rng.int(8); n > 0 && bytes.length > 0; n--) {
        const at = rng.int(bytes.length);
        bytes.writeUInt8(bytes.readUInt8(at) ^ (1 << rng.int(8)), at);
      }
      return bytes.toString('utf8');
    }
    case 'unicode': {
      let out = text;
      for (let n = 1 + rng.int(6); n > 0; n--) {
        const i = rng.int(out.length + 1);
        out = out.slice(0, i) + rng.pick(UNICODE) + out.slice(i);
      }
      return out;
    }
    case 'huge-line': {
      const i = rng.int(lines.length);
      const filler = rng.pick(['a', ' ', '-', '9', '"', '{', ':', '=', 'é', '\t']);
      lines.splice(i, 0, (lines[i] ?? '') + filler.repeat(200_000 + rng.int(300_000)));
      return lines.join('\n');
    }
    case 'empty':
      return rng.pick(['', '\n', ' ', '\r\n\r\n']);
    case 'shuffle-lines':
      return lines.sort(() => rng.next() - 0.5).join('\n');
    case 'crlf':
      return text.replace(/\n/g, '\r\n');
    case 'whitespace-only':
      return text.replace(/\S/g, ' ');
    case 'numbers':
      return text.replace(/\d+/g, () =>
        rng.pick(['-1', '0', '99999999999999999999', 'NaN', '1e309', '']),
      );
  }
}

// ---------------------------------------------------------------------------------------
// Fixtures

const FIXTURES = fixturePath('');

/** Every file under a fixture folder (relative to test/fixtures), text only. */
function filesUnder(relative: string): string[] {
  const dir = join(FIXTURES, relative);
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(join(relative, name)));
    else if (!/\.(md)$/i.test(name)) out.push(full);
  }
  return out;
}

const textOf = new Map<string, string>();
function read(file: string): string {
  let text = textOf.get(file);
  if (text === undefined) {
    text = readFileSync(file, 'utf8');
    textOf.set(file, text);
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// Level 1: the collectors on a machine where everything is a mutated fixture

/** What a Linux command prints, by the fixtures recorded from it. */
const LINUX_COMMANDS: Record<string, string[]> = {
  apt: ['patches/apt-list-upgradable'],
  'apt-get': ['patches/apt-get-simulate-upgrade'],
  'apt-config': ['security/linux/apt-config-dump'],
  dnf: ['patches/dnf-check-update', 'patches/dnf-updateinfo-security'],
  yum: ['patches/dnf-check-update', 'patches/dnf-updateinfo-security'],
  'needs-restarting': ['patches/needs-restarting'],
  zypper: ['patches/zypper-list-patches'],
  'dpkg-query': ['software/dpkg-query', 'software/dpkg-query-list'],
  rpm: ['software/rpm', 'software/rpm-qa'],
  ss: ['security/linux/ss-listening'],
  sshd: ['security/linux/sshd-T'],
  ufw: ['security/linux/ufw-status'],
  nft: ['security/linux/nft'],
  iptables: ['security/linux/iptables-S'],
  'firewall-cmd': ['security/linux/firewalld'],
  lsblk: ['security/linux/lsblk-crypt'],
  timedatectl: ['security/linux/timedatectl'],
  chronyc: ['security/linux/chronyc-tracking'],
  ntpq: ['security/linux/ntpq'],
  mokutil: ['security/linux/mokutil'],
  systemctl: ['security/linux/systemctl'],
  clamscan: ['security/linux/clamscan-version'],
  mdatp: ['security/linux/mdatp'],
};

const LINUX_FILES: [RegExp, string][] = [
  [/\/etc\/passwd$/, 'security/linux/etc/passwd-debian12-container.txt'],
  [/\/etc\/group$/, 'security/linux/etc/group-debian12-container.txt'],
  [/\/etc\/sudoers/, 'security/linux/etc/sudoers-debian12-sudo-1.9.13p3.txt'],
  [/sshd_config/, 'security/linux/etc/sshd_config-debian12-openssh-9.2p1.txt'],
  [
    /auto-upgrades|apt\.conf/,
    'security/linux/etc/20auto-upgrades-debian12-unattended-upgrades-2.9.1.txt',
  ],
  [/lightdm/, 'security/linux/etc/lightdm.conf-debian12-lightdm-1.26.0.txt'],
  [/apt\/history\.log/, 'patches/apt-history-log/recorded-debian12-container.txt'],
];

const LS_OUTPUT =
  'README\nadmins\n90-cloud-init-users\nlocal~\nsshd_config.conf\n50-lightdm.conf\n';

const ALL_LINUX = [...Object.values(LINUX_COMMANDS).flat(), 'security/linux/etc'].flatMap(
  filesUnder,
);

function answer(stdout: string, rng: Rng): CommandResult {
  return {
    stdout,
    stderr: rng.next() < 0.2 ? mutate('E: could not open lock file', rng) : '',
    exitCode: rng.next() < 0.8 ? 0 : rng.pick([1, 2, 100, 127, null]),
    signal: null,
    timedOut: rng.next() < 0.02,
    truncated: rng.next() < 0.05,
    durationMs: rng.int(500),
  };
}

/** A Linux machine on which every command answer and every file is a mutated fixture. */
function linuxChaosHost(rng: Rng): HostAccess {
  const notFound = (what: string) =>
    Object.assign(new Error(`ENOENT: ${what}`), { code: 'ENOENT' });
  return {
    platform: 'linux',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    now: () => new Date('2026-11-27T10:00:00Z'),
    exists: async () => rng.next() < 0.85,
    readFile: async (path) => {
      const known = LINUX_FILES.find(([pattern]) => pattern.test(path));
      const roll = rng.next();
      if (known && roll < 0.85) return mutate(read(join(FIXTURES, known[1])), rng);
      if (roll < 0.5) throw notFound(path);
      return mutate(read(rng.pick(ALL_LINUX)), rng);
    },
    run: async (file, args) => {
      const name = basename(file);
      const dirs = LINUX_COMMANDS[name];
      const roll = rng.next();
      if (roll < 0.05)
        throw new CommandStartError([file, ...args].join(' '), 'ENOENT', notFound(file));
      // a directory listing: a few names, mutated (a fixture's every line as a file name
      // would make thousands of includes to follow, which no machine has)
      if (name === 'ls') return answer(mutate(LS_OUTPUT, rng), rng);
      const source = dirs && roll < 0.85 ? rng.pick(dirs.flatMap(filesUnder)) : rng.pick(ALL_LINUX);
      return answer(mutate(read(source), rng), rng);
    },
  };
}

/** A recorded Windows or macOS machine (replay), with every answer and file mutated. */
function mutatedReplay(base: HostAccess, rng: Rng): HostAccess {
  return {
    ...base,
    readFile: async (path) => mutate(await base.readFile(path), rng),
    run: async (file, args, options) => {
      const result = await base.run(file, args, options);
      return rng.next() < 0.9
        ? { ...result, stdout: mutate(result.stdout, rng) }
        : answer(result.stdout, rng);
    },
  };
}

/** The collectors that parse command output; system and performance read live counters. */
const PARSING_SECTIONS = new Set(['patches', 'software', 'security']);

t.test(
  'collectors on mutated machines: errors reported, never thrown; reports valid',
  async (t) => {
    const cases = count(600);
    t.comment(`seed ${seed}, ${cases} collections (replay: VCIO_FUZZ_SEED=${seed})`);
    const rng = new Rng(seed);
    const windows = await replayHost(fixturePath('replay/windows-10-enterprise'));
    const macos = await replayHost(fixturePath('replay/macos-26-tahoe'));
    const machines: [string, NodeJS.Platform, () => HostAccess][] = [
      ['linux', 'linux', () => linuxChaosHost(rng)],
      ['windows', 'win32', () => mutatedReplay(windows, rng)],
      ['macos', 'darwin', () => mutatedReplay(macos, rng)],
    ];
    const tally: Record<string, { runs: number; sections: number; errors: number }> = {};
    const problems: string[] = [];
    const started = performance.now();
    for (let i = 0; i < cases; i++) {
      const [name, platform, host] = machines[i % machines.length]!;
      const { logger } = captureLogger();
      const collectors = collectorsFor(platform).filter((c) => PARSING_SECTIONS.has(c.name));
      let report: Report;
      try {
        report = await buildReport({
          collectors,
          agentId: '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60',
          machineId: 'fuzz',
          hostname: 'fuzz',
          logger,
          host: host(),
          timeoutMs: 10_000,
        });
      } catch (error) {
        problems.push(`#${i} ${name}: buildReport threw ${String(error)}`);
        continue;
      }
      const entry = (tally[name] ??= { runs: 0, sections: 0, errors: 0 });
      entry.runs++;
      entry.sections += Object.keys(report.sections).length;
      entry.errors += report.errors.length;
      // as the collector receives it: JSON turns NaN and Infinity into null ("unknown")
      const invalid = contractErrors(Report, JSON.parse(JSON.stringify(report)));
      if (invalid.length > 0)
        problems.push(
          `#${i} ${name}: report breaks the contract: ${invalid.slice(0, 3).join('; ')}`,
        );
      for (const e of report.errors) {
        if (/timed out/.test(e.message))
          problems.push(`#${i} ${name}: ${e.collector} ${e.message}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    t.comment(
      `${cases} collections in ${seconds.toFixed(1)} s: ` +
        Object.entries(tally)
          .map(
            ([n, v]) => `${n}: ${v.runs} runs, ${v.sections} sections, ${v.errors} reported errors`,
          )
          .join('; '),
    );
    t.same(problems.slice(0, 10), [], `${problems.length} collections went wrong (seed ${seed})`);
  },
);

// ---------------------------------------------------------------------------------------
// Level 2: every parse function on mutated fixtures of its own input

type Parser = (text: string) => unknown;
/** parse function → the fixture folders (or files) recorded from the output it reads */
const PARSERS: [string, Parser, string[]][] = [
  [
    'parseIoregPlatformUuid',
    machineDarwin.parseIoregPlatformUuid,
    ['machine-id/ioreg-macbookpro12-1.txt', 'machine-id/ioreg-macbookpro17-1-apple-silicon.txt'],
  ],
  [
    'parseLinuxMachineId',
    machineLinux.parseLinuxMachineId as Parser,
    ['security/linux/etc/passwd-debian12-container.txt'],
  ],
  [
    'parseRegQueryValue',
    (s) => machineWindows.parseRegQueryValue(s, 'MachineGuid'),
    [
      'machine-id/reg-query-machineguid-otel-java.txt',
      'machine-id/reg-query-not-found-node-machine-id-issue-6.txt',
    ],
  ],
  [
    'parseMachineGuid',
    machineWindows.parseMachineGuid as Parser,
    ['machine-id/reg-query-machineguid-otel-java.txt'],
  ],
  [
    'parseAptListUpgradable',
    patchesApt.parseAptListUpgradable as Parser,
    ['patches/apt-list-upgradable'],
  ],
  [
    'parseAptError',
    patchesApt.parseAptError as Parser,
    ['patches/apt-list-upgradable', 'patches/apt-get-simulate-upgrade'],
  ],
  [
    'parseRebootRequiredPkgs',
    patchesApt.parseRebootRequiredPkgs as Parser,
    ['patches/needs-restarting/synthetic-reboot-required-pkgs.txt'],
  ],
  [
    'parseAptHistoryLastInstall',
    patchesApt.parseAptHistoryLastInstall as Parser,
    ['patches/apt-history-log'],
  ],
  [
    'parseNeedrestartBatch',
    patchesApt.parseNeedrestartBatch as Parser,
    ['patches/needs-restarting'],
  ],
  ['parseDnfCheckUpdate', patchesDnf.parseDnfCheckUpdate as Parser, ['patches/dnf-check-update']],
  [
    'parseUpdateinfoList',
    patchesDnf.parseUpdateinfoList as Parser,
    ['patches/dnf-updateinfo-security'],
  ],
  ['parseNeedsRestarting', patchesDnf.parseNeedsRestarting as Parser, ['patches/needs-restarting']],
  [
    'parseRpmInstallTimes',
    patchesLinux.parseRpmInstallTimes as Parser,
    ['software/rpm-qa', 'software/rpm'],
  ],
  [
    'parseZypperListPatches',
    patchesZypper.parseZypperListPatches as Parser,
    ['patches/zypper-list-patches'],
  ],
  [
    'parseSoftwareUpdateList',
    patchesMacos.parseSoftwareUpdateList as Parser,
    ['patches/softwareupdate-list'],
  ],
  [
    'parseWindowsUpdateJson',
    patchesWindows.parseWindowsUpdateJson as Parser,
    ['patches/windows-update-json'],
  ],
  ['parseGetHotFixTable', patchesWindows.parseGetHotFixTable as Parser, ['patches/get-hotfix']],
  [
    'parsePsWindowsUpdateTable',
    patchesWindows.parsePsWindowsUpdateTable as Parser,
    ['patches/windows-update-search'],
  ],
  [
    'parseDpkgQuery',
    softLinux.parseDpkgQuery as Parser,
    ['software/dpkg-query', 'software/dpkg-query-list'],
  ],
  ['parseRpmQuery', softLinux.parseRpmQuery as Parser, ['software/rpm', 'software/rpm-qa']],
  [
    'parseSystemProfilerApps',
    softMacos.parseSystemProfilerApps as Parser,
    ['software/system-profiler-apps'],
  ],
  ['parsePkgutilPkgs', softMacos.parsePkgutilPkgs as Parser, ['software/pkgutil']],
  ['parsePkgInfo', softMacos.parsePkgInfo as Parser, ['software/pkgutil']],
  ['parseBrewInfo', (s) => softMacos.parseBrewInfo(s, 'arm64'), ['software/brew']],
  ['parseUninstallJson', softWindows.parseUninstallJson as Parser, ['software/uninstall-json']],
  [
    'parseSshdConfig',
    secSshd.parseSshdConfig as Parser,
    ['security/linux/etc/sshd_config-debian12-openssh-9.2p1.txt'],
  ],
  ['parseSshdT', secSsh.parseSshdT as Parser, ['security/linux/sshd-T']],
  ['parseSs', secListening.parseSs as Parser, ['security/linux/ss-listening']],
  [
    'parseGroupFile',
    secAccounts.parseGroupFile as Parser,
    ['security/linux/etc/group-debian12-container.txt'],
  ],
  [
    'parsePasswdFile',
    secAccounts.parsePasswdFile as Parser,
    ['security/linux/etc/passwd-debian12-container.txt'],
  ],
  [
    'parseSudoers',
    secAccounts.parseSudoers as Parser,
    ['security/linux/etc/sudoers-debian12-sudo-1.9.13p3.txt'],
  ],
  [
    'parseClamavVersion',
    secAntimalware.parseClamavVersion as Parser,
    ['security/linux/clamscan-version'],
  ],
  ['parseMdatpHealth (linux)', secAntimalware.parseMdatpHealth as Parser, ['security/linux/mdatp']],
  [
    'parseSystemctlIsActive',
    (s) => secAntimalware.parseSystemctlIsActive(['clamav-daemon', 'clamd@scan', 'clamd'], s),
    ['security/linux/systemctl'],
  ],
  ['parseMokutilSbState', secBoot.parseMokutilSbState as Parser, ['security/linux/mokutil']],
  ['parseLsblkJson', secEncryption.parseLsblkJson as Parser, ['security/linux/lsblk-crypt']],
  ['parseLsblkVersion', secEncryption.parseLsblkVersion as Parser, ['security/linux/lsblk-crypt']],
  ['parseUfwStatus', secFirewall.parseUfwStatus as Parser, ['security/linux/ufw-status']],
  [
    'parseFirewallCmdListAll',
    secFirewall.parseFirewallCmdListAll as Parser,
    ['security/linux/firewalld'],
  ],
  ['parseNftRuleset', secFirewall.parseNftRuleset as Parser, ['security/linux/nft']],
  ['parseIptablesS', secFirewall.parseIptablesS as Parser, ['security/linux/iptables-S']],
  ['parseTimedatectlShow', secTime.parseTimedatectlShow as Parser, ['security/linux/timedatectl']],
  [
    'parseTimedatectlStatus',
    secTime.parseTimedatectlStatus as Parser,
    ['security/linux/timedatectl'],
  ],
  [
    'parseChronycTracking',
    secTime.parseChronycTracking as Parser,
    ['security/linux/chronyc-tracking'],
  ],
  ['parseNtpqPeers', secTime.parseNtpqPeers as Parser, ['security/linux/ntpq']],
  ['parseTimesyncStatus', secTime.parseTimesyncStatus as Parser, ['security/linux/timedatectl']],
  [
    'parseAptConf',
    secUpdates.parseAptConf as Parser,
    [
      'security/linux/apt-config-dump',
      'security/linux/etc/20auto-upgrades-debian12-unattended-upgrades-2.9.1.txt',
    ],
  ],
  [
    'parseIni',
    secUpdates.parseIni as Parser,
    ['security/linux/etc/lightdm.conf-debian12-lightdm-1.26.0.txt'],
  ],
  [
    'parseFirewallGlobalState',
    secMacos.parseFirewallGlobalState as Parser,
    ['security/macos/socketfilterfw'],
  ],
  ['parseStealthMode', secMacos.parseStealthMode as Parser, ['security/macos/socketfilterfw']],
  ['parseBlockAll', secMacos.parseBlockAll as Parser, ['security/macos/socketfilterfw']],
  [
    'parseFdesetupStatus',
    secMacos.parseFdesetupStatus as Parser,
    ['security/macos/fdesetup-status'],
  ],
  ['parseInfoPlistVersion', secMacos.parseInfoPlistVersion as Parser, ['security/macos/xprotect']],
  [
    'parseXProtectInstallHistory',
    secMacos.parseXProtectInstallHistory as Parser,
    ['security/macos/install-history'],
  ],
  [
    'parseMdatpHealth (macos)',
    secMacos.parseMdatpHealth as Parser,
    ['security/macos/mdatp-health'],
  ],
  [
    'parseDefaultsDomain',
    secMacos.parseDefaultsDomain as Parser,
    ['security/macos/defaults-softwareupdate'],
  ],
  ['parseLsofSockets', secMacos.parseLsofSockets as Parser, ['security/macos/lsof']],
  [
    'parseLaunchdDisabled',
    (s) => secMacos.parseLaunchdDisabled(s, 'com.openssh.sshd'),
    ['security/macos/launchctl-print-disabled'],
  ],
  [
    'parseDsclGroupMembership',
    secMacos.parseDsclGroupMembership as Parser,
    ['security/macos/dscl'],
  ],
  [
    'parseAppleSecureBootPolicy',
    secMacos.parseAppleSecureBootPolicy as Parser,
    ['security/macos/nvram'],
  ],
  [
    'parseSecurityScriptOutput',
    secWindowsScript.parseSecurityScriptOutput as Parser,
    ['security/windows/security-json'],
  ],
  [
    'parseNetshAdvfirewall',
    secWindows.parseNetshAdvfirewall as Parser,
    ['security/windows/netsh-advfirewall'],
  ],
  [
    'parseManageBdeStatus',
    secWindows.parseManageBdeStatus as Parser,
    ['security/windows/manage-bde-status'],
  ],
  [
    'parseNetLocalgroup',
    secWindows.parseNetLocalgroup as Parser,
    ['security/windows/net-localgroup-admins'],
  ],
  ['parseW32tmStatus', secWindows.parseW32tmStatus as Parser, ['security/windows/w32tm-status']],
];

/** Longest a parser may take on one input of at most ~1 MB: linear parsers need well under a
 * second even on a loaded machine; the backtracking regexes this found took 17 s to minutes. */
const SLOW_MS = 3_000;

t.test(
  'every parse function on mutated fixtures: returns or throws an Error, quickly',
  async (t) => {
    const perParser = count(60);
    const rng = new Rng(seed ^ 0x9e3779b9);
    const problems: string[] = [];
    const thrown: string[] = [];
    let calls = 0;
    let slowest = { name: '', ms: 0, mutation: '' };
    const started = performance.now();
    for (const [name, parse, sources] of PARSERS) {
      t.type(parse, 'function', `${name} is exported`);
      const files = sources.flatMap((s) =>
        statSync(join(FIXTURES, s)).isDirectory() ? filesUnder(s) : [join(FIXTURES, s)],
      );
      let throws = 0;
      for (let i = 0; i < perParser; i++) {
        const kind = MUTATIONS[i % MUTATIONS.length]!;
        const input = mutate(read(rng.pick(files)), rng, kind);
        const before = performance.now();
        try {
          parse(input);
        } catch (error) {
          throws++;
          if (!(error instanceof Error) || error.message.length === 0) {
            problems.push(`${name} (${kind}) threw something without a message: ${String(error)}`);
          }
        }
        calls++;
        const ms = performance.now() - before;
        if (ms > slowest.ms) slowest = { name, ms, mutation: kind };
        if (ms > SLOW_MS)
          problems.push(
            `${name} took ${ms.toFixed(0)} ms on a ${kind} input of ${input.length} chars`,
          );
      }
      if (throws > 0) thrown.push(`${name} ${throws}/${perParser}`);
    }
    t.comment(
      `seed ${seed}: ${PARSERS.length} parsers, ${calls} calls in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `slowest ${slowest.name} ${slowest.ms.toFixed(0)} ms (${slowest.mutation})`,
    );
    // Throwing is allowed (the collector layer reports it); listed so that a parser that
    // gives up on a whole output for one odd line is visible.
    t.comment(
      `parsers that threw (the collector reports these as errors): ${thrown.join(', ') || 'none'}`,
    );
    t.same(problems.slice(0, 10), [], `${problems.length} parser problems (seed ${seed})`);
  },
);
