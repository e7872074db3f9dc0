// The service definitions install writes: the systemd unit, the Windows task XML and the
// macOS plist, and the helpers that build their command lines.
import t from 'tap';
import { linuxSystemd, systemdUnit } from '../src/service/linux-systemd.js';
import { launchdPlist, macosLaunchd } from '../src/service/macos-launchd.js';
import { runArguments } from '../src/service/manager.js';
import { hostPath } from '../src/service/system.js';
import {
  parseSchtasksStatus,
  taskXml,
  taskXmlFile,
  windowsArg,
  windowsTask,
} from '../src/service/windows-task.js';

const linuxLayout = linuxSystemd.layout({}, undefined);
const windowsLayout = windowsTask.layout(
  { ProgramFiles: 'C:\\Program Files', ProgramData: 'C:\\ProgramData' },
  undefined,
);
const macLayout = macosLaunchd.layout({}, undefined);

/** Lines of a unit file without comments, as `key=value`. */
function directives(unit: string): string[] {
  return unit.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('['));
}

t.test('standard locations per platform', async (t) => {
  t.same(linuxLayout, {
    binary: '/opt/vcio/vcio-agent',
    stateDir: '/var/lib/vcio-agent',
    definition: '/etc/systemd/system/vcio-agent.service',
  });
  t.same(windowsLayout, {
    binary: 'C:\\Program Files\\vcio\\vcio-agent.exe',
    stateDir: 'C:\\ProgramData\\vcio\\agent',
    definition: 'C:\\ProgramData\\vcio\\agent\\vcio-agent-task.xml',
  });
  t.same(macLayout, {
    binary: '/usr/local/vcio/vcio-agent',
    stateDir: '/Library/Application Support/vcio/agent',
    definition: '/Library/LaunchDaemons/com.vcio.agent.plist',
  });
  t.equal(linuxSystemd.layout({}, '/srv/vcio').stateDir, '/srv/vcio', '--state-dir wins');
  t.same(runArguments(linuxLayout), ['run', '--state-dir', '/var/lib/vcio-agent']);
});

t.test('the systemd unit runs the installed binary, hardened, restarting on failure', async (t) => {
  const unit = systemdUnit(linuxLayout);
  const lines = directives(unit);
  t.ok(lines.includes('ExecStart=/opt/vcio/vcio-agent run --state-dir /var/lib/vcio-agent'));
  for (const expected of [
    'Type=simple',
    'Restart=on-failure',
    'ProtectSystem=strict',
    'ReadWritePaths=/var/lib/vcio-agent',
    'ProtectHome=read-only',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'WantedBy=multi-user.target',
  ]) {
    t.ok(lines.includes(expected), expected);
  }
  // What would stop it reading what it reports on, or reaching the collector.
  for (const forbidden of ['PrivateDevices', 'PrivateNetwork', 'MemoryDenyWriteExecute', 'User=']) {
    t.notOk(
      lines.some((l) => l.startsWith(forbidden)),
      `${forbidden} is not set`,
    );
  }
  t.match(unit, /^\[Unit\]$/m);
  t.match(unit, /^\[Service\]$/m);
  t.match(unit, /^\[Install\]$/m);
  // every directive is key=value (no stray text from the template)
  for (const line of lines) t.match(line, /^[A-Za-z]+=/, line);
});

t.test('the systemd unit quotes a state directory with spaces', async (t) => {
  const unit = systemdUnit(linuxSystemd.layout({}, '/srv/vcio state'));
  t.match(unit, /^ExecStart=\/opt\/vcio\/vcio-agent run --state-dir "\/srv\/vcio state"$/m);
  t.match(unit, /^ReadWritePaths="\/srv\/vcio state"$/m);
});

t.test('windowsArg quotes as CommandLineToArgvW splits', async (t) => {
  t.equal(windowsArg('run'), 'run');
  t.equal(windowsArg('C:\\ProgramData\\vcio\\agent'), 'C:\\ProgramData\\vcio\\agent');
  t.equal(windowsArg('C:\\Program Files\\vcio'), '"C:\\Program Files\\vcio"');
  t.equal(
    windowsArg('C:\\dir with space\\'),
    '"C:\\dir with space\\\\"',
    'trailing backslash doubled',
  );
  t.equal(windowsArg('say "hi"'), '"say \\"hi\\""');
  t.equal(windowsArg(''), '""');
});

