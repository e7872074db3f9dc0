// The score: its formula on worked examples, data coverage, risk acceptance, findings, the
// tenant mean, and properties over seeded random results (bounds; a pass never lowers a
// score; an unknown never moves it).
import t from 'tap';
import {
  activeAcceptance,
  categoryScores,
  dataCoverage,
  DEFAULT_THRESHOLDS,
  evaluateHost,
  findings,
  resolveThresholds,
  score,
  tenantScore,
  type CheckResult,
  type Evaluation,
  type HostPostureInput,
  type ResultStatus,
  type RiskAcceptance,
  type Scored,
} from '../src/index.js';

const NOW = new Date('2026-11-28T12:00:00Z');

const ev = (status: Evaluation['status'], credit?: number): Evaluation => ({
  status,
  credit: credit ?? (status === 'pass' ? 1 : 0),
  evidence: status,
});
const item = (weight: number, status: ResultStatus, credit?: number): Scored => ({
  weight,
  status,
  evaluation: { credit: credit ?? (status === 'pass' ? 1 : 0) },
});

t.test('score is 100 × Σ(weight × credit) / Σ(weight) over pass, fail and partial', async (t) => {
  // Worked example: pass w8, fail w2, partial 0.5 w4 → (8 + 0 + 2) / 14 = 71.43
  t.equal(score([item(8, 'pass'), item(2, 'fail'), item(4, 'partial', 0.5)])?.toFixed(2), '71.43');
  t.equal(score([item(5, 'pass')]), 100);
  t.equal(score([item(5, 'fail')]), 0);
  t.equal(
    score([item(5, 'pass'), item(5, 'unknown'), item(5, 'not_applicable'), item(9, 'accepted')]),
    100,
    'unknown, n/a and accepted leave the denominator',
  );
  t.equal(score([item(5, 'unknown')]), null, 'nothing applicable: no score');
  t.equal(score([]), null);
});

t.test('data coverage = applicable / (applicable + unknown)', async (t) => {
  t.equal(
    dataCoverage([item(1, 'pass'), item(1, 'fail'), item(1, 'unknown'), item(1, 'not_applicable')]),
    2 / 3,
  );
  t.equal(dataCoverage([item(1, 'not_applicable')]), null);
  t.equal(dataCoverage([item(1, 'unknown')]), 0);
});

const result = (
  checkId: string,
  weight: number,
  status: Evaluation['status'],
  over: Partial<CheckResult> = {},
): CheckResult => ({
  checkId,
  title: checkId,
  category: 'patching',
  weight,
  severity: 'medium',
  remediation: 'fix it',
  evaluation: ev(status, status === 'partial' ? 0.5 : undefined),
  acceptance: null,
  status,
  ...over,
});

t.test('category scores: each category alone, null where nothing applies', async (t) => {
  const scores = categoryScores([
    result('a', 4, 'pass'),
    result('b', 4, 'fail', { category: 'identity' }),
    result('c', 4, 'unknown', { category: 'exposure' }),
  ]);
  t.equal(scores.patching, 100);
  t.equal(scores.identity, 0);
  t.equal(scores.exposure, null);
  t.equal(scores.lifecycle, null);
});

t.test('findings: fail and partial only, heaviest first, then severity, then id', async (t) => {
  const list = findings([
    result('light', 2, 'fail'),
    result('ok', 9, 'pass'),
    result('heavy', 8, 'partial'),
    result('b-medium', 5, 'fail'),
    result('a-critical', 5, 'fail', { severity: 'critical' }),
    result('c-medium', 5, 'fail'),
    result('accepted', 10, 'fail', { status: 'accepted' }),
  ]);
  t.same(
    list.map((r) => r.checkId),
    ['heavy', 'a-critical', 'b-medium', 'c-medium', 'light'],
  );
});

const acceptance = (over: Partial<RiskAcceptance> = {}): RiskAcceptance => ({
  checkId: 'operations-agent-not-reporting',
  hostId: 'host-1',
  reason: 'laptop in storage until January',
  acceptedBy: 'vcio@msp.example',
  expiresAt: new Date('2027-01-31T00:00:00Z'),
  ...over,
});

t.test(
  'activeAcceptance: host first, then tenant-wide; expired or other checks ignored',
  async (t) => {
    const host = acceptance();
    const tenant = acceptance({ hostId: null, reason: 'tenant' });
    t.equal(activeAcceptance(host.checkId, 'host-1', [tenant, host], NOW), host);
    t.equal(activeAcceptance(host.checkId, 'host-2', [tenant, host], NOW), tenant);
    t.equal(activeAcceptance(host.checkId, 'host-2', [host], NOW), null);
    t.equal(
      activeAcceptance(host.checkId, 'host-1', [acceptance({ expiresAt: NOW })], NOW),
      null,
      'expires at its time',
    );
    t.equal(activeAcceptance('firewall-off', 'host-1', [host], NOW), null);
    t.equal(
      activeAcceptance(host.checkId, null, [host], NOW),
      null,
      'a host acceptance needs a host',
    );
  },
);

// A host seen 3 days ago and nothing else reported: only the offline check can be judged.
const silentHost: HostPostureInput = {
  platform: 'windows',
  role: 'workstation',
  now: NOW,
  lastSeenAt: new Date(NOW.getTime() - 3 * 86_400_000),
  sections: { outbox: { queued: 0, dropped: 0 } },
};

