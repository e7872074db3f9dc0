// sshd_config as sshd reads it (sshd-config.ts), for Linux, macOS and Windows alike. The
// Debian file is a recorded fixture (agent/test/fixtures/security/linux/SOURCES.md); every
// other input here is synthetic, written in sshd_config(5) syntax.
import t from 'tap';
import {
  globToRegExp,
  hostFileReader,
  MAX_CONFIG_FILES,
  normalisePermitRootLogin,
  parseSshdConfig,
  POSIX_SSHD_CONFIG,
  readSshdConfig,
  splitSshdArgs,
  sshdFlag,
  windowsSshdConfig,
  type SshdConfigAccess,
  type SshdConfigLocation,
} from '../src/collectors/security/sshd-config.js';
import type { HostAccess } from '../src/host.js';
import { readFixture } from './helpers/fixtures.js';

const errno = (code: string, message = `${code}: fake`): NodeJS.ErrnoException =>
  Object.assign(new Error(message), { code });

/** A HostAccess that only reads files: text, or the error reading it throws. */
function filesHost(files: Record<string, string | Error>): HostAccess {
  return {
    platform: 'linux',
    env: {},
    now: () => new Date(0),
    exists: async (path) => path in files,
    readFile: async (path) => {
      const f = files[path];
      if (f === undefined) throw errno('ENOENT');
      if (f instanceof Error) throw f;
      return f;
    },
    run: () => Promise.reject(new Error('no commands here')),
  };
}

/** Files and directory listings (a listing may be why it failed); every read and list logged. */
function access(
  files: Record<string, string | Error>,
  dirs: Record<string, string[] | string> = {},
): SshdConfigAccess & { log: string[] } {
  const log: string[] = [];
  const read = hostFileReader(filesHost(files));
  return {
    log,
    read: (path) => {
      log.push(`read ${path}`);
      return read(path);
    },
    listDir: async (dir) => {
      log.push(`list ${dir}`);
      const l = dirs[dir];
      if (l === undefined) return [];
      return typeof l === 'string' ? { error: l } : l;
    },
  };
}

const POSIX = POSIX_SSHD_CONFIG;
const MAIN = POSIX.config;
const MACOS: SshdConfigLocation = { ...POSIX, whenMissing: 'defaults' };
const WINDOWS = windowsSshdConfig('C:\\ProgramData\\ssh\\sshd_config');
const DEFAULTS = {
  permitRootLogin: 'prohibit-password',
  passwordAuthentication: true,
  reason: null,
};

t.test('parseSshdConfig: directives, Include, Match, quotes, comments', async (t) => {
  t.same(
    parseSshdConfig(
      '\uFEFF# c\nPort 22\nPasswordAuthentication=no # trailing\nInclude a b\nMatch User x\n  X "y z"\nMatch all # back\nPermitRootLogin\n',
    ),
    [
      { kind: 'setting', keyword: 'port', args: ['22'] },
      { kind: 'setting', keyword: 'passwordauthentication', args: ['no'] },
      { kind: 'include', patterns: ['a', 'b'] },
      { kind: 'match', all: false },
      { kind: 'setting', keyword: 'x', args: ['y z'] },
      { kind: 'match', all: true },
    ],
    'a keyword without a value is dropped',
  );
  t.same(parseSshdConfig('PermitRootLogin\nPort 22\n'), [
    { kind: 'setting', keyword: 'port', args: ['22'] },
  ]);
  t.same(parseSshdConfig('KEY = v\r\nKey2="a b"\r\nEmpty =\r\nMatch ALL\r\nMatch all User x\r\n'), [
    { kind: 'setting', keyword: 'key', args: ['v'] },
    { kind: 'setting', keyword: 'key2', args: ['a b'] },
    { kind: 'match', all: true },
    { kind: 'match', all: false },
  ]);
  t.same(
    parseSshdConfig('PasswordAuthentication "no\n'),
    [{ kind: 'setting', keyword: 'passwordauthentication', args: ['"no'] }],
    'an unclosed quote: the words as written',
  );
});

