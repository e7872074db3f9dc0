// `vcio-agent check` through the compiled CLI, as an RMM script runs it, on the recorded
// Windows 10 and macOS 26 machines: the score is assessHost's for the same sections, text
// and JSON tell the same facts, the exit code follows the worst finding and --fail-on, bad
// options are one-line usage errors; and the catalog stays out of the other commands.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { assessHost, loadEndOfLife, type HostAssessment, type Report } from '@vcio/shared';
import t, { type TAP } from 'tap';
import type { CheckDocument } from '../src/cli/check-report.js';
import { ExitCode } from '../src/exit-codes.js';
import { fixturePath } from './helpers/fixtures.js';
import { CLI, cliEnv, runCli, type CliResult } from './helpers/run-cli.js';

t.setTimeout(180_000);

const WINDOWS = fixturePath('replay/windows-10-enterprise');
const MAC = fixturePath('replay/macos-26-tahoe');
const QUIET = ['--log-level', 'warn'];

async function check(args: string[]): Promise<CliResult> {
  return runCli([...QUIET, 'check', ...args]);
}

async function checkJson(args: string[]): Promise<{ r: CliResult; doc: CheckDocument }> {
  const r = await check(['--json', ...args]);
  return { r, doc: JSON.parse(r.stdout) as CheckDocument };
}

/** What the collector would conclude from the same sections at the same moment. */
async function expectedFor(replay: string, doc: CheckDocument): Promise<HostAssessment> {
  const collected = await runCli([...QUIET, 'collect', '--replay', replay]);
  const report = JSON.parse(collected.stdout) as Report;
  const at = new Date(doc.assessedAt);
  return assessHost(report.sections, { now: at, lastSeenAt: at });
}

const usageError = (
  t: Pick<TAP, 'equal' | 'match' | 'same'>,
  r: CliResult,
  pattern: RegExp,
): void => {
  t.equal(r.code, ExitCode.usage, r.stderr);
  t.equal(r.stdout, '');
  const [first, ...rest] = r.stderr.trimEnd().split('\n');
  t.match(first, /^vcio-agent: error: /);
  t.match(first, pattern);
  t.same(rest, ['(add --help for usage)'].slice(0, rest.length), 'no stack trace');
};

t.test('Windows 10 (end of life): JSON matches assessHost, exit 23 (critical)', async (t) => {
  const { r, doc } = await checkJson(['--replay', WINDOWS]);
  t.equal(r.code, ExitCode.findingCritical, r.stderr);
  t.equal(doc.schema, 'vcio.check.v1');
  t.equal(doc.hostname, 'DESKTOP-WIN01');
  t.equal(doc.platform, 'windows');
  t.equal(doc.role, 'workstation');
  t.equal(doc.roleSource, 'inferred');
  t.type(doc.score, 'number');
  t.ok(doc.score! >= 0 && doc.score! <= 100, `score ${doc.score}`);

  const expected = await expectedFor(WINDOWS, doc);
  t.equal(doc.score, expected.posture.score, 'the same score the collector would give');
  t.equal(doc.coverage, expected.posture.coverage);
  t.same(doc.categories, expected.posture.categories);
  t.same(
    doc.findings.map((f) => [f.checkId, f.severity, f.status]),
    expected.posture.findings.map((f) => [f.checkId, f.severity, f.status]),
  );
  t.same(doc.lifecycle.os, expected.os);
  t.same(doc.lifecycle.hardware, expected.hardware);

  t.equal(doc.findings[0]!.checkId, 'lifecycle-os-end-of-life', 'heaviest first');
  t.equal(doc.lifecycle.os?.state, 'end_of_life');
  t.equal(doc.lifecycle.os?.eol, '2023-05-09');
  t.equal(doc.worstSeverity, 'critical');
  t.equal(doc.exitCode, ExitCode.findingCritical);
  t.equal(doc.failOn, 'low');
  t.ok(doc.findings.every((f) => f.counts));
  t.same(doc.errors, []);
  t.same(doc.sections.sort(), ['patches', 'security', 'software', 'system']);
  t.equal(doc.lifecycle.data.sourceDate, loadEndOfLife().sourceDate);
  t.ok(
    doc.unknown.some((u) => u.checkId === 'operations-disk-full'),
    'not collected in replay',
  );
  t.equal(
    doc.counts.pass + doc.counts.fail + doc.counts.partial + doc.counts.notApplicable,
    expected.posture.results.filter((x) => x.status !== 'unknown').length,
  );
  // stdout carries only the document; the verdict goes to stderr in one line.
  t.match(
    r.stderr.trim(),
    /^vcio-agent: check: 11 findings at or above low, the worst critical \(exit 23\)$/,
  );
});

