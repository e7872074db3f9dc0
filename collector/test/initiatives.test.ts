// Initiatives: progress measured on the stored assessments over a simulated history (fixed
// clock), burn-down and the at-risk rule, the tracker, suggestions from real findings and
// their adoption, and every endpoint with its permissions.
import t from 'tap';
import type { Report } from '@vcio/shared';
import { sampleReport, sampleSystem } from '@vcio/shared/testing';
import { assessRisk, burnDown, dueInstant, targetMetSince } from '../src/initiatives/burndown.js';
import { recordInitiativeProgress } from '../src/initiatives/progress.js';
import { hostsPhrase } from '../src/initiatives/suggestions.js';
import { describeInitiative, initiativeSummaries } from '../src/initiatives/summary.js';
import { startInitiativeTracker } from '../src/initiatives/tracker.js';
import { renderTenantReport } from '../src/reports/render.js';
import { buildTenantReport } from '../src/reports/tenant-report.js';
import type { StoredAssessmentDetail } from '../src/posture/assess.js';
import type { InitiativeRecord, InitiativeTarget, StoredCheckResult } from '../src/store/types.js';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import { reportWith, security, send } from './sections.js';

const DAY = 86_400_000;
/** Noon UTC on day `d` of January 2026. */
const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d, 12));

interface HostState {
  encryption?: StoredCheckResult['status'];
  os?: 'supported' | 'ending_soon' | 'end_of_life' | 'unknown';
  replacementDue?: string | null;
  virtual?: boolean;
  platform?: 'linux' | 'windows';
  role?: 'server' | 'workstation';
}

/** A tenant with `n` hosts whose assessments the test writes itself. */
async function simulatedTenant(t: Parameters<typeof testCollector>[0], n: number) {
  const c = await testCollector(t);
  const tenantId = 'tenant-sim';
  await c.store.tenants.createTenant({
    id: tenantId,
    slug: 'sim',
    name: 'Sim',
    createdAt: new Date(),
  });
  const hostIds: string[] = [];
  for (let i = 1; i <= n; i++) {
    const machineId = `sim-${i}`;
    const agent = await enrollIn(c, tenantId, machineId);
    const res = await send(
      c,
      agent,
      sampleReport({ agentId: agent.agentId, machineId, hostname: `sim-${i}` }),
    );
    if (res.statusCode !== 202) throw new Error(res.body);
  }
  await c.app.posture.idle();
  const list = await c.store.hosts.listHosts({ tenantId, limit: 100, offset: 0 });
  hostIds.push(...list.hosts.sort((a, b) => a.hostname.localeCompare(b.hostname)).map((h) => h.id));
  return { c, tenantId, hostIds };
}

/** Writes a host's assessment as the posture service would have stored it. */
async function setHost(
  c: TestCollector,
  tenantId: string,
  hostId: string,
  state: HostState,
  at: Date,
) {
  const os = state.os ?? 'supported';
  const detail: StoredAssessmentDetail = {
    platform: state.platform ?? 'linux',
    results: [
      {
        checkId: 'encryption-os-disk',
        status: state.encryption ?? 'fail',
        credit: 0,
        evidence: 'simulated',
      },
      { checkId: 'firewall-off', status: 'pass', credit: 1, evidence: 'simulated' },
    ],
    os:
      os === 'unknown'
        ? null
        : {
            product: 'ubuntu',
            cycle: '22.04',
            label: 'Ubuntu 22.04',
            eol: '2027-04-01',
            state: os,
            source: 'endoflife.date',
          },
    software: [],
    hardware: {
      role: state.role ?? 'workstation',
      ageYears: 3,
      basis: 'firmware',
      purchaseDate: null,
      firmwareDate: '2023-01-01',
      replaceAfterYears: 5,
      replacementDue: state.replacementDue === undefined ? '2028-01-01' : state.replacementDue,
      virtual: state.virtual ?? false,
    },
    sections: [],
  };
  await c.store.posture.recordHostPosture({
    posture: {
      hostId,
      tenantId,
      assessedAt: at,
      score: 50,
      coverage: 1,
      role: state.role ?? 'workstation',
      categories: {} as never,
      detail,
    },
    open: [],
    resolutions: {},
    unknown: [],
  });
}

