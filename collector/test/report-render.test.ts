// The report renderers' edges, on small documents: CSV quoting and the formula guard,
// HTML escaping of hostile names, what a caller may ask for, the PDF fallback when
// Chromium fails or hangs, and the budget arithmetic.
import t from 'tap';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POSTURE_SETTINGS } from '@vcio/shared';
import { MAX_CONCURRENT_PRINTS, chromiumPdf } from '../src/reports/pdf-chromium.js';
import { pdfSafe } from '../src/reports/pdf-pdfkit.js';
import { csvCell, csvTable, isoSeconds } from '../src/reports/render-csv.js';
import { money } from '../src/reports/render-html.js';
import { renderTenantReport, reportFileName } from '../src/reports/render.js';
import { replacementBudget } from '../src/reports/replacement-budget.js';
import { csvPart, paper, parseSince, tenantFormat } from '../src/reports/report-request.js';
import { categoryBars, escapeHtml, forecastBars, trendChart } from '../src/reports/svg-charts.js';

t.test('CSV cells: RFC 4180 quoting and the formula guard', async (t) => {
  t.equal(csvCell('plain'), 'plain');
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('two\r\nlines'), '"two\r\nlines"');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(true), 'yes');
  t.equal(csvCell(false), 'no');
  t.equal(csvCell(-1.5), '-1.5', 'a negative number stays a number');
  t.equal(csvCell(Number.NaN), '');
  for (const start of ['=', '+', '-', '@']) {
    t.equal(csvCell(`${start}1+1`), `'${start}1+1`, `text starting with ${start} is defused`);
  }
  t.equal(
    csvCell('=HYPERLINK("http://evil.example","x")'),
    `"'=HYPERLINK(""http://evil.example"",""x"")"`,
    'defused and quoted',
  );
  const table = csvTable(['a', 'b'], [['x', 1]]);
  t.equal(table, '\uFEFFa,b\r\nx,1\r\n', 'BOM, CRLF after every line');
  t.equal(isoSeconds('2026-12-04T11:50:10.123Z'), '2026-12-04T11:50:10Z');
  t.equal(isoSeconds(null), null);
});

t.test('HTML text and SVG labels are escaped', async (t) => {
  t.equal(
    escapeHtml(`<img src=x onerror="a('b')">&`),
    '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
  );
  const bars = categoryBars({ '<b>patching</b>': 50, exposure: null });
  t.match(bars, '&lt;b&gt;patching&lt;/b&gt;');
  t.notMatch(bars, '<b>');
  t.match(bars, 'n/a', 'a category without a score says so');
  const trend = trendChart([], '2026-09-05T00:00:00Z', '2026-12-04T00:00:00Z');
  t.match(trend, 'no score recorded in this period');
  const line = trendChart(
    [
      { at: '2026-10-01T00:00:00Z', score: 50 },
      { at: '2026-11-01T00:00:00Z', score: null },
      { at: '2026-11-15T00:00:00Z', score: 90 },
    ],
    '2026-09-05T00:00:00Z',
    '2026-12-04T00:00:00Z',
  );
  t.equal((line.match(/<circle/g) ?? []).length, 2, 'a dot per scored point');
  t.match(line, /<path d="M[\d.]+,[\d.]+H[\d.]+V[\d.]+H[\d.]+V[\d.]+"/, 'a step line to the end');
  const forecast = forecastBars(
    [
      { label: 'overdue', hosts: 2, budget: 2400 },
      { label: '<2027-Q1>', hosts: 0, budget: 0 },
    ],
    'EUR',
  );
  t.match(forecast, '&lt;2027-Q1&gt;');
  t.match(forecast, 'fill="#c62828"', 'overdue in red');
});

t.test('money is formatted in the tenant currency', async (t) => {
  t.equal(money(6000, 'USD'), '$6,000');
  t.equal(money(1200, 'EUR'), '€1,200');
  t.equal(money(5, 'ZZZ'), 'ZZZ\u00a05', 'an unknown code still prints (ICU) or falls back');
});

