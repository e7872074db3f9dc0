// Automatic updates on Linux: does the machine install updates on its own?
//
//   Debian, Ubuntu: unattended-upgrades (/usr/bin/unattended-upgrade). `apt-config dump`
//     gives the effective APT::Periodic settings across every apt.conf.d file (parseAptConf;
//     when apt-config fails, /etc/apt/apt.conf.d/20auto-upgrades and /etc/apt/apt.conf are
//     read directly). On a systemd machine apt-daily-upgrade.timer must be enabled too.
//   RHEL, Fedora: dnf-automatic. The timer that is enabled decides: dnf-automatic-install
//     installs; dnf-automatic (dnf5-automatic) installs when automatic.conf says
//     apply_updates = yes (parseIni); -download and -notifyonly never install.
//   RHEL 7: yum-cron, its service enabled and /etc/yum/yum-cron.conf apply_updates.
//   SUSE: not read yet (reason says so).
//
// A timer or service is "enabled" when systemctl's link for it exists in
// /etc/systemd/system/<target>.wants/, and masked when /etc/systemd/system/<unit> reads
// as empty (a link to /dev/null): plain file checks, no systemctl, no privileges.
import { cap, failureReason, joinReasons, succeeded, type LinuxSecurityHost } from './linux-run.js';

export interface UpdatesGroup {
  enabled: boolean | null;
  mechanism: string | null;
  installsAutomatically: boolean | null;
  detail: string | null;
  reason: string | null;
}

type AptToken = { kind: 'word' | 'string' | 'open' | 'close' | 'semi'; text: string };

// whitespace | // comment | # comment | /* comment */ | "string" | { } ; | word
const APT_TOKEN = /\s+|\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|"([^"]*)"?|([{};])|([^\s{};"]+)/y;

function tokenizeAptConf(text: string): AptToken[] {
  const tokens: AptToken[] = [];
  APT_TOKEN.lastIndex = 0;
  for (let m = APT_TOKEN.exec(text); m !== null && m[0] !== ''; m = APT_TOKEN.exec(text)) {
    if (m[1] !== undefined) tokens.push({ kind: 'string', text: m[1] });
    else if (m[2] !== undefined)
      tokens.push({ kind: m[2] === '{' ? 'open' : m[2] === '}' ? 'close' : 'semi', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'word', text: m[3] });
  }
  return tokens;
}

/**
 * apt.conf syntax, which `apt-config dump` also prints: `A::B "v";`, nested
 * `A { B "v"; };`, comments (//, /* *\/, #). Returns scalar values by full key, lower-cased
 * (apt's option names are case-insensitive); a later assignment wins, as in apt. List
 * items ("a"; inside a block, or `Key:: "a";`) are left out.
 */
export function parseAptConf(text: string): Map<string, string> {
  const tokens = tokenizeAptConf(text);
  const values = new Map<string, string>();
  const scope: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as AptToken;
    if (tok.kind === 'close') {
      scope.pop();
      continue;
    }
    if (tok.kind === 'semi' || tok.kind === 'open') continue;
    const next = tokens[i + 1];
    if (next?.kind === 'open') {
      scope.push(tok.text);
      i++;
    } else if (next?.kind === 'string' || next?.kind === 'word') {
      const key = [...scope, tok.text].join('::');
      if (!key.endsWith('::')) values.set(key.toLowerCase(), next.text);
      i++;
    }
  }
  return values;
}

/** An APT::Periodic interval that runs: "1", "7", "always", "1d"; not "0", "", "never". */
export function periodicOn(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !/^(0+[smhd]?|never|no|false|)$/i.test(value.trim());
}

