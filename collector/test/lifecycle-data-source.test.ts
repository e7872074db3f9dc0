// LifecycleDataSource: the embedded snapshot until a valid refreshed copy exists, a reload
// only after the recheck interval, and a bad file refused with one warning.
import t from 'tap';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEndOfLife, type EndOfLifeData } from '@vcio/shared';
import { LifecycleDataSource, RECHECK_MS } from '../src/lifecycle/data-source.js';
import { EMBEDDED_FILE, refreshedFile } from '../src/lifecycle/paths.js';

const embedded = loadEndOfLife();

/** A small valid data file whose source date tells the versions apart. */
function tinyData(sourceDate: string, eol = '2030-01-01'): EndOfLifeData {
  return {
    source: 'test',
    sourceCommit: `commit-${sourceDate}`,
    sourceDate,
    products: {
      ubuntu: { title: 'Ubuntu', category: 'os', releases: [{ releaseCycle: '24.04', eol }] },
    },
  };
}

function setup(t: { teardown(fn: () => void): void }) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-lifecycle-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const file = refreshedFile(dataDir);
  mkdirSync(join(dataDir, 'endoflife'), { recursive: true });
  // As the refresh command writes: a new file renamed over the old one.
  const write = (content: string) => {
    writeFileSync(`${file}.tmp`, content);
    renameSync(`${file}.tmp`, file);
  };
  const clock = { now: 1_000_000 };
  const warnings: { obj: object; msg: string }[] = [];
  const logger = { warn: (obj: object, msg: string) => warnings.push({ obj, msg }) };
  const open = () => new LifecycleDataSource({ dataDir, logger, now: () => clock.now });
  return { dataDir, file, write, clock, warnings, open };
}

t.test('without a refreshed copy, the embedded snapshot is used', async (t) => {
  const { open, warnings } = setup(t);
  const source = open();
  t.equal(source.current(), embedded);
  const about = source.describe();
  t.equal(about.origin, 'embedded');
  t.equal(about.path, EMBEDDED_FILE);
  t.equal(about.sourceDate, embedded.sourceDate);
  t.equal(about.sourceCommit, embedded.sourceCommit);
  t.equal(about.products, Object.keys(embedded.products).length);
  t.ok(about.releases > 1000, `${about.releases} releases`);
  t.same(warnings, []);
});

t.test('a refreshed copy is used when present', async (t) => {
  const { open, write, file } = setup(t);
  write(JSON.stringify(tinyData('2026-12-01')));
  const source = open();
  t.equal(source.current().sourceDate, '2026-12-01');
  t.same(source.describe(), {
    origin: 'refreshed',
    path: file,
    sourceDate: '2026-12-01',
    sourceCommit: 'commit-2026-12-01',
    products: 1,
    releases: 1,
  });
});

t.test('a changed file is reloaded after the recheck interval, not before', async (t) => {
  const { open, write, clock } = setup(t);
  write(JSON.stringify(tinyData('2026-12-01')));
  const source = open();
  t.equal(source.current().sourceDate, '2026-12-01');
  write(JSON.stringify(tinyData('2026-12-02', '2031-02-02')));
  clock.now += RECHECK_MS - 1;
  t.equal(source.current().sourceDate, '2026-12-01', 'not looked at again within the minute');
  clock.now += 1;
  t.equal(source.current().sourceDate, '2026-12-02', 'reloaded once the minute is up');
  t.equal(source.current().products.ubuntu!.releases[0]!.eol, '2031-02-02');
});

t.test('appearing and disappearing: embedded -> refreshed -> embedded', async (t) => {
  const { open, write, clock, file } = setup(t);
  const source = open();
  t.equal(source.describe().origin, 'embedded');
  write(JSON.stringify(tinyData('2026-12-03')));
  clock.now += RECHECK_MS;
  t.equal(source.current().sourceDate, '2026-12-03');
  rmSync(file);
  clock.now += RECHECK_MS;
  t.equal(source.current(), embedded, 'deleting the copy goes back to the snapshot');
  t.equal(source.describe().origin, 'embedded');
});

t.test('an invalid file is refused with one warning and the previous data kept', async (t) => {
  const { open, write, clock, warnings } = setup(t);
  write(JSON.stringify(tinyData('2026-12-01')));
  const source = open();
  t.equal(source.current().sourceDate, '2026-12-01');

  const bad = tinyData('2026-12-09');
  (bad.products.ubuntu!.releases[0] as { eol: unknown }).eol = 'next year';
  write(JSON.stringify(bad));
  clock.now += RECHECK_MS;
  t.equal(source.current().sourceDate, '2026-12-01', 'previous data kept');
  t.equal(source.describe().origin, 'refreshed');
  t.equal(warnings.length, 1);
  t.match(warnings[0]!.msg, /refused .*keeping the previously loaded copy/);
  t.match(warnings[0]!.obj, { reason: /releases\[0\]\.eol is neither a date nor a boolean/ });

  clock.now += RECHECK_MS;
  source.current();
  t.equal(warnings.length, 1, 'the same bad file is not warned about again');

  write('{ not json');
  clock.now += RECHECK_MS;
  t.equal(source.current().sourceDate, '2026-12-01');
  t.equal(warnings.length, 2, 'a different bad file is');

  write(JSON.stringify(tinyData('2026-12-10')));
  clock.now += RECHECK_MS;
  t.equal(source.current().sourceDate, '2026-12-10', 'a fixed file is taken');
});

t.test('an invalid file at start-up falls back to the embedded snapshot', async (t) => {
  const { open, write, warnings } = setup(t);
  write('[]');
  const source = open();
  t.equal(source.current(), embedded);
  t.equal(source.describe().origin, 'embedded');
  t.equal(warnings.length, 1);
  t.match(warnings[0]!.msg, /keeping the embedded snapshot/);
});

t.test('works without a logger and with the real clock', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-lifecycle-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'endoflife'));
  writeFileSync(refreshedFile(dataDir), 'null');
  const source = new LifecycleDataSource({ dataDir });
  t.equal(source.current(), embedded);
});