function initiative(
  tenantId: string,
  target: InitiativeTarget,
  extra: Partial<InitiativeRecord> = {},
): InitiativeRecord {
  return {
    id: `init-${Math.random().toString(36).slice(2)}`,
    tenantId,
    title: 'Encrypt the fleet',
    owner: 'Dana (vCIO)',
    filter: {},
    target,
    startDate: '2026-01-01',
    dueDate: '2026-01-31',
    status: 'active',
    suggestionKey: null,
    createdAt: day(0),
    createdBy: 'test',
    updatedAt: day(0),
    ...extra,
  };
}

const ENCRYPTION: InitiativeTarget = { type: 'checks', checkIds: ['encryption-os-disk'] };

t.test('progress over a simulated month: history, burn-down, at risk', async (t) => {
  const { c, tenantId, hostIds } = await simulatedTenant(t, 4);
  const [h1, h2, h3, h4] = hostIds as [string, string, string, string];
  for (const h of hostIds) await setHost(c, tenantId, h, { encryption: 'fail' }, day(0));
  const init = initiative(tenantId, ENCRYPTION);
  await c.store.initiatives.create(init);

  t.same(await recordInitiativeProgress(c.store, init, day(0)), { at: day(0), inScope: 4, met: 0 });
  t.equal(
    await c.store.initiatives.recordProgress(init.id, { at: day(0.2), inScope: 4, met: 0 }),
    false,
    'same counts, same day: no new point',
  );
  await recordInitiativeProgress(c.store, init, day(1)); // same counts, next day: a point
  await setHost(c, tenantId, h1, { encryption: 'pass' }, day(2));
  await recordInitiativeProgress(c.store, init, day(2));
  await setHost(c, tenantId, h2, { encryption: 'accepted' }, day(4));
  await recordInitiativeProgress(c.store, init, day(4));
  // a check that stops applying takes the host out of scope
  await setHost(c, tenantId, h3, { encryption: 'not_applicable' }, day(6));
  await recordInitiativeProgress(c.store, init, day(6));

  const history = await c.store.initiatives.progressHistory(init.id);
  t.same(
    history.map((p) => [p.at.toISOString().slice(0, 10), p.inScope, p.met]),
    [
      ['2026-01-01', 4, 0],
      ['2026-01-02', 4, 0],
      ['2026-01-03', 4, 1],
      ['2026-01-05', 4, 2],
      ['2026-01-07', 3, 2],
    ],
    'a point on each change and at least daily; accepted counts as met',
  );

  const d = await describeInitiative(c.store, init, day(7));
  t.same(d.progress, { inScope: 3, met: 2, remaining: 1, ratio: 0.6667 });
  t.same(
    d.burnDown.actual.map((p) => p.remaining),
    [4, 4, 3, 2, 1, 1],
    'remaining hosts at each point, and now',
  );
  t.same(d.burnDown.ideal, [
    { at: new Date('2026-01-01T00:00:00Z'), remaining: 4 },
    { at: new Date('2026-01-31T23:59:59.999Z'), remaining: 0 },
  ]);
  t.equal(d.atRisk, false, d.risk.reason);
  t.ok(d.risk.hostsPerDay! > 0.3, `a falling trend (${d.risk.hostsPerDay} hosts a day)`);
  t.match(d.risk.projectedDate, /^2026-01-\d\d$/);
  t.same(d.remainingHosts, [{ hostId: h4, hostname: 'sim-4', reason: 'failing' }]);

  // Unknown is not met: the host stays remaining with its reason.
  await setHost(c, tenantId, h4, { encryption: 'unknown' }, day(8));
  const unknown = await describeInitiative(c.store, init, day(8));
  t.same(unknown.remainingHosts, [{ hostId: h4, hostname: 'sim-4', reason: 'unknown' }]);

  // Nothing more happens for three weeks: the trend of the last points flattens, then the
  // due date passes.
  for (const dd of [10, 14, 18, 22, 26]) await recordInitiativeProgress(c.store, init, day(dd));
  const stalled = await describeInitiative(c.store, init, day(27));
  t.equal(stalled.atRisk, true, 'a flat trend never reaches 0');
  t.match(stalled.risk.reason, /no progress over the last 7 points/);
  const late = await describeInitiative(c.store, init, day(32));
  t.equal(late.atRisk, true);
  t.match(late.risk.reason, /past the due date with 1 host remaining/);

  // Done: the last host is encrypted; a finished initiative's burn-down ends with its history.
  await setHost(c, tenantId, h4, { encryption: 'pass' }, day(28));
  await recordInitiativeProgress(c.store, init, day(28));
  const met = await describeInitiative(c.store, init, day(28));
  t.equal(met.atRisk, false);
  t.match(met.risk.reason, /every host in scope meets the target/);
  const done = { ...init, status: 'done' as const };
  await c.store.initiatives.update(done);
  t.equal(
    await recordInitiativeProgress(c.store, done, day(29)),
    null,
    'a finished initiative records no more',
  );
  const finished = await describeInitiative(c.store, done, day(40));
  t.equal(finished.burnDown.actual.at(-1)!.at.toISOString(), day(28).toISOString());
  t.equal(finished.atRisk, false);

  const summaries = await initiativeSummaries(c.store, tenantId, day(40));
  t.match(summaries, [
    {
      id: init.id,
      title: 'Encrypt the fleet',
      owner: 'Dana (vCIO)',
      status: 'done',
      dueDate: '2026-01-31',
      progress: { remaining: 0 },
    },
  ]);
  await c.store.initiatives.update({ ...done, status: 'cancelled' });
  t.same(
    await initiativeSummaries(c.store, tenantId, day(40)),
    [],
    'cancelled initiatives are not summarised',
  );
});

