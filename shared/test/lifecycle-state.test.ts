// States at the boundary dates, and the embedded snapshot's loading and validation.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evaluateRelease,
  loadEndOfLife,
  stateForDate,
  validateEndOfLife,
  type EndOfLifeData,
} from '../src/index.js';

const at = (iso: string) => new Date(iso);

t.test('stateForDate at the boundaries (eol 2026-06-30, window 180 days)', async (t) => {
  const cases: [string, Date, string][] = [
    ['the day the end date starts is end of life', at('2026-06-30T00:00:00Z'), 'end_of_life'],
    ['one millisecond before is still ending soon', at('2026-06-29T23:59:59.999Z'), 'ending_soon'],
    ['exactly 180 days before is ending soon', at('2026-01-01T00:00:00Z'), 'ending_soon'],
    ['just over 180 days before is supported', at('2025-12-31T23:59:59.999Z'), 'supported'],
  ];
  for (const [name, now, state] of cases) t.equal(stateForDate('2026-06-30', now), state, name);
});

t.test('stateForDate without a date', async (t) => {
  t.equal(stateForDate(true, at('2020-01-01')), 'end_of_life', 'true: ended, date unknown');
  t.equal(
    stateForDate(false, at('2020-01-01')),
    'unknown',
    'false: no date is unknown, not supported',
  );
  t.equal(stateForDate(undefined, at('2020-01-01')), 'unknown', 'absent is unknown');
});

const tiny: EndOfLifeData = {
  source: 'test',
  sourceCommit: 'x',
  sourceDate: '2026-01-01',
  products: {
    thing: {
      title: 'Thing',
      category: 'app',
      releases: [
        { releaseCycle: '1', eol: true },
        { releaseCycle: '2', eol: false, eoes: true },
        {
          releaseCycle: '3',
          releaseLabel: '__RELEASE_CYCLE__ x',
          eol: '2030-01-01',
          eoes: '2035-01-01',
        },
      ],
    },
  },
};

t.test('evaluateRelease', async (t) => {
  const now = at('2026-01-01');
  t.match(
    evaluateRelease(tiny, { product: 'thing', cycle: '1' }, now),
    { eol: null, state: 'end_of_life', label: 'Thing 1' },
    'eol true: end of life with no date',
  );
  t.match(
    evaluateRelease(tiny, { product: 'thing', cycle: '2' }, now, { extendedSupport: true }),
    { state: 'unknown', reason: 'no end-of-support date known' },
    'extended support without a date falls back to eol',
  );
  t.equal(
    evaluateRelease(tiny, { product: 'thing', cycle: '3' }, now).label,
    'Thing 3',
    'a template label is not shown',
  );
  t.match(
    evaluateRelease(tiny, { product: 'thing', cycle: '3', neverSupported: true }, now),
    { state: 'unknown', reason: 'the vendor publishes no end-of-support dates' },
    'never supported',
  );
  t.match(
    evaluateRelease(tiny, { product: 'other', cycle: '9' }, now),
    { product: 'other', cycle: '9', label: 'other 9', state: 'unknown' },
    'a product not in the data',
  );
});

t.test('the embedded snapshot loads once and holds what the matchers use', async (t) => {
  const data = loadEndOfLife();
  t.equal(loadEndOfLife(), data, 'cached after the first read');
  t.equal(data.sourceCommit, 'a70eca337600e7d721dc48112c271f98661d208b');
  for (const product of [
    'windows',
    'windows-server',
    'macos',
    'ubuntu',
    'debian',
    'rhel',
    'office',
    'nodejs',
    'chrome',
  ]) {
    t.ok(data.products[product]?.releases.length, `has ${product}`);
  }
});

t.test('a newer file loads from a path, and a malformed one is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-eol-'));
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };
  t.same(loadEndOfLife(write('ok.json', tiny)), tiny, 'a valid file');
  const bad: [string, unknown, RegExp][] = [
    ['not an object', [], /not an object/],
    ['no source', { ...tiny, source: 1 }, /source is not a string/],
    ['no products', { ...tiny, products: [] }, /products is not an object/],
    [
      'a product without releases',
      { ...tiny, products: { a: { title: 'A' } } },
      /products\.a\.releases is not a list/,
    ],
    [
      'a release without a cycle',
      { ...tiny, products: { a: { releases: [{ eol: true }] } } },
      /releaseCycle is not a string/,
    ],
    [
      'a release that is not an object',
      { ...tiny, products: { a: { releases: [null] } } },
      /releaseCycle is not a string/,
    ],
    [
      'an eol that is not a date',
      { ...tiny, products: { a: { releases: [{ releaseCycle: '1', eol: '31/12/2030' }] } } },
      /\.eol is neither/,
    ],
    [
      'an eoes that is not a date',
      { ...tiny, products: { a: { releases: [{ releaseCycle: '1', eol: true, eoes: 5 }] } } },
      /\.eoes is neither/,
    ],
  ];
  for (const [name, value, message] of bad)
    t.throws(() => loadEndOfLife(write('bad.json', value)), message, name);
  t.throws(() => validateEndOfLife(null), /not an object/, 'null');
});
