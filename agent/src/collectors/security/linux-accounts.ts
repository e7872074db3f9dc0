// Local administrators and the guest account on Linux, from the account files.
//
// Administrators: members of the sudo, wheel and admin groups in /etc/group (listed
//   members and users whose primary group it is: sudo and polkit grant both), users and
//   %groups that /etc/sudoers and its includes give `ALL` commands as root, and accounts
//   other than root with uid 0. root itself is not listed: it is the administrator on
//   every Linux machine; the list is of the other accounts that can act as root.
//   /etc/sudoers is 0440 root: a non-root agent lists the groups only and says so.
// Guest: no Linux has a guest account by default. Enabled when /etc/passwd has a "guest"
//   user with a login shell, or LightDM offers guest sessions (allow-guest, true unless
//   set false, and only when its guest-account script is installed).
// Reads files only; privileges as above.
import { cap, joinReasons, textLines, type LinuxSecurityHost } from './linux-run.js';

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** /etc/group: name:password:gid:member,member */
export function parseGroupFile(text: string): GroupEntry[] {
  const groups: GroupEntry[] = [];
  for (const line of textLines(text)) {
    if (line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , gid, members] = line.split(':');
    if (!name || gid === undefined || !/^\d+$/.test(gid)) continue;
    groups.push({
      name,
      gid: Number(gid),
      members: (members ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  return groups;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  shell: string;
}

/** /etc/passwd: name:password:uid:gid:gecos:home:shell */
export function parsePasswdFile(text: string): PasswdEntry[] {
  const users: PasswdEntry[] = [];
  for (const line of textLines(text)) {
    const f = line.split(':');
    if (f.length < 7 || !f[0] || !/^\d+$/.test(cap(f, 2)) || !/^\d+$/.test(cap(f, 3))) continue;
    users.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), shell: cap(f, 6).trim() });
  }
  return users;
}

/** A shell that lets the account log in (not nologin, false, sync, shutdown...). */
export function isLoginShell(shell: string): boolean {
  return shell !== '' && !/(nologin|\/false|\/true|\/sync|\/shutdown|\/halt)$/.test(shell);
}

export interface SudoersGrants {
  /** users given every command as root */
  users: string[];
  /** groups (without the %) given every command as root */
  groups: string[];
  /** @includedir / #includedir directories */
  includeDirs: string[];
  /** @include / #include files */
  includeFiles: string[];
}

/** "(ALL:ALL)", "(ALL)", "(root)" or none: runs as root. "(:ALL)" or "(alice)": does not. */
function runsAsRoot(runas: string | undefined): boolean {
  if (runas === undefined) return true;
  const users = cap(runas.split(':'), 0)
    .split(',')
    .map((u) => u.trim());
  return users.some((u) => u === 'ALL' || u === 'root' || u === '#0');
}

/**
 * sudoers: which users and %groups may run ALL commands as root. Continuation lines are
 * joined; Defaults and Cmnd/Host/Runas aliases are skipped; User_Alias is expanded.
 */
export function parseSudoers(text: string): SudoersGrants {
  const grants: SudoersGrants = { users: [], groups: [], includeDirs: [], includeFiles: [] };
  const aliases = new Map<string, string[]>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    let line = raw.trim();
    const include = /^[@#](include(?:dir)?)\s+(.+)$/.exec(line);
    if (include) {
      (include[1] === 'includedir' ? grants.includeDirs : grants.includeFiles).push(
        cap(include, 2).trim(),
      );
      continue;
    }
    line = line.replace(/(^|\s)#(?!\d).*$/, '').trim();
    if (line === '' || /^(Defaults|Cmnd_Alias|Host_Alias|Runas_Alias)\b/.test(line)) continue;
    const alias = /^User_Alias\s+(.+)$/.exec(line);
    if (alias) {
      for (const def of cap(alias, 1).split(':')) {
        const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.+)$/.exec(def);
        if (m)
          aliases.set(
            cap(m, 1),
            cap(m, 2)
              .split(',')
              .map((u) => u.trim())
              .filter(Boolean),
          );
      }
      continue;
    }
    const rule = /^(.+?)\s+([^\s=]+)\s*=\s*(.+)$/.exec(line);
    if (!rule) continue;
    const spec = cap(rule, 3).trim();
    const runas = /^\(([^)]*)\)/.exec(spec)?.[1];
    const commands = spec
      .replace(/^\([^)]*\)\s*/, '')
      .replace(/^([A-Z_]+:\s*)+/, '')
      .split(',')
      .map((c) => c.trim());
    if (!commands.includes('ALL') || !runsAsRoot(runas)) continue;
    const who = cap(rule, 1)
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    for (const name of who.flatMap((u) => aliases.get(u) ?? [u])) {
      if (name.startsWith('!')) continue;
      if (name.startsWith('%:')) continue;
      if (name.startsWith('%')) grants.groups.push(name.slice(1));
      else grants.users.push(name);
    }
  }
  return grants;
}