t.test('target met: when every host in scope meets it, the initiative says so', async (t) => {
  const { c, tenantId, hostIds } = await simulatedTenant(t, 3);
  const [h1, h2, h3] = hostIds as [string, string, string];
  for (const h of hostIds) await setHost(c, tenantId, h, { encryption: 'fail' }, day(0));
  const init = initiative(tenantId, ENCRYPTION);
  await c.store.initiatives.create(init);
  let clock = day(0);
  const tracker = startInitiativeTracker({
    store: c.store,
    events: c.events,
    logger: { warn: () => t.fail('no warning expected') },
    now: () => clock,
  });
  t.teardown(() => tracker.stop());
  const step = async (d: number, host: string, encryption: StoredCheckResult['status']) => {
    clock = day(d);
    await setHost(c, tenantId, host, { encryption }, clock);
    await tracker.recordTenant(tenantId);
  };
  await tracker.recordTenant(tenantId);
  await step(2, h1, 'pass');
  await step(5, h2, 'pass');
  let d = await describeInitiative(c.store, init, day(6));
  t.match(d, { targetMet: false, targetMetAt: null, progress: { met: 2, inScope: 3 } });

  await step(9, h3, 'accepted'); // 100%: an accepted risk counts as met
  d = await describeInitiative(c.store, init, day(12));
  t.match(d, { status: 'active', targetMet: true, progress: { ratio: 1, remaining: 0 } });
  t.same(d.targetMetAt, day(9), 'met since the first point with nothing remaining');
  t.equal(d.atRisk, false);
  await step(10, h1, 'pass'); // a daily point with the same counts keeps the date
  t.same((await describeInitiative(c.store, init, day(11))).targetMetAt, day(9));

  // A host falls back: not met any more; fixed again: met since then, not since day 9.
  await step(13, h2, 'fail');
  d = await describeInitiative(c.store, init, day(13));
  t.match(d, { targetMet: false, targetMetAt: null, progress: { remaining: 1 } });
  await step(15, h2, 'pass');
  t.same((await describeInitiative(c.store, init, day(16))).targetMetAt, day(15));

  // Met is not closed: the initiative stays active until the vCIO marks it done, over the
  // API, where the list, the detail and the report all carry it.
  const admin = c.admin.authorization;
  const list = await c.app.inject({
    method: 'GET',
    url: '/api/v1/tenants/sim/initiatives',
    headers: { authorization: admin },
  });
  t.match(list.json().initiatives, [
    { id: init.id, status: 'active', targetMet: true, targetMetAt: day(15).toISOString() },
  ]);
  const summary = await initiativeSummaries(c.store, tenantId, day(16));
  t.match(summary, [{ status: 'active', targetMet: true }]);
  t.same(summary[0]!.targetMetAt, day(15));
  const tenant = (await c.store.tenants.getTenant(tenantId))!;
  const report = await buildTenantReport(c.store, tenant, day(16));
  t.match(report.initiatives, {
    available: true,
    data: [{ targetMet: true, targetMetAt: day(15).toISOString() }],
  });
  const html = (await renderTenantReport(report, 'html')).body.toString();
  t.match(
    html,
    /target met<\/span><div class="evidence">every host in scope since 2026-01-16; ready to close/,
    'the report says the target is met and the initiative can be closed',
  );

  await c.store.initiatives.update({ ...init, status: 'done', updatedAt: day(20) });
  const done = await describeInitiative(c.store, { ...init, status: 'done' }, day(30));
  t.same(done.targetMetAt, day(15), 'a finished initiative keeps when its target was met');

  // An initiative closed by hand before its target was met says so: no date.
  const early = initiative(tenantId, ENCRYPTION, { id: 'init-early' });
  await c.store.initiatives.create(early);
  await c.store.initiatives.recordProgress(early.id, { at: day(1), inScope: 3, met: 1 });
  const closed = await describeInitiative(c.store, { ...early, status: 'done' }, day(30));
  t.match(closed, { targetMet: false, targetMetAt: null });
});

