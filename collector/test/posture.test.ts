// Posture in the collector: assessed after reports, served per host and tenant, findings
// opened and resolved, risk acceptances, recorded role and purchase date, tenant settings.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { assessHost, type Report } from '@vcio/shared';
import { sampleSystem } from '@vcio/shared/testing';
import { enrollIn, readOnlyToken, testCollector, type TestCollector } from './helpers.js';
import { find, parseExposition } from './metrics-format.js';
import {
  hostKeyOf,
  outbox,
  patches,
  patchSource,
  pending,
  reportWith,
  security,
  send,
  type Agent,
} from './sections.js';

const DAY = 86_400_000;

function sections(options: { securityPending: boolean }): Report['sections'] {
  const updates = options.securityPending
    ? [
        pending('openssl', '3.0.11', '3.0.13', {
          security: true,
          severity: 'important',
          releasedAt: new Date(Date.now() - 20 * DAY).toISOString(),
        }),
      ]
    : [];
  return {
    system: sampleSystem('posture-host'),
    security: security(),
    patches: patches([
      patchSource('apt', updates, {
        checkedAt: new Date().toISOString(),
        lastInstallAt: new Date(Date.now() - 2 * DAY).toISOString(),
      }),
    ]),
    outbox: outbox(),
  };
}

async function reportAndSettle(
  c: TestCollector,
  agent: Agent,
  machineId: string,
  s: Report['sections'],
) {
  const res = await send(c, agent, reportWith(agent, machineId, s, { hostname: 'posture-host' }));
  if (res.statusCode !== 202) throw new Error(`report refused: ${res.statusCode} ${res.body}`);
  await c.app.posture.idle();
}

async function api(
  c: TestCollector,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  authorization = c.admin.authorization,
) {
  return c.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

interface HostPostureBody {
  score: number;
  coverage: number;
  categories: Record<string, number | null>;
  findings: {
    checkId: string;
    title: string;
    remediation: string;
    status: string;
    openedAt: string;
  }[];
  accepted: { checkId: string; acceptance: { id: string; reason: string } | null }[];
  unknown: { checkId: string; missing: string | null }[];
  results: { checkId: string; status: string }[];
  lifecycle: {
    os: { state: string; label: string };
    hardware: { ageYears: number | null; basis: string | null };
  };
  trend: { at: string; score: number }[];
  role: string;
}

t.test('a reported host is assessed with the same catalog the agent runs', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-posture');
  const opened: string[] = [];
  c.events.on('finding.opened', (e) => opened.push(e.finding.checkId));
  const s = sections({ securityPending: true });
  await reportAndSettle(c, agent, 'm-posture', s);
  const { id } = hostKeyOf(c, 'm-posture');

  const res = await api(c, 'GET', `/hosts/${id}/posture`);
  t.equal(res.statusCode, 200, res.body);
  const body = res.json<HostPostureBody>();
  const expected = assessHost(s as never, { now: new Date(), lastSeenAt: new Date() });
  t.ok(body.score >= 0 && body.score <= 100, `score ${body.score} within 0..100`);
  t.equal(
    body.score,
    Math.round(expected.posture.score! * 100) / 100,
    'the score assessHost gives',
  );
  t.same(
    body.findings.map((f) => f.checkId),
    expected.posture.findings.map((f) => f.checkId),
    'the same findings, heaviest first',
  );
  t.ok(
    body.findings.some((f) => f.checkId === 'patch-security-pending-14d'),
    'a 20-day security update is a finding',
  );
  for (const f of body.findings) {
    t.ok(f.title && f.remediation && f.openedAt, `${f.checkId} has title, remediation, openedAt`);
  }
  t.ok(
    body.unknown.length > 0 && body.unknown.every((u) => u.missing),
    'unknown checks say what is missing',
  );
  t.equal(body.lifecycle.os.state, expected.os!.state, 'OS lifecycle as the lifecycle module says');
  t.equal(body.role, 'server', 'a Linux host is a server until someone records otherwise');
  t.equal(body.trend.length, 1, 'the first assessment is the first history point');
  const listed = (await api(c, 'GET', '/hosts'))
    .json<{
      hosts: { id: string; posture: { score: number; os: { state: string; label: string } } }[];
    }>()
    .hosts.find((h) => h.id === id);
  t.equal(
    Math.round(listed!.posture.score * 100) / 100,
    body.score,
    'the host list carries the score',
  );
  t.equal(listed!.posture.os.state, body.lifecycle.os.state, 'and the OS lifecycle state');
  t.equal(listed!.posture.os.label, body.lifecycle.os.label);
  t.same(opened.sort(), body.findings.map((f) => f.checkId).sort(), 'a finding.opened event each');

  // the update installed: the finding resolves as fixed, and the change is in the history
  await reportAndSettle(c, agent, 'm-posture', sections({ securityPending: false }));
  const after = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
  t.notOk(
    after.findings.some((f) => f.checkId === 'patch-security-pending-14d'),
    'fixed',
  );
  t.ok(after.score > body.score, `score rose from ${body.score} to ${after.score}`);
  t.equal(after.trend.length, 2, 'a history point for the change');
  const resolved = await api(c, 'GET', '/tenants/default/findings?status=resolved');
  t.equal(resolved.statusCode, 200);
  const fixed = resolved
    .json<{ findings: { checkId: string; resolution: string }[] }>()
    .findings.find((f) => f.checkId === 'patch-security-pending-14d');
  t.equal(fixed?.resolution, 'fixed');

  // a third report with the same facts: no new history point, nothing opened
  const before = opened.length;
  await reportAndSettle(c, agent, 'm-posture', sections({ securityPending: false }));
  const same = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
  t.equal(same.trend.length, 2, 'unchanged scores record no point on the same day');
  t.equal(opened.length, before, 'nothing re-opened');
});