t.test('splitSshdArgs: as sshd argv_split splits', async (t) => {
  t.same(splitSshdArgs(`a  "b c" 'd e'\tf#g # comment`), ['a', 'b c', 'd e', 'f#g']);
  t.same(splitSshdArgs('a\\ b \\"c\\" \\\\d C:\\x\\y "q\\"r"'), [
    'a b',
    '"c"',
    '\\d',
    'C:\\x\\y',
    'q"r',
  ]);
  t.same(splitSshdArgs('"a"b\'c\''), ['abc']);
  t.same(splitSshdArgs(''), []);
  t.equal(splitSshdArgs('"never closed'), null);
});

t.test('values: PermitRootLogin spellings and yes/no', async (t) => {
  t.equal(normalisePermitRootLogin(' No '), 'no');
  t.equal(normalisePermitRootLogin('FORCED-COMMANDS-ONLY'), 'forced-commands-only');
  t.equal(normalisePermitRootLogin('without-password'), 'prohibit-password');
  t.equal(normalisePermitRootLogin('sometimes'), null);
  t.equal(normalisePermitRootLogin(undefined), null);
  t.equal(sshdFlag('YES'), true);
  t.equal(sshdFlag('no'), false);
  t.equal(sshdFlag('maybe'), null);
  t.equal(sshdFlag(undefined), null);
});

t.test('globToRegExp: glob(3) in one path component', async (t) => {
  t.ok(globToRegExp('*.conf').test('50-cloud-init.conf'));
  t.notOk(globToRegExp('*.conf').test('50-cloud-init.conf.bak'));
  t.ok(globToRegExp('0?-x.conf').test('01-x.conf'));
  t.notOk(globToRegExp('*').test('.DS_Store'), 'a leading dot is matched only explicitly');
  t.notOk(globToRegExp('?x').test('.x'));
  t.ok(globToRegExp('.*').test('.hidden'));
  t.ok(globToRegExp('\\.h*').test('.hidden'), 'an escaped leading dot is explicit too');
  t.ok(globToRegExp('[0-4]*').test('10-a'));
  t.notOk(globToRegExp('[!0-4]*').test('10-a'));
  t.ok(globToRegExp('[!0-4]*').test('90-a'));
  t.ok(globToRegExp('[]x]').test(']'), "']' first in a class belongs to it");
  t.ok(globToRegExp('[!]]').test('a'));
  t.ok(globToRegExp('a[b').test('a[b'), "no closing ']': a literal '['");
  t.ok(globToRegExp('[\\^]').test('^'));
  t.ok(globToRegExp('a\\*').test('a*'), 'an escaped wildcard is literal');
  t.notOk(globToRegExp('a\\*').test('ab'));
  t.ok(globToRegExp('a+(b).c').test('a+(b).c'), 'regex characters are literal');
  t.ok(globToRegExp('x\\', false).test('x\\'), 'no escapes on Windows');
});

t.test('Debian 12 (recorded file): its drop-in directory, then the OpenSSH defaults', async (t) => {
  const debian = readFixture('security/linux/etc/sshd_config-debian12-openssh-9.2p1.txt');
  const lines = parseSshdConfig(debian);
  t.same(
    lines.find((l) => l.kind === 'include'),
    { kind: 'include', patterns: ['/etc/ssh/sshd_config.d/*.conf'] },
  );
  t.notOk(lines.some((l) => l.kind === 'match'));
  const plain = access({ [MAIN]: debian }, { '/etc/ssh/sshd_config.d': [] });
  t.same(await readSshdConfig(plain, POSIX), DEFAULTS);
  t.same(plain.log, [`read ${MAIN}`, 'list /etc/ssh/sshd_config.d']);
  const cloud = access(
    {
      [MAIN]: debian,
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      '/etc/ssh/sshd_config.d/01-hardening.conf': 'PasswordAuthentication no\n',
    },
    { '/etc/ssh/sshd_config.d': ['50-cloud-init.conf', 'README', '01-hardening.conf'] },
  );
  t.same(
    await readSshdConfig(cloud, POSIX),
    { ...DEFAULTS, passwordAuthentication: false },
    'synthetic drop-ins: the first in lexical order wins',
  );
});