t.test('targetMetSince', async (t) => {
  const p = (d: number, inScope: number, met: number) => ({ at: day(d), inScope, met });
  t.equal(targetMetSince([]), null);
  t.equal(targetMetSince([p(0, 0, 0)]), null, 'nothing in scope has met nothing');
  t.same(targetMetSince([p(0, 2, 1), p(1, 2, 2), p(2, 2, 2)]), day(1));
  t.same(targetMetSince([p(0, 2, 2), p(1, 2, 1), p(2, 1, 1)]), day(2), 'the last run only');
  t.equal(targetMetSince([p(0, 2, 2), p(1, 2, 1)]), null);
});

t.test('lifecycle and hardware targets, and host filters', async (t) => {
  const { c, tenantId, hostIds } = await simulatedTenant(t, 5);
  const [h1, h2, h3, h4, h5] = hostIds as [string, string, string, string, string];
  const now = day(0);
  await setHost(c, tenantId, h1, { os: 'supported', replacementDue: '2027-01-01' }, now);
  await setHost(
    c,
    tenantId,
    h2,
    { os: 'ending_soon', replacementDue: '2025-06-30', role: 'server' },
    now,
  );
  await setHost(
    c,
    tenantId,
    h3,
    { os: 'end_of_life', replacementDue: null, platform: 'windows' },
    now,
  );
  await setHost(
    c,
    tenantId,
    h4,
    { os: 'unknown', replacementDue: '2020-01-01', virtual: true },
    now,
  );
  await setHost(c, tenantId, h5, { os: 'supported', replacementDue: '2026-01-01' }, now);
  const evaluate = async (target: InitiativeTarget, filter = {}) =>
    (await c.store.initiatives.evaluate(tenantId, filter, target, now)).map(
      (r) => `${r.hostname}:${r.reason}`,
    );

  t.same(await evaluate({ type: 'lifecycle', os: 'not_end_of_life' }), [
    'sim-1:met',
    'sim-2:met',
    'sim-3:end_of_life',
    'sim-4:unknown',
    'sim-5:met',
  ]);
  t.same(await evaluate({ type: 'lifecycle', os: 'supported' }), [
    'sim-1:met',
    'sim-2:ending_soon',
    'sim-3:end_of_life',
    'sim-4:unknown',
    'sim-5:met',
  ]);
  t.same(
    await evaluate({ type: 'hardware', notPastReplacement: true }),
    ['sim-1:met', 'sim-2:past_replacement', 'sim-3:age_unknown', 'sim-5:past_replacement'],
    'VMs are out of scope; due today is past; an unknown age is not met',
  );
  const lifecycle: InitiativeTarget = { type: 'lifecycle', os: 'supported' };
  t.same(await evaluate(lifecycle, { roles: ['server'] }), ['sim-2:ending_soon']);
  t.same(await evaluate(lifecycle, { platforms: ['windows'] }), ['sim-3:end_of_life']);
  t.same(await evaluate(lifecycle, { hostIds: [h1, h5, 'elsewhere'] }), ['sim-1:met', 'sim-5:met']);
  t.same(await evaluate(lifecycle, { platforms: ['linux'], roles: ['workstation'] }), [
    'sim-1:met',
    'sim-4:unknown',
    'sim-5:met',
  ]);
  t.same(
    await evaluate({ type: 'checks', checkIds: ['identity-guest-enabled'] }),
    [],
    'a check no host has: nothing in scope',
  );
  const empty = await describeInitiative(
    c.store,
    initiative(tenantId, { type: 'checks', checkIds: ['identity-guest-enabled'] }),
    now,
  );
  t.same(empty.progress, { inScope: 0, met: 0, remaining: 0, ratio: null });
});