t.test('what a caller may ask for', async (t) => {
  const now = new Date('2026-12-04T12:00:00Z');
  t.equal(parseSince('2026-09-01', now).toISOString(), '2026-09-01T00:00:00.000Z');
  t.equal(parseSince('2026-09-01T08:00:00+02:00', now).toISOString(), '2026-09-01T06:00:00.000Z');
  for (const bad of ['2026-02-30', 'yesterday', '2026-09-01T08:00:00', '', '2027-01-01']) {
    t.throws(() => parseSince(bad, now), { code: 'invalid_since' }, `"${bad}" refused`);
  }
  t.equal(tenantFormat('pdf'), 'pdf');
  t.throws(() => tenantFormat('PDF'), {
    code: 'invalid_format',
    message: 'format must be one of json, csv, html, pdf (got "PDF")',
  });
  t.throws(() => csvPart('all'), { code: 'invalid_part' });
  t.throws(() => paper('a3'), { code: 'invalid_paper' });
  t.equal(paper('letter'), 'letter');
});

t.test('file names carry no path and say what they hold', async (t) => {
  t.equal(reportFileName('acme', '2026-12-04T12:00:00.000Z', 'pdf'), 'acme-posture-2026-12-04.pdf');
  t.equal(
    reportFileName('acme', '2026-12-04T12:00:00.000Z', 'csv', 'findings'),
    'acme-posture-findings-2026-12-04.csv',
  );
  t.equal(
    reportFileName('../etc/"x"', '2026-12-04T12:00:00.000Z', 'json'),
    'etc-x-posture-2026-12-04.json',
  );
});

t.test('pdfkit text stays within what its fonts encode', async (t) => {
  t.equal(pdfSafe('Müller – café “ok” …'), 'Müller – café “ok” …');
  t.equal(pdfSafe('日本 → ✓'), '?? ? ?');
});

t.test('the replacement budget prices each quarter by role', async (t) => {
  const settings = {
    ...DEFAULT_POSTURE_SETTINGS,
    replacementCost: { workstation: 1000, server: 5000, currency: 'EUR' },
  };
  const budget = replacementBudget(
    {
      policy: settings.replacement,
      overdue: [{ hostId: 'a', hostname: 'a' }],
      quarters: [
        { quarter: '2026-Q4', start: '2026-10-01', hosts: [{ hostId: 's', hostname: 's' }] },
        { quarter: '2027-Q1', start: '2027-01-01', hosts: [] },
        { quarter: '2027-Q2', start: '2027-04-01', hosts: [] },
        { quarter: '2027-Q3', start: '2027-07-01', hosts: [] },
        { quarter: '2027-Q4', start: '2027-10-01', hosts: [{ hostId: 'b', hostname: 'b' }] },
      ],
      later: 0,
      unknown: [],
      virtual: 1,
    },
    new Map([
      ['s', 'server'],
      ['a', 'workstation'],
    ]),
    settings,
  );
  t.equal(budget.overdue.budget, 1000);
  t.equal(budget.quarters[0]!.budget, 5000);
  t.equal(budget.quarters[0]!.servers, 1);
  t.equal(budget.quarters[4]!.budget, 1000, 'a host of no recorded role counts as a workstation');
  t.equal(budget.budgetNextYear, 6000, 'overdue and the next four quarters');
  t.equal(budget.budgetTotal, 7000);
});

