// The live console in a real browser (Debian's Chromium through playwright-core): sign in,
// see this machine's host appear when the real agent reports, see its posture score and
// lifecycle state arrive, see its row change on the next report without a reload, open it
// (posture part: category scores, OS lifecycle), see its site and move it to another
// (the host list's site column and filter follow), open the technology and deploy views
// (the views app.js installs for other modules: one open at a time, back returns), and
// save screenshots checked not blank.
//
// Chromium must be at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it).
// Without it the test fails, unless VCIO_SKIP_BROWSER=1. VCIO_SCREENSHOT_DIR keeps the
// screenshots there instead of in a temporary directory that is removed.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { enrollAgent, runAgent, startCollectorProcess, tempDir } from '../lib/processes.js';

/** Debian's Chromium; VCIO_CHROMIUM names another build of it. */
const CHROMIUM = process.env.VCIO_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Decodes an 8-bit, non-interlaced PNG (what Chromium writes) far enough to count its
 * distinct pixel colours: chunks, inflate, and the per-row filters.
 */
export function pngColours(png: Buffer): { width: number; height: number; colours: number } {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = [
        data[8],
        data[9],
        data[10],
        data[11],
        data[12],
      ];
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType!] ?? 0;
      if (bitDepth !== 8 || channels === 0 || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colourType}`);
      }
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const previous = Buffer.alloc(stride);
  const row = Buffer.alloc(stride);
  const colours = new Set<string>();
  for (let y = 0; y < height; y++) {
    const base = y * (stride + 1);
    const filter = raw[base]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[base + 1 + x]!;
      const left = x >= channels ? row[x - channels]! : 0;
      const up = previous[x]!;
      const upLeft = x >= channels ? previous[x - channels]! : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      row[x] = (value + predicted) & 0xff;
    }
    // sample every 4th pixel of every 4th row: plenty to tell a page from a blank
    if (y % 4 === 0) {
      for (let x = 0; x < width; x += 4) {
        colours.add(row.subarray(x * channels, (x + 1) * channels).toString('hex'));
      }
    }
    row.copy(previous);
  }
  return { width, height, colours: colours.size };
}

const skip =
  !existsSync(CHROMIUM) && process.env.VCIO_SKIP_BROWSER === '1'
    ? `${CHROMIUM} is missing and VCIO_SKIP_BROWSER=1`
    : false;

/** What the page-side callbacks touch (this package is not compiled with the DOM types). */
interface PageGlobals {
  document: {
    querySelector(
      selector: string,
    ): { getAttribute(name: string): string | null; textContent: string | null } | null;
  };
}

/** A score as the console prints it: one decimal, 0 to 100. */
const SCORE = /^(100|\d{1,2})\.\d$/;

t.test('the console shows a host appear and change live, in Chromium', { skip }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), or set VCIO_SKIP_BROWSER=1 to skip this test`,
    );
    return;
  }
  const collector = await startCollectorProcess();
  const stateDir = tempDir('agent');
  const profile = tempDir('chromium');
  const keep = process.env.VCIO_SCREENSHOT_DIR;
  const shots = keep ?? tempDir('screenshots');
  mkdirSync(shots, { recursive: true });
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
    viewport: { width: 1280, height: 800 },
  });
  t.teardown(async () => {
    await context.close();
    await collector.stop();
    for (const dir of [stateDir, profile, ...(keep ? [] : [shots])]) {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const page: Page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });

  // A site before signing in: the console reads the tenant's sites when it picks the tenant.
  const admin = { authorization: `Bearer ${collector.bootstrap.adminToken}` };
  const created = await fetch(
    `${collector.url}/api/v1/tenants/${collector.bootstrap.tenant.slug}/sites`,
    {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'hq', name: 'Head office' }),
    },
  );
  t.equal(created.status, 201, await created.text());

  await page.goto(collector.url);
  await page.fill('#token', 'at_nobody.wrong');
  await page.click('#signin');
  await page.waitForSelector('#signin-error:text("unknown, revoked or wrong")');
  problems.length = 0; // the 401 of that failed sign-in is logged by the browser, as it should be

  await page.fill('#token', collector.bootstrap.adminToken);
  await page.click('#signin');
  await page.waitForSelector('#hosts-view:not([hidden])');
  t.equal(
    await page.$eval('#tenant', (el) => (el as unknown as { value: string }).value),
    collector.bootstrap.tenant.id,
    'the bootstrap tenant is picked',
  );
  await page.waitForSelector('#live-state[data-state="live"]');
  t.notOk(
    page.url().includes(collector.bootstrap.adminToken.split('.')[1]!),
    'no token in the URL',
  );
  t.equal(await page.locator('#hosts tbody tr').count(), 0, 'no hosts yet');

  const enroll = await enrollAgent(collector, stateDir);
  t.equal(enroll.code, 0, enroll.stderr);
  const once = await runAgent(['once', '--state-dir', stateDir]);
  t.equal(once.code, 0, once.stderr);

  const row = page.locator('#hosts tbody tr').first();
  await row.waitFor({ timeout: 15_000 });
  t.equal(await row.locator('td.hostname').textContent(), hostname(), 'the host appeared live');
  t.equal(await row.locator('td.state').textContent(), 'online');
  t.not(await row.locator('td.os').textContent(), '—', 'its OS');
  // the collector assesses the host after its report and sends posture.changed
  await page.waitForFunction(
    (pattern) =>
      new RegExp(pattern).test(
        (globalThis as unknown as PageGlobals).document.querySelector('#hosts tbody td.score')
          ?.textContent ?? '',
      ),
    SCORE.source,
    { timeout: 15_000 },
  );
  const score = row.locator('td.score');
  t.match(await score.textContent(), SCORE, 'the row shows a numeric score');
  t.match(await score.getAttribute('class'), /band-(bad|warn|ok)/, 'coloured by its band');
  await page.waitForFunction(
    () =>
      (globalThis as unknown as PageGlobals).document.querySelector('#hosts tbody td.lifecycle')
        ?.textContent !== '—',
    undefined,
    { timeout: 15_000 },
  );
  t.match(
    await row.locator('td.lifecycle').textContent(),
    /^(supported|ending soon|end of life|unknown)$/,
    'the row shows the OS lifecycle state',
  );
  const tenantScore = page.locator(
    `#tenant-scores .tenant-score[data-tenant-id="${collector.bootstrap.tenant.id}"]`,
  );
  await tenantScore.locator('.score.band-bad, .score.band-warn, .score.band-ok').waitFor({
    timeout: 15_000,
  });
  t.match(await tenantScore.locator('.score').textContent(), SCORE, 'the tenant line has a score');
  const firstSeen = await row.getAttribute('data-last-seen');
  t.ok(firstSeen, `last seen ${firstSeen}`);
  await page.screenshot({ path: join(shots, 'console-hosts.png') });

  const second = await runAgent(['once', '--state-dir', stateDir]);
  t.equal(second.code, 0, second.stderr);
  await page.waitForFunction(
    (before) =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('#hosts tbody tr')
        ?.getAttribute('data-last-seen') !== before,
    firstSeen,
    { timeout: 15_000 },
  );
  const secondSeen = await row.getAttribute('data-last-seen');
  t.ok(secondSeen! > firstSeen!, `the row changed without a reload: ${firstSeen} → ${secondSeen}`);
  t.equal(await page.locator('#hosts tbody tr').count(), 1, 'still one row');

  await row.click();
  await page.waitForSelector('#host-view:not([hidden]) #inventory dt');
  t.equal(await page.textContent('#host-title'), hostname());
  await page.waitForSelector('#chart canvas', { timeout: 10_000 });
  await page.waitForSelector('#posture-body:not([hidden])', { timeout: 10_000 });
  t.match(
    await page.textContent('#posture-summary .score'),
    SCORE,
    'the posture part shows the score',
  );
  const categoryScores = await page.$$eval('#posture-categories tbody .score', (cells) =>
    cells.map((c) => (c as unknown as { textContent: string }).textContent),
  );
  t.ok(
    categoryScores.some((s) => SCORE.test(s)),
    `at least one category score: ${categoryScores.join(', ')}`,
  );
  t.match(
    await page.textContent('#lifecycle-os'),
    /: (supported|ending soon|end of life|unknown), /,
    'the OS lifecycle line',
  );
  t.ok(
    (await page.locator('#findings li, #findings p').count()) > 0,
    'the findings list or its "none" line',
  );
  await page.screenshot({ path: join(shots, 'console-host.png'), fullPage: true });

  // ---- sites: the host view shows the host's site; an admin moves it
  t.equal(await page.textContent('#host-site-current'), '—', 'in no site yet');
  t.match(await page.textContent('#inventory'), /Site—/, 'the inventory lists the site');
  await page.selectOption('#host-site', 'hq');
  await page.click('#host-site-save');
  await page.waitForSelector('#host-site-status:text("Moved.")');
  t.equal(await page.textContent('#host-site-current'), 'Head office', 'moved to the site');
  const moved = await fetch(`${collector.url}/api/v1/hosts?limit=1`, { headers: admin });
  t.match(
    ((await moved.json()) as { hosts: { site: { slug: string } | null }[] }).hosts[0]?.site,
    { slug: 'hq' },
    'the collector has it in the site',
  );
  await page.click('#back');
  await page.waitForSelector('#hosts-view:not([hidden])');
  t.equal(await row.locator('td.site').textContent(), 'Head office', 'the list shows the site');
  t.notOk(await page.locator('#site-filter-label').isHidden(), 'a site filter while sites exist');
  await page.selectOption('#site-filter', { label: 'No site' });
  await page.waitForFunction(
    () => (globalThis as unknown as PageGlobals).document.querySelector('#hosts tbody tr') === null,
  );
  t.equal(await page.locator('#hosts tbody tr').count(), 0, 'No site: the host is filtered out');
  await page.selectOption('#site-filter', { label: 'Head office' });
  await row.waitFor();
  t.equal(await page.locator('#hosts tbody tr').count(), 1, 'its site: the host is listed');
  await page.selectOption('#site-filter', { label: 'All sites' });

  // ---- the technology view (installed by app.js for technology.js)
  const hostsView = page.locator('#hosts-view');
  await page.click('#technology-open');
  await page.waitForSelector('#technology-view:not([hidden])');
  t.ok(await hostsView.isHidden(), 'opening a view hides the host list');
  const technologyStatus = page.locator('#technology-view p[role="status"]');
  await page.waitForFunction(
    () =>
      !/^(Loading…)?$/.test(
        (globalThis as unknown as PageGlobals).document.querySelector(
          '#technology-view p[role="status"]',
        )?.textContent ?? '',
      ),
    undefined,
    { timeout: 15_000 },
  );
  t.match(
    await technologyStatus.textContent(),
    /^1 hosts, \d+ software products$/,
    'the tenant overview loaded',
  );
  t.ok(
    (await page.locator('#technology-os-table tbody tr').count()) >= 1,
    'the OS distribution has a row',
  );
  t.ok(
    (await page.locator('#technology-products tbody tr, #technology-software p').count()) >= 1,
    "this machine's products (or the line saying there are none)",
  );
  await page.screenshot({ path: join(shots, 'console-technology.png'), fullPage: true });

  // ---- the deploy view: opening it closes the technology view; its commands hold a secret
  await page.click('#deploy-open');
  await page.waitForSelector('#deploy-view:not([hidden])');
  t.ok(await page.locator('#technology-view').isHidden(), 'one extra view at a time');
  await page.waitForSelector(`#deploy-tenant option[value="${collector.bootstrap.tenant.slug}"]`, {
    state: 'attached',
  });
  await page.click('#deploy-create');
  await page.waitForSelector('#deploy-bash', { timeout: 10_000 });
  t.match(
    await page.textContent('#deploy-bash'),
    new RegExp(collector.url.replace(/[.:/]/g, '\\$&')),
  );
  t.ok((await page.textContent('#deploy-powershell'))!.length > 0, 'a PowerShell command too');
  await page.click('#deploy-view button.back');
  await page.waitForSelector('#hosts-view:not([hidden])');
  t.ok(await page.locator('#deploy-view').isHidden(), 'back: the deploy view closes');
  t.equal(await page.locator('#deploy-bash').count(), 0, 'and its commands leave the page');

  // app.js's own views take over: opening a host closes an open extra view
  await page.click('#technology-open');
  await page.waitForSelector('#technology-view:not([hidden])');
  await page.click('#technology-view button.back');
  await page.waitForSelector('#hosts-view:not([hidden])');
  await page.click('#deploy-open');
  await page.waitForSelector('#deploy-view:not([hidden])');
  await page.selectOption('#tenant', collector.bootstrap.tenant.id);
  await page.dispatchEvent('#tenant', 'change');
  await page.waitForSelector('#hosts-view:not([hidden])');
  t.ok(await page.locator('#deploy-view').isHidden(), 'picking a tenant closes the view');
  await page.click('#signout');
  await page.waitForSelector('#signin-view:not([hidden])');
  t.ok(await page.locator('#technology-open').isHidden(), 'signed out: no view buttons');
  t.ok(await page.locator('#deploy-open').isHidden());

  for (const name of ['console-hosts.png', 'console-host.png', 'console-technology.png']) {
    const png = readFileSync(join(shots, name));
    const decoded = pngColours(png);
    t.equal(decoded.width, 1280, `${name} width`);
    t.ok(decoded.colours > 10, `${name} is not blank: ${decoded.colours} distinct colours`);
  }
  t.same(problems, [], 'no script errors or CSP violations in the page');
  if (keep) t.comment(`screenshots kept in ${keep}`);
});