export const ACCOUNT_PATHS = {
  group: '/etc/group',
  passwd: '/etc/passwd',
  sudoers: '/etc/sudoers',
  lightdmConfDirs: [
    '/usr/share/lightdm/lightdm.conf.d',
    '/usr/local/share/lightdm/lightdm.conf.d',
    '/etc/xdg/lightdm/lightdm.conf.d',
    '/etc/lightdm/lightdm.conf.d',
  ],
  lightdmConf: '/etc/lightdm/lightdm.conf',
};

/** The groups that grant administrator rights by convention (sudoers, polkit). */
export const ADMIN_GROUPS = ['sudo', 'wheel', 'admin'];

/** Included sudoers files read at most (a real tree has a handful). */
const MAX_SUDOERS_FILES = 256;

/** sudo skips included names that contain a '.' or end in '~' (editor backups, .dpkg-old). */
const sudoIncludable = (name: string): boolean => !name.includes('.') && !name.endsWith('~');

async function readSudoersTree(
  h: LinuxSecurityHost,
): Promise<{ grants: SudoersGrants | null; reason: string | null }> {
  const main = await h.read(ACCOUNT_PATHS.sudoers);
  if ('error' in main) {
    if (main.missing) return { grants: null, reason: null }; // sudo not installed
    return {
      grants: null,
      reason: `${ACCOUNT_PATHS.sudoers} is not readable (needs root): only members of the sudo, wheel and admin groups are listed`,
    };
  }
  const all: SudoersGrants = { users: [], groups: [], includeDirs: [], includeFiles: [] };
  const unreadable: string[] = [];
  // Each file is read once, and at most MAX_SUDOERS_FILES in all: a file in sudoers.d that
  // includes sudoers.d would otherwise be read again at every depth, (files per
  // directory)^8 reads (found by test/parser-fuzz). Grants are the same either way.
  const visited = new Set<string>();
  let skipped = 0;
  const visit = async (text: string, depth: number): Promise<void> => {
    const g = parseSudoers(text);
    all.users.push(...g.users);
    all.groups.push(...g.groups);
    if (depth >= 8) return;
    const files = [...g.includeFiles];
    for (const dir of g.includeDirs)
      files.push(...(await h.listDir(dir)).filter(sudoIncludable).map((f) => `${dir}/${f}`));
    for (const file of files) {
      if (visited.has(file)) continue;
      if (visited.size >= MAX_SUDOERS_FILES) {
        skipped++;
        continue;
      }
      visited.add(file);
      const r = await h.read(file);
      if ('text' in r) await visit(r.text, depth + 1);
      else if (!r.missing) unreadable.push(file);
    }
  };
  visited.add(ACCOUNT_PATHS.sudoers);
  await visit(main.text, 0);
  const reasons = [
    ...(unreadable.length === 0 ? [] : [`not readable: ${unreadable.join(', ')}`]),
    ...(skipped === 0
      ? []
      : [`${skipped} included files past the first ${MAX_SUDOERS_FILES} not read`]),
  ];
  return { grants: all, reason: reasons.length === 0 ? null : reasons.join('; ') };
}