t.test('the at-risk rule', async (t) => {
  const plan = { status: 'active' as const, dueDate: '2026-01-31' };
  const points = (...remaining: [number, number][]) =>
    remaining.map(([d, r]) => ({ at: day(d), remaining: r }));
  t.match(assessRisk(plan, points([0, 10], [0.5, 9]), day(0.5)), {
    atRisk: false,
    reason: /not enough history/,
  });
  t.match(assessRisk(plan, points([0, 10], [5, 5]), day(5)), {
    atRisk: false,
    projectedDate: '2026-01-11',
    hostsPerDay: 1,
  });
  // 10 hosts to go at a fifth of a host a day: 50 days, far past the 31st
  t.match(assessRisk(plan, points([0, 12], [10, 10]), day(10)), {
    atRisk: true,
    reason: /after the due date/,
    projectedDate: '2026-03-02',
  });
  t.match(assessRisk(plan, points([0, 5], [3, 6]), day(3)), {
    atRisk: true,
    reason: /no progress/,
  });
  t.match(assessRisk(plan, points([0, 5], [3, 0]), day(3)), { atRisk: false });
  t.match(assessRisk({ ...plan, status: 'cancelled' }, points([0, 5]), day(40)), {
    atRisk: false,
    reason: /cancelled/,
  });
  // only the last 7 points count: an early burst does not hide a stall
  const stall = points(
    [0, 40],
    [1, 20],
    ...[2, 3, 4, 5, 6, 7, 8].map((d): [number, number] => [d, 20]),
  );
  t.match(assessRisk(plan, stall, day(8)), { atRisk: true });
  t.equal(dueInstant('2026-01-31'), Date.parse('2026-02-01T00:00:00Z') - 1);
  const chart = burnDown({ startDate: '2026-01-05', dueDate: '2026-01-31' }, [], {
    at: day(6),
    inScope: 3,
    met: 1,
  });
  t.same(chart.actual, [{ at: day(6), remaining: 2 }], 'no history yet: the current point alone');
  t.equal(chart.ideal[0]!.remaining, 2);
});

t.test('the tracker measures after posture changes and on its timer', async (t) => {
  const { c, tenantId, hostIds } = await simulatedTenant(t, 2);
  for (const h of hostIds) await setHost(c, tenantId, h, { encryption: 'fail' }, day(0));
  const init = initiative(tenantId, ENCRYPTION);
  await c.store.initiatives.create(init);
  await c.store.initiatives.create(
    initiative(tenantId, ENCRYPTION, { id: 'init-cancelled', status: 'cancelled' }),
  );
  let clock = day(0);
  const warnings: string[] = [];
  const tracker = startInitiativeTracker({
    store: c.store,
    events: c.events,
    logger: { warn: (_o, msg) => warnings.push(msg) },
    now: () => clock,
    debounceMs: 10_000,
    everyMs: 60_000,
  });
  t.teardown(() => tracker.stop());
  const listeners = c.events.listenerCount('posture.changed');

  const changed = () =>
    c.events.emit('posture.changed', {
      scope: 'host',
      tenantId,
      hostId: hostIds[0],
      score: 60,
      previousScore: 50,
      categories: {} as never,
      assessedAt: clock,
    });
  changed();
  changed();
  await tracker.idle();
  t.same(
    (await c.store.initiatives.progressHistory(init.id)).map((p) => p.met),
    [0],
  );
  t.same(
    await c.store.initiatives.progressHistory('init-cancelled'),
    [],
    'only active initiatives',
  );

  clock = day(1);
  await setHost(c, tenantId, hostIds[0]!, { encryption: 'pass' }, clock);
  changed();
  await tracker.idle();
  clock = day(2);
  t.equal(await tracker.recordAll(), 1, 'the daily pass measures every active initiative');
  t.equal(await tracker.recordTenant('tenant-none'), 0);
  t.same(
    (await c.store.initiatives.progressHistory(init.id)).map((p) => [p.at.toISOString(), p.met]),
    [
      [day(0).toISOString(), 0],
      [day(1).toISOString(), 1],
      [day(2).toISOString(), 1],
    ],
  );
  await tracker.stop();
  t.equal(c.events.listenerCount('posture.changed'), listeners - 1, 'stop removes its listener');
  t.same(warnings, []);
});

// ---------- the API, on real reports ----------

function encryptedSecurity(encrypted: boolean) {
  const s = security();
  s.encryption = {
    volumes: [
      {
        mount: '/',
        device: '/dev/nvme0n1p3',
        system: true,
        encrypted,
        method: encrypted ? 'LUKS2' : null,
        protectionOn: null,
        percentEncrypted: null,
      },
    ],
    reason: null,
  };
  return s;
}

async function report(
  c: TestCollector,
  agent: Awaited<ReturnType<typeof enrollIn>>,
  machineId: string,
  sections: Report['sections'],
) {
  const res = await send(c, agent, reportWith(agent, machineId, sections, { hostname: machineId }));
  if (res.statusCode !== 202) throw new Error(`report for ${machineId}: ${res.body}`);
}

