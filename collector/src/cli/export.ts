// `vcio-collector export`: posture reports written to files straight from the data
// directory's database, for a strategy review without going through the API (or for
// every client at once before a quarter's round of reviews). Files are the same bytes the
// API serves. Progress and errors go to stderr; a failure is one line and exit code 1.
//
// Only commander is loaded at the top: the store, the report builders and pdfkit are
// imported when the command runs, so `vcio-collector --help` stays fast.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../config.js';

const err = (line: string) => process.stderr.write(`${line}\n`);

interface ExportOptions {
  dataDir: string;
  /** --database / VCIO_DATABASE_URL: PostgreSQL instead of the data directory's SQLite */
  database?: string;
  tenant?: string;
  all?: boolean;
  format: string;
  out?: string;
  since?: string;
  part?: string;
  paper: string;
}

const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

async function runExport(options: ExportOptions): Promise<void> {
  if (Boolean(options.tenant) === Boolean(options.all)) {
    throw new Error('give one of --tenant T or --all (see --help)');
  }
  if (!options.out) {
    throw new Error(
      options.all ? '--out DIR is required with --all' : '--out FILE is required (see --help)',
    );
  }
  const request = await import('../reports/report-request.js');
  const now = new Date();
  const since = options.since === undefined ? undefined : request.parseSince(options.since, now);
  const paper = request.paper(options.paper);
  const part = options.part === undefined ? undefined : request.csvPart(options.part);
  const format = request.tenantFormat(options.format);
  if (part && format !== 'csv') throw new Error('--part applies to --format csv only');

  const { DATABASE_FILE, openSqliteStore } = await import('../store/sqlite/index.js');
  const { parseDatabase } = await import('../config.js');
  const database = parseDatabase(options.database);
  const dataDir = resolve(options.dataDir);
  // Opening would create an empty database: a wrong --data-dir must say so instead.
  if (database.kind === 'sqlite' && !existsSync(join(dataDir, DATABASE_FILE))) {
    throw new Error(`no collector database in ${dataDir} (set --data-dir or VCIO_DATA_DIR)`);
  }
  const [
    { buildTenantReport },
    { buildPortfolioReport, portfolioTenants },
    render,
    { LifecycleDataSource },
  ] = await Promise.all([
    import('../reports/tenant-report.js'),
    import('../reports/portfolio.js'),
    import('../reports/render.js'),
    import('../lifecycle/data-source.js'),
  ]);
  const lifecycle = new LifecycleDataSource({
    dataDir,
    logger: { warn: (_obj, msg) => err(`warning: ${msg}`) },
  });
  const deps = { lifecycleSource: () => lifecycle.describe() };
  // PostgreSQL: the database the collectors share; the data directory still holds the
  // refreshed lifecycle data the reports name.
  const store =
    database.kind === 'postgres'
      ? await (await import('../store/factory.js')).openPostgres(database, { poolSize: 2 })
      : openSqliteStore(dataDir);
  try {
    const write = async (
      report: Awaited<ReturnType<typeof buildTenantReport>>,
      file: string | null,
      dir: string | null,
    ) => {
      // CSV is one table a file: without --part both are written, the findings beside
      const parts =
        format !== 'csv' ? [undefined] : part ? [part] : (['hosts', 'findings'] as const);
      for (const p of parts) {
        const rendered = await render.renderTenantReport(report, format, { part: p, paper });
        const path = dir
          ? join(dir, rendered.fileName)
          : parts.length > 1 && p === 'findings'
            ? file!.replace(/(\.csv)?$/i, '-findings.csv')
            : file!;
        writeFileSync(path, rendered.body);
        const how = rendered.pdf
          ? `, ${rendered.pdf.renderer}${rendered.pdf.fallbackReason ? ` (Chromium: ${rendered.pdf.fallbackReason})` : ''}`
          : '';
        err(`export: wrote ${path} (${size(rendered.body.length)}${how})`);
      }
    };

    if (options.tenant) {
      const tenant = await store.tenants.getTenant(options.tenant);
      if (!tenant) {
        const known = (await store.tenants.listTenants()).map((t) => t.slug).join(', ');
        throw new Error(`no tenant ${options.tenant} (tenants: ${known || 'none'})`);
      }
      err(`export: ${tenant.slug}: building the report`);
      const report = await buildTenantReport(store, tenant, now, { since }, deps);
      await write(report, resolve(options.out), null);
      return;
    }

    const dir = resolve(options.out);
    mkdirSync(dir, { recursive: true });
    const tenants = await portfolioTenants(store, null);
    err(`export: ${tenants.length} tenant(s) to ${dir}`);
    const portfolio = await buildPortfolioReport(
      store,
      tenants,
      now,
      { since },
      deps,
      async (report) => {
        err(`export: ${report.tenant.slug}: report built`);
        await write(report, null, dir);
      },
    );
    // the portfolio has no PDF of its own: its HTML prints as one page
    const portfolioFormat = format === 'pdf' ? 'html' : format;
    const rendered = render.renderPortfolioReport(portfolio, portfolioFormat, { paper });
    const path = join(dir, rendered.fileName);
    writeFileSync(path, rendered.body);
    err(`export: wrote ${path} (${size(rendered.body.length)})`);
  } finally {
    await store.close();
  }
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'write posture reports for strategy reviews (JSON, CSV, HTML or PDF) from the database',
    )
    .addOption(
      new Option('--data-dir <dir>', 'the collector data directory (its database is read)')
        .env('VCIO_DATA_DIR')
        .default(DEFAULTS.dataDir),
    )
    .addOption(
      new Option(
        '--database <url>',
        "the collector's PostgreSQL database, as serve takes it (default: SQLite in --data-dir)",
      ).env('VCIO_DATABASE_URL'),
    )
    .option('--tenant <tenant>', 'one tenant, by slug or id')
    .option(
      '--all',
      'every tenant, one file each, plus the portfolio summary (--out is a directory)',
    )
    .addOption(new Option('--format <format>', 'json, csv, html or pdf').default('json'))
    .option('--out <path>', 'the file to write (with --all: the directory)')
    .option('--since <date>', 'the last review: changes since then (default: 90 days ago)')
    .option(
      '--part <part>',
      'CSV only: hosts or findings (default: both, findings in a second file)',
    )
    .addOption(new Option('--paper <size>', 'HTML and PDF page size: a4 or letter').default('a4'))
    .addHelpText(
      'after',
      `
PDF is printed by headless Chromium (/usr/bin/chromium, or VCIO_CHROMIUM); without it,
pdfkit draws a plainer document with the same sections.

Examples:
  vcio-collector export --tenant acme --format pdf --out acme.pdf
  vcio-collector export --tenant acme --format csv --part findings --out findings.csv
  vcio-collector export --all --format html --out reviews/ --since 2026-09-01`,
    )
    .action(async (options: ExportOptions) => {
      try {
        await runExport(options);
      } catch (error) {
        err(`vcio-collector: error: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
