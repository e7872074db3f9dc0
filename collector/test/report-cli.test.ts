// `vcio-collector export`, run in-process against a collector's data directory: the files
// it writes for one tenant and for all, its progress lines, and its one-line refusals.
// (test/e2e/report-pdf.test.ts runs the built command with Chromium.)
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleSystem } from '@vcio/shared/testing';
import { exportCommand } from '../src/cli/export.js';
import { testCollector } from './helpers.js';
import { outbox, patches, patchSource, reportWith, security, send } from './sections.js';

/** Runs the command; returns what it printed on stderr and the exit code it set. */
async function run(args: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await exportCommand().parseAsync(args, { from: 'user' });
  } finally {
    process.stderr.write = write;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { stderr: lines.join(''), code };
}

t.test('export writes the report files from the database', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll('m-export');
  const res = await send(
    c,
    agent,
    reportWith(
      agent,
      'm-export',
      {
        system: sampleSystem('ws-export'),
        security: security(),
        patches: patches([patchSource('apt', [])]),
        outbox: outbox(),
      },
      { hostname: 'ws-export' },
    ),
  );
  t.equal(res.statusCode, 202);
  await c.app.posture.idle();
  const out = mkdtempSync(join(tmpdir(), 'vcio-export-test-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const base = ['--data-dir', c.dataDir];

  const json = await run([...base, '--tenant', 'default', '--out', join(out, 'r.json')]);
  t.equal(json.code, 0, json.stderr);
  t.match(json.stderr, /^export: default: building the report\nexport: wrote .*r\.json \(/);
  const doc = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as {
    schema: string;
    hosts: { hostname: string }[];
  };
  t.equal(doc.schema, 'vcio.report.tenant.v1');
  t.same(
    doc.hosts.map((h) => h.hostname),
    ['ws-export'],
  );

  const csv = await run([
    ...base,
    '--tenant',
    'default',
    '--format',
    'csv',
    '--out',
    join(out, 'r.csv'),
  ]);
  t.equal(csv.code, 0, csv.stderr);
  t.match(readFileSync(join(out, 'r.csv'), 'utf8'), /^\uFEFFhostname,host_id,role,/);
  t.match(readFileSync(join(out, 'r-findings.csv'), 'utf8'), /^\uFEFFhostname,host_id,check_id,/);

  const part = await run([
    ...base,
    '--tenant',
    'default',
    '--format',
    'csv',
    '--part',
    'findings',
    '--out',
    join(out, 'only.csv'),
  ]);
  t.equal(part.code, 0);
  t.match(readFileSync(join(out, 'only.csv'), 'utf8'), /check_id/);
  t.notOk(existsSync(join(out, 'only-findings.csv')), 'one part asked, one file');

  const pdf = await run(
    [
      ...base,
      '--tenant',
      'default',
      '--format',
      'pdf',
      '--since',
      '2026-01-01',
      '--out',
      join(out, 'r.pdf'),
    ],
    { VCIO_CHROMIUM: '/nonexistent' },
  );
  t.equal(pdf.code, 0, pdf.stderr);
  t.match(pdf.stderr, /r\.pdf \(.*, pdfkit \(Chromium: no chromium at \/nonexistent\)\)/);
  t.equal(readFileSync(join(out, 'r.pdf')).subarray(0, 5).toString('latin1'), '%PDF-');

  const all = await run([
    ...base,
    '--all',
    '--format',
    'html',
    '--paper',
    'letter',
    '--out',
    join(out, 'all'),
  ]);
  t.equal(all.code, 0, all.stderr);
  t.match(all.stderr, /export: 1 tenant\(s\) to /);
  const files = readdirSync(join(out, 'all')).sort();
  t.match(files, [
    /^default-posture-\d{4}-\d{2}-\d{2}\.html$/,
    /^portfolio-posture-\d{4}-\d{2}-\d{2}\.html$/,
  ]);
  t.match(readFileSync(join(out, 'all', files[0]!), 'utf8'), 'size: letter');

  const allPdf = await run([...base, '--all', '--format', 'pdf', '--out', join(out, 'allpdf')], {
    VCIO_CHROMIUM: '/nonexistent',
  });
  t.equal(allPdf.code, 0, allPdf.stderr);
  t.match(readdirSync(join(out, 'allpdf')).sort(), [/\.pdf$/, /^portfolio-posture-.*\.html$/]);

  t.test('refusals are one line and exit code 1', async (t) => {
    for (const [args, message] of [
      [
        [...base, '--tenant', 'nosuch', '--out', join(out, 'x')],
        'no tenant nosuch (tenants: default)',
      ],
      [[...base, '--tenant', 'default'], '--out FILE is required (see --help)'],
      [[...base, '--all'], '--out DIR is required with --all'],
      [[...base, '--out', join(out, 'x')], 'give one of --tenant T or --all (see --help)'],
      [
        [...base, '--tenant', 'default', '--format', 'xlsx', '--out', join(out, 'x')],
        'format must be one of json, csv, html, pdf (got "xlsx")',
      ],
      [
        [...base, '--tenant', 'default', '--part', 'hosts', '--out', join(out, 'x')],
        '--part applies to --format csv only',
      ],
      [
        ['--data-dir', join(out, 'empty'), '--tenant', 'default', '--out', join(out, 'x')],
        `no collector database in ${join(out, 'empty')} (set --data-dir or VCIO_DATA_DIR)`,
      ],
    ] as const) {
      const r = await run([...args]);
      t.equal(r.code, 1, message);
      t.equal(r.stderr, `vcio-collector: error: ${message}\n`);
    }
    t.notOk(existsSync(join(out, 'empty')), 'no database created for a wrong --data-dir');
  });
});