t.test(
  'the task XML runs the binary as SYSTEM at boot, with a watchdog and no time limit',
  async (t) => {
    const xml = taskXml(
      windowsTask.layout(
        { ProgramFiles: 'C:\\Program Files', ProgramData: 'D:\\Data & Co' },
        undefined,
      ),
    );
    t.match(xml, /^<\?xml version="1\.0" encoding="UTF-16"\?>/);
    t.match(xml, /<UserId>S-1-5-18<\/UserId>/, 'LocalSystem');
    t.match(xml, /<BootTrigger>\s*<Enabled>true<\/Enabled>\s*<\/BootTrigger>/);
    t.match(xml, /<Repetition>\s*<Interval>PT5M<\/Interval>/, 'watchdog every 5 minutes');
    t.match(xml, /<MultipleInstancesPolicy>IgnoreNew<\/MultipleInstancesPolicy>/);
    t.match(xml, /<ExecutionTimeLimit>PT0S<\/ExecutionTimeLimit>/);
    t.match(xml, /<RestartOnFailure>\s*<Interval>PT1M<\/Interval>\s*<Count>999<\/Count>/);
    t.match(xml, /<DisallowStartIfOnBatteries>false</);
    t.match(xml, /<Command>C:\\Program Files\\vcio\\vcio-agent\.exe<\/Command>/);
    t.match(
      xml,
      /<Arguments>run --state-dir &quot;D:\\Data &amp; Co\\vcio\\agent&quot;<\/Arguments>/,
      'arguments quoted for Windows, then escaped for XML',
    );
    // every element opened is closed, in order
    const stack: string[] = [];
    for (const [, close, name, selfClosing] of xml.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (close) t.equal(stack.pop(), name, `</${name}> closes the open element`);
      else stack.push(name!);
    }
    t.same(stack, [], 'all elements closed');
  },
);

t.test('the task XML file is UTF-16 LE with a byte-order mark', async (t) => {
  const file = taskXmlFile(windowsLayout);
  t.same([...file.subarray(0, 2)], [0xff, 0xfe]);
  t.equal(file.subarray(2).toString('utf16le'), taskXml(windowsLayout));
});

t.test('parseSchtasksStatus reads the status column', async (t) => {
  t.equal(parseSchtasksStatus('"\\vcio-agent","N/A","Running"\r\n'), 'Running');
  t.equal(parseSchtasksStatus('\r\n"\\vcio-agent","N/A","Ready"\r\n'), 'Ready');
  t.equal(parseSchtasksStatus(''), null);
  t.equal(parseSchtasksStatus('ERROR: The system cannot find the file specified.'), null);
});

t.test('the LaunchDaemon plist keeps the agent alive as a background process', async (t) => {
  const plist = launchdPlist(macLayout);
  t.match(plist, /<key>Label<\/key>\s*<string>com\.vcio\.agent<\/string>/);
  t.match(
    plist,
    /<key>ProgramArguments<\/key>\s*<array>\s*<string>\/usr\/local\/vcio\/vcio-agent<\/string>\s*<string>run<\/string>\s*<string>--state-dir<\/string>\s*<string>\/Library\/Application Support\/vcio\/agent<\/string>\s*<\/array>/,
  );
  t.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/);
  t.match(plist, /<key>KeepAlive<\/key>\s*<true\/>/);
  t.match(plist, /<key>ProcessType<\/key>\s*<string>Background<\/string>/);
  t.match(
    launchdPlist(macosLaunchd.layout({}, '/tmp/a<b>&c')),
    /<string>\/tmp\/a&lt;b&gt;&amp;c<\/string>/,
  );
});

t.test('hostPath maps target paths under a staging root', async (t) => {
  t.equal(hostPath({ root: undefined }, '/opt/vcio/vcio-agent'), '/opt/vcio/vcio-agent');
  t.equal(hostPath({ root: '/tmp/r' }, '/opt/vcio/vcio-agent'), '/tmp/r/opt/vcio/vcio-agent');
  t.equal(
    hostPath({ root: '/tmp/r' }, 'C:\\Program Files\\vcio\\vcio-agent.exe'),
    '/tmp/r/C/Program Files/vcio/vcio-agent.exe',
  );
});