/** An INI file (automatic.conf, yum-cron.conf) as section -> key -> value, names lower-cased. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  sections.set('', current);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      const name = cap(section, 1).trim().toLowerCase();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv) current.set(cap(kv, 1).toLowerCase(), cap(kv, 2).trim());
  }
  return sections;
}

const truthy = (v: string | undefined): boolean | null =>
  v === undefined
    ? null
    : /^(yes|true|1|on)$/i.test(v)
      ? true
      : /^(no|false|0|off)$/i.test(v)
        ? false
        : null;

export const UPDATE_PATHS = {
  systemdRunning: '/run/systemd/system',
  unitDirs: ['/usr/lib/systemd/system', '/lib/systemd/system'],
  etcSystemd: '/etc/systemd/system',
  aptConf: '/etc/apt/apt.conf',
  autoUpgrades: '/etc/apt/apt.conf.d/20auto-upgrades',
  dnfAutomaticConf: '/etc/dnf/automatic.conf',
  dnf5AutomaticConf: '/etc/dnf/dnf5-plugins/automatic.conf',
  dnf5AutomaticDefaultConf: '/usr/share/dnf5/dnf5-plugins/automatic.conf',
  yumCronConf: '/etc/yum/yum-cron.conf',
};

type UnitState = 'enabled' | 'disabled' | 'masked' | 'absent';

async function unitState(h: LinuxSecurityHost, unit: string, target: string): Promise<UnitState> {
  const etc = `${UPDATE_PATHS.etcSystemd}/${unit}`;
  if ((await h.readOptional(etc)) === '') return 'masked';
  if (await h.exists(`${UPDATE_PATHS.etcSystemd}/${target}.wants/${unit}`)) return 'enabled';
  for (const dir of UPDATE_PATHS.unitDirs) if (await h.exists(`${dir}/${unit}`)) return 'disabled';
  return (await h.exists(etc)) ? 'disabled' : 'absent';
}

async function readUnattendedUpgrades(h: LinuxSecurityHost): Promise<UpdatesGroup> {
  if ((await h.locate('unattended-upgrade')) === null)
    return {
      enabled: false,
      mechanism: null,
      installsAutomatically: false,
      detail: 'unattended-upgrades is not installed',
      reason: null,
    };
  const reasons: string[] = [];
  let conf: Map<string, string> | null = null;
  const aptConfig = await h.locate('apt-config');
  if (aptConfig !== null) {
    const ran = await h.run(aptConfig, ['dump']);
    if (succeeded(ran)) conf = parseAptConf(ran.result.stdout);
    else reasons.push(failureReason(ran));
  } else reasons.push('apt-config is not installed');
  if (conf === null) {
    const files = [
      await h.readOptional(UPDATE_PATHS.aptConf),
      await h.readOptional(UPDATE_PATHS.autoUpgrades),
    ];
    if (files.every((f) => f === null))
      return {
        enabled: null,
        mechanism: 'unattended-upgrades',
        installsAutomatically: null,
        detail: null,
        reason: joinReasons([...reasons, `${UPDATE_PATHS.autoUpgrades} not readable`]),
      };
    conf = parseAptConf(files.filter((f): f is string => f !== null).join('\n'));
    reasons.push(`settings read from ${UPDATE_PATHS.autoUpgrades} and apt.conf only`);
  }
  const uu = conf.get('apt::periodic::unattended-upgrade');
  const lists = conf.get('apt::periodic::update-package-lists');
  const master = conf.get('apt::periodic::enable');
  const details = [
    `APT::Periodic::Unattended-Upgrade "${uu ?? ''}"`,
    `Update-Package-Lists "${lists ?? ''}"`,
  ];
  let enabled = periodicOn(uu) && master !== '0';
  if (master === '0') details.push('APT::Periodic::Enable "0"');
  if (enabled && (await h.exists(UPDATE_PATHS.systemdRunning))) {
    // on systemd, apt-daily-upgrade.timer is what runs unattended-upgrade
    const timer = await unitState(h, 'apt-daily-upgrade.timer', 'timers.target');
    if (timer === 'disabled' || timer === 'masked') {
      enabled = false;
      details.push(`apt-daily-upgrade.timer is ${timer}`);
    }
  }
  return {
    enabled,
    mechanism: 'unattended-upgrades',
    installsAutomatically: enabled,
    detail: details.join(', '),
    reason: joinReasons(reasons),
  };
}

/** dnf-automatic's timers and whether each installs: true, false, or per automatic.conf. */
const DNF_TIMERS: readonly [string, boolean | 'config'][] = [
  ['dnf-automatic-install.timer', true],
  ['dnf-automatic.timer', 'config'],
  ['dnf5-automatic.timer', 'config'],
  ['dnf-automatic-download.timer', false],
  ['dnf-automatic-notifyonly.timer', false],
];

