// The pure parts of a refresh: API v1 -> snapshot conversion, and the change summary.
import t from 'tap';
import { loadEndOfLife, osLifecycle, type EndOfLifeData, type OsInfo } from '@vcio/shared';
import {
  convertRelease,
  parseApiV1Product,
  productsFromApiV1,
  type ApiV1Release,
  type SnapshotRelease,
} from '../src/lifecycle/api-v1.js';
import { compareEndOfLife, describeShrink, formatChanges } from '../src/lifecycle/changes.js';
import {
  essentials,
  fullResponse,
  productResponse,
  toApiV1Product,
} from './lifecycle-api-fixture.js';

const embedded = loadEndOfLife();

t.test('convertRelease: a date wins, the boolean stands in when there is none', async (t) => {
  const base: ApiV1Release = { name: '22.04', isEol: false, eolFrom: '2027-06-01' };
  t.same(convertRelease(base), { releaseCycle: '22.04', eol: '2027-06-01' });
  t.same(convertRelease({ ...base, isEol: true, eolFrom: null }).eol, true);
  t.same(convertRelease({ ...base, isEol: false, eolFrom: null }).eol, false);
  const full = convertRelease({
    name: '22.04',
    codename: 'Jammy Jellyfish',
    label: "22.04 'Jammy Jellyfish' (LTS)",
    releaseDate: '2022-04-21',
    isLts: true,
    ltsFrom: null,
    isEoas: true,
    eoasFrom: '2027-06-01',
    isEol: false,
    eolFrom: '2027-06-01',
    isEoes: false,
    eoesFrom: '2032-04-09',
    latest: { name: '22.04.5', date: '2024-09-12' },
  });
  t.same(full, {
    releaseCycle: '22.04',
    codename: 'Jammy Jellyfish',
    lts: true,
    releaseDate: '2022-04-21',
    eoas: '2027-06-01',
    eol: '2027-06-01',
    eoes: '2032-04-09',
    latest: '22.04.5',
    latestReleaseDate: '2024-09-12',
  });
  t.notOk('releaseLabel' in full, 'a rendered label holding the codename is left out');
  t.equal(convertRelease({ ...base, label: '11 26H1 (E)' }).releaseLabel, '11 26H1 (E)');
  t.notOk('releaseLabel' in convertRelease({ ...base, label: '22.04' }), 'label = cycle');
  // isEoes null: the cycle is not eligible for extended support
  t.notOk('eoes' in convertRelease({ ...base, isEoes: null, eoesFrom: null }));
  t.notOk('eoas' in convertRelease(base), 'no active-support phase: no eoas');
  t.notOk('latest' in convertRelease({ ...base, latest: null }));
});

t.test('parseApiV1Product names the first field that does not fit', async (t) => {
  const good = toApiV1Product('ubuntu', embedded.products.ubuntu!);
  t.equal(parseApiV1Product(good, 'x').name, 'ubuntu');
  t.throws(() => parseApiV1Product([], 'u'), /u: not an object/);
  t.throws(() => parseApiV1Product({ ...good, label: 1 }, 'u'), /u: label is not a string/);
  t.throws(() => parseApiV1Product({ ...good, releases: {} }, 'u'), /releases is not a list/);
  const releases = (good.releases as Record<string, unknown>[]).slice(0, 2);
  const bad = (patch: Record<string, unknown>) => ({
    ...good,
    releases: [releases[0], { ...releases[1], ...patch }],
  });
  t.throws(() => parseApiV1Product(bad({ name: 7 }), 'u'), /releases\[1\]\.name is not a string/);
  t.throws(() => parseApiV1Product(bad({ isEol: 'yes' }), 'u'), /releases\[1\]\.isEol/);
  t.throws(() => parseApiV1Product(bad({ eolFrom: '1/2/2027' }), 'u'), /releases\[1\]\.eolFrom/);
});

t.test('every embedded product survives a round trip through the API v1 shape', async (t) => {
  const { products, ignored } = productsFromApiV1(
    fullResponse(embedded.products) as { result: unknown },
    new Set(Object.keys(embedded.products)),
    'dump',
  );
  t.equal(ignored, 0);
  t.same(Object.keys(products), Object.keys(embedded.products));
  for (const [id, product] of Object.entries(embedded.products)) {
    const converted = products[id]!;
    t.equal(converted.title, product.title, `${id} title`);
    t.equal(converted.category, product.category, `${id} category`);
    t.same(
      converted.releases.map((r) => essentials(r as SnapshotRelease)),
      product.releases.map((r) => essentials(r as SnapshotRelease)),
      `${id} releases`,
    );
  }
  const after: EndOfLifeData = { ...embedded, products };
  const changes = compareEndOfLife(embedded, after);
  t.same(formatChanges(changes), ['no changes to products, releases or dates']);
  // The verdict and its label come out the same from converted data.
  const os = (
    platform: OsInfo['platform'],
    distro: string,
    release: string,
    build: string | null = null,
  ): OsInfo => ({
    platform,
    distro,
    release,
    codename: null,
    build,
    kernel: null,
    arch: 'x64',
  });
  const now = new Date('2026-12-04T00:00:00Z');
  for (const input of [
    os('linux', 'Ubuntu', '20.04.6 LTS'),
    os('windows', 'Microsoft Windows 10 Enterprise', '10.0.19042', '19042'),
    os('windows', 'Microsoft Windows Server 2012 R2 Standard', '6.3.9600', '9600'),
    os('darwin', 'macOS', '14.5'),
  ]) {
    t.same(
      osLifecycle(input, { now, data: after }),
      osLifecycle(input, { now, data: embedded }),
      input.distro!,
    );
  }
});