t.test('the text summary: the same facts, plain, lines within 100 characters', async (t) => {
  const { doc } = await checkJson(['--replay', WINDOWS]);
  const r = await check(['--replay', WINDOWS]);
  t.equal(r.code, ExitCode.findingCritical);
  const text = r.stdout;
  t.match(text, `Score: ${doc.score!.toFixed(1)} / 100`);
  t.match(text, /Data coverage: \d+% \(27 checks scored, 4 unknown, 2 not applicable\)/);
  t.match(text, /Categories: patching \d+\.\d, protection/);
  t.match(text, 'OS: Microsoft Windows 10 20H2 (E): END OF LIFE since 2023-05-09');
  t.match(text, 'Hardware: virtual machine');
  t.match(text, 'Software: Google Chrome 91: END OF LIFE');
  t.match(text, `Findings: ${doc.findings.length}, heaviest first`);
  for (const f of doc.findings)
    t.match(
      text,
      `${f.severity.toUpperCase()}`.padEnd(8) + ` ${f.checkId} (w${f.weight}): ${f.title}`,
    );
  t.match(text, /found: Microsoft Windows 10 20H2 \(E\) is past end of life/);
  t.match(text, /fix: Upgrade to a supported release/);
  t.match(
    text,
    /Unknown: 4 checks without the data they need\n( {2}.*\n)* {2}performance: section not reported \(operations-disk-full\)\n/,
  );
  t.match(text, /Exit 23: worst finding critical \(11 findings at or above low\)\n$/);
  t.notOk(text.includes('\u001b['), 'no colour codes when not a terminal');
  const long = text.split('\n').filter((line) => line.length > 100);
  t.same(long, [], 'no line over 100 characters');
});

t.test('macOS 26: worst finding high; --fail-on decides what counts', async (t) => {
  const all = await checkJson(['--replay', MAC]);
  t.equal(all.r.code, ExitCode.findingHigh);
  t.equal(all.doc.worstSeverity, 'high');
  t.equal(all.doc.lifecycle.os?.state, 'unknown', 'Apple publishes no dates: never supported');
  const expected = await expectedFor(MAC, all.doc);
  t.equal(all.doc.score, expected.posture.score);

  const medium = await checkJson(['--replay', MAC, '--fail-on', 'medium']);
  t.equal(medium.r.code, ExitCode.findingHigh, 'high is at or above medium');
  const high = await checkJson(['--replay', MAC, '--fail-on', 'high']);
  t.equal(high.r.code, ExitCode.findingHigh);
  t.equal(high.doc.findings.filter((f) => f.counts).length, 3);
  t.ok(high.doc.findings.filter((f) => !f.counts).every((f) => f.severity === 'medium'));

  // the recorded Mac ran without root: too many checks lack their data to call it clean
  t.ok(all.doc.coverage! < 0.5, `coverage ${all.doc.coverage}`);
  const thin = await check(['--replay', MAC, '--fail-on', 'critical']);
  t.equal(thin.code, ExitCode.insufficientData, 'no critical finding, but too little data');
  t.match(thin.stderr, /too little data to call this machine clean \(exit 24\)/);
  const critical = await check(['--replay', MAC, '--fail-on', 'critical', '--min-coverage', '0']);
  t.equal(critical.code, ExitCode.ok, critical.stderr);
  t.equal(critical.stderr, '', 'nothing on stderr when nothing counts');
  t.match(critical.stdout, /Findings: 5, heaviest first/, 'the findings are still listed');
  t.match(critical.stdout, /Exit 0: no finding at or above critical\n$/);
});

t.test('--role and --purchase-date stand in for what the collector would record', async (t) => {
  const { doc } = await checkJson([
    '--replay',
    MAC,
    '--role',
    'server',
    '--purchase-date',
    '2018-03-01',
  ]);
  t.equal(doc.role, 'server');
  t.equal(doc.roleSource, 'option');
  t.equal(doc.lifecycle.hardware.basis, 'purchase');
  t.equal(doc.lifecycle.hardware.purchaseDate, '2018-03-01');
  t.equal(doc.lifecycle.hardware.replaceAfterYears, 7);
  t.equal(doc.lifecycle.hardware.replacementDue, '2025-03-01');
  t.ok(doc.lifecycle.hardware.ageYears! >= 8);
  const age = doc.findings.find((f) => f.checkId === 'lifecycle-hardware-age');
  t.equal(age?.status, 'fail', 'past the server replacement age');
  const text = await check(['--replay', MAC, '--purchase-date', '2018-03-01']);
  t.match(
    text.stdout,
    /Hardware: \d+ years old \(purchase date 2018-03-01\); replace after 5 years/,
  );
});