t.test('first value wins; Match blocks are conditional, Match all is global', async (t) => {
  const read = (text: string, files: Record<string, string> = {}) =>
    readSshdConfig(access({ [MAIN]: text, ...files }), POSIX);
  t.same(
    await read(
      'PermitRootLogin=no\nPasswordAuthentication "no"\nPasswordAuthentication yes\nMatch User alice\nPermitRootLogin yes\n',
    ),
    { permitRootLogin: 'no', passwordAuthentication: false, reason: null },
    '= and quotes accepted, the later value and the Match block ignored',
  );
  t.same(
    await read('Match Address 10.0.0.0/8\n PasswordAuthentication no\n PermitRootLogin yes\n'),
    DEFAULTS,
    'settings inside Match are not global',
  );
  t.same(
    await read('Match User bob\n  PasswordAuthentication no\nMatch all\nPermitRootLogin yes\n'),
    { ...DEFAULTS, permitRootLogin: 'yes' },
    "after 'Match all' the settings are global again",
  );
  t.same(
    await read('Match Group wheel\nInclude /etc/ssh/extra.conf\n', {
      '/etc/ssh/extra.conf': 'PasswordAuthentication no\n',
    }),
    DEFAULTS,
    'an Include inside a Match block is conditional too',
  );
  t.same(
    await read('Include /etc/ssh/extra.conf\nPasswordAuthentication no\n', {
      '/etc/ssh/extra.conf': 'Match User x\nPermitRootLogin yes\n',
    }),
    { ...DEFAULTS, passwordAuthentication: false },
    "an included file's Match block ends with that file",
  );
});

