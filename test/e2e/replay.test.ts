// The Windows and macOS paths end to end on this (Linux) machine: the real agent CLI enrolls
// and replays a recorded Windows machine and a recorded Mac (`enroll --replay DIR`, then
// `once --replay DIR`: an agent speaks only for the machine it enrolled as; see
// agent/test/fixtures/replay/README.md) into the real collector process, and the API shows
// both hosts with the facts, pending updates, installed software and security settings their
// recordings hold, and the fleet software question finds the replayed Windows host.
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPLAY_FIXTURES, runAgent, startCollectorProcess, tempDir } from '../lib/processes.js';

// Tests read the API's JSON loosely: the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

interface Recorded {
  dir: string;
  platform: string;
  hostname: string;
  machineId: string;
}

function recorded(name: string, platform: string): Recorded {
  const dir = join(REPLAY_FIXTURES, name);
  const host = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')) as Recorded;
  return { dir, platform, hostname: host.hostname, machineId: host.machineId };
}

t.test('a replayed Windows machine and a replayed Mac reach the API', async (t) => {
  const collector = await startCollectorProcess();
  const windowsState = tempDir('agent-replay-windows');
  const macState = tempDir('agent-replay-mac');
  t.teardown(async () => {
    await collector.stop();
    for (const dir of [windowsState, macState]) rmSync(dir, { recursive: true, force: true });
  });
  const admin = { authorization: `Bearer ${collector.bootstrap.adminToken}` };
  const api = async (path: string) =>
    json(await fetch(`${collector.url}/api/v1${path}`, { headers: admin }));

  const windows = recorded('windows-10-enterprise', 'windows');
  const mac = recorded('macos-26-tahoe', 'darwin');
  // Both agents at once: each is its own process with its own state directory.
  await Promise.all(
    [
      [windows, windowsState],
      [mac, macState],
    ].map(async ([machine, stateDir]) => {
      const { dir } = machine as Recorded;
      // Each recorded machine enrolls as itself (its machine id from host.json).
      const enroll = await runAgent([
        'enroll',
        '--state-dir',
        stateDir as string,
        '--url',
        collector.url,
        '--token',
        collector.bootstrap.enrollToken,
        '--replay',
        dir,
      ]);
      t.equal(enroll.code, 0, `enroll --replay ${dir}: ${enroll.stderr}`);
      const once = await runAgent(['once', '--state-dir', stateDir as string, '--replay', dir]);
      t.equal(once.code, 0, `once --replay ${dir}: ${once.stderr}`);
      t.match(once.stderr, /not collected in replay: performance/, 'says what it leaves out');
    }),
  );

  const list = await api('/hosts');
  t.equal(list.total, 2, 'two hosts, neither of them this machine');
  const agents = await api(`/tenants/${collector.bootstrap.tenant.slug}/agents`);
  t.same(
    agents.agents.map((a: { machineId: string }) => a.machineId).sort(),
    [windows.machineId, mac.machineId].sort(),
    'each recorded machine enrolled as itself',
  );

  // A recorded machine replayed through another machine's enrollment is refused: the
  // agent's credentials speak only for the machine they were enrolled as.
  const crossed = await runAgent([
    'once',
    '--state-dir',
    windowsState,
    '--replay',
    mac.dir,
    '--max-attempts',
    '1',
  ]);
  t.equal(crossed.code, 5, 'rejected');
  t.match(crossed.stderr, /machine_mismatch/);
  const byName = new Map(list.hosts.map((h: { hostname: string }) => [h.hostname, h]));
  for (const machine of [windows, mac]) {
    const summary = byName.get(machine.hostname) as {
      machineId: string;
      os: { platform: string };
    };
    t.ok(summary, `${machine.hostname} listed`);
    t.equal(summary.machineId, machine.machineId, 'the machine id from host.json');
    t.equal(summary.os.platform, machine.platform);
  }

  const winHost = await api(`/hosts/${(byName.get(windows.hostname) as { id: string }).id}`);
  const winSystem = winHost.sections.system.data;
  t.match(winSystem, {
    hostname: 'DESKTOP-WIN01',
    os: { platform: 'windows', distro: 'Microsoft Windows 10 Enterprise', build: '19042' },
    hardware: { manufacturer: 'VMware, Inc.', model: 'VMware7,1', virtual: true },
    memory: { totalBytes: 2047 * 1024 * 1024 },
    network: [{ name: 'Ethernet0', ipv4: ['192.168.133.3'] }],
  });
  const winPatches = winHost.sections.patches.data;
  t.match(winPatches.sources, [{ manager: 'windows-update', ok: true, pendingCount: 1 }]);
  t.same(
    winPatches.sources[0].pending.map((u: { kb: string }) => u.kb),
    ['KB2267602'],
    'the pending KB from the recording',
  );
  t.equal(winPatches.rebootRequired, true);
  const winSoftware = winHost.sections.software.data;
  t.match(
    winSoftware.sources,
    [
      { source: 'registry-64', ok: true, count: 3 },
      { source: 'registry-32', ok: true, count: 11 },
      { source: 'msi', ok: true, count: 2 },
    ],
    'the three sources of the recorded Uninstall document',
  );
  t.match(
    winSoftware.items.find((i: { name: string }) => i.name === 'Google Chrome'),
    { version: '91.0.4472.77', publisher: 'Google LLC', source: 'msi' },
    'the recorded software list',
  );
  const winSecurity = winHost.sections.security.data;
  t.match(winSecurity.firewall, { enabled: false, reason: null });
  t.match(winSecurity.encryption, {
    volumes: [
      { mount: 'C:', encrypted: true, method: 'XTS-AES 128', protectionOn: true },
      { mount: 'D:', encrypted: false, protectionOn: false },
    ],
    reason: null,
  });
  t.match(winSecurity.antimalware.products, [
    { name: 'Microsoft Defender Antivirus', enabled: true, signatureVersion: '1.305.2574.0' },
  ]);
  t.match(winSecurity.secureBoot, { enabled: true });
  t.match(winSecurity.timeSync, { synchronized: true, source: 'time.windows.com' });

  // The fleet question: which hosts have Chrome older than 100? The replayed Windows host.
  const oldChrome = await api(`/software?name=${encodeURIComponent('google chrome')}&below=100.0`);
  t.equal(oldChrome.total, 1);
  t.match(oldChrome.hosts, [
    { hostname: 'DESKTOP-WIN01', name: 'Google Chrome', version: '91.0.4472.77', source: 'msi' },
  ]);
  const olderChrome = await api(`/software?name=${encodeURIComponent('Google Chrome')}&below=91.0`);
  t.equal(olderChrome.total, 0, 'not below an older version');
  t.equal(winHost.sections.performance, undefined, 'no performance section');
  t.equal(winHost.latestPerformance, null, 'no performance sample');

  const macHost = await api(`/hosts/${(byName.get(mac.hostname) as { id: string }).id}`);
  t.match(macHost.sections.system.data, {
    hostname: 'mbp',
    os: { platform: 'darwin', distro: 'macOS', release: '26.5.1', build: '25F80' },
    hardware: { manufacturer: 'Apple Inc.', model: 'Mac14,7', serial: 'D5XQV1FMFJ' },
    cpu: { model: 'M2', logicalCores: 8 },
    memory: { totalBytes: 16 * 1024 ** 3 },
  });
  const macPatches = macHost.sections.patches.data;
  t.match(macPatches.sources, [{ manager: 'softwareupdate', ok: true, pendingCount: 1 }]);
  t.same(
    macPatches.sources[0].pending.map((u: { name: string }) => u.name),
    ['macOS Tahoe 26.6'],
    'the macOS update the recording offers',
  );
  t.match(
    macHost.sections.software.data.items.find((i: { name: string }) => i.name === 'Python'),
    { version: '3.14.7', publisher: 'Python Software Foundation', source: 'macos-app' },
  );
  const macSecurity = macHost.sections.security.data;
  t.match(macSecurity.firewall, {
    enabled: false,
    products: [{ name: 'macos-application-firewall' }],
  });
  t.match(macSecurity.encryption.volumes, [
    { mount: '/', method: 'FileVault', encrypted: true, protectionOn: true },
  ]);
  t.match(macSecurity.administrators, { groups: ['admin'], members: ['root', 'williamj'] });
  const python = await api('/software?name=Python&below=3.15');
  t.match(python.hosts, [{ hostname: 'mbp', version: '3.14.7' }], 'the Mac, not the Windows host');
  t.equal(python.total, 1);
  t.equal(macHost.latestPerformance, null);
});