t.test('--lifecycle-data: judged by the given file; a bad file is a usage error', async (t) => {
  const dir = t.testdir();
  const data = loadEndOfLife();
  const extended = structuredClone(data);
  extended.sourceDate = '2027-01-01';
  extended.products.windows!.releases.find((r) => r.releaseCycle === '10-20h2-e')!.eol =
    '2030-01-01';
  const file = path.join(dir, 'releases.json');
  writeFileSync(file, JSON.stringify(extended));

  const { r, doc } = await checkJson(['--replay', WINDOWS, '--lifecycle-data', file]);
  t.equal(doc.lifecycle.os?.state, 'supported');
  t.equal(doc.lifecycle.os?.eol, '2030-01-01');
  t.same(doc.lifecycle.data, { sourceDate: '2027-01-01', file });
  t.notOk(doc.findings.some((f) => f.checkId === 'lifecycle-os-end-of-life'));
  t.equal(r.code, ExitCode.findingHigh, 'the worst left is high');

  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, JSON.stringify({ ...data, products: { windows: { releases: [{}] } } }));
  usageError(
    t,
    await check(['--lifecycle-data', broken]),
    /--lifecycle-data .*broken\.json: endoflife data: products\.windows\.releases\[0\]\.releaseCycle is not a string$/,
  );
  const notJson = path.join(dir, 'not.json');
  writeFileSync(notJson, 'releases: yes');
  usageError(t, await check(['--lifecycle-data', notJson]), /--lifecycle-data .*not\.json: .*JSON/);
  usageError(
    t,
    await check(['--lifecycle-data', path.join(dir, 'missing.json')]),
    /missing\.json: .*no such file/,
  );
});

t.test('bad option values: one clear line and the usage exit code', async (t) => {
  usageError(
    t,
    await check(['--fail-on', 'severe']),
    /'--fail-on <severity>' argument 'severe' is invalid\. Allowed choices are low, medium, high, critical/,
  );
  usageError(t, await check(['--role', 'laptop']), /'--role <role>' argument 'laptop' is invalid/);
  usageError(
    t,
    await check(['--purchase-date', '2023-02-30']),
    /argument '2023-02-30' is invalid\. must be a date as YYYY-MM-DD/,
  );
  usageError(t, await check(['--purchase-date', '03/01/2023']), /must be a date as YYYY-MM-DD/);
  usageError(t, await check(['--purchase-date', '2999-01-01']), /must not be in the future/);
  usageError(t, await check(['--replay', path.join(WINDOWS, 'no-such-dir')]), /no-such-dir/);
  usageError(t, await check(['--colour']), /unknown option '--colour'/);
});

t.test('--help documents the options and the exit codes', async (t) => {
  const r = await runCli(['check', '--help']);
  t.equal(r.code, 0);
  for (const option of [
    '--json',
    '--fail-on <severity>',
    '--lifecycle-data <file>',
    '--role <role>',
    '--purchase-date <date>',
    '--replay <dir>',
  ])
    t.match(r.stdout, option);
  t.match(
    r.stdout.replace(/\s+/g, ' '),
    'Exit codes: 0 no finding at or above --fail-on; 20 worst is low, 21 medium, 22 high, 23 critical',
  );
  const top = await runCli(['--help']);
  t.match(top.stdout, /\n {2}check\b/);
});

t.test('the catalog and the lifecycle data load only for check', async (t) => {
  // A resolve hook records every module the agent loads: `run` must not pay for the
  // catalog and the endoflife.date JSON (see src/cli/check.ts).
  const dir = t.testdir();
  const log = path.join(dir, 'loaded.txt');
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`,
  );
  const register = path.join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const loaded = async (args: string[]): Promise<string[]> => {
    writeFileSync(log, '');
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(register).href, CLI, ...args],
      {
        env: cliEnv({}),
        stdio: 'ignore',
      },
    );
    await new Promise((resolve) => child.on('close', resolve));
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  };
  const judged = (urls: string[]) =>
    urls.filter(
      (u) =>
        /shared\/dist\/(assess|posture|lifecycle)\//.test(u) || /shared\/dist\/assess\.js$/.test(u),
    );

  const run = await loaded(['run', '--help']);
  t.ok(
    run.some((u) => u.endsWith('/agent/dist/cli/check.js')),
    'the hook sees the CLI modules',
  );
  t.same(judged(run), [], 'nothing of posture or lifecycle for the other commands');
  const checked = await loaded([...QUIET, 'check', '--replay', MAC]);
  t.ok(judged(checked).length > 0, 'check loads them');
});
