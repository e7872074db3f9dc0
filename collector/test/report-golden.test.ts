// Posture reports on a fixed data set: two tenants, four hosts assessed at three points in
// time by a posture service on a fixed clock (findings opened, one fixed, a risk accepted,
// an OS at end of life, hardware due for replacement). The JSON and CSV are compared byte
// for byte with the files under test/golden/; UPDATE_GOLDEN=1 rewrites them after a change
// that is meant (read the diff before committing it). Then the API: formats, headers,
// permissions and refusals.
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Report, SectionName } from '@vcio/shared';
import { sampleReport, sampleSystem } from '@vcio/shared/testing';
import { bootstrapIfEmpty } from '../src/bootstrap.js';
import { CollectorEvents } from '../src/events.js';
import { PostureService } from '../src/posture/service.js';
import { pdfkitPdf } from '../src/reports/pdf-pdfkit.js';
import { buildPortfolioReport } from '../src/reports/portfolio.js';
import { renderPortfolioReport, renderTenantReport } from '../src/reports/render.js';
import { buildTenantReport, type TenantReport } from '../src/reports/tenant-report.js';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../src/security/tokens.js';
import { buildServer } from '../src/server.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/index.js';
import { dpkg, outbox, patchSource, patches, pending, security, software } from './sections.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const DAY = 86_400_000;
const T1 = new Date('2026-10-05T09:00:00Z');
const T2 = new Date('2026-11-10T09:00:00Z');
const NOW = new Date('2026-12-04T12:00:00Z');

interface HostSpec {
  id: string;
  tenantId: string;
  machineId: string;
  hostname: string;
  distro: string;
  release: string;
  codename: string;
  firmwareDate: string;
  seed: number;
}

const HOSTS: HostSpec[] = [
  {
    id: 'host-acme-reception',
    tenantId: 'tenant-acme',
    machineId: 'm-reception',
    hostname: 'ws-reception',
    distro: 'Ubuntu',
    release: '18.04.6 LTS',
    codename: 'bionic',
    firmwareDate: '2019-03-01',
    seed: 1,
  },
  {
    id: 'host-acme-dentist',
    tenantId: 'tenant-acme',
    machineId: 'm-dentist',
    hostname: 'ws-dentist',
    distro: 'Ubuntu',
    release: '22.04.4 LTS',
    codename: 'jammy',
    firmwareDate: '2022-01-20',
    seed: 2,
  },
  {
    id: 'host-acme-files',
    tenantId: 'tenant-acme',
    machineId: 'm-files',
    hostname: 'srv-files',
    distro: 'Ubuntu',
    release: '24.04.1 LTS',
    codename: 'noble',
    firmwareDate: '2021-05-10',
    seed: 3,
  },
  {
    id: 'host-globex-dispatch',
    tenantId: 'tenant-globex',
    machineId: 'm-dispatch',
    hostname: 'ws-dispatch',
    distro: 'Ubuntu',
    release: '24.04.1 LTS',
    codename: 'noble',
    firmwareDate: '2024-02-01',
    seed: 4,
  },
];

