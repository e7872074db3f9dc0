// The posture report as a client receives it: two replayed machines (Windows and macOS,
// recorded real data) reported to the real collector; the HTML report opened in the real
// Chromium (its sections shown, no console error, nothing fetched from elsewhere); the PDF
// from the API (printed by Chromium) and from `vcio-collector export`, checked with
// poppler's pdfinfo and pdftotext; and the pdfkit fallback when Chromium is missing.
//
// Chromium must be at /usr/bin/chromium (or VCIO_CHROMIUM), poppler-utils installed
// (pdfinfo, pdftotext). Without Chromium the browser parts fail, unless
// VCIO_SKIP_BROWSER=1 skips them. VCIO_REPORT_DIR keeps the files there.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  COLLECTOR_MAIN,
  enrollAgent,
  REPLAY_FIXTURES,
  runAgent,
  startCollectorProcess,
  tempDir,
  type RunResult,
} from '../lib/processes.js';

const CHROMIUM = process.env.VCIO_CHROMIUM ?? '/usr/bin/chromium';
const skipBrowser =
  !existsSync(CHROMIUM) && process.env.VCIO_SKIP_BROWSER === '1'
    ? `${CHROMIUM} is missing and VCIO_SKIP_BROWSER=1`
    : false;

interface Report {
  tenant: { slug: string; name: string };
  summary: { score: number | null; hosts: { assessed: number } };
  topRisks: { title: string }[];
}

function collectorCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COLLECTOR_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function pdfText(file: string): { pages: number; text: string } {
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? 0);
  // -layout off: words of a table cell stay together; whitespace normalised for matching
  const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  return { pages, text };
}

function keep(name: string, bytes: Buffer | string): void {
  if (!process.env.VCIO_REPORT_DIR) return;
  mkdirSync(process.env.VCIO_REPORT_DIR, { recursive: true });
  writeFileSync(join(process.env.VCIO_REPORT_DIR, name), bytes);
}