async function apiFleet(t: Parameters<typeof testCollector>[0]) {
  const c = await testCollector(t);
  const a = { id: 'tenant-a', slug: 'acme', name: 'Acme' };
  const b = { id: 'tenant-b', slug: 'globex', name: 'Globex' };
  for (const tenant of [a, b])
    await c.store.tenants.createTenant({ ...tenant, createdAt: new Date() });
  const agents: Record<string, Awaited<ReturnType<typeof enrollIn>>> = {};
  const hosts: [string, string, boolean, string, string][] = [
    // machine, tenant, encrypted, OS release, firmware date
    ['acme-01', a.id, false, '26.04 LTS', '2024-02-01'],
    ['acme-02', a.id, false, '18.04.6 LTS', '2024-02-01'],
    ['acme-03', a.id, true, '26.04 LTS', '2012-05-01'],
    ['globex-01', b.id, false, '26.04 LTS', '2024-02-01'],
  ];
  for (const [machineId, tenantId, encrypted, release, bios] of hosts) {
    agents[machineId] = await enrollIn(c, tenantId, machineId);
    const system = sampleSystem(machineId);
    system.os = { ...system.os, release };
    system.hardware = { ...system.hardware, bios: { ...system.hardware.bios, releaseDate: bios } };
    await report(c, agents[machineId]!, machineId, {
      system,
      security: encryptedSecurity(encrypted),
    });
  }
  await c.app.posture.idle();
  return {
    c,
    a,
    b,
    agents,
    readA: { authorization: `Bearer ${await readOnlyToken(c, a.id)}` },
    readB: { authorization: `Bearer ${await readOnlyToken(c, b.id)}` },
  };
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (
  c: TestCollector,
  method: Method,
  url: string,
  headers: { authorization: string },
  payload?: unknown,
) =>
  c.app.inject({
    method,
    url: `/api/v1${url}`,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

t.test('suggestions from the top findings and lifecycle, adopted with one POST', async (t) => {
  const { c, a, agents, readA, readB } = await apiFleet(t);
  const res = await call(c, 'GET', '/tenants/acme/initiatives/suggestions', readA);
  t.equal(res.statusCode, 200, res.body);
  const { suggestions } = res.json<{
    suggestions: { key: string; title: string; hosts: { hostname: string }[] }[];
  }>();
  const byKey = new Map(suggestions.map((s) => [s.key, s]));
  t.match(byKey.get('check-encryption-os-disk'), {
    title: /^Encrypt 2 (hosts|workstations|servers)$/,
    hosts: [{ hostname: 'acme-01' }, { hostname: 'acme-02' }],
    target: { type: 'checks', checkIds: ['encryption-os-disk'] },
  });
  t.match(byKey.get('lifecycle-os-end-of-life'), {
    title: 'Upgrade 1 end-of-life OS',
    hosts: [{ hostname: 'acme-02' }],
  });
  t.match(byKey.get('hardware-past-replacement'), {
    title: 'Replace 1 machine past its age',
    hosts: [{ hostname: 'acme-03' }],
  });
  t.notOk(res.body.includes('globex'), "another tenant's hosts are not suggested");
  t.notOk(
    [...byKey.keys()].some((k) => k.startsWith('check-lifecycle-')),
    'lifecycle findings come as lifecycle suggestions',
  );

  t.equal((await call(c, 'GET', '/tenants/acme/initiatives/suggestions', readB)).statusCode, 404);
  const readAdopt = await call(
    c,
    'POST',
    '/tenants/acme/initiatives/suggestions/check-encryption-os-disk/adopt',
    readA,
    {},
  );
  t.equal(readAdopt.statusCode, 403, 'a read token cannot adopt');
  t.match(readAdopt.json(), { error: 'forbidden' });

  const adopted = await call(
    c,
    'POST',
    '/tenants/acme/initiatives/suggestions/check-encryption-os-disk/adopt',
    c.admin,
    {
      owner: 'Dana (vCIO)',
    },
  );
  t.equal(adopted.statusCode, 201, adopted.body);
  const view = adopted.json();
  t.match(view, {
    tenant: 'acme',
    title: byKey.get('check-encryption-os-disk')!.title,
    owner: 'Dana (vCIO)',
    status: 'active',
    suggestionKey: 'check-encryption-os-disk',
    progress: { inScope: 2, met: 0, remaining: 2 },
    atRisk: false,
    burnDown: { actual: [{ remaining: 2 }], ideal: [{ remaining: 2 }, { remaining: 0 }] },
  });
  t.equal(
    view.dueDate,
    new Date(Date.now() + 90 * DAY).toISOString().slice(0, 10),
    'due in a quarter by default',
  );

  const again = await call(c, 'GET', '/tenants/acme/initiatives/suggestions', readA);
  t.notOk(
    again
      .json<{ suggestions: { key: string }[] }>()
      .suggestions.some((s) => s.key === 'check-encryption-os-disk'),
    'an adopted suggestion is not offered again',
  );
  const twice = await call(
    c,
    'POST',
    '/tenants/acme/initiatives/suggestions/check-encryption-os-disk/adopt',
    c.admin,
  );
  t.equal(twice.statusCode, 409);
  t.match(twice.json(), { error: 'already_adopted', message: new RegExp(view.id) });
  const none = await call(
    c,
    'POST',
    '/tenants/acme/initiatives/suggestions/check-nothing/adopt',
    c.admin,
    {},
  );
  t.equal(none.statusCode, 404);
  t.match(none.json(), { message: /no suggestion check-nothing/ });

  // Without a body: the defaults, owner = the adopting token's name.
  const os = await call(
    c,
    'POST',
    '/tenants/acme/initiatives/suggestions/lifecycle-os-end-of-life/adopt',
    c.admin,
  );
  t.equal(os.statusCode, 201, os.body);
  t.match(os.json(), {
    title: 'Upgrade 1 end-of-life OS',
    progress: { inScope: 1, met: 0 },
    target: { type: 'lifecycle', os: 'not_end_of_life' },
  });
  t.ok(os.json().owner.length > 0);

  // One host gets encrypted: the initiative moves with the next assessment.
  const system = sampleSystem('acme-01');
  system.os = { ...system.os, release: '26.04 LTS' };
  system.hardware = {
    ...system.hardware,
    bios: { ...system.hardware.bios, releaseDate: '2024-02-01' },
  };
  await report(c, agents['acme-01']!, 'acme-01', { system, security: encryptedSecurity(true) });
  await c.app.posture.idle();
  const moved = await call(c, 'GET', `/tenants/acme/initiatives/${view.id}`, readA);
  t.equal(moved.statusCode, 200);
  t.match(moved.json(), {
    progress: { inScope: 2, met: 1, remaining: 1 },
    remainingHosts: [{ hostname: 'acme-02', reason: 'failing' }],
    history: [{ inScope: 2, met: 0, remaining: 2 }],
  });

  const audit = await c.store.audit.query({ tenantId: a.id, limit: 50, offset: 0 });
  const creations = audit.entries.filter((e) => e.action === 'initiative.create');
  t.equal(creations.length, 2, 'each adoption is in the audit log');
  t.match(
    creations.find((e) => e.targetId === view.id),
    { targetType: 'initiative', detail: { suggestion: 'check-encryption-os-disk' } },
  );
});

t.test('create, read, change and cancel; permissions; bad input', async (t) => {
  const { c, a, readA, readB } = await apiFleet(t);
  const body = {
    title: 'No end-of-life OS by spring',
    owner: 'Dana (vCIO)',
    target: { type: 'lifecycle', os: 'not_end_of_life' },
    filter: { platforms: ['linux'] },
    startDate: '2026-01-01',
    dueDate: '2026-03-31',
  };
  t.equal(
    (await call(c, 'POST', '/tenants/acme/initiatives', readA, body)).statusCode,
    403,
    'read token: 403',
  );
  t.equal((await call(c, 'POST', '/tenants/acme/initiatives', readB, body)).statusCode, 403);
  const created = await call(c, 'POST', '/tenants/acme/initiatives', c.admin, body);
  t.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;
  t.match(created.json(), {
    title: body.title,
    progress: { inScope: 3, met: 2, remaining: 1 },
    filter: { platforms: ['linux'] },
  });

  const list = await call(c, 'GET', '/tenants/acme/initiatives', readA);
  t.equal(list.statusCode, 200);
  t.match(list.json(), { tenant: 'acme', initiatives: [{ id, progress: { remaining: 1 } }] });
  t.notOk('remainingHosts' in list.json().initiatives[0], 'the list leaves host lists out');
  t.equal(
    (await call(c, 'GET', '/tenants/acme/initiatives', readB)).statusCode,
    404,
    "another tenant's list: 404",
  );
  t.equal((await call(c, 'GET', `/tenants/acme/initiatives/${id}`, readB)).statusCode, 404);
  t.equal(
    (await call(c, 'GET', `/tenants/globex/initiatives/${id}`, c.admin)).statusCode,
    404,
    'an id of another tenant is not found there',
  );
  t.same((await call(c, 'GET', '/tenants/globex/initiatives', readB)).json(), {
    tenant: 'globex',
    initiatives: [],
  });

  t.equal(
    (await call(c, 'PATCH', `/tenants/acme/initiatives/${id}`, readA, { title: 'x' })).statusCode,
    403,
  );
  const patched = await call(c, 'PATCH', `/tenants/acme/initiatives/${id}`, c.admin, {
    title: 'No EOL OS',
    dueDate: '2026-04-30',
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.match(patched.json(), { title: 'No EOL OS', dueDate: '2026-04-30', owner: 'Dana (vCIO)' });
  const retargeted = await call(c, 'PATCH', `/tenants/acme/initiatives/${id}`, c.admin, {
    target: { type: 'checks', checkIds: ['encryption-os-disk'] },
    filter: {},
  });
  t.match(
    retargeted.json(),
    { progress: { inScope: 3, met: 1 } },
    'a new target is measured at once',
  );
  const history = (await call(c, 'GET', `/tenants/acme/initiatives/${id}`, readA)).json<{
    history: { met: number }[];
  }>().history;
  t.same(
    history.map((p) => p.met),
    [2, 1],
    'and recorded',
  );

  t.equal((await call(c, 'DELETE', `/tenants/acme/initiatives/${id}`, readA)).statusCode, 403);
  t.equal((await call(c, 'DELETE', `/tenants/acme/initiatives/${id}`, c.admin)).statusCode, 204);
  t.equal(
    (await call(c, 'DELETE', `/tenants/acme/initiatives/${id}`, c.admin)).statusCode,
    204,
    'cancelling twice is fine',
  );
  t.match((await call(c, 'GET', `/tenants/acme/initiatives/${id}`, readA)).json(), {
    status: 'cancelled',
    atRisk: false,
  });
  t.equal(
    (await call(c, 'GET', '/tenants/acme/initiatives?status=active', readA)).json().initiatives
      .length,
    0,
  );
  t.equal(
    (await call(c, 'GET', '/tenants/acme/initiatives?status=cancelled', readA)).json().initiatives
      .length,
    1,
  );
  t.equal((await call(c, 'DELETE', '/tenants/acme/initiatives/nope', c.admin)).statusCode, 404);

  const actions = (await c.store.audit.query({ tenantId: a.id, limit: 50, offset: 0 })).entries
    .filter((e) => e.targetId === id)
    .map((e) => e.action)
    .reverse();
  t.same(
    actions,
    ['initiative.create', 'initiative.update', 'initiative.update', 'initiative.cancel'],
    'every change audited once',
  );

  const bad: [unknown, RegExp][] = [
    [
      { ...body, target: { type: 'checks', checkIds: ['no-such-check'] } },
      /no check no-such-check/,
    ],
    [{ ...body, dueDate: '2025-12-31' }, /before startDate/],
    [{ ...body, dueDate: '2026-02-30' }, /2026-02-30 is not a date/],
    [{ ...body, target: { type: 'lifecycle', os: 'eventually' } }, /target/],
    [{ ...body, target: undefined }, /target/],
    [{ ...body, title: '   ' }, /title/],
    [{ ...body, filter: { hostIds: [] } }, /hostIds/],
    [{ ...body, filter: { sites: ['hq'] } }, /filter/],
  ];
  for (const [payload, message] of bad) {
    const res = await call(c, 'POST', '/tenants/acme/initiatives', c.admin, payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.json(), { message }, `says why: ${res.json().message}`);
  }
  const empty = await call(c, 'PATCH', `/tenants/acme/initiatives/${id}`, c.admin, {});
  t.equal(empty.statusCode, 400, 'a PATCH that changes nothing');
  const status = await call(c, 'PATCH', `/tenants/acme/initiatives/${id}`, c.admin, {
    status: 'paused',
  });
  t.equal(status.statusCode, 400);
});

t.test('hostsPhrase', async (t) => {
  t.equal(hostsPhrase(['workstation', 'workstation']), '2 workstations');
  t.equal(hostsPhrase(['server']), '1 server');
  t.equal(hostsPhrase(['server', 'workstation', undefined]), '3 hosts');
  t.equal(hostsPhrase([undefined]), '1 host');
});