t.test(
  'productsFromApiV1: a dump keeps only wanted products; one answer is always kept',
  async (t) => {
    const two = { ubuntu: embedded.products.ubuntu!, debian: embedded.products.debian! };
    const dump = productsFromApiV1(
      fullResponse(two) as { result: unknown },
      new Set(['ubuntu']),
      'f',
    );
    t.same(Object.keys(dump.products), ['ubuntu']);
    t.equal(dump.ignored, 1);
    const one = productsFromApiV1(
      productResponse('debian', two.debian) as { result: unknown },
      new Set(['ubuntu']),
      'f',
    );
    t.same(Object.keys(one.products), ['debian']);
    t.throws(
      () =>
        productsFromApiV1(
          { result: [{ name: 'ubuntu', label: 'Ubuntu' }] },
          new Set(['ubuntu']),
          'f',
        ),
      /f result\[0\]: category is not a string/,
    );
  },
);

t.test('compareEndOfLife, describeShrink and formatChanges', async (t) => {
  const before: EndOfLifeData = {
    source: 's',
    sourceCommit: 'c',
    sourceDate: '2026-01-01',
    products: {
      windows: {
        title: 'Windows',
        category: 'os',
        releases: [
          { releaseCycle: '10-22h2-e', eol: '2025-10-14', latest: '10.0.19045' },
          { releaseCycle: '10-21h2', eol: '2023-06-13' },
        ],
      },
      gone: { title: 'Gone', category: 'app', releases: [{ releaseCycle: '1', eol: true }] },
      same: { title: 'Same', category: 'app', releases: [{ releaseCycle: '1', eol: false }] },
    },
  };
  const after: EndOfLifeData = {
    ...before,
    products: {
      windows: {
        title: 'Windows',
        category: 'os',
        releases: [
          { releaseCycle: '11-25h2', eol: '2028-10-10' },
          {
            releaseCycle: '10-22h2-e',
            eol: '2026-10-13',
            eoes: '2028-10-10',
            latest: '10.0.19046',
          },
        ],
      },
      same: before.products.same!,
      fresh: { title: 'Fresh', category: 'app', releases: [] },
    },
  };
  const changes = compareEndOfLife(before, after);
  t.same(changes, {
    productsAdded: ['fresh'],
    productsRemoved: ['gone'],
    productsUpdated: ['windows'],
    releasesAdded: ['windows 11-25h2'],
    releasesRemoved: ['windows 10-21h2'],
    datesMoved: [
      'windows 10-22h2-e: eol 2025-10-14 -> 2026-10-13',
      'windows 10-22h2-e: eoes none -> 2028-10-10',
    ],
    latestChanged: 1,
  });
  t.equal(
    describeShrink(changes),
    'the new data lost 1 product(s) (gone) and 1 release(s) (windows 10-21h2)',
  );
  t.equal(describeShrink(compareEndOfLife(before, before)), null);
  t.same(formatChanges(changes), [
    'products added: 1 (fresh)',
    'products removed: 1 (gone)',
    'products updated: 1 (windows)',
    'releases added: 1 (windows 11-25h2)',
    'releases removed: 1 (windows 10-21h2)',
    'dates moved: 2',
    '  windows 10-22h2-e: eol 2025-10-14 -> 2026-10-13',
    '  windows 10-22h2-e: eoes none -> 2028-10-10',
    'latest versions changed: 1',
  ]);
  // Long lists of lost releases are cut short.
  const many = compareEndOfLife(
    {
      ...before,
      products: {
        x: {
          title: 'X',
          category: 'app',
          releases: Array.from({ length: 12 }, (_, i) => ({ releaseCycle: String(i), eol: true })),
        },
      },
    },
    { ...before, products: { x: { title: 'X', category: 'app', releases: [] } } },
  );
  t.match(describeShrink(many), /^the new data lost 12 release\(s\) \(x 0, .*x 9, \.\.\.\)$/);
});
