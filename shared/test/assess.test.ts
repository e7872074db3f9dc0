// assessHost: one host's sections and context through lifecycle and the check catalog.
// `now` is fixed so lifecycle states do not drift with the calendar; dates asserted are the
// embedded endoflife.date snapshot's (2026-08-22).
import t from 'tap';
import {
  assessHost,
  DEFAULT_POSTURE_SETTINGS,
  DEFAULT_THRESHOLDS,
  evaluateHost,
  inferRole,
  loadEndOfLife,
  resolvePostureSettings,
  type AssessContext,
  type AssessedSections,
  type EndOfLifeData,
  type HostAssessment,
  type OsInfo,
  type PerformanceSection,
  type SoftwareItem,
  type SoftwareSection,
  type SystemSection,
} from '../src/index.js';
import * as assessEntry from '../src/assess.js';
import { samplePerformance, sampleSystem } from '../src/testing/sample-report.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const ctx = (extra: Partial<AssessContext> = {}): AssessContext => ({
  now: NOW,
  lastSeenAt: NOW,
  ...extra,
});

function system(os: Partial<OsInfo>, bios: string | null = '2023-09-12'): SystemSection {
  const base = sampleSystem('host-1', 1);
  return {
    ...base,
    os: { ...base.os, ...os },
    hardware: { ...base.hardware, bios: { ...base.hardware.bios, releaseDate: bios } },
  };
}

const WINDOWS_SERVER = system({
  platform: 'windows',
  distro: 'Microsoft Windows Server 2019 Standard',
  release: '10.0.17763',
  codename: null,
  build: '17763',
});
const WINDOWS_11 = system({
  platform: 'windows',
  distro: 'Microsoft Windows 11 Pro',
  release: '10.0.26100',
  codename: null,
  build: '26100',
});
const MAC = system({ platform: 'darwin', distro: 'macOS', release: '15.5', codename: 'Sequoia' });
/** the sample's own OS: Ubuntu 22.04, standard support until 2027-04-01 */
const UBUNTU_2204 = sampleSystem('host-1', 1);
const UBUNTU_1804 = system({ release: '18.04.6 LTS', codename: 'bionic' });

const result = (a: HostAssessment, id: string) => {
  const r = a.posture.results.find((x) => x.checkId === id);
  if (!r) throw new Error(`no result for ${id}`);
  return r;
};

t.test(
  'role: Windows by edition, Linux server, macOS workstation; a recorded role wins',
  async (t) => {
    t.equal(inferRole('windows', WINDOWS_SERVER), 'server');
    t.equal(inferRole('windows', WINDOWS_11), 'workstation');
    t.equal(inferRole('windows', undefined), 'workstation', 'no edition known: the common case');
    t.equal(inferRole('linux', UBUNTU_2204), 'server');
    t.equal(inferRole('freebsd', undefined), 'server');
    t.equal(inferRole('darwin', MAC), 'workstation');

    t.equal(assessHost({ system: WINDOWS_SERVER }, ctx()).role, 'server');
    t.equal(assessHost({ system: WINDOWS_11 }, ctx()).role, 'workstation');
    t.equal(assessHost({ system: UBUNTU_2204 }, ctx()).role, 'server');
    t.equal(assessHost({ system: MAC }, ctx()).role, 'workstation');
    t.equal(assessHost({ system: UBUNTU_2204 }, ctx({ role: 'workstation' })).role, 'workstation');
    t.equal(assessHost({ system: WINDOWS_11 }, ctx({ role: 'server' })).role, 'server');
    t.equal(assessHost({ system: MAC }, ctx({ role: null })).role, 'workstation', 'null: inferred');
  },
);