async function readDnfAutomatic(h: LinuxSecurityHost): Promise<UpdatesGroup> {
  const states = await Promise.all(DNF_TIMERS.map(([unit]) => unitState(h, unit, 'timers.target')));
  const installed =
    (await h.locate('dnf-automatic')) !== null || states.some((s) => s !== 'absent');
  if (!installed)
    return {
      enabled: false,
      mechanism: null,
      installsAutomatically: false,
      detail: 'dnf-automatic is not installed',
      reason: null,
    };
  const enabledTimers = DNF_TIMERS.filter((_, i) => states[i] === 'enabled');
  if (enabledTimers.length === 0)
    return {
      enabled: false,
      mechanism: 'dnf-automatic',
      installsAutomatically: false,
      detail: 'dnf-automatic is installed but none of its timers is enabled',
      reason: null,
    };
  const names = enabledTimers.map(([unit]) => unit).join(', ');
  if (enabledTimers.some(([, installs]) => installs === true))
    return {
      enabled: true,
      mechanism: 'dnf-automatic',
      installsAutomatically: true,
      detail: `enabled: ${names}`,
      reason: null,
    };
  if (enabledTimers.every(([, installs]) => installs === false))
    return {
      enabled: true,
      mechanism: 'dnf-automatic',
      installsAutomatically: false,
      detail: `enabled: ${names}`,
      reason: null,
    };
  const dnf5 = enabledTimers.some(([unit]) => unit.startsWith('dnf5'));
  const paths = dnf5
    ? [UPDATE_PATHS.dnf5AutomaticConf, UPDATE_PATHS.dnf5AutomaticDefaultConf]
    : [UPDATE_PATHS.dnfAutomaticConf];
  for (const path of paths) {
    const text = await h.readOptional(path);
    if (text === null) continue;
    const apply = parseIni(text).get('commands')?.get('apply_updates');
    // dnf-automatic's default is apply_updates = no
    const installs = apply === undefined ? false : truthy(apply);
    return {
      enabled: true,
      mechanism: 'dnf-automatic',
      installsAutomatically: installs,
      detail: `enabled: ${names}; apply_updates = ${apply ?? '(default no)'}`,
      reason:
        installs === null ? `apply_updates = ${apply} in ${path} is not a yes/no value` : null,
    };
  }
  return {
    enabled: true,
    mechanism: 'dnf-automatic',
    installsAutomatically: null,
    detail: `enabled: ${names}`,
    reason: `${paths.join(' / ')} not readable: whether it installs is unknown`,
  };
}

async function readYumCron(h: LinuxSecurityHost): Promise<UpdatesGroup | null> {
  if ((await h.locate('yum-cron')) === null) return null;
  const state = await unitState(h, 'yum-cron.service', 'multi-user.target');
  if (state !== 'enabled')
    return {
      enabled: false,
      mechanism: 'yum-cron',
      installsAutomatically: false,
      detail: `yum-cron.service is ${state}`,
      reason: null,
    };
  const text = await h.readOptional(UPDATE_PATHS.yumCronConf);
  const apply = text === null ? undefined : parseIni(text).get('commands')?.get('apply_updates');
  return {
    enabled: true,
    mechanism: 'yum-cron',
    installsAutomatically: text === null ? null : truthy(apply ?? 'no'),
    detail: `yum-cron.service enabled; apply_updates = ${apply ?? '(default no)'}`,
    reason: text === null ? `${UPDATE_PATHS.yumCronConf} not readable` : null,
  };
}

export async function readLinuxAutomaticUpdates(h: LinuxSecurityHost): Promise<UpdatesGroup> {
  if ((await h.locate('apt-get')) !== null) return readUnattendedUpgrades(h);
  if ((await h.locate('dnf')) !== null) return readDnfAutomatic(h);
  if ((await h.locate('yum')) !== null) {
    const yumCron = await readYumCron(h);
    return yumCron ?? readDnfAutomatic(h);
  }
  const unknown = (reason: string): UpdatesGroup => ({
    enabled: null,
    mechanism: null,
    installsAutomatically: null,
    detail: null,
    reason,
  });
  if ((await h.locate('zypper')) !== null)
    return unknown('automatic updates on SUSE (zypper) are not read yet');
  return unknown('no apt, dnf, yum or zypper found: automatic updates unknown');
}