t.test('the posture report in Chromium, as PDF from the API and the CLI', async (t) => {
  const dataDir = tempDir('report-collector');
  const work = tempDir('report-files');
  const states = [tempDir('report-agent-windows'), tempDir('report-agent-mac')];
  const collector = await startCollectorProcess([], { dataDir });
  t.teardown(async () => {
    await collector.stop();
    for (const dir of [dataDir, work, ...states]) rmSync(dir, { recursive: true, force: true });
  });
  const admin = { authorization: `Bearer ${collector.bootstrap.adminToken}` };
  const slug = collector.bootstrap.tenant.slug;
  const reportUrl = (query: string) => `${collector.url}/api/v1/tenants/${slug}/report?${query}`;

  for (const [i, machine] of ['windows-10-enterprise', 'macos-26-tahoe'].entries()) {
    const replay = join(REPLAY_FIXTURES, machine);
    const enrolled = await enrollAgent(collector, states[i]!, { replay });
    t.equal(enrolled.code, 0, `enroll: ${enrolled.stderr}`);
    const once = await runAgent(['once', '--state-dir', states[i]!, '--replay', replay]);
    t.equal(once.code, 0, `once --replay ${machine}: ${once.stderr}`);
  }

  // posture is assessed just after the reports are stored: wait for both hosts
  let report: Report | null = null;
  for (let tries = 0; tries < 100; tries++) {
    const res = await fetch(reportUrl('format=json'), { headers: admin });
    t.equal(res.status, 200);
    report = (await res.json()) as Report;
    if (report.summary.hosts.assessed === 2 && report.summary.score !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.equal(report!.summary.hosts.assessed, 2, 'both replayed machines assessed');
  t.ok(report!.topRisks.length > 0, 'the recorded machines have findings');
  const { name } = report!.tenant;
  const score = report!.summary.score!.toFixed(1);
  const risk = report!.topRisks[0]!.title;

  await t.test('the HTML report in Chromium', { skip: skipBrowser }, async (t) => {
    const res = await fetch(reportUrl('format=html'), { headers: admin });
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^text\/html/);
    const html = await res.text();
    keep('report.html', html);
    const file = join(work, 'report.html');
    writeFileSync(file, html);
    const profile = join(work, 'profile');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    const fetched: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => fetched.push(request.url()));
    await page.goto(`file://${file}`);
    for (const heading of [
      'Executive summary',
      'Score by category',
      'Top risks',
      'Patch compliance',
      'Lifecycle',
      'Hardware replacement forecast',
      'Vendors and technology',
      'Initiatives',
      'Accepted risks',
      'Hosts',
    ]) {
      t.ok(await page.locator('h2', { hasText: heading }).first().isVisible(), `${heading} shown`);
    }
    t.equal(await page.locator('svg.chart').count(), 3, 'three charts drawn');
    t.ok(
      await page.locator('#top-risks').getByText(risk).first().isVisible(),
      'the heaviest risk listed',
    );
    t.same(problems, [], 'no console errors');
    t.same(
      fetched.filter((url) => !url.startsWith('file://')),
      [],
      'nothing fetched from elsewhere',
    );
  });

  await t.test('the PDF from the API, printed by Chromium', { skip: skipBrowser }, async (t) => {
    const res = await fetch(reportUrl('format=pdf'), { headers: admin });
    t.equal(res.status, 200);
    t.equal(res.headers.get('content-type'), 'application/pdf');
    t.equal(res.headers.get('x-vcio-pdf-renderer'), 'chromium');
    t.match(
      res.headers.get('content-disposition'),
      /^inline; filename="default-posture-\d{4}-\d{2}-\d{2}\.pdf"$/,
    );
    const file = join(work, 'api.pdf');
    const bytes = Buffer.from(await res.arrayBuffer());
    writeFileSync(file, bytes);
    keep('api-chromium.pdf', bytes);
    const { pages, text } = pdfText(file);
    t.ok(pages >= 2, `${pages} pages`);
    for (const expected of [name, score, 'Top risks', risk]) t.match(text, expected);
  });

  // the CLI reads the database directly: the collector is stopped first
  await collector.stop();

  await t.test('the PDF from `vcio-collector export`', { skip: skipBrowser }, async (t) => {
    const out = join(work, 'cli.pdf');
    const run = await collectorCli([
      'export',
      '--data-dir',
      dataDir,
      '--tenant',
      slug,
      '--format',
      'pdf',
      '--out',
      out,
    ]);
    t.equal(run.code, 0, run.stderr);
    t.match(
      run.stderr,
      /export: wrote .*cli\.pdf \(.*, chromium\)/,
      'says it wrote it, by Chromium',
    );
    keep('cli-chromium.pdf', readFileSync(out));
    const { pages, text } = pdfText(out);
    t.ok(pages >= 2, `${pages} pages`);
    for (const expected of [name, score, 'Top risks', risk]) t.match(text, expected);
  });

  await t.test('the pdfkit fallback when Chromium is missing', async (t) => {
    const out = join(work, 'fallback.pdf');
    const run = await collectorCli(
      ['export', '--data-dir', dataDir, '--tenant', slug, '--format', 'pdf', '--out', out],
      { VCIO_CHROMIUM: '/nonexistent' },
    );
    t.equal(run.code, 0, run.stderr);
    t.match(run.stderr, /pdfkit \(Chromium: no chromium at \/nonexistent\)/);
    keep('cli-pdfkit.pdf', readFileSync(out));
    const { pages, text } = pdfText(out);
    t.ok(pages >= 2, `${pages} pages`);
    for (const expected of [name, score, 'Top risks', risk]) t.match(text, expected);
  });

  await t.test('`export --all` writes every tenant and the portfolio', async (t) => {
    const dir = join(work, 'all');
    const run = await collectorCli([
      'export',
      '--data-dir',
      dataDir,
      '--all',
      '--format',
      'csv',
      '--out',
      dir,
    ]);
    t.equal(run.code, 0, run.stderr);
    const files = readdirSync(dir).sort();
    t.match(files, [
      /^default-posture-findings-\d{4}-\d{2}-\d{2}\.csv$/,
      /^default-posture-hosts-\d{4}-\d{2}-\d{2}\.csv$/,
      /^portfolio-posture-\d{4}-\d{2}-\d{2}\.csv$/,
    ]);
    const hosts = readFileSync(join(dir, files[1]!), 'utf8');
    t.equal(hosts.split('\r\n').filter(Boolean).length, 3, 'a header and two hosts');
  });

  await t.test('the CLI refuses clearly', async (t) => {
    for (const [args, message] of [
      [
        ['--tenant', 'nosuch', '--out', join(work, 'x.json')],
        /^vcio-collector: error: no tenant nosuch \(tenants: default\)\n$/,
      ],
      [
        ['--tenant', slug, '--format', 'docx', '--out', join(work, 'x')],
        /format must be one of json, csv, html, pdf/,
      ],
      [['--tenant', slug], /--out FILE is required/],
      [['--tenant', slug, '--all', '--out', work], /give one of --tenant T or --all/],
      [
        ['--tenant', slug, '--since', 'yesterday', '--out', join(work, 'x')],
        /since must be a date/,
      ],
    ] as const) {
      const run = await collectorCli(['export', '--data-dir', dataDir, ...args]);
      t.equal(run.code, 1, args.join(' '));
      t.match(run.stderr, message);
      t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    const missing = await collectorCli([
      'export',
      '--data-dir',
      join(work, 'nothing'),
      '--all',
      '--out',
      work,
    ]);
    t.match(missing.stderr, /no collector database in .*nothing/);
    t.notOk(existsSync(join(work, 'nothing')), 'no empty database created');
  });
});