t.test('hardware: purchase date beats the firmware date; replacement due by role', async (t) => {
  const byFirmware = assessHost({ system: UBUNTU_2204 }, ctx()).hardware;
  t.same(byFirmware, {
    role: 'server',
    ageYears: 3, // 2023-09-12 → 2026-11-28
    basis: 'firmware',
    purchaseDate: null,
    firmwareDate: '2023-09-12',
    replaceAfterYears: 7,
    replacementDue: '2030-09-12',
    virtual: false,
  });

  const byPurchase = assessHost(
    { system: UBUNTU_2204 },
    ctx({ purchaseDate: '2019-02-01', role: 'workstation' }),
  ).hardware;
  t.equal(byPurchase.basis, 'purchase');
  t.equal(byPurchase.ageYears, 7);
  t.equal(byPurchase.replaceAfterYears, 5);
  t.equal(byPurchase.replacementDue, '2024-02-01');

  const invalidPurchase = assessHost({ system: UBUNTU_2204 }, ctx({ purchaseDate: '2019-02-30' }));
  t.equal(invalidPurchase.hardware.basis, 'firmware', 'a date that does not exist is not used');
  t.equal(invalidPurchase.hardware.ageYears, 3);

  const purchaseOnly = assessHost({}, ctx({ platform: 'linux', purchaseDate: '2018-06-30' }));
  t.equal(purchaseOnly.hardware.basis, 'purchase', 'no system section, still aged');
  t.equal(purchaseOnly.hardware.ageYears, 8);
  t.equal(result(purchaseOnly, 'lifecycle-hardware-age').status, 'fail');

  const none = assessHost({ system: system({}, null) }, ctx());
  t.same(
    [none.hardware.ageYears, none.hardware.basis, none.hardware.replacementDue],
    [null, null, null],
  );
  t.equal(result(none, 'lifecycle-hardware-age').status, 'unknown');
});

t.test('the hardware age reaches the lifecycle check (pass, fail, virtual)', async (t) => {
  t.equal(
    result(assessHost({ system: UBUNTU_2204 }, ctx()), 'lifecycle-hardware-age').status,
    'pass',
  );
  const old = assessHost({ system: system({}, '2016-01-15') }, ctx());
  t.equal(old.hardware.ageYears, 10);
  const check = result(old, 'lifecycle-hardware-age');
  t.equal(check.status, 'fail');
  t.match(check.evaluation.evidence, 'replace after 7');
  const vm = system({});
  vm.hardware.virtual = true;
  const virtual = assessHost({ system: vm }, ctx());
  t.equal(virtual.hardware.virtual, true);
  t.equal(result(virtual, 'lifecycle-hardware-age').status, 'not_applicable');
});

t.test('OS lifecycle reaches the lifecycle checks', async (t) => {
  const eol = assessHost({ system: UBUNTU_1804 }, ctx());
  t.equal(eol.os?.state, 'end_of_life');
  t.equal(eol.os?.eol, '2023-05-31');
  const failed = result(eol, 'lifecycle-os-end-of-life');
  t.equal(failed.status, 'fail');
  t.match(failed.evaluation.evidence, /Ubuntu 18\.04.*2023-05-31/);
  t.ok(eol.posture.findings.some((f) => f.checkId === 'lifecycle-os-end-of-life'));
  t.equal(result(eol, 'lifecycle-os-ending-soon').status, 'not_applicable');

  const supported = assessHost({ system: WINDOWS_SERVER }, ctx());
  t.equal(supported.os?.product, 'windows-server');
  t.equal(result(supported, 'lifecycle-os-end-of-life').status, 'pass');

  // Ubuntu 22.04 ends 2027-04-01: within 180 days of NOW, so ending soon (partial).
  const soon = assessHost({ system: UBUNTU_2204 }, ctx());
  t.equal(soon.os?.state, 'ending_soon');
  t.equal(result(soon, 'lifecycle-os-ending-soon').status, 'partial');

  const mac = assessHost({ system: MAC }, ctx());
  t.equal(mac.os?.state, 'unknown', 'Apple publishes no dates');
  t.equal(result(mac, 'lifecycle-os-end-of-life').status, 'unknown');
});

