// `vcio-collector migrate --from sqlite:PATH --to postgres://...`: an SQLite installation
// copied into an empty PostgreSQL database, with a row count per table on both sides (how:
// store/copy-sqlite-to-postgres.ts).
//
// Only commander is loaded here: the database drivers are imported when the command runs.
import { Command, Option } from 'commander';
import { oneLineErrors } from './backup.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Exit code when the copy committed but a table's counts differ. */
export const EXIT_MISMATCH = 2;

interface MigrateOptions {
  from: string;
  to?: string;
  json?: boolean;
  batchRows?: string;
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'copy an SQLite installation into an empty PostgreSQL database, checking the rows of every table',
    )
    .requiredOption(
      '--from <sqlite:PATH>',
      "the SQLite database: sqlite:/var/lib/vcio/vcio.db, or sqlite:<the collector's data directory>",
    )
    .addOption(
      new Option(
        '--to <url>',
        'the empty PostgreSQL database: postgres://user:password@host/db (prefer the variable: flags show in ps)',
      ).env('VCIO_DATABASE_URL'),
    )
    .option('--batch-rows <n>', 'rows per INSERT statement', '1000')
    .option('--json', 'print the summary as JSON to stdout instead of the table')
    .addHelpText(
      'after',
      `
The SQLite database is read in one read-only transaction: the copy is the installation as
it was at that instant, even while a collector runs on it, but reports that agents send
after it are NOT copied. For a cut-over, stop the collector first, migrate, then start the
collectors with --database (or VCIO_DATABASE_URL) set to the new database. Agents keep
their credentials: they enrol once, and their secrets are copied.

The SQLite database must be at the schema version of this vcio-collector (start this
collector once on it if it is older). The target's schema is created (the same numbered
migrations the collectors run), then every table is copied in one PostgreSQL transaction:
a failure leaves the target without a row. The target must hold no data at all; there is
no --force, since merging two installations would mix their keys. Do not start a
collector on the new database before migrating: it creates its first tenant and tokens.
To start over: DROP DATABASE vcio; CREATE DATABASE vcio OWNER vcio; then migrate again.

Progress goes to stderr; the verification (table, rows in SQLite, rows in PostgreSQL
counted after the commit, OK or MISMATCH) to stdout. The password is never printed.
Exit codes: 0 every table matches, ${EXIT_MISMATCH} a table's counts differ, 1 error.
Bootstrap secrets and lifecycle data in the data directory are not in the database: copy
the data directory to each collector's --data-dir if you need them there.

Example:
  systemctl stop vcio-collector
  VCIO_DATABASE_URL='postgres://vcio:secret@db.example/vcio' \\
    vcio-collector migrate --from sqlite:/var/lib/vcio/vcio.db`,
    )
    .action(
      oneLineErrors(async (options: MigrateOptions) => {
        const to = options.to?.trim();
        if (!to) {
          throw new Error('--to (or VCIO_DATABASE_URL) is required: postgres://user@host/db');
        }
        if (!/^postgres(ql)?:\/\/\S+$/i.test(to)) {
          // The value is not echoed: it may hold a password.
          throw new Error('--to (VCIO_DATABASE_URL) must be a postgres:// or postgresql:// URL');
        }
        const batchRows = Number(options.batchRows);
        if (!Number.isInteger(batchRows) || batchRows < 1) {
          throw new Error('--batch-rows must be a whole number of at least 1');
        }
        const { copySqliteToPostgres, parseSource } =
          await import('../store/copy-sqlite-to-postgres.js');
        const result = await copySqliteToPostgres({
          sqlitePath: parseSource(options.from),
          postgresUrl: to,
          batchRows,
          progress: err,
        });
        if (options.json) {
          out(JSON.stringify(result, null, 2));
        } else {
          for (const line of verificationTable(result.tables)) out(line);
        }
        err(
          `${result.ok ? 'migrated' : 'MIGRATED WITH MISMATCHES'}: ${result.rows.toLocaleString('en-US')} rows ` +
            `from ${result.source} to ${result.target} in ${result.seconds.toFixed(1)} s`,
        );
        if (!result.ok) process.exitCode = EXIT_MISMATCH;
      }),
    );
}

function verificationTable(
  tables: { table: string; sqlite: number; postgres: number; ok: boolean }[],
): string[] {
  const rows = [
    ['table', 'sqlite', 'postgres', ''],
    ...tables.map((t) => [
      t.table,
      t.sqlite.toLocaleString('en-US'),
      t.postgres.toLocaleString('en-US'),
      t.ok ? 'OK' : 'MISMATCH',
    ]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    [r[0]!.padEnd(widths[0]!), r[1]!.padStart(widths[1]!), r[2]!.padStart(widths[2]!), r[3]]
      .join('  ')
      .trimEnd(),
  );
}