/** What each host reports at a point in time: the story the report must tell. */
function sectionsAt(host: HostSpec, at: Date): Report['sections'] {
  const system = sampleSystem(host.hostname, host.seed);
  system.bootedAt = new Date(at.getTime() - 3 * DAY).toISOString();
  system.os = { ...system.os, distro: host.distro, release: host.release, codename: host.codename };
  system.hardware = {
    ...system.hardware,
    bios: { ...system.hardware.bios, releaseDate: host.firmwareDate },
  };
  const updates = [];
  if (host.machineId === 'm-reception') {
    updates.push(
      pending('openssl', '1.1.1-1ubuntu2.1~18.04.23', '1.1.1-1ubuntu2.1~18.04.24', {
        security: true,
        severity: 'important',
        releasedAt: '2026-09-01T00:00:00Z',
      }),
      pending('tzdata', '2024a-0ubuntu0.18.04', '2024b-0ubuntu0.18.04'),
    );
  }
  if (host.machineId === 'm-dentist' && at >= T2) {
    updates.push(
      pending('libcurl4', '7.81.0-1ubuntu1.18', '7.81.0-1ubuntu1.20', {
        security: true,
        severity: 'moderate',
        releasedAt: '2026-11-08T00:00:00Z',
      }),
    );
  }
  const sec = security();
  // the file server had automatic updates off until the review before last
  if (host.machineId === 'm-files' && at < T2) {
    sec.automaticUpdates = {
      ...sec.automaticUpdates,
      enabled: false,
      installsAutomatically: false,
    };
  }
  const source = patchSource('apt', updates, {
    checkedAt: new Date(at.getTime() - 2 * 3600_000).toISOString(),
    lastInstallAt: new Date(at.getTime() - 5 * DAY).toISOString(),
  });
  const p = patches([source]);
  if (host.machineId === 'm-reception') {
    p.rebootRequired = true;
    p.rebootReasons = ['linux-image-4.15.0-213-generic'];
  }
  // each release ships its own openssl: version sprawl in the technology overview
  const openssl = {
    bionic: '1.1.1-1ubuntu2.1~18.04.23',
    jammy: '3.0.2-0ubuntu1.18',
    noble: '3.0.13-0ubuntu3.4',
  }[host.codename]!;
  const items = [dpkg('openssl', openssl), dpkg('python3.11', '3.11.0~rc1-1~22.04')];
  if (host.machineId === 'm-files') items.push(dpkg('postgresql-13', '13.16-0+deb11u1'));
  if (host.machineId === 'm-dentist') items.push(dpkg('nodejs', '22.11.0+dfsg-1'));
  return { system, security: sec, patches: p, software: software(items), outbox: outbox() };
}

interface Fixture {
  store: SqliteStore;
  app: ReturnType<typeof buildServer>;
  posture: PostureService;
  adminAuth: string;
  readAuth: (tenantId: string) => Promise<string>;
}