t.test('key software is judged from the inventory', async (t) => {
  const item = (name: string, version: string): SoftwareItem => ({
    name,
    version,
    publisher: null,
    installedAt: null,
    arch: null,
    source: 'dpkg',
  });
  const software = (items: SoftwareItem[] | null): SoftwareSection => ({
    hash: 'a'.repeat(64),
    count: items?.length ?? 2,
    items,
    sources: [{ source: 'dpkg', ok: true, error: null, count: 2 }],
  });
  const a = assessHost(
    { system: UBUNTU_2204, software: software([item('nodejs', '18.19.1'), item('bash', '5.1')]) },
    ctx(),
  );
  t.same(
    a.software.map((s) => [s.product, s.cycle, s.state]),
    [['nodejs', '18', 'end_of_life']],
  );
  t.same(assessHost({ system: UBUNTU_2204 }, ctx()).software, [], 'no inventory: none');
  t.same(
    assessHost({ system: UBUNTU_2204, software: software(null) }, ctx()).software,
    [],
    'only the hash (inventory unchanged): none',
  );
});

t.test('platform: from the system section, else the context, else other', async (t) => {
  const perf: PerformanceSection = samplePerformance(1);
  const fromSystem = assessHost({ system: MAC }, ctx({ platform: 'linux' }));
  t.equal(fromSystem.platform, 'darwin', "the report's own platform wins");

  const fallback = assessHost({ performance: perf }, ctx({ platform: 'windows' }));
  t.equal(fallback.platform, 'windows');
  t.equal(fallback.role, 'workstation');
  t.equal(fallback.os, null, 'no system section: no OS lifecycle');
  t.equal(result(fallback, 'lifecycle-os-end-of-life').status, 'unknown');
  t.same(fallback.sections, ['performance']);
  t.equal(result(fallback, 'operations-disk-full').status === 'not_applicable', false);

  const other = assessHost({ performance: perf }, ctx());
  t.equal(other.platform, 'other');
  t.ok(
    other.posture.results.every((r) => r.status === 'not_applicable'),
    'no check applies to an unknown platform',
  );
  t.equal(other.posture.score, null);
});

t.test('the same answer as evaluateHost over the same input', async (t) => {
  const sections: AssessedSections = { system: WINDOWS_11, performance: samplePerformance(3) };
  const a = assessHost(sections, ctx({ hostId: 'h1' }));
  const direct = evaluateHost(
    {
      platform: 'windows',
      role: 'workstation',
      now: NOW,
      lastSeenAt: NOW,
      sections,
      lifecycle: {
        os: { state: a.os!.state, eol: a.os!.eol, product: a.os!.label },
        hardware: { ageYears: 3, replaceAfterYears: 5 },
      },
    },
    { hostId: 'h1' },
  );
  t.equal(a.posture.score, direct.score);
  t.same(a.posture.categories, direct.categories);
  t.same(
    a.posture.results.map((r) => [r.checkId, r.status]),
    direct.results.map((r) => [r.checkId, r.status]),
  );
  t.same(a.sections.sort(), ['performance', 'system']);
});

t.test('lastSeenAt and acceptances reach the checks', async (t) => {
  const never = assessHost({ system: UBUNTU_2204 }, ctx({ lastSeenAt: null }));
  t.equal(result(never, 'operations-agent-not-reporting').status, 'unknown');
  const stale = assessHost(
    { system: UBUNTU_2204 },
    ctx({ lastSeenAt: new Date(NOW.getTime() - 48 * 3_600_000) }),
  );
  t.equal(result(stale, 'operations-agent-not-reporting').status, 'fail');

  const eol = { system: UBUNTU_1804 };
  const accepted = assessHost(
    eol,
    ctx({
      hostId: 'h1',
      acceptances: [
        {
          checkId: 'lifecycle-os-end-of-life',
          hostId: 'h1',
          reason: 'air-gapped until the migration',
          acceptedBy: 'vcio@example.com',
          expiresAt: new Date('2027-01-01T00:00:00Z'),
        },
      ],
    }),
  );
  t.equal(result(accepted, 'lifecycle-os-end-of-life').status, 'accepted');
  t.same(
    accepted.posture.accepted.map((r) => r.checkId),
    ['lifecycle-os-end-of-life'],
  );
  t.notOk(accepted.posture.findings.some((f) => f.checkId === 'lifecycle-os-end-of-life'));
  t.ok(accepted.posture.score! > assessHost(eol, ctx()).posture.score!);
});