t.test('Include: relative, wildcards, missing files, depth', async (t) => {
  const macos = access(
    {
      [MAIN]:
        'Include /etc/ssh/sshd_config.d/*\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n',
      '/etc/ssh/sshd_config.d/100-macos.conf': 'UsePAM yes\n',
      '/etc/ssh/sshd_config.d/010-hardening.conf':
        'PasswordAuthentication no\nPermitRootLogin without-password\n',
      '/etc/ssh/sshd_config.d/200-late.conf': 'PermitRootLogin yes\n',
    },
    {
      '/etc/ssh/sshd_config.d': ['100-macos.conf', '010-hardening.conf', 'README', '200-late.conf'],
    },
  );
  t.same(
    await readSshdConfig(macos, MACOS),
    { passwordAuthentication: false, permitRootLogin: 'prohibit-password', reason: null },
    'the drop-in read first (lexical order) wins over the main file',
  );
  t.same(
    macos.log,
    [
      `read ${MAIN}`,
      'list /etc/ssh/sshd_config.d',
      'read /etc/ssh/sshd_config.d/010-hardening.conf',
    ],
    'nothing more is read once both values are known',
  );
  t.same(
    await readSshdConfig(
      access({
        [MAIN]: 'Include conf.d/extra.conf\n',
        '/etc/ssh/conf.d/extra.conf': 'PermitRootLogin yes\nPasswordAuthentication yes\n',
      }),
      POSIX,
    ),
    { passwordAuthentication: true, permitRootLogin: 'yes', reason: null },
    'a relative include without wildcards, under /etc/ssh',
  );
  const twoPatterns = access({
    [MAIN]: 'Include /a.conf /b.conf\n',
    '/a.conf': 'PermitRootLogin no\nPasswordAuthentication no\n',
  });
  t.same(await readSshdConfig(twoPatterns, POSIX), {
    permitRootLogin: 'no',
    passwordAuthentication: false,
    reason: null,
  });
  t.same(twoPatterns.log, [`read ${MAIN}`, 'read /a.conf'], 'the second pattern is not needed');
  const wildDir = access(
    {
      [MAIN]: 'Include /etc/ssh/*.d/\\*.conf /*.conf /none/*.conf',
      '/etc/ssh/b.d/*.conf': 'PasswordAuthentication no\n',
      '/etc/ssh/a-x.d/*.conf': 'PermitRootLogin no\n',
      '/top.conf': 'PermitRootLogin yes\n',
    },
    { '/etc/ssh': ['b.d', 'a-x.d', 'sshd_config'], '/': ['top.conf', 'etc'] },
  );
  t.same(
    await readSshdConfig(wildDir, POSIX),
    { permitRootLogin: 'no', passwordAuthentication: false, reason: null },
    'a wildcard directory component; an escaped wildcard is a literal name',
  );
  t.same(wildDir.log, [
    `read ${MAIN}`,
    'list /etc/ssh',
    'read /etc/ssh/a-x.d/*.conf',
    'read /etc/ssh/b.d/*.conf',
  ]);
  const root = access(
    { [MAIN]: 'Include /*.conf\n', '/top.conf': 'PermitRootLogin yes\n' },
    { '/': ['top.conf', 'etc'] },
  );
  t.same(await readSshdConfig(root, POSIX), { ...DEFAULTS, permitRootLogin: 'yes' });
  t.same(root.log, [`read ${MAIN}`, 'list /', 'read /top.conf'], 'the root directory listed');
  t.same(
    await readSshdConfig(access({ [MAIN]: 'Include missing.conf /nowhere/*\n' }), POSIX),
    DEFAULTS,
    'includes that match nothing are skipped, as by sshd',
  );
  const loop = await readSshdConfig(access({ [MAIN]: `Include ${MAIN}\n` }), POSIX);
  t.match(
    loop,
    { permitRootLogin: 'prohibit-password', passwordAuthentication: true },
    'an include loop ends',
  );
  t.equal(
    loop.reason,
    'Include nests deeper than 16 levels at /etc/ssh/sshd_config (a loop?): sshd does not start with this configuration',
  );
  const many: Record<string, string> = { [MAIN]: 'Include /d/*\nPasswordAuthentication no\n' };
  const names: string[] = [];
  for (let i = 0; i <= MAX_CONFIG_FILES; i++) {
    const name = `f${String(i).padStart(4, '0')}.conf`;
    names.push(name);
    many[`/d/${name}`] = '# nothing\n';
  }
  t.same(await readSshdConfig(access(many, { '/d': names }), POSIX), {
    permitRootLogin: null,
    passwordAuthentication: null,
    reason: `the includes name more than ${MAX_CONFIG_FILES} files: not all read`,
  });
});

t.test('a missing main file: unknown (sshd does not start) or the defaults', async (t) => {
  t.same(await readSshdConfig(access({}), POSIX), {
    permitRootLogin: null,
    passwordAuthentication: null,
    reason: '/etc/ssh/sshd_config does not exist (sshd does not start without it)',
  });
  t.same(await readSshdConfig(access({}), MACOS), DEFAULTS, 'no config at all: OpenSSH defaults');
  t.same(await readSshdConfig(access({}), WINDOWS), DEFAULTS);
});