t.test(
  'tenant posture: score, top findings by weight x hosts, changes since a review',
  async (t) => {
    const c = await testCollector(t);
    const reviewAt = new Date(Date.now() - 1000).toISOString();
    for (const m of ['t-1', 't-2', 't-3']) {
      const agent = await c.enroll(m);
      await reportAndSettle(c, agent, m, sections({ securityPending: m !== 't-3' }));
    }
    await c.app.posture.idle();
    const res = await api(
      c,
      'GET',
      `/tenants/default/posture?since=${encodeURIComponent(reviewAt)}&top=5`,
    );
    t.equal(res.statusCode, 200, res.body);
    const body = res.json<{
      score: number;
      hosts: { assessed: number; servers: number };
      topFindings: { checkId: string; hostsAffected: number; rank: number; hosts: unknown[] }[];
      trend: unknown[];
      changes: { opened: unknown[]; openedTotal: number };
    }>();
    t.equal(body.hosts.assessed, 3);
    t.ok(body.score > 0 && body.score <= 100);
    const ranks = body.topFindings.map((f) => f.rank);
    t.same(
      ranks,
      [...ranks].sort((a, b) => b - a),
      'ranked by weight x hosts affected',
    );
    const patch = body.topFindings.find((f) => f.checkId === 'patch-security-pending-14d');
    t.equal(patch?.hostsAffected, 2, 'two hosts have the stale security update');
    t.equal(patch?.hosts.length, 2);
    t.ok(body.trend.length >= 1, 'a tenant history point');
    t.ok(body.changes.openedTotal >= 2, 'findings opened since the review');
  },
);