export interface AdministratorsGroup {
  groups: string[];
  members: string[];
  reason: string | null;
}

/** The members of `groups` from the account files: listed members, then primary-group users. */
export function membersOf(
  groupNames: readonly string[],
  groups: readonly GroupEntry[],
  users: readonly PasswdEntry[],
): string[] {
  const out: string[] = [];
  for (const name of groupNames) {
    const group = groups.find((g) => g.name === name);
    if (!group) continue;
    out.push(...group.members, ...users.filter((u) => u.gid === group.gid).map((u) => u.name));
  }
  return out;
}

export async function readLinuxAdministrators(h: LinuxSecurityHost): Promise<AdministratorsGroup> {
  const groupFile = await h.read(ACCOUNT_PATHS.group);
  if ('error' in groupFile) return { groups: [], members: [], reason: groupFile.error };
  const groups = parseGroupFile(groupFile.text);
  const passwdText = await h.readOptional(ACCOUNT_PATHS.passwd);
  const users = passwdText === null ? [] : parsePasswdFile(passwdText);
  const sudoers = await readSudoersTree(h);
  const adminGroups = [
    ...new Set([
      ...ADMIN_GROUPS.filter((name) => groups.some((g) => g.name === name)),
      ...(sudoers.grants?.groups ?? []),
    ]),
  ];
  const members = [
    ...membersOf(adminGroups, groups, users),
    ...(sudoers.grants?.users ?? []),
    ...users.filter((u) => u.uid === 0).map((u) => u.name),
  ].filter((name) => name !== 'root');
  return {
    groups: adminGroups.slice(0, 8).map((g) => g.slice(0, 64)),
    members: [...new Set(members)].slice(0, 256).map((m) => m.slice(0, 256)),
    reason: joinReasons([
      passwdText === null
        ? `${ACCOUNT_PATHS.passwd} not readable: primary-group members unknown`
        : null,
      sudoers.reason,
    ]),
  };
}

/**
 * LightDM's allow-guest from its configuration files, read in order (later wins), in the
 * [Seat:*] section or the older [SeatDefaults]; null when none sets it.
 */
export function lightdmAllowGuest(files: readonly string[]): boolean | null {
  let value: boolean | null = null;
  for (const text of files) {
    let inSeat = false;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line.startsWith('[')) {
        inSeat = line === '[Seat:*]' || line === '[SeatDefaults]';
        continue;
      }
      const m = /^allow-guest\s*=\s*(\S+)/.exec(line);
      if (inSeat && m) value = m[1] === 'true';
    }
  }
  return value;
}

export interface GuestGroup {
  enabled: boolean | null;
  reason: string | null;
}

export async function readLinuxGuest(h: LinuxSecurityHost): Promise<GuestGroup> {
  const passwd = await h.read(ACCOUNT_PATHS.passwd);
  if ('error' in passwd) return { enabled: null, reason: passwd.error };
  const guestUser = parsePasswdFile(passwd.text).some(
    (u) => u.name === 'guest' && isLoginShell(u.shell),
  );
  if (guestUser) return { enabled: true, reason: null };
  if ((await h.locate('lightdm')) === null || (await h.locate('guest-account')) === null)
    return { enabled: false, reason: null };
  const files: string[] = [];
  for (const dir of ACCOUNT_PATHS.lightdmConfDirs)
    for (const name of (await h.listDir(dir)).filter((f) => f.endsWith('.conf'))) {
      const text = await h.readOptional(`${dir}/${name}`);
      if (text !== null) files.push(text);
    }
  const main = await h.readOptional(ACCOUNT_PATHS.lightdmConf);
  if (main !== null) files.push(main);
  // LightDM's own default is allow-guest=true
  return { enabled: lightdmAllowGuest(files) ?? true, reason: null };
}