t.test(
  'Chromium that fails, hangs or is missing: a clear error, nothing left behind',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vcio-fake-chromium-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('vcio-report-pdf-')));
    const script = (name: string, body: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    await t.rejects(
      chromiumPdf('<p>x</p>', {
        binary: script('fails', 'echo "cannot open display" >&2; exit 3'),
      }),
      { message: 'chromium exited with 3: cannot open display' },
    );
    await t.rejects(chromiumPdf('<p>x</p>', { binary: script('silent', 'exit 0') }), {
      message: 'chromium exited without writing the PDF',
    });
    await t.rejects(
      chromiumPdf('<p>x</p>', { binary: script('hangs', 'sleep 30'), timeoutMs: 300 }),
      { message: 'chromium did not finish within 0.3 s' },
    );
    await t.rejects(chromiumPdf('<p>x</p>', { binary: join(dir, 'nothing') }), {
      name: 'ChromiumUnavailableError',
      message: `no chromium at ${join(dir, 'nothing')}`,
    });
    // five prints at once: never more than two Chromium processes
    const log = join(dir, 'log');
    const slow = script('slow', `echo start >> ${log}; sleep 0.2; echo end >> ${log}; exit 1`);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => chromiumPdf('<p>x</p>', { binary: slow })),
    );
    t.equal(results.filter((r) => r.status === 'rejected').length, 5);
    let running = 0;
    let most = 0;
    for (const event of readFileSync(log, 'utf8').trim().split('\n')) {
      running += event === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    t.equal(most, MAX_CONCURRENT_PRINTS, `at most ${MAX_CONCURRENT_PRINTS} at a time`);
    const after = readdirSync(tmpdir()).filter(
      (f) => f.startsWith('vcio-report-pdf-') && !before.has(f),
    );
    t.same(after, [], 'temporary directories removed');
  },
);

t.test('a PDF is always produced: pdfkit when Chromium fails', async (t) => {
  const report = {
    schema: 'vcio.report.tenant.v1',
    generatedAt: '2026-12-04T12:00:00.000Z',
    tenant: { id: 't', slug: 'empty', name: 'Empty Co' },
    period: {
      since: '2026-09-05T12:00:00.000Z',
      trendDays: 90,
      until: '2026-12-04T12:00:00.000Z',
    },
    lifecycleData: {},
    summary: {
      score: null,
      categories: { patching: null },
      serverWeight: 2,
      hosts: { total: 0, assessed: 0, scored: 0, servers: 0, workstations: 0 },
      openFindings: 0,
      findingsBySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
      trend: [],
      sinceLastReview: {
        since: '2026-09-05T12:00:00.000Z',
        baseline: { at: null, score: null, basis: 'none' },
        scoreNow: null,
        scoreDelta: null,
        openedCount: 0,
        resolvedCount: 0,
        opened: [],
        resolved: [],
      },
    },
    topRisks: [],
    patchCompliance: {
      securityPendingDays: 14,
      rebootPendingDays: 7,
      hostsAssessed: 0,
      hostsCompliant: 0,
      overdue: [],
      rebootPending: [],
      bySeverity: {},
      securityUpdates: 0,
    },
    lifecycle: {
      endingSoonDays: 180,
      extendedSupport: false,
      os: {
        counts: { supported: 0, ending_soon: 0, end_of_life: 0, unknown: 0 },
        endOfLife: [],
        endingSoon: [],
      },
      software: { endOfLife: [], endingSoon: [], tracked: 0 },
    },
    hardwareForecast: {
      policy: { workstationYears: 5, serverYears: 7 },
      unitCost: { workstation: 1200, server: 6000, currency: 'USD' },
      overdue: { hosts: [], workstations: 0, servers: 0, budget: 0 },
      quarters: [],
      later: 0,
      unknown: [],
      virtual: 0,
      budgetNextYear: 0,
      budgetTotal: 0,
    },
    technology: { available: false, reason: 'not available in this version' },
    initiatives: { available: false, reason: 'not available in this version' },
    acceptedRisks: [],
    hosts: [],
    findings: [],
  } as unknown as Parameters<typeof renderTenantReport>[0];
  const file = await renderTenantReport(report, 'pdf', { chromium: '/nonexistent/chromium' });
  t.same(file.pdf, { renderer: 'pdfkit', fallbackReason: 'no chromium at /nonexistent/chromium' });
  t.equal(file.body.subarray(0, 5).toString('latin1'), '%PDF-');
  t.equal(file.contentType, 'application/pdf');
  t.equal(file.fileName, 'empty-posture-2026-12-04.pdf');
  const html = (await renderTenantReport(report, 'html')).body.toString();
  t.match(html, 'Vendors and technology: not available in this version.');
  t.match(html, 'no score was recorded before this period');
});