t.test('unreadable files and odd values make the answer unknown', async (t) => {
  t.same(
    await readSshdConfig(access({ [MAIN]: errno('EACCES', 'EACCES: permission denied') }), POSIX),
    {
      passwordAuthentication: null,
      permitRootLogin: null,
      reason: "/etc/ssh/sshd_config is not readable by the agent's account",
    },
  );
  t.equal(
    (await readSshdConfig(access({ [MAIN]: errno('EPERM') }), POSIX)).reason,
    "/etc/ssh/sshd_config is not readable by the agent's account",
  );
  t.equal(
    (await readSshdConfig(access({ [MAIN]: errno('ENOTDIR') }), POSIX)).reason,
    '/etc/ssh/sshd_config does not exist (sshd does not start without it)',
  );
  const unlistable = access(
    { [MAIN]: 'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n' },
    { '/etc/ssh/sshd_config.d': 'Operation not permitted' },
  );
  t.same(
    await readSshdConfig(unlistable, MACOS),
    {
      passwordAuthentication: null,
      permitRootLogin: null,
      reason:
        'the included directory /etc/ssh/sshd_config.d could not be listed (Operation not permitted)',
    },
    'a value after an unreadable include may have been overridden by it',
  );
  t.same(
    await readSshdConfig(
      access({
        [MAIN]: 'PermitRootLogin no\nInclude /x/y.conf\nPasswordAuthentication no\n',
        '/x/y.conf': new Error('EIO'),
      }),
      POSIX,
    ),
    {
      permitRootLogin: 'no',
      passwordAuthentication: null,
      reason: '/x/y.conf could not be read (EIO)',
    },
    'a value before the unreadable file stands',
  );
  t.same(
    await readSshdConfig(
      access({ [MAIN]: 'PasswordAuthentication maybe\nPermitRootLogin sometimes\n' }),
      POSIX,
    ),
    {
      passwordAuthentication: null,
      permitRootLogin: null,
      reason:
        "PasswordAuthentication 'maybe' not understood; PermitRootLogin 'sometimes' not understood",
    },
  );
  t.same(
    await readSshdConfig(access({ [MAIN]: 'PasswordAuthentication no yes\n' }), POSIX),
    {
      passwordAuthentication: null,
      permitRootLogin: 'prohibit-password',
      reason: "PasswordAuthentication 'no yes' not understood",
    },
    'extra words: sshd rejects the line',
  );
  const long = await readSshdConfig(
    access({ [MAIN]: `PasswordAuthentication ${'x'.repeat(600)}\n` }),
    POSIX,
  );
  t.equal(long.reason?.length, 512);
  t.ok(long.reason?.endsWith('...'));
});

t.test('Windows: %ProgramData%\\ssh paths, CRLF, its includes', async (t) => {
  t.same(WINDOWS, {
    config: 'C:\\ProgramData\\ssh\\sshd_config',
    configDir: 'C:\\ProgramData\\ssh',
    separator: '\\',
    whenMissing: 'defaults',
  });
  const windows = await readSshdConfig(
    access({ 'C:\\ProgramData\\ssh\\sshd_config': 'PasswordAuthentication no\r\n' }),
    WINDOWS,
  );
  t.equal(windows.passwordAuthentication, false, 'Windows paths and CRLF');
  const winInclude = await readSshdConfig(
    access({
      'C:\\ProgramData\\ssh\\sshd_config': 'Include D:\\ssh\\extra.conf\r\n',
      'D:\\ssh\\extra.conf': 'PermitRootLogin no\r\n',
    }),
    WINDOWS,
  );
  t.equal(winInclude.permitRootLogin, 'no', 'an absolute Windows include');
  const relative = access(
    {
      'C:\\ProgramData\\ssh\\sshd_config':
        'Include sshd_config.d/*.conf\r\nInclude extra\\one.conf\r\n',
      'C:\\ProgramData\\ssh\\sshd_config.d\\a.conf': 'PasswordAuthentication no\r\n',
      'C:\\ProgramData\\ssh\\extra\\one.conf': 'PermitRootLogin no\r\n',
    },
    { 'C:\\ProgramData\\ssh\\sshd_config.d': ['a.conf'] },
  );
  t.same(
    await readSshdConfig(relative, WINDOWS),
    { permitRootLogin: 'no', passwordAuthentication: false, reason: null },
    "relative to %ProgramData%\\ssh; '/' separates too",
  );
  t.same(relative.log, [
    'read C:\\ProgramData\\ssh\\sshd_config',
    'list C:\\ProgramData\\ssh\\sshd_config.d',
    'read C:\\ProgramData\\ssh\\sshd_config.d\\a.conf',
    'read C:\\ProgramData\\ssh\\extra\\one.conf',
  ]);
  t.same(
    await readSshdConfig(
      access({
        'C:\\ProgramData\\ssh\\sshd_config': 'Include \\\\srv\\ssh.conf\r\n',
        '\\srv\\ssh.conf': 'PermitRootLogin no\r\n',
      }),
      WINDOWS,
    ),
    { ...DEFAULTS, permitRootLogin: 'no' },
    'a path from the root of the drive',
  );
});
