// `vcio-collector backup` and `vcio-collector restore`: the SQLite database copied to a file
// while the collector runs, and put back while it is stopped (how each works:
// sqlite-backup.ts, sqlite-restore.ts). PostgreSQL stores are backed up with pg_dump.
//
// Only commander is loaded here: the database driver is imported when a command runs, so
// `vcio-collector --help` and `serve` do not pay for it.
import { Command, Option } from 'commander';
import { DEFAULTS } from '../config.js';
import type { BackupOptions } from './sqlite-backup.js';
import type { RestoreOptions } from './sqlite-restore.js';

const err = (line: string) => process.stderr.write(`${line}\n`);

/** Runs an action; any error becomes one line on stderr and exit code 1. */
export function oneLineErrors<A extends unknown[]>(action: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      err(`vcio-collector: error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  };
}

export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', "the collector's data directory")
    .env('VCIO_DATA_DIR')
    .default(DEFAULTS.dataDir);
}

/** --database / VCIO_DATABASE_URL, as `serve` takes it: PostgreSQL instead of the data directory. */
export function databaseOption(): Option {
  return new Option(
    '--database <url>',
    "the collector's PostgreSQL database, as serve takes it (default: SQLite in --data-dir)",
  ).env('VCIO_DATABASE_URL');
}

/** backup and restore copy the SQLite file: on PostgreSQL they say what to use instead. */
async function refusePostgres(database: string | undefined, instead: string): Promise<void> {
  const { parseDatabase } = await import('../config.js');
  const chosen = parseDatabase(database);
  if (chosen.kind === 'postgres') {
    throw new Error(
      `this collector's database is PostgreSQL (${chosen.display}, from --database or VCIO_DATABASE_URL); backup and restore are for the SQLite store: use ${instead}`,
    );
  }
}

export function backupCommand(): Command {
  return new Command('backup')
    .description(
      'copy the SQLite database to a file, consistently, while the collector runs (PostgreSQL: use pg_dump)',
    )
    .addOption(dataDirOption())
    .addOption(databaseOption())
    .requiredOption('--out <file>', 'the backup file to write (its directory must exist)')
    .option('--force', 'replace --out if it exists')
    .option('--gzip', 'compress the backup (restore reads either)')
    .option('--json', 'print a JSON summary to stdout')
    .addHelpText(
      'after',
      `
The copy is the database as it was when the backup began; reports stored after that are
not in it. It is written beside --out, checked with PRAGMA integrity_check, and only then
renamed to --out (mode 0600). Progress and the summary go to stderr; exit code 1 on error.
The backup holds the database only: bootstrap.json and a refreshed lifecycle copy in the
data directory are not in it.

Example (cron, nightly at 02:30, one file per weekday):
  30 2 * * *  vcio-collector backup --data-dir /var/lib/vcio --out /backup/vcio-$(date +\\%a).db.gz --gzip --force`,
    )
    .action(
      oneLineErrors(async (options: BackupOptions & { database?: string }) => {
        await refusePostgres(options.database, 'pg_dump (e.g. pg_dump -Fc -f vcio.dump "$URL")');
        const { runBackup } = await import('./sqlite-backup.js');
        const result = await runBackup(options);
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      }),
    );
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description(
      'replace the SQLite database with a backup; the collector must be stopped (PostgreSQL: use pg_restore)',
    )
    .requiredOption('--from <file>', 'a file written by vcio-collector backup (plain or --gzip)')
    .addOption(dataDirOption())
    .addOption(databaseOption())
    .option('--json', 'print a JSON summary to stdout')
    .addHelpText(
      'after',
      `
The backup is checked first (PRAGMA integrity_check, a vcio schema no newer than this
collector's). Restore refuses while any process has the database open. The database it
replaces is kept as vcio.db.before-restore-<time> in the data directory; delete it once
the restored collector runs as it should. The data directory is created if needed.

Example:
  systemctl stop vcio-collector
  vcio-collector restore --from /backup/vcio-Mon.db.gz --data-dir /var/lib/vcio
  systemctl start vcio-collector`,
    )
    .action(
      oneLineErrors(async (options: RestoreOptions & { database?: string }) => {
        await refusePostgres(options.database, 'pg_restore');
        const { runRestore } = await import('./sqlite-restore.js');
        const result = await runRestore(options);
        if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      }),
    );
}