t.test('evaluateHost: the silent host scores only what it can judge', async (t) => {
  const posture = evaluateHost(silentHost, { hostId: 'host-1' });
  // agent-not-reporting fails (weight 6), outbox-dropping passes (weight 2): 100 × 2 / 8.
  t.equal(posture.score, 25);
  t.equal(posture.categories.operations, 25);
  t.equal(posture.categories.patching, null);
  t.same(
    posture.findings.map((f) => f.checkId),
    ['operations-agent-not-reporting'],
  );
  t.equal(posture.coverage, 2 / (2 + posture.results.filter((r) => r.status === 'unknown').length));
  t.ok(posture.coverage! < 0.1, 'low coverage shows the score rests on little data');
  t.same(posture.accepted, []);
});

t.test(
  'an accepted check leaves the score and is listed; expired acceptance has no effect',
  async (t) => {
    const accepted = evaluateHost(silentHost, { hostId: 'host-1', acceptances: [acceptance()] });
    t.equal(accepted.score, 100, 'only the passing outbox check is left');
    t.same(accepted.findings, []);
    t.same(
      accepted.accepted.map((r) => [r.checkId, r.acceptance?.reason]),
      [['operations-agent-not-reporting', 'laptop in storage until January']],
    );
    t.equal(accepted.accepted[0]!.evaluation.status, 'fail', 'the real evaluation is kept');
    const expired = evaluateHost(silentHost, {
      hostId: 'host-1',
      acceptances: [acceptance({ expiresAt: new Date('2026-11-01T00:00:00Z') })],
    });
    t.equal(expired.score, 25);
    t.equal(expired.accepted.length, 0);
  },
);

t.test('evaluateHost honours tenant thresholds and a restricted check list', async (t) => {
  const lenient = evaluateHost(silentHost, { thresholds: resolveThresholds({ offlineHours: 96 }) });
  t.equal(lenient.score, 100);
  const only = evaluateHost(silentHost, { checks: [] });
  t.equal(only.score, null);
  t.equal(only.coverage, null);
});

t.test('resolveThresholds overlays a tenant on the defaults without changing them', async (t) => {
  t.same(resolveThresholds(), DEFAULT_THRESHOLDS);
  t.equal(resolveThresholds({ maxAdmins: 5 }).maxAdmins, 5);
  t.equal(resolveThresholds({ maxAdmins: 5 }).offlineHours, 24);
  t.equal(DEFAULT_THRESHOLDS.maxAdmins, 3);
});

t.test('tenant score: mean of host scores, servers weighted, unscored hosts skipped', async (t) => {
  const hosts = [
    { score: 90, role: 'server' as const },
    { score: 60, role: 'workstation' as const },
    { score: null, role: 'server' as const },
    { score: 30, role: null },
  ];
  t.equal(tenantScore(hosts), (2 * 90 + 60 + 30) / 4);
  t.equal(tenantScore(hosts, 1), (90 + 60 + 30) / 3);
  t.equal(tenantScore([{ score: null, role: 'server' }]), null);
  t.equal(tenantScore([]), null);
});

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), a | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ['pass', 'fail', 'partial', 'not_applicable', 'unknown', 'accepted'] as const;

function randomResults(next: () => number): Scored[] {
  return Array.from({ length: Math.floor(next() * 40) }, () => {
    const status = STATUSES[Math.floor(next() * STATUSES.length)]!;
    const credit = status === 'pass' ? 1 : status === 'partial' ? 0.01 + next() * 0.98 : 0;
    return { weight: 1 + Math.floor(next() * 10), status, evaluation: { credit } };
  });
}

t.test('properties over 2,000 seeded random hosts', async (t) => {
  const next = random(20261128);
  let failures = 0;
  for (let i = 0; i < 2000; i++) {
    const results = randomResults(next);
    const base = score(results);
    const weight = 1 + Math.floor(next() * 10);
    const withPass = score([...results, { weight, status: 'pass', evaluation: { credit: 1 } }]);
    const withUnknown = score([
      ...results,
      { weight, status: 'unknown', evaluation: { credit: 0 } },
    ]);
    const withNa = score([
      ...results,
      { weight, status: 'not_applicable', evaluation: { credit: 0 } },
    ]);
    const ok =
      (base === null || (base >= 0 && base <= 100)) &&
      withPass !== null &&
      (base === null || withPass >= base - 1e-9) &&
      withUnknown === base &&
      withNa === base;
    if (!ok) {
      failures++;
      t.fail(`case ${i}: base ${base}, +pass ${withPass}, +unknown ${withUnknown}, +n/a ${withNa}`);
    }
  }
  t.equal(failures, 0, 'bounds 0-100; a pass never lowers; unknown and n/a never move the score');
});

t.test(
  'the whole catalog on random sparse hosts stays within 0-100 and every pass has full credit',
  async (t) => {
    const next = random(7);
    for (let i = 0; i < 200; i++) {
      const input: HostPostureInput = {
        platform: (['linux', 'windows', 'darwin'] as const)[i % 3]!,
        role: next() < 0.5 ? 'server' : 'workstation',
        now: NOW,
        lastSeenAt: next() < 0.2 ? null : new Date(NOW.getTime() - next() * 72 * 3_600_000),
        sections: next() < 0.5 ? {} : { outbox: { queued: 0, dropped: Math.floor(next() * 3) } },
      };
      const p = evaluateHost(input);
      t.ok(p.score === null || (p.score >= 0 && p.score <= 100), `host ${i}: ${p.score}`);
      for (const r of p.results) t.ok(r.status !== 'pass' || r.evaluation.credit === 1);
    }
  },
);