t.test('settings change the results', async (t) => {
  const GiB = 1024 ** 3;
  const perf: PerformanceSection = {
    ...samplePerformance(1),
    filesystems: [{ mount: '/', sizeBytes: 100 * GiB, usedBytes: 85 * GiB, freeBytes: 15 * GiB }],
  };
  const sections = { system: UBUNTU_2204, performance: perf };

  const byDefault = assessHost(sections, ctx());
  t.equal(result(byDefault, 'operations-disk-full').status, 'pass', '85% < 90%');
  const strict = assessHost(
    sections,
    ctx({ settings: resolvePostureSettings({ thresholds: { diskFullRatio: 0.8 } }) }),
  );
  t.equal(result(strict, 'operations-disk-full').status, 'fail', '85% > 80%');
  t.ok(strict.posture.score! < byDefault.posture.score!);

  const shortLife = assessHost(
    sections,
    ctx({ settings: resolvePostureSettings({ replacement: { serverYears: 3 } }) }),
  );
  t.equal(shortLife.hardware.replaceAfterYears, 3);
  t.equal(shortLife.hardware.replacementDue, '2026-09-12');
  t.equal(result(shortLife, 'lifecycle-hardware-age').status, 'fail');

  // 2027-04-01 is 124 days after NOW: ending soon within 180 days, supported within 90.
  const narrow = assessHost(
    sections,
    ctx({ settings: resolvePostureSettings({ endingSoonDays: 90 }) }),
  );
  t.equal(narrow.os?.state, 'supported');
  t.equal(result(narrow, 'lifecycle-os-ending-soon').status, 'pass');

  const esm = assessHost(
    { system: UBUNTU_1804 },
    ctx({ settings: resolvePostureSettings({ extendedSupport: true }) }),
  );
  t.equal(esm.os?.eol, '2028-04-01', 'Ubuntu Pro ESM dates');
  t.equal(result(esm, 'lifecycle-os-end-of-life').status, 'pass');
});

t.test('lifecycle data: a given snapshot replaces the embedded one', async (t) => {
  const embedded = loadEndOfLife();
  const moved: EndOfLifeData = structuredClone(embedded);
  const release = moved.products.ubuntu!.releases.find((r) => r.releaseCycle === '22.04')!;
  release.eol = '2026-10-01';
  const a = assessHost({ system: UBUNTU_2204 }, ctx({ lifecycleData: moved }));
  t.equal(a.os?.state, 'end_of_life');
  t.equal(result(a, 'lifecycle-os-end-of-life').status, 'fail');
  t.equal(
    assessHost({ system: UBUNTU_2204 }, ctx()).os?.state,
    'ending_soon',
    'embedded unchanged',
  );
});

t.test('resolvePostureSettings merges nested overrides over the defaults', async (t) => {
  t.same(resolvePostureSettings(), DEFAULT_POSTURE_SETTINGS);
  const s = resolvePostureSettings({
    thresholds: { maxAdmins: 5 },
    replacement: { workstationYears: 4 },
    serverWeight: 3,
  });
  t.same(s.thresholds, { ...DEFAULT_THRESHOLDS, maxAdmins: 5 });
  t.same(s.replacement, { workstationYears: 4, serverYears: 7 });
  t.equal(s.serverWeight, 3);
  t.equal(s.endingSoonDays, 180);
  t.equal(s.extendedSupport, false);
  t.equal(DEFAULT_POSTURE_SETTINGS.thresholds.maxAdmins, 3, 'the defaults are not changed');
  t.equal(DEFAULT_POSTURE_SETTINGS.replacement.workstationYears, 5);
});

t.test('the TypeBox-free entry exports what the agent uses', async (t) => {
  t.equal(typeof assessEntry.assessHost, 'function');
  t.equal(typeof assessEntry.loadEndOfLife, 'function');
  t.equal(assessEntry.loadEndOfLife(), loadEndOfLife(), 'the same cached snapshot');
});