t.test(
  'risk acceptance: leaves the score, stays listed, comes back when revoked or expired',
  async (t) => {
    const c = await testCollector(t);
    const agent = await c.enroll('m-accept');
    await reportAndSettle(c, agent, 'm-accept', sections({ securityPending: true }));
    const { id } = hostKeyOf(c, 'm-accept');
    const first = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();

    const accepted = await api(c, 'POST', '/tenants/default/acceptances', {
      checkId: 'patch-security-pending-14d',
      hostId: id,
      reason: 'vendor patch breaks the line-of-business app; mitigated by the firewall',
      expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
    });
    t.equal(accepted.statusCode, 201, accepted.body);
    const acceptance = accepted.json<{ id: string; acceptedBy: string; state: string }>();
    t.match(acceptance.acceptedBy, /bootstrap|admin/i, 'who accepted it: the token name');
    t.equal(acceptance.state, 'active');
    await c.app.posture.idle();
    const during = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
    t.notOk(
      during.findings.some((f) => f.checkId === 'patch-security-pending-14d'),
      'not a finding',
    );
    t.equal(during.accepted[0]?.checkId, 'patch-security-pending-14d', 'listed as accepted');
    t.equal(during.accepted[0]?.acceptance?.id, acceptance.id);
    t.ok(during.score > first.score, 'the accepted check left the score');

    const revoke = await api(c, 'DELETE', `/tenants/default/acceptances/${acceptance.id}`);
    t.equal(revoke.statusCode, 204);
    t.equal(
      (await api(c, 'DELETE', `/tenants/default/acceptances/${acceptance.id}`)).statusCode,
      404,
    );
    await c.app.posture.idle();
    const back = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
    t.ok(
      back.findings.some((f) => f.checkId === 'patch-security-pending-14d'),
      'back after revocation',
    );
    t.equal(back.score, first.score);

    // tenant-wide, expiring in a moment: the sweep brings the finding back
    const short = await api(c, 'POST', '/tenants/default/acceptances', {
      checkId: 'patch-security-pending-14d',
      reason: 'change freeze over the holidays',
      expiresAt: new Date(Date.now() + 800).toISOString(),
    });
    t.equal(short.statusCode, 201, short.body);
    await c.app.posture.idle();
    t.equal(
      (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>().accepted.length,
      1,
    );
    await new Promise((r) => setTimeout(r, 900));
    await c.app.posture.sweep();
    await c.app.posture.idle();
    const expired = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
    t.equal(expired.accepted.length, 0, 'the expired acceptance has no effect');
    t.ok(
      expired.findings.some((f) => f.checkId === 'patch-security-pending-14d'),
      'the finding is back',
    );
    const list = (await api(c, 'GET', '/tenants/default/acceptances')).json<{
      acceptances: { state: string }[];
    }>();
    t.same(list.acceptances.map((a) => a.state).sort(), ['expired', 'revoked'], 'both stay listed');

    for (const [payload, code] of [
      [
        {
          checkId: 'no-such-check',
          reason: 'x'.repeat(5),
          expiresAt: new Date(Date.now() + DAY).toISOString(),
        },
        'unknown_check',
      ],
      [
        {
          checkId: 'firewall-off',
          reason: 'because',
          expiresAt: new Date(Date.now() - DAY).toISOString(),
        },
        'invalid_expiry',
      ],
      [
        {
          checkId: 'firewall-off',
          reason: 'because',
          expiresAt: new Date(Date.now() + 4000 * DAY).toISOString(),
        },
        'invalid_expiry',
      ],
      [
        {
          checkId: 'firewall-off',
          hostId: randomUUID(),
          reason: 'because',
          expiresAt: new Date(Date.now() + DAY).toISOString(),
        },
        'unknown_host',
      ],
    ] as const) {
      const res = await api(c, 'POST', '/tenants/default/acceptances', payload);
      t.equal(res.statusCode, 400, `${code}: ${res.body}`);
      t.equal(res.json<{ error: string }>().error, code);
    }
  },
);

t.test('role, purchase date and tenant settings change the judgement', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-attrs');
  await reportAndSettle(c, agent, 'm-attrs', sections({ securityPending: false }));
  const { id } = hostKeyOf(c, 'm-attrs');
  const status = async (checkId: string) =>
    (await api(c, 'GET', `/hosts/${id}/posture`))
      .json<HostPostureBody>()
      .results.find((r) => r.checkId === checkId)?.status;

  t.equal(await status('lifecycle-hardware-age'), 'pass', 'firmware from 2023: young');
  const patched = await api(c, 'PATCH', `/hosts/${id}`, {
    role: 'workstation',
    purchaseDate: '2016-03-01',
  });
  t.equal(patched.statusCode, 200, patched.body);
  await c.app.posture.idle();
  const body = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
  t.equal(body.role, 'workstation');
  t.equal(body.lifecycle.hardware.basis, 'purchase', 'the purchase date beats the firmware date');
  t.equal(await status('lifecycle-hardware-age'), 'fail', 'bought in 2016: past 5 years');
  const lifecycle = await api(c, 'GET', '/tenants/default/lifecycle');
  t.equal(lifecycle.statusCode, 200, lifecycle.body);
  const view = lifecycle.json<{
    data: { origin: string };
    os: { counts: Record<string, number> };
    hardware: { overdue: { hostId: string }[]; quarters: unknown[] };
  }>();
  t.same(
    view.hardware.overdue.map((h) => h.hostId),
    [id],
  );
  t.equal(view.hardware.quarters.length, 8, 'a forecast for 8 quarters');
  t.equal(
    Object.values(view.os.counts).reduce((a, b) => a + b, 0),
    1,
  );
  t.ok(view.data.origin, 'says which lifecycle data it used');

  t.equal(await status('identity-too-many-admins'), 'pass', 'one admin is within the default 3');
  const put = await api(c, 'PUT', '/tenants/default/posture/settings', {
    thresholds: { maxAdmins: 0 },
  });
  t.equal(put.statusCode, 200, put.body);
  t.equal(
    put.json<{ effective: { thresholds: { maxAdmins: number; offlineHours: number } } }>().effective
      .thresholds.offlineHours,
    24,
    'other thresholds keep their defaults',
  );
  await c.app.posture.idle();
  t.equal(await status('identity-too-many-admins'), 'fail', 'the tenant allows none');

  for (const [payload, what] of [
    [{ purchaseDate: '2026-13-45' }, 'an impossible date'],
    [{ role: 'mainframe' }, 'an unknown role'],
    [{}, 'nothing to change'],
  ] as const) {
    t.equal((await api(c, 'PATCH', `/hosts/${id}`, payload)).statusCode, 400, what);
  }
  t.equal(
    (await api(c, 'PUT', '/tenants/default/posture/settings', { thresholds: { diskFullRatio: 2 } }))
      .statusCode,
    400,
  );
});

