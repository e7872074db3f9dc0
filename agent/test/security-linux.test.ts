// collectLinuxSecurity and its group readers through a fake HostAccess: a root-like machine
// that answers everything, a non-root agent whose privileged commands fail (facts null with
// reasons, never false), and the error paths of each reader.
import t from 'tap';
import { SecuritySection } from '@vcio/shared';
import {
  readLinuxAdministrators,
  readLinuxGuest,
} from '../src/collectors/security/linux-accounts.js';
import { readLinuxAntimalware } from '../src/collectors/security/linux-antimalware.js';
import { readLinuxSecureBoot } from '../src/collectors/security/linux-boot.js';
import { readLinuxEncryption } from '../src/collectors/security/linux-encryption.js';
import { combineFirewall, readLinuxFirewall } from '../src/collectors/security/linux-firewall.js';
import { readLinuxListening } from '../src/collectors/security/linux-listening.js';
import {
  bounded,
  failureReason,
  joinReasons,
  linuxSecurityHost,
  type LinuxSecurityHost,
} from '../src/collectors/security/linux-run.js';
import { readLinuxSsh } from '../src/collectors/security/linux-ssh.js';
import { readLinuxTimeSync } from '../src/collectors/security/linux-time.js';
import { readLinuxAutomaticUpdates } from '../src/collectors/security/linux-updates.js';
import { collectLinuxSecurity } from '../src/collectors/security/linux.js';
import { CommandStartError, type CommandResult, type RunOptions } from '../src/exec.js';
import type { HostAccess } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { commandResult } from './helpers/command-result.js';
import { contractErrors } from './helpers/contract.js';
import { readFixture } from './helpers/fixtures.js';

const fx = (path: string): string => readFixture(`security/linux/${path}`);

type Answer = CommandResult | Error;
type FileAnswer = string | NodeJS.ErrnoException;