async function fixture(t: Test): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-report-golden-'));
  const store = openSqliteStore(dataDir);
  const logger = pino({ level: process.env.VCIO_TEST_LOG ?? 'silent' });
  const secrets = (await bootstrapIfEmpty(store, dataDir, logger))!;
  const events = new CollectorEvents();
  let clock = T1;
  const posture = new PostureService({ store, events, logger, now: () => clock, debounceMs: 1 });
  const app = buildServer({
    config: { bodyLimitBytes: 1024 * 1024, tls: null },
    store,
    logger,
    events,
    posture,
  });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await posture.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const created = new Date('2026-01-15T10:00:00Z');
  await store.tenants.createTenant({
    id: 'tenant-acme',
    slug: 'acme',
    name: 'Acme Dental',
    createdAt: created,
  });
  await store.tenants.createTenant({
    id: 'tenant-globex',
    slug: 'globex',
    name: 'Globex Logistics',
    createdAt: created,
  });
  for (const tenantId of ['tenant-acme', 'tenant-globex']) {
    await store.access.insertEnrollmentToken({
      id: `et-${tenantId}`,
      tenantId,
      name: 'fixture',
      secretHash: hashSecret('fixture'),
      createdAt: created,
      expiresAt: null,
      maxUses: null,
      uses: 0,
      revokedAt: null,
    });
  }
  // Hosts get random ids when they first report; registering each row first with a fixed
  // id (the first report then updates it) keeps the golden files stable.
  const insertHost = store.db.prepare(`
    INSERT INTO hosts (id, tenant_id, machine_id, hostname, agent_id, agent_version,
                       first_seen, last_seen, last_report_at)
    VALUES (?, ?, ?, ?, ?, '0.1.0', ?, ?, ?)`);
  for (const h of HOSTS) {
    const agentId = `agent-${h.machineId}`;
    await store.access.enrollAgent(`et-${h.tenantId}`, {
      id: agentId,
      tenantId: h.tenantId,
      secretHash: hashSecret('fixture'),
      enrollmentTokenId: `et-${h.tenantId}`,
      machineId: h.machineId,
      hostname: h.hostname,
      version: '0.1.0',
      createdAt: created,
      revokedAt: null,
    });
    const first = T1.getTime() - 30 * DAY;
    insertHost.run(h.id, h.tenantId, h.machineId, h.hostname, agentId, first, first, first);
  }
  await store.posture.setHostAttributes(
    'host-acme-files',
    { role: 'server', purchaseDate: '2021-06-01' },
    'fixture',
  );
  await store.posture.setHostAttributes(
    'host-acme-dentist',
    { role: 'workstation', purchaseDate: '2022-02-15' },
    'fixture',
  );
  // Linux hosts are taken for servers unless someone says otherwise
  for (const id of ['host-acme-reception', 'host-globex-dispatch']) {
    await store.posture.setHostAttributes(
      id,
      { role: 'workstation', purchaseDate: null },
      'fixture',
    );
  }

  let n = 0;
  const reportAll = async (at: Date) => {
    clock = at;
    for (const h of HOSTS) {
      const agent = (await store.access.findAgent(`agent-${h.machineId}`))!;
      const sections = sectionsAt(h, at);
      const collectedAt = new Date(at.getTime() - 600_000);
      const report: Report = {
        ...sampleReport({
          agentId: agent.id,
          machineId: h.machineId,
          hostname: h.hostname,
          collectedAt,
          reportId: `01JFIXTURE${String(++n).padStart(16, '0')}`,
          sections: [],
        }),
        sections,
      };
      const outcome = await store.reports.ingest({
        report,
        agent,
        receivedAt: new Date(at.getTime() - 590_000),
        sections: Object.keys(sections) as SectionName[],
      });
      if (outcome.status !== 'stored')
        throw new Error(`fixture report not stored: ${outcome.status}`);
      posture.queueHost(h.id);
    }
    await app.posture.idle();
  };

  await reportAll(T1);
  // between the reviews: the tenant accepts the exposed SSH service on every host
  await store.posture.addAcceptance({
    id: 'acc-ssh-exposed',
    tenantId: 'tenant-acme',
    hostId: null,
    checkId: ACCEPTED_CHECK,
    reason: 'SSH stays reachable for the dental imaging vendor; VPN planned for Q2',
    acceptedBy: 'fixture (at_fixture)',
    createdAt: new Date('2026-10-20T14:00:00Z'),
    expiresAt: new Date('2027-04-30T00:00:00Z'),
    revokedAt: null,
    revokedBy: null,
  });
  // and a project to retire the end-of-life OS, measured at the review before last
  await store.initiatives.create({
    id: 'ini-retire-eol-os',
    tenantId: 'tenant-acme',
    title: 'No end-of-life operating system',
    owner: 'Dana Reyes (vCIO)',
    filter: {},
    target: { type: 'lifecycle', os: 'not_end_of_life' },
    startDate: '2026-10-15',
    dueDate: '2027-03-31',
    status: 'active',
    suggestionKey: null,
    createdAt: new Date('2026-10-15T10:00:00Z'),
    createdBy: 'fixture (at_fixture)',
    updatedAt: new Date('2026-10-15T10:00:00Z'),
  });
  await store.initiatives.recordProgress('ini-retire-eol-os', {
    at: new Date('2026-10-15T10:00:00Z'),
    inScope: 3,
    met: 2,
  });
  await reportAll(T2);
  await reportAll(NOW);

  const readAuth = async (tenantId: string) => {
    const id = newTokenId('at');
    const secret = newSecret();
    await store.access.insertApiToken({
      id,
      tenantId,
      role: 'read',
      name: 'fixture reader',
      secretHash: hashSecret(secret),
      createdAt: created,
      revokedAt: null,
    });
    return `Bearer ${joinCredential(id, secret)}`;
  };
  return { store, app, posture, adminAuth: `Bearer ${secrets.adminToken}`, readAuth };
}

const ACCEPTED_CHECK = 'exposure-other-risky-service';

/** Compares with the golden file, or rewrites it under UPDATE_GOLDEN=1. */
function golden(t: Test, name: string, actual: Buffer | string): void {
  const path = join(GOLDEN, name);
  const bytes = Buffer.isBuffer(actual) ? actual : Buffer.from(actual);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, bytes);
    t.pass(`${name} rewritten`);
    return;
  }
  let expected: Buffer;
  try {
    expected = readFileSync(path);
  } catch {
    t.fail(`${name} missing: run with UPDATE_GOLDEN=1 and review it`);
    return;
  }
  // as text, so a difference shows as a diff rather than two buffers
  t.equal(bytes.toString('utf8'), expected.toString('utf8'), `${name} matches the golden file`);
}

