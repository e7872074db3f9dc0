// The check's output as pure functions: the exit code by severity and --fail-on, word
// wrapping for RMM consoles, and the parts of the summary the recorded machines do not
// reach (collector errors, no score at all, a supported OS, hardware by firmware date).
import { assessHost } from '@vcio/shared';
import { sampleSystem } from '@vcio/shared/testing';
import t from 'tap';
import {
  checkDocument,
  exitCodeFor,
  formatCheckText,
  lifecycleText,
  LINE_WIDTH,
  unknownReasons,
  wrap,
  type CheckMeta,
} from '../src/cli/check-report.js';
import { purchaseDate } from '../src/cli/check.js';
import { ExitCode } from '../src/exit-codes.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const meta = (extra: Partial<CheckMeta> = {}): CheckMeta => ({
  agentVersion: '0.1.0',
  hostname: 'srv-01',
  assessedAt: NOW,
  replay: null,
  roleSource: 'inferred',
  lifecycleData: { sourceDate: '2026-08-22', file: null },
  errors: [],
  failOn: 'low',
  minCoverage: 0,
  ...extra,
});

t.test('exit code: the worst finding at or above --fail-on', async (t) => {
  t.same(exitCodeFor([], 'low'), { worst: null, code: ExitCode.ok });
  t.same(exitCodeFor(['low', 'medium'], 'low'), { worst: 'medium', code: ExitCode.findingMedium });
  t.same(exitCodeFor(['low'], 'low'), { worst: 'low', code: ExitCode.findingLow });
  t.same(exitCodeFor(['low', 'medium'], 'high'), { worst: null, code: ExitCode.ok });
  t.same(exitCodeFor(['high', 'critical', 'low'], 'medium'), {
    worst: 'critical',
    code: ExitCode.findingCritical,
  });
  t.same(exitCodeFor(['high'], 'high'), { worst: 'high', code: ExitCode.findingHigh });
  t.same(
    [ExitCode.findingLow, ExitCode.findingMedium, ExitCode.findingHigh, ExitCode.findingCritical],
    [20, 21, 22, 23],
    'documented codes, never renumbered',
  );
});

t.test('wrap: lines within the width, words kept whole, indent after the first', async (t) => {
  const text = 'lorem ipsum dolor sit amet '.repeat(20);
  const lines = wrap(text, '    ', '  fix: ');
  t.ok(lines.length > 1);
  t.ok(lines.every((l) => l.length <= LINE_WIDTH));
  t.match(lines[0], /^ {2}fix: lorem/);
  t.ok(lines.slice(1).every((l) => /^ {4}\S/.test(l)));
  t.equal(lines.join(' ').replace(/\s+/g, ' ').trim(), `fix: ${text.trim()}`);
  const long = 'x'.repeat(150);
  t.same(wrap(`a ${long} b`, ' ', '', 100), ['a', ` ${long}`, ' b'], 'an overlong word alone');
  t.same(wrap('', '  ', '> '), ['> ']);
});

t.test('--purchase-date: real days only, none in the future', async (t) => {
  t.equal(purchaseDate('2024-02-29', NOW), '2024-02-29');
  for (const bad of ['2023-02-29', '2023-2-01', '20230201', '2023-13-01', ''])
    t.throws(() => purchaseDate(bad, NOW), /YYYY-MM-DD/, bad);
  t.throws(() => purchaseDate('2026-11-29', NOW), /future/);
});

t.test('summary with collector errors, a supported OS and a firmware-dated machine', async (t) => {
  // Ubuntu 22.04 (ending soon at NOW), firmware 2023-09-12, only the system section.
  const assessment = assessHost(
    { system: sampleSystem('srv-01', 1) },
    {
      now: NOW,
      lastSeenAt: NOW,
    },
  );
  const errors = [
    { collector: 'security', message: 'timed out after 120 s' },
    { collector: 'patches', message: 'apt list --upgradable: exit code 100: ' + 'E: '.repeat(60) },
  ];
  const doc = checkDocument(assessment, meta({ errors, failOn: 'high' }));
  t.same(doc.errors, errors);
  t.equal(doc.role, 'server');
  t.equal(doc.worstSeverity, null, 'ending soon is medium: below --fail-on high');
  t.equal(doc.exitCode, ExitCode.ok);
  t.ok(doc.findings.some((f) => f.checkId === 'lifecycle-os-ending-soon' && !f.counts));
  const text = formatCheckText(doc);
  t.match(text, 'OS: Ubuntu 22.04 (Jammy Jellyfish): support ending soon, on 2027-04-01');
  t.match(
    text,
    'Hardware: 3 years old (firmware date 2023-09-12); replace after 7 years (server), due 2030-09-12',
  );
  t.match(text, /Collector errors: 2 \(their sections are missing\)\n {2}security: timed out/);
  t.match(text, / {2}patches: apt list --upgradable: exit code 100/);
  t.match(text, '[partial: 50% credit]');
  t.match(text, /Exit 0: no finding at or above high\n$/);
  t.ok(text.split('\n').every((l) => l.length <= LINE_WIDTH));
});

t.test('too little data: no counted finding, coverage below --min-coverage, exit 24', async (t) => {
  const assessment = assessHost({}, { now: NOW, lastSeenAt: NOW, platform: 'linux' });
  t.ok((assessment.posture.coverage ?? 0) < 0.5, 'nothing reported: hardly any check has data');
  const doc = checkDocument(assessment, meta({ failOn: 'critical', minCoverage: 0.5 }));
  t.equal(doc.exitCode, ExitCode.insufficientData);
  t.match(formatCheckText(doc), /Exit 24: .*too little data to call it clean\n$/);
  const lenient = checkDocument(assessment, meta({ failOn: 'critical', minCoverage: 0 }));
  t.equal(lenient.exitCode, ExitCode.ok, '--min-coverage 0: the old verdict');
});

t.test('no score when nothing could be judged; unknown reasons grouped', async (t) => {
  // Never reported (lastSeenAt null) and no section: every check is unknown.
  const assessment = assessHost({}, { now: NOW, lastSeenAt: null, platform: 'linux' });
  const doc = checkDocument(assessment, meta({ roleSource: 'option' }));
  t.equal(doc.score, null);
  const text = formatCheckText(doc);
  t.match(text, 'Score: none (no check had the data it needs)');
  t.match(text, 'OS: not known (no system section)');
  t.match(text, 'server (from --role)');
  const groups = unknownReasons(doc.unknown);
  t.equal(groups[0]![0], 'security: section not reported', 'the most common reason first');
  t.ok(groups[0]![1].length > 5);
  t.equal(
    groups.reduce((n, [, ids]) => n + ids.length, 0),
    doc.unknown.length,
  );
});

t.test('lifecycle lines for every state', async (t) => {
  const base = { product: 'x', cycle: '1', source: 'endoflife.date' as const };
  t.equal(
    lifecycleText({ ...base, label: 'X 1', eol: '2030-01-01', state: 'supported' }),
    'X 1: supported until 2030-01-01',
  );
  t.equal(
    lifecycleText({ ...base, label: 'X 1', eol: null, state: 'supported' }),
    'X 1: supported',
  );
  t.equal(
    lifecycleText({ ...base, label: 'X 1', eol: null, state: 'end_of_life' }),
    'X 1: END OF LIFE',
  );
  t.equal(
    lifecycleText({ ...base, label: 'X 1', eol: null, state: 'unknown' }),
    'X 1: unknown (no end-of-support date known)',
  );
});