t.test('tenant scope: a read token sees its tenant only and changes nothing', async (t) => {
  const c = await testCollector(t);
  const acme = { id: randomUUID(), slug: 'acme', name: 'Acme', createdAt: new Date() };
  await c.store.tenants.createTenant(acme);
  const agent = await enrollIn(c, acme.id, 'm-acme');
  await reportAndSettle(c, agent, 'm-acme', sections({ securityPending: true }));
  const { id } = hostKeyOf(c, 'm-acme');
  const acmeRead = `Bearer ${await readOnlyToken(c, acme.id)}`;
  const otherRead = `Bearer ${await readOnlyToken(c, (await c.store.tenants.getTenant('default'))!.id)}`;

  t.equal((await api(c, 'GET', `/hosts/${id}/posture`, undefined, acmeRead)).statusCode, 200);
  t.equal((await api(c, 'GET', '/tenants/acme/posture', undefined, acmeRead)).statusCode, 200);
  t.equal((await api(c, 'GET', '/tenants/acme/findings', undefined, acmeRead)).statusCode, 200);
  for (const url of [
    `/hosts/${id}/posture`,
    '/tenants/acme/posture',
    '/tenants/acme/findings',
    '/tenants/acme/lifecycle',
    '/tenants/acme/acceptances',
  ]) {
    t.equal(
      (await api(c, 'GET', url, undefined, otherRead)).statusCode,
      404,
      `${url}: not visible from another tenant`,
    );
  }
  const change = await api(
    c,
    'POST',
    '/tenants/acme/acceptances',
    {
      checkId: 'firewall-off',
      reason: 'because',
      expiresAt: new Date(Date.now() + DAY).toISOString(),
    },
    acmeRead,
  );
  t.equal(change.statusCode, 403, 'a read-only token cannot accept risks');
  t.equal((await api(c, 'PATCH', `/hosts/${id}`, { role: 'server' }, acmeRead)).statusCode, 403);
  t.equal((await api(c, 'PUT', '/tenants/acme/posture/settings', {}, acmeRead)).statusCode, 403);
});

t.test('/metrics: posture and lifecycle per tenant and host, as the API says', async (t) => {
  const c = await testCollector(t, { metrics: { cacheSeconds: 0 } });
  for (const m of ['metric-1', 'metric-2']) {
    const agent = await c.enroll(m);
    await reportAndSettle(c, agent, m, sections({ securityPending: m === 'metric-1' }));
  }
  await c.app.posture.idle();
  const { id } = hostKeyOf(c, 'metric-1');
  await api(c, 'PATCH', `/hosts/${id}`, { purchaseDate: '2010-01-01' });
  await c.app.posture.idle();

  const e = parseExposition((await c.app.inject({ method: 'GET', url: '/metrics' })).body);
  const one = (name: string, labels: Record<string, string>) => {
    const found = find(e, name, labels);
    t.equal(found.length, 1, `${name} ${JSON.stringify(labels)} exported once`);
    return found[0]?.value;
  };
  const tenant = (await api(c, 'GET', '/tenants/default/posture')).json<{
    score: number;
    categories: Record<string, number | null>;
  }>();
  t.equal(
    Math.round(one('vcio_tenant_posture_score', { tenant: 'default' })! * 100) / 100,
    tenant.score,
    'the tenant score the API serves',
  );
  t.equal(
    Math.round(
      one('vcio_tenant_posture_category_score', { tenant: 'default', category: 'patching' })! * 100,
    ) / 100,
    tenant.categories.patching,
  );
  const host = (await api(c, 'GET', `/hosts/${id}/posture`)).json<HostPostureBody>();
  t.equal(Math.round(one('vcio_host_posture_score', { host: id })! * 100) / 100, host.score);
  const open = (await api(c, 'GET', '/tenants/default/findings?limit=1000')).json<{
    findings: { severity: string }[];
  }>().findings;
  for (const severity of ['critical', 'high', 'medium', 'low']) {
    t.equal(
      one('vcio_tenant_findings', { tenant: 'default', severity }),
      open.filter((f) => f.severity === severity).length,
      `${severity} findings`,
    );
  }
  const statuses = ['supported', 'ending_soon', 'end_of_life', 'unknown'];
  const byStatus = statuses.map(
    (status) => one('vcio_tenant_hosts_lifecycle', { tenant: 'default', status }) ?? 0,
  );
  t.equal(
    byStatus.reduce((a, b) => a + b, 0),
    2,
    'every host in one lifecycle status',
  );
  t.equal(
    one('vcio_tenant_hosts_hardware_past_replacement', { tenant: 'default' }),
    1,
    'the 2010 machine',
  );
  t.equal(
    find(e, 'vcio_tenant_hosts_hardware_replacement_due', { tenant: 'default' }).length,
    8,
    'Q+0..Q+7',
  );
});