t.test('reports on a fixed data set', async (t) => {
  const f = await fixture(t);
  const acme = (await f.store.tenants.getTenant('acme'))!;
  const report = await buildTenantReport(f.store, acme, NOW);

  t.test('the JSON document and the CSV parts match their golden files', async (t) => {
    golden(t, 'acme-report.json', (await renderTenantReport(report, 'json')).body);
    golden(t, 'acme-hosts.csv', (await renderTenantReport(report, 'csv', { part: 'hosts' })).body);
    golden(
      t,
      'acme-findings.csv',
      (await renderTenantReport(report, 'csv', { part: 'findings' })).body,
    );
    const tenants = (await f.store.tenants.listTenants()).filter((x) => x.slug !== 'default');
    const portfolio = await buildPortfolioReport(f.store, tenants, NOW);
    golden(t, 'portfolio.csv', renderPortfolioReport(portfolio, 'csv').body);
  });

  t.test('the document tells the story of the data set', async (t) => {
    t.equal(report.schema, 'vcio.report.tenant.v1');
    t.equal(report.generatedAt, NOW.toISOString());
    t.same(
      report.hosts.map((h) => h.hostname),
      ['srv-files', 'ws-dentist', 'ws-reception'],
      'hosts of acme only, by name',
    );
    t.ok(report.summary.score !== null && report.summary.score > 0, 'a score');
    t.ok(report.summary.trend.length >= 3, 'a trend point at each assessment');
    const change = report.summary.sinceLastReview;
    t.equal(change.baseline.basis, 'first_after', 'no score before 90 days ago: the first one');
    t.ok(
      change.resolved.some((x) => x.checkId === 'patch-automatic-updates-off'),
      'the file server turning automatic updates on is a resolved finding',
    );
    t.ok(
      change.opened.some(
        (x) => x.checkId === 'patch-security-pending' && x.hostname === 'ws-dentist',
      ),
      'the dentist workstation has a new pending security update',
    );
    t.same(
      report.patchCompliance.overdue.map((h) => [h.hostname, h.oldestSecurityDays]),
      [
        ['ws-reception', 94],
        ['ws-dentist', 26],
      ],
      'released 2026-09-01 and 2026-11-08: 94 and 26 days pending on 2026-12-04, oldest first',
    );
    t.same(
      report.patchCompliance.rebootPending.map((h) => h.hostname),
      ['ws-reception'],
    );
    t.same(report.patchCompliance.bySeverity.important, { updates: 1, hosts: 1 });
    t.same(report.patchCompliance.bySeverity.moderate, { updates: 1, hosts: 1 });
    t.same(
      report.lifecycle.os.endOfLife.map((h) => h.hostname),
      ['ws-reception'],
      'Ubuntu 18.04 is past its end of life',
    );
    t.ok(
      report.lifecycle.software.endOfLife.some((s) => s.product === 'postgresql'),
      'PostgreSQL 13 is past its end of life',
    );
    const f1 = report.hardwareForecast;
    t.same(
      f1.overdue.hosts.map((h) => h.hostname),
      ['ws-reception'],
      'firmware from 2019: past 5 years',
    );
    t.equal(f1.overdue.budget, 1200, 'one workstation at the default unit cost');
    t.equal(f1.quarters.length, 8);
    t.equal(f1.quarters[0]!.quarter, '2026-Q4');
    const q2027 = f1.quarters.find((q) => q.quarter === '2027-Q1')!;
    t.same(
      q2027.hosts.map((h) => h.hostname),
      ['ws-dentist'],
      'bought 2022-02-15: due 2027-Q1',
    );
    const q2028 = f1.quarters.find((q) => q.quarter === '2028-Q2')!;
    t.same(
      q2028.hosts.map((h) => [h.hostname, h.role]),
      [['srv-files', 'server']],
      'a server bought 2021-06-01 is due after 7 years',
    );
    t.equal(q2028.budget, 6000, 'at the server unit cost');
    t.equal(f1.budgetNextYear, 1200 + 1200, 'overdue plus the dentist workstation');
    t.same(
      report.acceptedRisks.map((a) => [a.id, a.scope, a.hostsCovered]),
      [['acc-ssh-exposed', 'tenant', 3]],
      'the accepted risk covers all three hosts',
    );
    t.notOk(
      report.topRisks.some((r) => r.checkId === ACCEPTED_CHECK),
      'an accepted risk is not a top risk',
    );
    const ranks = report.topRisks.map((r) => r.rank);
    t.same(
      ranks,
      [...ranks].sort((a, b) => b - a),
      'top risks by weight × hosts',
    );
    t.ok(report.technology.available, 'the technology overview');
    if (report.technology.available) {
      t.same(
        report.technology.data.os.map((o) => o.hosts).reduce((a, b) => a + b, 0),
        3,
        'OS distribution over the three hosts',
      );
    }
    t.ok(report.initiatives.available, 'the initiatives');
    if (report.initiatives.available) {
      t.same(
        report.initiatives.data.map((i) => [i.title, i.progress.met, i.progress.inScope]),
        [['No end-of-life operating system', 2, 3]],
      );
    }
  });

  t.test('HTML and the pdfkit PDF render every section of the document', async (t) => {
    const html = (await renderTenantReport(report, 'html')).body.toString();
    for (const id of [
      'summary',
      'categories',
      'top-risks',
      'patch-compliance',
      'lifecycle',
      'forecast',
      'technology',
      'initiatives',
      'accepted-risks',
      'hosts',
    ]) {
      t.match(html, `id="${id}"`, `section ${id}`);
    }
    t.equal((html.match(/<svg /g) ?? []).length, 3, 'trend, categories and forecast charts');
    t.notMatch(html, /<script|<link|src=|url\(/i, 'nothing loaded from elsewhere');
    t.match(html, 'SSH stays reachable for the dental imaging vendor; VPN planned for Q2');
    const pdf = await pdfkitPdf(report);
    t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    // VCIO_REPORT_DIR keeps the files to look at
    if (process.env.VCIO_REPORT_DIR) {
      mkdirSync(process.env.VCIO_REPORT_DIR, { recursive: true });
      writeFileSync(join(process.env.VCIO_REPORT_DIR, 'acme.html'), html);
      writeFileSync(join(process.env.VCIO_REPORT_DIR, 'acme-pdfkit.pdf'), pdf);
      const chromium = await renderTenantReport(report, 'pdf');
      writeFileSync(
        join(process.env.VCIO_REPORT_DIR, `acme-${chromium.pdf!.renderer}.pdf`),
        chromium.body,
      );
    }
  });

  t.test('since: the change since a given review', async (t) => {
    const since = new Date('2026-11-01T00:00:00Z');
    const r = await buildTenantReport(f.store, acme, NOW, { since });
    const change = r.summary.sinceLastReview;
    t.equal(change.baseline.basis, 'at_review');
    t.equal(change.baseline.at!.slice(0, 10), '2026-10-05', 'the last score before the review');
    t.equal(
      change.scoreDelta,
      Math.round((r.summary.score! - change.baseline.score!) * 100) / 100,
      'delta is now minus then',
    );
    t.ok(change.opened.every((x) => x.openedAt >= since.toISOString()));
  });
});

t.test('the report API', async (t) => {
  const f = await fixture(t);
  const get = (url: string, authorization = f.adminAuth) =>
    f.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization } });
  const today = new Date().toISOString().slice(0, 10);

  const json = await get('/tenants/acme/report');
  t.equal(json.statusCode, 200, json.body);
  t.match(json.headers['content-type'], /^application\/json/);
  t.equal(json.headers['content-disposition'], `inline; filename="acme-posture-${today}.json"`);
  const body = json.json<TenantReport>();
  t.equal(body.schema, 'vcio.report.tenant.v1');
  const fixed = await buildTenantReport(f.store, (await f.store.tenants.getTenant('acme'))!, NOW);
  t.same(
    body.findings.map((x) => [x.hostname, x.checkId, x.openedAt]),
    fixed.findings.map((x) => [x.hostname, x.checkId, x.openedAt]),
    'the same open findings as the document built directly',
  );

  const csv = await get('/tenants/tenant-acme/report?format=csv&part=findings');
  t.equal(csv.statusCode, 200);
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  t.equal(
    csv.headers['content-disposition'],
    `attachment; filename="acme-posture-findings-${today}.csv"`,
  );
  t.ok(csv.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'UTF-8 BOM');
  t.match(csv.body, /^\uFEFFhostname,host_id,check_id,/);

  const html = await get('/tenants/acme/report?format=html&since=2026-11-01&paper=letter');
  t.equal(html.statusCode, 200);
  t.equal(html.headers['content-type'], 'text/html; charset=utf-8');
  t.match(html.body, /size: letter/);
  t.match(html.body, /Acme Dental/);

  const pdf = await f.app.inject({
    method: 'GET',
    url: '/api/v1/tenants/acme/report?format=pdf',
    headers: { authorization: f.adminAuth },
  });
  t.equal(pdf.statusCode, 200);
  t.equal(pdf.headers['content-type'], 'application/pdf');
  t.match(pdf.headers['x-vcio-pdf-renderer'], /^(chromium|pdfkit)$/);
  t.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');

  t.test('refusals name what is accepted', async (t) => {
    for (const [query, code] of [
      ['format=docx', 'invalid_format'],
      ['format=csv&part=everything', 'invalid_part'],
      ['since=last-tuesday', 'invalid_since'],
      ['since=2026-02-30', 'invalid_since'],
      ['since=2999-01-01', 'invalid_since'],
      ['paper=a3', 'invalid_paper'],
    ] as const) {
      const res = await get(`/tenants/acme/report?${query}`);
      t.equal(res.statusCode, 400, query);
      t.equal(res.json<{ error: string }>().error, code, query);
    }
    const res = await get('/tenants/acme/report?format=docx');
    t.match(res.json<{ message: string }>().message, 'format must be one of json, csv, html, pdf');
    const portfolio = await get('/reports/portfolio?format=pdf');
    t.equal(portfolio.statusCode, 400, 'the portfolio has no PDF');
    t.equal((await get('/tenants/acme/report?colour=red')).statusCode, 400, 'unknown parameter');
  });

  t.test('a scoped token sees its own tenant only', async (t) => {
    const globexReader = await f.readAuth('tenant-globex');
    const other = await get('/tenants/acme/report', globexReader);
    t.equal(other.statusCode, 404, 'another tenant is a 404, not a 403');
    t.notMatch(other.body, /Acme Dental/);
    const otherCsv = await get('/tenants/tenant-acme/report?format=csv', globexReader);
    t.equal(otherCsv.statusCode, 404, 'by id as well');
    const own = await get('/tenants/globex/report?format=csv', globexReader);
    t.equal(own.statusCode, 200);
    t.match(own.body, /ws-dispatch/);
    t.notMatch(own.body, /ws-reception/);
    const portfolio = await get('/reports/portfolio?format=csv', globexReader);
    t.equal(portfolio.statusCode, 200);
    t.match(portfolio.body, /globex,Globex Logistics/);
    t.notMatch(portfolio.body, /acme|Default/, 'no other tenant in its portfolio');
    t.equal((await get('/tenants/nosuch/report', f.adminAuth)).statusCode, 404);
    const anonymous = await f.app.inject({ method: 'GET', url: '/api/v1/tenants/acme/report' });
    t.equal(anonymous.statusCode, 401);
  });

  t.test('the admin portfolio spans every tenant', async (t) => {
    const res = await get('/reports/portfolio');
    t.equal(res.statusCode, 200);
    const body = res.json<{ schema: string; tenants: { tenant: { slug: string } }[] }>();
    t.equal(body.schema, 'vcio.report.portfolio.v1');
    t.same(
      body.tenants.map((x) => x.tenant.slug),
      ['acme', 'default', 'globex'],
    );
    const html = await get('/reports/portfolio?format=html');
    t.equal(
      html.headers['content-disposition'],
      `inline; filename="portfolio-posture-${today}.html"`,
    );
    t.match(html.body, /Fleet-wide summary/);
    t.match(html.body, /Globex Logistics/);
  });
});