const errno = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: fake`), { code });

interface FakeMachine extends HostAccess {
  ran: string[];
  options: RunOptions[];
}

/**
 * A machine: files (text, or an error such as EACCES) and directories that exist, and what
 * each command line answers. A command not listed is not installed (ENOENT).
 */
function fakeMachine(
  files: Record<string, FileAnswer>,
  commands: Record<string, Answer>,
  dirs: string[] = [],
): FakeMachine {
  const ran: string[] = [];
  const options: RunOptions[] = [];
  return {
    platform: 'linux',
    env: { PATH: '/usr/bin' },
    ran,
    options,
    now: () => new Date('2026-11-27T10:00:00.000Z'),
    exists: async (path) => path in files || dirs.includes(path),
    readFile: async (path) => {
      const answer = files[path];
      if (answer === undefined) throw errno('ENOENT');
      if (answer instanceof Error) throw answer;
      return answer;
    },
    run: async (file, args, opts) => {
      const line = [file, ...args].join(' ');
      ran.push(line);
      options.push(opts);
      const answer = commands[line];
      if (answer === undefined) throw new CommandStartError(line, 'ENOENT', errno('ENOENT'));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const ok = (stdout: string): CommandResult => commandResult(stdout);
const fail = (exitCode: number, stderr: string, stdout = ''): CommandResult =>
  commandResult(stdout, { exitCode, stderr });
const h = (m: HostAccess): LinuxSecurityHost => linuxSecurityHost(m);
const ctxOf = (host: HostAccess) => {
  const { logger, text } = captureLogger();
  return { ctx: { logger, signal: new AbortController().signal, host }, text };
};

const CLAMAV_UNITS = 'clamav-daemon clamd@scan clamd clamav-clamonacc clamonacc';

// A root-like Ubuntu-style server: every tool answers.
function rootMachine(): FakeMachine {
  return fakeMachine(
    {
      '/usr/sbin/ufw': '',
      '/usr/sbin/nft': '',
      '/usr/sbin/iptables': '',
      '/usr/bin/lsblk': '',
      '/usr/bin/ss': '',
      '/usr/sbin/sshd': '',
      '/usr/bin/clamscan': '',
      '/usr/bin/mdatp': '',
      '/usr/bin/systemctl': '',
      '/usr/bin/apt-get': '',
      '/usr/bin/apt-config': '',
      '/usr/bin/unattended-upgrade': '',
      '/usr/bin/timedatectl': '',
      '/usr/bin/chronyc': '',
      '/bin/ls': '',
      '/lib/systemd/system/apt-daily-upgrade.timer': '[Timer]\n',
      '/etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer': '[Timer]\n',
      '/etc/group':
        'root:x:0:\nsudo:x:27:alice\nadmin:x:115:\nops:x:1002:dave\nalice:x:1000:\nbob:x:1001:\n',
      '/etc/passwd':
        'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:115::/home/bob:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n',
      '/etc/sudoers': fx('etc/sudoers-debian12-sudo-1.9.13p3.txt'),
      '/etc/sudoers.d/README': '#includedir notes only\n',
      '/etc/sudoers.d/ops': '%ops ALL=(ALL) NOPASSWD: ALL\n',
      '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c':
        '\x06\x00\x00\x00\x01',
    },
    {
      '/usr/sbin/ufw status verbose': ok(fx('ufw-status/1.txt')),
      '/usr/sbin/nft list ruleset': ok(fx('nft/1.txt')),
      '/usr/sbin/iptables -S': ok(fx('iptables-S/raspberry-pi-drop.txt')),
      '/usr/bin/lsblk --version': ok(fx('lsblk-crypt/recorded-debian12-container-version.txt')),
      '/usr/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINTS': ok(
        fx('lsblk-crypt/recorded-debian12-container-json.txt'),
      ),
      '/usr/bin/ss -tulpn': ok(fx('ss-listening/3.txt')),
      '/usr/sbin/sshd -T': ok(fx('sshd-T/3.txt')),
      [`/usr/bin/systemctl is-active ${CLAMAV_UNITS}`]: fail(
        3,
        '',
        'active\ninactive\ninactive\nactive\ninactive\n',
      ),
      '/usr/bin/clamscan --version': ok(fx('clamscan-version/synthetic-with-database.txt')),
      '/usr/bin/mdatp health --output json': ok(
        fx('mdatp/health-json-101.23062.0010-glpi-agent.json'),
      ),
      '/usr/bin/apt-config dump': ok(
        fx('apt-config-dump/recorded-debian12-container-unattended-upgrades.txt'),
      ),
      '/usr/bin/timedatectl show': ok(fx('timedatectl/show-rhel-tutorial.txt')),
      '/usr/bin/chronyc -n tracking': ok(fx('chronyc-tracking/centos-7.4-amazon-time-sync.txt')),
      '/bin/ls -1A -- /etc/sudoers.d': ok('README\nops\nops.dpkg-old\n'),
    },
    ['/sys/firmware/efi', '/run/systemd/system', '/etc/sudoers.d'],
  );
}

t.test('root-like machine (synthetic mix of recorded outputs): every group read', async (t) => {
  const machine = rootMachine();
  const { ctx } = ctxOf(machine);
  const s = await collectLinuxSecurity(ctx);
  t.same(contractErrors(SecuritySection, s), []);
  t.match(s.firewall, { enabled: true, reason: null });
  t.same(
    s.firewall.products.map((p) => [p.name, p.enabled, p.defaultInbound]),
    [
      ['ufw', true, 'block'],
      ['nftables', true, 'allow'],
      ['iptables', true, 'block'],
    ],
  );
  t.equal(s.firewall.products[0]?.detail, 'active, 15 rules');
  t.same(
    s.encryption.volumes.map((v) => [v.mount, v.system, v.encrypted]),
    [['/', true, false]],
  );
  t.equal(s.encryption.reason, null);
  t.same(s.antimalware.products, [
    {
      name: 'ClamAV',
      enabled: true,
      realTimeProtection: true,
      signatureVersion: '27825',
      signaturesUpdatedAt: new Date(2025, 10, 19, 10, 10, 2).toISOString(),
      upToDate: null,
    },
    {
      name: 'Microsoft Defender for Endpoint',
      enabled: false,
      realTimeProtection: false,
      signatureVersion: '1.395.30.0',
      signaturesUpdatedAt: '2023-08-09T13:19:13.787Z',
      upToDate: true,
    },
  ]);
  t.equal(s.antimalware.reason, null);
  t.match(s.automaticUpdates, {
    enabled: true,
    mechanism: 'unattended-upgrades',
    installsAutomatically: true,
    reason: null,
  });
  t.equal(s.listening.services.length, 9);
  t.equal(s.listening.reason, null, 'every socket has its process');
  t.same(s.ssh, {
    present: true,
    permitRootLogin: 'prohibit-password',
    passwordAuthentication: false,
    reason: null,
  });
  t.same(s.administrators, {
    groups: ['sudo', 'admin', 'ops'],
    members: ['alice', 'bob', 'dave', 'toor'],
    reason: null,
  });
  t.same(s.guest, { enabled: false, reason: null });
  t.same(s.secureBoot, { enabled: true, reason: null });
  t.same(s.timeSync, {
    synchronized: true,
    service: 'chronyd',
    source: '169.254.169.123',
    offsetSeconds: 0.000000031,
    reason: null,
  });
  for (const o of machine.options) {
    t.equal(o.env?.LC_ALL, 'C', 'C locale');
    t.ok(o.timeoutMs >= 10_000 && o.timeoutMs <= 30_000, 'bounded 10-30 s');
    t.ok(o.maxOutputBytes > 0);
  }
  t.notOk(
    machine.ran.some((l) => l.includes('ops.dpkg-old')),
    'sudo skips names with a dot',
  );
});

// The same server seen by a non-root agent: the recorded non-root failures.
function nonRootMachine(): FakeMachine {
  const files: Record<string, FileAnswer> = {
    '/usr/sbin/ufw': '',
    '/usr/sbin/nft': '',
    '/usr/sbin/iptables': '',
    '/usr/bin/ss': '',
    '/usr/sbin/sshd': '',
    '/bin/ls': '',
    '/etc/group': 'sudo:x:27:alice\n',
    '/etc/passwd': 'alice:x:1000:1000::/home/alice:/bin/bash\n',
    '/etc/sudoers': errno('EACCES'),
    '/etc/ssh/sshd_config': fx('etc/sshd_config-debian12-openssh-9.2p1.txt'),
    '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication no\n',
  };
  return fakeMachine(
    files,
    {
      '/usr/sbin/ufw status verbose': fail(1, 'ERROR: You need to be root to run this script\n'),
      '/usr/sbin/nft list ruleset': fail(
        1,
        fx('nft/recorded-debian12-container-nonroot-stderr.txt'),
      ),
      '/usr/sbin/iptables -S': fail(
        4,
        fx('iptables-S/recorded-debian12-container-nonroot-stderr.txt'),
      ),
      '/usr/bin/ss -tulpn': ok(fx('ss-listening/recorded-debian12-container.txt')),
      '/usr/sbin/sshd -T': fail(1, fx('sshd-T/recorded-debian12-container-nonroot-stderr.txt')),
      '/bin/ls -1A -- /etc/ssh/sshd_config.d': ok('50-cloud-init.conf\nREADME\n'),
    },
    ['/etc/ssh/sshd_config.d'],
  );
}

t.test('non-root agent: privileged facts are null with "needs root", never false', async (t) => {
  const { ctx } = ctxOf(nonRootMachine());
  const s = await collectLinuxSecurity(ctx);
  t.same(contractErrors(SecuritySection, s), []);
  t.equal(s.firewall.enabled, null, 'not false: the rules could not be read');
  t.same(
    s.firewall.products.map((p) => [p.name, p.enabled]),
    [
      ['ufw', null],
      ['nftables', null],
      ['iptables', null],
    ],
  );
  t.match(
    s.firewall.reason,
    /'\/usr\/sbin\/ufw status verbose' needs root \(exit 1: ERROR: You need to be root/,
  );
  t.match(
    s.firewall.reason,
    /'\/usr\/sbin\/nft list ruleset' needs root \(exit 1: Operation not permitted/,
  );
  t.match(s.firewall.reason, /'\/usr\/sbin\/iptables -S' needs root \(exit 4: iptables v1\.8\.9/);
  t.same(s.ssh.present, true);
  t.equal(s.ssh.permitRootLogin, 'prohibit-password', 'OpenSSH default: the file does not set it');
  t.equal(s.ssh.passwordAuthentication, false, 'from the sshd_config.d drop-in (synthetic)');
  t.match(
    s.ssh.reason,
    /'\/usr\/sbin\/sshd -T' needs root .*no hostkeys available|Unable to load host key/,
  );
  t.match(s.ssh.reason, /not sshd's effective settings/);
  t.same(
    s.listening.services.map((x) => [x.port, x.process]),
    [[2024, null]],
  );
  t.match(s.listening.reason, /only to root/);
  t.same(s.administrators.members, ['alice']);
  t.match(s.administrators.reason, /\/etc\/sudoers is not readable \(needs root\)/);
  t.match(s.encryption.reason, /lsblk is not installed/);
  t.equal(s.timeSync.synchronized, null);
  t.match(s.timeSync.reason, /none of timedatectl, chronyc or ntpq is installed/);
  t.equal(s.secureBoot.enabled, null);
  t.match(s.secureBoot.reason, /firmware not visible/);
});

t.test(
  'a reader that throws leaves its group unknown with the error, the rest is read',
  async (t) => {
    const machine = nonRootMachine();
    const exists = machine.exists;
    machine.exists = async (path) => {
      if (path === '/usr/sbin/ufw') throw new Error('disk on fire');
      return exists(path);
    };
    const { ctx, text } = ctxOf(machine);
    const s = await collectLinuxSecurity(ctx);
    t.same(contractErrors(SecuritySection, s), []);
    t.same(s.firewall, { enabled: null, products: [], reason: 'could not be read: disk on fire' });
    t.equal(s.ssh.present, true);
    t.match(text(), /reading a group failed/);
  },
);

t.test(
  'firewall: firewalld running, stopped, unreadable; ufw inactive; empty nft; legacy iptables',
  async (t) => {
    const running = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          {
            '/usr/bin/firewall-cmd --state': ok('running\n'),
            '/usr/bin/firewall-cmd --list-all': ok(fx('firewalld/1.txt')),
          },
        ),
      ),
    );
    t.same(running, {
      enabled: true,
      products: [
        {
          name: 'firewalld',
          profile: null,
          enabled: true,
          defaultInbound: 'block',
          detail: 'zone public (target default); services: cockpit dhcpv6-client ssh; ports: none',
        },
      ],
      reason: null,
    });
    const trusted = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          {
            '/usr/bin/firewall-cmd --state': ok('running\n'),
            '/usr/bin/firewall-cmd --list-all': ok('trusted (active)\n  target: ACCEPT\n'),
          },
        ),
      ),
    );
    t.match(
      trusted.products[0],
      { enabled: false, defaultInbound: 'allow' },
      'synthetic: ACCEPT zone filters nothing',
    );
    const stopped = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          { '/usr/bin/firewall-cmd --state': fail(252, '', 'not running\n') },
        ),
      ),
    );
    t.same(stopped.enabled, false);
    t.equal(stopped.products[0]?.detail, 'not running');
    const denied = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          {
            '/usr/bin/firewall-cmd --state': ok('running\n'),
            '/usr/bin/firewall-cmd --list-all': fail(11, 'Authorization failed.\n'),
          },
        ),
      ),
    );
    t.match(denied, { enabled: true, reason: /needs root/ });
    const broken = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          { '/usr/bin/firewall-cmd --state': fail(1, 'Error: dbus\n') },
        ),
      ),
    );
    t.match(broken, { enabled: null, reason: /exit code 1: Error: dbus/ });
    const hung = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/bin/firewall-cmd': '' },
          {
            '/usr/bin/firewall-cmd --state': commandResult('', {
              exitCode: null,
              timedOut: true,
              durationMs: 15000,
            }),
          },
        ),
      ),
    );
    t.match(hung.reason, /timed out after 15000 ms/);

    const quiet = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/sbin/ufw': '', '/usr/sbin/nft': '', '/sbin/iptables': '' },
          {
            '/usr/sbin/ufw status verbose': ok(fx('ufw-status/3.txt')),
            '/usr/sbin/nft list ruleset': ok(fx('nft/recorded-debian12-container-root-empty.txt')),
            '/sbin/iptables -S': commandResult(
              fx('iptables-S/recorded-debian12-container-root.txt'),
              {
                stderr: fx('iptables-S/recorded-debian12-container-root-stderr.txt'),
              },
            ),
          },
        ),
      ),
    );
    t.equal(quiet.enabled, false, 'every tool answered and none filters');
    t.same(
      quiet.products.map((p) => [p.name, p.enabled, p.defaultInbound, p.detail]),
      [
        ['ufw', false, null, 'inactive'],
        ['nftables', false, 'allow', 'no input chains'],
        [
          'iptables',
          false,
          'allow',
          'INPUT policy ACCEPT, 0 rules (iptables-legacy tables also present, not read)',
        ],
      ],
    );
    const odd = await readLinuxFirewall(
      h(
        fakeMachine(
          { '/usr/sbin/ufw': '', '/usr/sbin/iptables': '' },
          { '/usr/sbin/ufw status verbose': ok('nonsense\n'), '/usr/sbin/iptables -S': ok('') },
        ),
      ),
    );
    t.match(odd.reason, /printed no status.*printed no INPUT policy/);
    t.same(await readLinuxFirewall(h(fakeMachine({}, {}))), {
      enabled: false,
      products: [],
      reason: null,
    });
    t.equal(
      combineFirewall([
        {
          product: { name: 'a', profile: null, enabled: false, defaultInbound: null, detail: null },
          reason: null,
        },
        {
          product: { name: 'b', profile: null, enabled: null, defaultInbound: null, detail: null },
          reason: 'x',
        },
      ]).enabled,
      null,
      'one off and one unknown: unknown',
    );
  },
);

t.test('encryption: lsblk fallbacks and failures', async (t) => {
  const tree = 'lsblk -p -o NAME,TYPE,MOUNTPOINT';
  const noVersion = await readLinuxEncryption(
    h(
      fakeMachine(
        { '/bin/lsblk': '' },
        {
          '/bin/lsblk --version': fail(1, 'lsblk: unrecognized option'),
          '/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINT': fail(
            1,
            "lsblk: unrecognized option '--json'",
          ),
          [`/bin/${tree}`]: ok(fx('lsblk-crypt/3.txt')),
        },
      ),
    ),
  );
  t.same(
    noVersion.volumes.map((v) => [v.mount, v.encrypted]),
    [
      ['/boot/efi', false],
      ['/boot', false],
      ['/', true],
    ],
  );
  const old = fakeMachine(
    { '/usr/bin/lsblk': '' },
    {
      '/usr/bin/lsblk --version': ok('lsblk from util-linux 2.23.2\n'),
      [`/usr/bin/${tree}`]: ok(fx('lsblk-crypt/1.txt')),
    },
  );
  t.equal(
    (await readLinuxEncryption(h(old))).volumes.length,
    2,
    'synthetic version 2.23: tree form',
  );
  t.same(old.ran, ['/usr/bin/lsblk --version', `/usr/bin/${tree}`]);
  const mid = await readLinuxEncryption(
    h(
      fakeMachine(
        { '/usr/bin/lsblk': '' },
        {
          '/usr/bin/lsblk --version': ok('lsblk from util-linux 2.34\n'),
          '/usr/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINT': ok(fx('lsblk-crypt/7.txt')),
        },
      ),
    ),
  );
  t.equal(mid.volumes.length, 2);
  const garbage = await readLinuxEncryption(
    h(
      fakeMachine(
        { '/usr/bin/lsblk': '' },
        {
          '/usr/bin/lsblk --version': ok(fx('lsblk-crypt/recorded-debian12-container-version.txt')),
          '/usr/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINTS': ok('{"oops":1}'),
        },
      ),
    ),
  );
  t.match(garbage, { volumes: [], reason: /printed no device list \(no "blockdevices" list\)/ });
  const failing = await readLinuxEncryption(
    h(
      fakeMachine(
        { '/usr/bin/lsblk': '' },
        {
          '/usr/bin/lsblk --version': ok(fx('lsblk-crypt/recorded-debian12-container-version.txt')),
          '/usr/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINTS': fail(
            32,
            'lsblk: failed to access sysfs',
          ),
        },
      ),
    ),
  );
  t.match(failing.reason, /exit code 32/);
  const empty = await readLinuxEncryption(
    h(
      fakeMachine(
        { '/usr/bin/lsblk': '' },
        {
          '/usr/bin/lsblk --version': ok(fx('lsblk-crypt/recorded-debian12-container-version.txt')),
          '/usr/bin/lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINTS': ok('{"blockdevices":[]}'),
        },
      ),
    ),
  );
  t.same(empty, { volumes: [], reason: 'no block devices visible (container?)' });
});

t.test('anti-malware: nothing installed is a known "none"', async (t) => {
  t.same(await readLinuxAntimalware(h(fakeMachine({}, {}))), { products: [], reason: null });
});

t.test(
  'anti-malware: ClamAV without a database on a machine without systemd (recorded)',
  async (t) => {
    const r = await readLinuxAntimalware(
      h(
        fakeMachine(
          { '/usr/bin/clamscan': '', '/usr/bin/systemctl': '' },
          {
            '/usr/bin/clamscan --version': ok(
              fx('clamscan-version/recorded-debian12-container-no-database.txt'),
            ),
            [`/usr/bin/systemctl is-active ${CLAMAV_UNITS}`]: fail(
              1,
              fx('systemctl/recorded-debian12-container-no-systemd-stderr.txt'),
            ),
          },
        ),
      ),
    );
    t.same(r.products, [
      {
        name: 'ClamAV',
        enabled: null,
        realTimeProtection: null,
        signatureVersion: null,
        signaturesUpdatedAt: null,
        upToDate: null,
      },
    ]);
    t.match(
      r.reason,
      /ClamAV has no signature database; whether the services run is unknown: .*System has not been booted with systemd/,
    );
  },
);

t.test(
  'anti-malware: clamd only, no systemctl; Defender failures; CrowdStrike and SentinelOne',
  async (t) => {
    const r = await readLinuxAntimalware(
      h(
        fakeMachine(
          {
            '/usr/sbin/clamd': '',
            '/usr/bin/mdatp': '',
            '/opt/CrowdStrike/falconctl': '',
            '/opt/sentinelone/bin/sentinelctl': '',
          },
          {
            '/usr/sbin/clamd --version': ok('nothing useful'),
            '/usr/bin/mdatp health --output json': fail(1, 'ERROR: daemon not running'),
          },
        ),
      ),
    );
    t.same(
      r.products.map((p) => [p.name, p.enabled]),
      [
        ['ClamAV', null],
        ['Microsoft Defender for Endpoint', null],
        ['CrowdStrike Falcon', null],
        ['SentinelOne', null],
      ],
    );
    t.match(r.reason, /printed no version/);
    t.match(r.reason, /systemctl is not installed/);
    t.match(r.reason, /daemon not running/);
    const states = await readLinuxAntimalware(
      h(
        fakeMachine(
          {
            '/usr/bin/systemctl': '',
            '/opt/CrowdStrike/falconctl': '',
            '/opt/sentinelone/bin/sentinelctl': '',
          },
          {
            '/usr/bin/systemctl is-active falcon-sensor sentinelone': fail(
              3,
              '',
              'active\ninactive\n',
            ),
          },
        ),
      ),
    );
    t.same(states, {
      products: [
        {
          name: 'CrowdStrike Falcon',
          enabled: true,
          realTimeProtection: null,
          signatureVersion: null,
          signaturesUpdatedAt: null,
          upToDate: null,
        },
        {
          name: 'SentinelOne',
          enabled: false,
          realTimeProtection: null,
          signatureVersion: null,
          signaturesUpdatedAt: null,
          upToDate: null,
        },
      ],
      reason: null,
    });
    const noCli = await readLinuxAntimalware(
      h(fakeMachine({ '/opt/microsoft/mdatp/sbin/wdavdaemon': '' }, {})),
    );
    t.match(noCli, {
      products: [{ name: 'Microsoft Defender for Endpoint', enabled: null }],
      reason: /mdatp command not found/,
    });
    const notJson = await readLinuxAntimalware(
      h(
        fakeMachine(
          { '/usr/bin/mdatp': '' },
          { '/usr/bin/mdatp health --output json': ok('healthy : true') },
        ),
      ),
    );
    t.match(notJson.reason, /printed no JSON/);
  },
);

t.test('automatic updates: apt variants', async (t) => {
  const base = {
    '/usr/bin/apt-get': '',
    '/usr/bin/unattended-upgrade': '',
    '/usr/bin/apt-config': '',
  };
  const notInstalled = await readLinuxAutomaticUpdates(
    h(fakeMachine({ '/usr/bin/apt-get': '' }, {})),
  );
  t.same(notInstalled, {
    enabled: false,
    mechanism: null,
    installsAutomatically: false,
    detail: 'unattended-upgrades is not installed',
    reason: null,
  });
  const off = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(base, {
        '/usr/bin/apt-config dump': ok(fx('apt-config-dump/recorded-debian12-container.txt')),
      }),
    ),
  );
  t.match(off, {
    enabled: false,
    mechanism: 'unattended-upgrades',
    installsAutomatically: false,
    reason: null,
  });
  t.equal(off.detail, 'APT::Periodic::Unattended-Upgrade "", Update-Package-Lists ""');
  const masked = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(
        { ...base, '/run/systemd/system': '', '/etc/systemd/system/apt-daily-upgrade.timer': '' },
        {
          '/usr/bin/apt-config dump': ok(
            fx('apt-config-dump/recorded-debian12-container-unattended-upgrades.txt'),
          ),
        },
      ),
    ),
  );
  t.match(masked, { enabled: false, detail: /apt-daily-upgrade.timer is masked/ });
  const disabled = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(
        {
          ...base,
          '/run/systemd/system': '',
          '/usr/lib/systemd/system/apt-daily-upgrade.timer': '[Timer]',
        },
        {
          '/usr/bin/apt-config dump': ok(
            'APT::Periodic::Unattended-Upgrade "1";\nAPT::Periodic::Enable "0";\n',
          ),
        },
      ),
    ),
  );
  t.match(
    disabled,
    { enabled: false, detail: /APT::Periodic::Enable "0"/ },
    'synthetic: master switch off',
  );
  const fromFiles = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(
        {
          ...base,
          '/etc/apt/apt.conf.d/20auto-upgrades': fx(
            'etc/20auto-upgrades-debian12-unattended-upgrades-2.9.1.txt',
          ),
        },
        { '/usr/bin/apt-config dump': fail(100, 'E: Syntax error /etc/apt/apt.conf.d/99broken:1') },
      ),
    ),
  );
  t.match(fromFiles, {
    enabled: true,
    installsAutomatically: true,
    reason: /Syntax error.*read from .*20auto-upgrades/,
  });
  const nothing = await readLinuxAutomaticUpdates(
    h(fakeMachine({ '/usr/bin/apt-get': '', '/usr/bin/unattended-upgrade': '' }, {})),
  );
  t.match(nothing, {
    enabled: null,
    mechanism: 'unattended-upgrades',
    reason: /apt-config is not installed.*not readable/,
  });
});

t.test(
  'automatic updates: dnf-automatic timers and automatic.conf, yum-cron, SUSE, none',
  async (t) => {
    const wants = (timer: string) => `/etc/systemd/system/timers.target.wants/${timer}`;
    const dnf = (files: Record<string, FileAnswer>) =>
      readLinuxAutomaticUpdates(h(fakeMachine({ '/usr/bin/dnf': '', ...files }, {})));
    t.match(await dnf({}), { enabled: false, detail: 'dnf-automatic is not installed' });
    t.match(await dnf({ '/usr/bin/dnf-automatic': '' }), {
      enabled: false,
      mechanism: 'dnf-automatic',
      detail: /none of its timers/,
    });
    t.match(await dnf({ [wants('dnf-automatic-install.timer')]: '' }), {
      enabled: true,
      installsAutomatically: true,
    });
    t.match(await dnf({ [wants('dnf-automatic-download.timer')]: '' }), {
      enabled: true,
      installsAutomatically: false,
    });
    t.match(
      await dnf({
        [wants('dnf-automatic.timer')]: '',
        '/etc/dnf/automatic.conf': '[commands]\napply_updates = yes\n',
      }),
      { enabled: true, installsAutomatically: true, detail: /apply_updates = yes/, reason: null },
      'synthetic automatic.conf',
    );
    t.match(
      await dnf({
        [wants('dnf-automatic.timer')]: '',
        '/etc/dnf/automatic.conf': '[commands]\nupgrade_type = default\n',
      }),
      { installsAutomatically: false, detail: /\(default no\)/ },
    );
    t.match(
      await dnf({
        [wants('dnf-automatic.timer')]: '',
        '/etc/dnf/automatic.conf': '[commands]\napply_updates = maybe\n',
      }),
      { installsAutomatically: null, reason: /not a yes\/no value/ },
    );
    t.match(await dnf({ [wants('dnf-automatic.timer')]: '' }), {
      enabled: true,
      installsAutomatically: null,
      reason: /not readable/,
    });
    t.match(
      await dnf({
        [wants('dnf5-automatic.timer')]: '',
        '/usr/share/dnf5/dnf5-plugins/automatic.conf': '[commands]\napply_updates = no\n',
      }),
      { installsAutomatically: false },
      'dnf5 reads its own automatic.conf',
    );
    const yum = (files: Record<string, FileAnswer>) =>
      readLinuxAutomaticUpdates(h(fakeMachine({ '/usr/bin/yum': '', ...files }, {})));
    t.match(await yum({ '/usr/sbin/yum-cron': '' }), {
      enabled: false,
      mechanism: 'yum-cron',
      detail: 'yum-cron.service is absent',
    });
    t.match(
      await yum({
        '/usr/sbin/yum-cron': '',
        '/etc/systemd/system/multi-user.target.wants/yum-cron.service': '',
        '/etc/yum/yum-cron.conf': '[commands]\napply_updates = yes\n',
      }),
      { enabled: true, installsAutomatically: true, reason: null },
    );
    t.match(
      await yum({
        '/usr/sbin/yum-cron': '',
        '/etc/systemd/system/multi-user.target.wants/yum-cron.service': '',
      }),
      { enabled: true, installsAutomatically: null, reason: /yum-cron.conf not readable/ },
    );
    t.match(
      await yum({}),
      { enabled: false, detail: 'dnf-automatic is not installed' },
      'yum without yum-cron',
    );
    t.match(
      await yum({
        '/usr/sbin/yum-cron': '',
        '/etc/systemd/system/yum-cron.service': 'x',
        '/usr/lib/systemd/system/yum-cron.service': 'x',
      }),
      { enabled: false, detail: 'yum-cron.service is disabled' },
    );
    t.match(await readLinuxAutomaticUpdates(h(fakeMachine({ '/usr/bin/zypper': '' }, {}))), {
      enabled: null,
      reason: /SUSE/,
    });
    t.match(await readLinuxAutomaticUpdates(h(fakeMachine({}, {}))), {
      enabled: null,
      reason: /no apt, dnf/,
    });
  },
);

t.test('listening: ss missing or failing', async (t) => {
  t.match(await readLinuxListening(h(fakeMachine({}, {}))), {
    services: [],
    reason: /ss \(iproute2\) is not installed/,
  });
  t.match(
    await readLinuxListening(
      h(
        fakeMachine(
          { '/usr/sbin/ss': '' },
          { '/usr/sbin/ss -tulpn': fail(1, 'Cannot open netlink socket') },
        ),
      ),
    ),
    { services: [], reason: /Cannot open netlink socket/ },
  );
  const full = await readLinuxListening(
    h(fakeMachine({ '/usr/bin/ss': '' }, { '/usr/bin/ss -tulpn': ok(fx('ss-listening/1.txt')) })),
  );
  t.equal(full.services.length, 72, 'two dhclient sockets on 0.0.0.0:68 are one service');
  t.match(full.reason, /1 of 72 sockets without a process name/);
  t.same(
    full.services.find((s) => s.port === 161),
    {
      protocol: 'udp',
      address: '0.0.0.0',
      port: 161,
      process: 'snmpd',
      pid: 1996,
      exposed: true,
      risk: 'snmp',
    },
  );
});

t.test(
  'ssh: absent, sshd -T broken install, unreadable config, Include globs and depth',
  async (t) => {
    t.same(await readLinuxSsh(h(fakeMachine({}, {}))), {
      present: false,
      permitRootLogin: null,
      passwordAuthentication: null,
      reason: 'no sshd installed',
    });
    const rhel = await readLinuxSsh(
      h(
        fakeMachine(
          { '/usr/sbin/sshd': '', '/etc/ssh/sshd_config': errno('EACCES') },
          {
            '/usr/sbin/sshd -T': fail(
              1,
              fx('sshd-T/recorded-debian12-container-nonroot-stderr.txt'),
            ),
          },
        ),
      ),
    );
    t.match(rhel, { present: true, permitRootLogin: null, passwordAuthentication: null });
    t.match(rhel.reason, /needs root.*\/etc\/ssh\/sshd_config is not readable \(needs root\)/);
    const missing = await readLinuxSsh(
      h(
        fakeMachine(
          { '/usr/sbin/sshd': '' },
          {
            '/usr/sbin/sshd -T': fail(
              255,
              fx('sshd-T/recorded-debian12-container-no-privsep-user-stderr.txt'),
            ),
          },
        ),
      ),
    );
    t.match(
      missing.reason,
      /exit code 255: Privilege separation user sshd does not exist; \/etc\/ssh\/sshd_config does not exist/,
    );
    const nested = await readLinuxSsh(
      h(
        fakeMachine(
          {
            '/usr/sbin/sshd': '',
            '/bin/ls': '',
            '/etc/ssh/sshd_config': 'Include extra.conf conf.d/*.conf\nPermitRootLogin yes\n',
            '/etc/ssh/extra.conf': 'Include /etc/ssh/extra.conf\n',
            '/etc/ssh/conf.d/10-root.conf': 'PermitRootLogin without-password\n',
          },
          {
            '/usr/sbin/sshd -T': fail(1, 'sshd: no hostkeys available -- exiting.'),
            '/bin/ls -1A -- /etc/ssh/conf.d': ok('10-root.conf\n10-root.conf.bak\n'),
          },
          ['/etc/ssh/conf.d'],
        ),
      ),
    );
    t.match(
      nested,
      { permitRootLogin: 'prohibit-password', passwordAuthentication: true },
      'synthetic: the include comes first and wins; a self-include stops at the depth limit',
    );
    const unlistable = fakeMachine(
      {
        '/usr/sbin/sshd': '',
        '/etc/ssh/sshd_config':
          'Include /etc/ssh/none.d/*.conf /etc/ssh/private/*.conf\nPasswordAuthentication no\n',
      },
      {
        '/usr/sbin/sshd -T': fail(1, 'sshd: no hostkeys available -- exiting.'),
        '/bin/ls -1A -- /etc/ssh/private': fail(
          2,
          "ls: cannot open directory '/etc/ssh/private': Permission denied",
        ),
      },
      ['/etc/ssh/private'],
    );
    const hidden = await readLinuxSsh(h(unlistable));
    t.match(
      hidden,
      {
        permitRootLogin: null,
        passwordAuthentication: null,
        reason:
          /the included directory \/etc\/ssh\/private could not be listed \('\/bin\/ls -1A -- \/etc\/ssh\/private' needs root/,
      },
      'synthetic: a directory the agent cannot list may set both values first',
    );
    t.notMatch(hidden.reason, /values read from/, 'no value came from the files');
    t.notOk(
      unlistable.ran.some((l) => l.includes('none.d')),
      'a missing include directory matches nothing, without running ls',
    );
  },
);

t.test('administrators and guest: unreadable files, includes, LightDM guest', async (t) => {
  t.match(await readLinuxAdministrators(h(fakeMachine({ '/etc/group': errno('EACCES') }, {}))), {
    groups: [],
    members: [],
    reason: '/etc/group is not readable (needs root)',
  });
  const partial = await readLinuxAdministrators(
    h(
      fakeMachine(
        {
          '/etc/group': 'wheel:x:10:carol\n',
          '/etc/sudoers': '#include /etc/sudoers.local\n@include /etc/sudoers.secret\n',
          '/etc/sudoers.local': 'erin ALL=(ALL) ALL\n',
          '/etc/sudoers.secret': errno('EACCES'),
        },
        {},
      ),
    ),
  );
  t.same(partial, {
    groups: ['wheel'],
    members: ['carol', 'erin'],
    reason:
      '/etc/passwd not readable: primary-group members unknown; not readable: /etc/sudoers.secret',
  });
  const odd = await readLinuxAdministrators(
    h(fakeMachine({ '/etc/group': 'sudo:x:27:\n', '/etc/sudoers': errno('EIO') }, {})),
  );
  t.match(odd.reason, /\/etc\/sudoers is not readable/);

  t.match(await readLinuxGuest(h(fakeMachine({ '/etc/passwd': errno('EACCES') }, {}))), {
    enabled: null,
    reason: /needs root/,
  });
  t.same(
    await readLinuxGuest(
      h(fakeMachine({ '/etc/passwd': 'guest:x:1001:1001::/home/guest:/bin/bash\n' }, {})),
    ),
    { enabled: true, reason: null },
  );
  t.same(
    await readLinuxGuest(
      h(fakeMachine({ '/etc/passwd': 'guest:x:1001:1001::/:/usr/sbin/nologin\n' }, {})),
    ),
    { enabled: false, reason: null },
  );
  const lightdm = (conf: Record<string, FileAnswer>) =>
    readLinuxGuest(
      h(
        fakeMachine(
          {
            '/etc/passwd': fx('etc/passwd-debian12-container.txt'),
            '/usr/sbin/lightdm': '',
            '/usr/sbin/guest-account': '',
            '/bin/ls': '',
            ...conf,
          },
          { '/bin/ls -1A -- /usr/share/lightdm/lightdm.conf.d': ok('01_debian.conf\nnotes.txt\n') },
          ['/usr/share/lightdm/lightdm.conf.d'],
        ),
      ),
    );
  t.same(await lightdm({}), { enabled: true, reason: null }, "LightDM's default allows guests");
  t.same(
    await lightdm({
      '/usr/share/lightdm/lightdm.conf.d/01_debian.conf': '[Seat:*]\nallow-guest=true\n',
      '/etc/lightdm/lightdm.conf': '[Seat:*]\nallow-guest=false\n',
    }),
    { enabled: false, reason: null },
    'synthetic: /etc/lightdm/lightdm.conf has the last word',
  );
});

t.test('secure boot: container, UEFI via variable or mokutil, BIOS, nothing visible', async (t) => {
  const read = (
    files: Record<string, FileAnswer>,
    commands: Record<string, Answer> = {},
    dirs: string[] = [],
  ) => readLinuxSecureBoot(h(fakeMachine(files, commands, dirs)));
  t.same(await read({ '/.dockerenv': '' }), {
    enabled: null,
    reason: "running in a container (/.dockerenv): Secure Boot is the host's",
  });
  t.match(await read({ '/run/systemd/container': 'lxc\n' }), {
    reason: /\/run\/systemd\/container: lxc/,
  });
  t.same(
    await read(
      { '/usr/bin/mokutil': '' },
      { '/usr/bin/mokutil --sb-state': ok('SecureBoot disabled\n') },
      ['/sys/firmware/efi'],
    ),
    {
      enabled: false,
      reason: null,
    },
  );
  t.match(
    await read(
      { '/usr/bin/mokutil': '' },
      {
        '/usr/bin/mokutil --sb-state': fail(
          1,
          fx('mokutil/recorded-debian12-container-stderr.txt'),
        ),
      },
      ['/sys/firmware/efi'],
    ),
    { enabled: null, reason: /EFI variables are not supported on this system/ },
  );
  t.match(
    await read({ '/usr/bin/mokutil': '' }, { '/usr/bin/mokutil --sb-state': ok('') }, [
      '/sys/firmware/efi',
    ]),
    { enabled: null, reason: /gave no state/ },
  );
  t.match(await read({}, {}, ['/sys/firmware/efi']), {
    enabled: null,
    reason: /mokutil is not installed/,
  });
  t.same(
    await read({}, {}, ['/sys/firmware/acpi']),
    { enabled: false, reason: null },
    'legacy BIOS boot',
  );
  t.match(await read({}), { enabled: null, reason: /firmware not visible/ });
});

t.test(
  'time: status fallback on old systemd, ntpd, timesyncd, NTP off, nothing answering',
  async (t) => {
    const old = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '', '/usr/sbin/ntpq': '' },
          {
            '/usr/bin/timedatectl show': fail(1, 'Unknown operation show\n'),
            '/usr/bin/timedatectl status': ok(fx('timedatectl/status-centos-7.7-jc.txt')),
            '/usr/sbin/ntpq -pn': ok(fx('ntpq/np-rhel6-local-clock.txt')),
          },
        ),
      ),
    );
    t.same(old, {
      synchronized: true,
      service: 'ntpd',
      source: '127.127.1.0',
      offsetSeconds: 0,
      reason: null,
    });
    const timesyncd = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '', '/usr/bin/chronyc': '' },
          {
            '/usr/bin/timedatectl show': fail(1, 'Unknown command verb show.\n'),
            '/usr/bin/timedatectl status': ok(fx('timedatectl/status-ubuntu-18.04-jc.txt')),
            '/usr/bin/chronyc -n tracking': fail(
              1,
              '',
              fx('chronyc-tracking/recorded-debian12-container-no-daemon.txt'),
            ),
            '/usr/bin/timedatectl timesync-status': ok(fx('timedatectl/timesync-status-jc.txt')),
          },
        ),
      ),
    );
    t.same(timesyncd, {
      synchronized: true,
      service: 'systemd-timesyncd',
      source: 'time.google.com',
      offsetSeconds: 0.005224,
      reason: null,
    });
    const off = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '' },
          { '/usr/bin/timedatectl show': ok('NTP=no\nNTPSynchronized=no\n') },
        ),
      ),
    );
    t.same(
      off,
      { synchronized: false, service: null, source: null, offsetSeconds: null, reason: null },
      'synthetic: NTP off is an answer',
    );
    const unexplained = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '' },
          { '/usr/bin/timedatectl show': ok('NTP=yes\nNTPSynchronized=yes\n') },
        ),
      ),
    );
    t.match(unexplained, { synchronized: true, service: null, reason: /no time service answered/ });
    const statusFails = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '', '/usr/bin/ntpq': '' },
          {
            '/usr/bin/timedatectl show': fail(1, 'Unknown operation show\n'),
            '/usr/bin/timedatectl status': fail(1, 'Failed to query server: Connection timed out'),
            '/usr/bin/ntpq -pn': fail(1, 'ntpq: read: Connection refused'),
          },
        ),
      ),
    );
    t.match(statusFails, {
      synchronized: null,
      reason: /Connection timed out; ntpd: .*Connection refused/,
    });
    const recorded = await readLinuxTimeSync(
      h(
        fakeMachine(
          { '/usr/bin/timedatectl': '' },
          {
            '/usr/bin/timedatectl show': fail(
              1,
              fx('timedatectl/recorded-debian12-container-no-systemd-stderr.txt'),
            ),
          },
        ),
      ),
    );
    t.match(recorded, {
      synchronized: null,
      service: null,
      reason: /System has not been booted with systemd/,
    });
  },
);

t.test(
  'run helpers: truncation, start errors, read errors, directory listing, reasons',
  async (t) => {
    const machine = fakeMachine(
      { '/etc/odd': errno('EIO'), '/etc/dir': errno('ENOTDIR'), '/usr/bin/ls': '' },
      {
        'big x': commandResult('x', { truncated: true }),
        'perm x': new CommandStartError('perm x', 'EACCES', errno('EACCES')),
        '/usr/bin/ls -1A -- /broken': fail(2, 'ls: cannot open directory'),
      },
      ['/broken'],
    );
    const host = h(machine);
    t.match(await host.run('big', ['x']), { kind: 'error', message: /output cut at/ });
    t.match(await host.run('perm', ['x']), { kind: 'error', message: /failed: EACCES/ });
    t.match(await host.read('/etc/odd'), { error: /\/etc\/odd: EIO/, missing: false });
    t.same(await host.read('/etc/dir'), { error: '/etc/dir does not exist', missing: true });
    t.same(await host.listDir('/nowhere'), []);
    t.same(await host.listDir('/broken'), []);
    t.equal(await host.locate('ls'), '/usr/bin/ls');
    t.equal(await host.locate('ls'), '/usr/bin/ls', 'cached');
    t.equal(failureReason({ kind: 'missing', command: 'x y' }), "'x y' is not installed");
    t.equal(
      failureReason({
        kind: 'done',
        command: 'x y',
        result: commandResult('', {
          exitCode: null,
          signal: 'SIGKILL',
          stderr: 'Permission denied',
        }),
      }),
      "'x y' needs root (killed: Permission denied)",
    );
    t.equal(
      failureReason({ kind: 'done', command: 'x y', result: commandResult('fine') }),
      "command 'x y' gave no usable answer",
    );
    t.equal(joinReasons([null, '', undefined]), null);
    t.equal(joinReasons(['a', 'a', 'b']), 'a; b');
    t.equal(joinReasons(['x'.repeat(600)])?.length, 512);
    t.equal(bounded('  ', 5), null);
    t.equal(bounded(undefined, 5), null);
    t.equal(bounded(' abcdef ', 3), 'abc');
    const real = linuxSecurityHost({
      ...machine,
      readFile: async () => {
        throw 'not an error object';
      },
    });
    t.match(await real.read('/x'), { missing: false });
  },
);

t.test('synthetic edge cases of the readers', async (t) => {
  const noSudoers = await readLinuxAdministrators(
    h(fakeMachine({ '/etc/group': 'wheel:x:10:carol\n', '/etc/passwd': '' }, {})),
  );
  t.same(
    noSudoers,
    { groups: ['wheel'], members: ['carol'], reason: null },
    'no sudo installed: known',
  );
  const loop = await readLinuxAdministrators(
    h(
      fakeMachine(
        {
          '/etc/group': '',
          '/etc/passwd': '',
          '/etc/sudoers': '@include /etc/sudoers\nzed ALL=(ALL) ALL\n',
        },
        {},
      ),
    ),
  );
  t.same(loop.members, ['zed'], 'a sudoers file including itself stops at the depth limit');

  const noSystemctlRun = await readLinuxAntimalware(
    h(
      fakeMachine(
        { '/usr/bin/clamscan': '', '/usr/bin/systemctl': '' },
        { '/usr/bin/clamscan --version': fail(2, 'clamscan: cannot open database') },
      ),
    ),
  );
  t.match(noSystemctlRun.reason, /cannot open database.*is not installed/);

  t.match(await readLinuxSecureBoot(h(fakeMachine({ '/run/systemd/container': '' }, {}))), {
    reason: /\/run\/systemd\/container: yes/,
  });
  t.match(
    await readLinuxSecureBoot(
      h(fakeMachine({ '/usr/bin/mokutil': '' }, {}, ['/sys/firmware/efi'])),
    ),
    {
      enabled: null,
      reason: /is not installed/,
    },
  );

  const firewall = await readLinuxFirewall(
    h(
      fakeMachine(
        { '/usr/bin/firewall-cmd': '', '/usr/sbin/nft': '' },
        {
          '/usr/bin/firewall-cmd --state': ok('running\n'),
          '/usr/bin/firewall-cmd --list-all': ok(''),
          '/usr/sbin/nft list ruleset': ok(
            'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n',
          ),
        },
      ),
    ),
  );
  t.same(
    firewall.products.map((p) => [p.name, p.enabled, p.defaultInbound, p.detail]),
    [
      ['firewalld', true, null, 'zone ? (target ?); services: none; ports: none'],
      ['nftables', true, 'block', 'inet filter input: policy drop, 0 rules'],
    ],
  );

  const machine = fakeMachine({ '/x': '' }, {}, ['/etc/some.d']);
  const host = h(machine);
  t.same(await host.run('nope', ['x']), { kind: 'missing', command: 'nope x' });
  t.same(await host.listDir('/etc/some.d'), [], 'no ls found: /bin/ls tried, not installed');
  t.ok(machine.ran.includes('/bin/ls -1A -- /etc/some.d'));
  t.equal(
    failureReason({
      kind: 'done',
      command: 'c',
      result: commandResult('only stdout', { exitCode: 1 }),
    }),
    "command 'c' failed: exit code 1: only stdout",
  );
  t.equal(
    failureReason({
      kind: 'done',
      command: 'c',
      result: commandResult('', { exitCode: 1, stdout: '', stderr: '' }),
    }),
    "command 'c' failed: exit code 1",
  );
  t.equal(
    failureReason({
      kind: 'done',
      command: 'c',
      result: commandResult('', { exitCode: 1, stderr: 'Operation not permitted' }),
    }),
    "'c' needs root (exit 1: Operation not permitted)",
  );
  t.equal(failureReason({ kind: 'error', command: 'c', message: 'boom' }), 'boom');

  const chronyOnly = await readLinuxTimeSync(
    h(
      fakeMachine(
        { '/usr/bin/chronyc': '' },
        { '/usr/bin/chronyc -n tracking': ok(fx('chronyc-tracking/centos-7.4-slow.txt')) },
      ),
    ),
  );
  t.same(chronyOnly, {
    synchronized: true,
    service: 'chronyd',
    source: 'pyramid.latt.net',
    offsetSeconds: 0.000031625,
    reason: null,
  });

  const etcOnly = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(
        {
          '/usr/bin/yum': '',
          '/usr/sbin/yum-cron': '',
          '/etc/systemd/system/yum-cron.service': '[Unit]',
        },
        {},
      ),
    ),
  );
  t.match(
    etcOnly,
    { enabled: false, detail: 'yum-cron.service is disabled' },
    'a unit only in /etc',
  );
  const defaultApply = await readLinuxAutomaticUpdates(
    h(
      fakeMachine(
        {
          '/usr/bin/yum': '',
          '/usr/sbin/yum-cron': '',
          '/etc/systemd/system/multi-user.target.wants/yum-cron.service': '',
          '/etc/yum/yum-cron.conf': '[commands]\nupdate_cmd = security\n',
        },
        {},
      ),
    ),
  );
  t.match(defaultApply, { enabled: true, installsAutomatically: false, detail: /\(default no\)/ });
});
