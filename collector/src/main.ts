#!/usr/bin/env node
// vcio-collector: parse flags (each also a VCIO_* environment variable), start, and shut
// down gracefully on SIGTERM/SIGINT.
import { Command, Option } from 'commander';
import {
  DEFAULTS,
  INGEST_DEFAULTS,
  METRICS_DEFAULTS,
  buildConfig,
  type RawOptions,
} from './config.js';
import type { RunningCollector } from './collector.js';
import { lifecycleCommand } from './cli/lifecycle.js';
import { exportCommand } from './cli/export.js';
import { adminCommand } from './cli/admin.js';
import { backupCommand, restoreCommand } from './cli/backup.js';
import { migrateCommand } from './cli/migrate.js';
import { describeStartupError } from './startup-errors.js';
import { VERSION } from './version.js';

function collectorProgram(): Command {
  const program = new Command('vcio-collector')
    .description('vcio collector: stores what vcio agents send and serves the API')
    .version(VERSION, '-V, --version')
    .showHelpAfterError();

  program
    .command('serve', { isDefault: true })
    .description('run the collector (the default command)')
    .addOption(
      new Option('--listen <host:port>', 'address to listen on; port 0 picks a free port')
        .env('VCIO_LISTEN')
        .default(DEFAULTS.listen),
    )
    .addOption(
      new Option('--data-dir <dir>', 'SQLite database and bootstrap secrets')
        .env('VCIO_DATA_DIR')
        .default(DEFAULTS.dataDir),
    )
    .addOption(
      new Option(
        '--database <url>',
        'PostgreSQL instead of SQLite: postgres://user:password@host/db (prefer the variable: flags show in ps)',
      ).env('VCIO_DATABASE_URL'),
    )
    .addOption(new Option('--tls-cert <file>', 'TLS certificate (PEM)').env('VCIO_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'TLS private key (PEM)').env('VCIO_TLS_KEY'))
    .addOption(
      new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
        .env('VCIO_LOG_LEVEL')
        .default(DEFAULTS.logLevel),
    )
    .addOption(
      new Option('--retention-days <days>', 'keep performance samples and report ids this long')
        .env('VCIO_RETENTION_DAYS')
        .default(String(DEFAULTS.retentionDays)),
    )
    .addOption(
      new Option('--body-limit <size>', 'largest request body, after decompression (e.g. 4mb)')
        .env('VCIO_BODY_LIMIT')
        .default('4mb'),
    )
    .addOption(
      new Option('--synchronous <mode>', 'SQLite durability: normal, or full to survive power loss')
        .env('VCIO_SYNCHRONOUS')
        .default(DEFAULTS.synchronous),
    )
    .addOption(
      new Option(
        '--metrics-per-host <on|off|N>',
        '/metrics per-host series: on, off, or at most N hosts (large fleets)',
      )
        .env('VCIO_METRICS_PER_HOST')
        .default(METRICS_DEFAULTS.perHost),
    )
    .addOption(
      new Option(
        '--metrics-cache-seconds <s>',
        '/metrics re-reads fleet figures from the database at most this often (0: every scrape)',
      )
        .env('VCIO_METRICS_CACHE_SECONDS')
        .default(String(METRICS_DEFAULTS.cacheSeconds)),
    )
    .addOption(
      new Option(
        '--metrics-online-seconds <s>',
        'a host counts as online when it reported within this many seconds',
      )
        .env('VCIO_METRICS_ONLINE_SECONDS')
        .default(String(METRICS_DEFAULTS.onlineSeconds)),
    )
    .addOption(
      new Option(
        '--metrics-token <token>',
        '/metrics requires Authorization: Bearer <token> (prefer the variable: flags show in ps)',
      ).env('VCIO_METRICS_TOKEN'),
    )
    .addOption(
      new Option(
        '--metrics-basic-auth <user:password>',
        '/metrics requires these basic-auth credentials (prefer the variable)',
      ).env('VCIO_METRICS_BASIC_AUTH'),
    )
    .addOption(
      new Option(
        '--offline-after <intervals>',
        'live feed: a host is offline after this many missed performance intervals (60 s each by default)',
      )
        .env('VCIO_OFFLINE_AFTER')
        .default(String(DEFAULTS.offlineAfter)),
    )
    .addOption(
      new Option('--heartbeat <seconds>', 'live feed: seconds between heartbeats to clients')
        .env('VCIO_HEARTBEAT')
        .default(String(DEFAULTS.heartbeatSeconds)),
    )
    .addOption(
      new Option(
        '--agent-binaries <dir>',
        'serve the agent binaries and SHA256SUMS that pnpm build:agent wrote here (default: agent/release of this checkout, when it exists)',
      ).env('VCIO_AGENT_BINARIES'),
    )
    .addOption(
      new Option(
        '--public-url <url>',
        'the URL agents reach this collector at, for the install commands (default: taken from each request)',
      ).env('VCIO_PUBLIC_URL'),
    )
    .addOption(
      new Option(
        '--max-in-flight-reports <n>',
        'reports received or stored at once; more are answered 503 overloaded with Retry-After',
      )
        .env('VCIO_MAX_IN_FLIGHT_REPORTS')
        .default(String(INGEST_DEFAULTS.maxInFlightReports)),
    )
    .addOption(
      new Option(
        '--max-in-flight-report-bytes <size>',
        'declared body bytes of the reports in flight; more are answered 503 overloaded',
      )
        .env('VCIO_MAX_IN_FLIGHT_REPORT_BYTES')
        .default(INGEST_DEFAULTS.maxInFlightReportBytes),
    )
    .addOption(
      new Option(
        '--overload-retry-after <seconds>',
        'a shed report is told to retry after this many seconds to twice that',
      )
        .env('VCIO_OVERLOAD_RETRY_AFTER')
        .default(String(INGEST_DEFAULTS.overloadRetryAfter)),
    )
    .action(async (options: RawOptions) => {
      await serve(options);
    });
  program.addCommand(lifecycleCommand());
  program.addCommand(exportCommand());
  program.addCommand(adminCommand());
  program.addCommand(backupCommand());
  program.addCommand(restoreCommand());
  program.addCommand(migrateCommand());
  return program;
}

/** In-flight requests get this long after SIGTERM before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 15_000;

async function serve(options: RawOptions): Promise<void> {
  // Loaded here, not at the top: the other commands (lifecycle, --help) start without
  // Fastify and SQLite.
  const { createLogger, startCollector } = await import('./collector.js');
  const config = buildConfig(options);
  const logger = createLogger(config.logLevel);
  // Logging must never stand between a signal and the exit: with stdout gone (a closed
  // pipe), a log write can fail, and the process must still stop.
  const log = (write: () => void) => {
    try {
      write();
    } catch {
      // nowhere left to report it
    }
  };

  // Handlers go in before start-up, so a SIGTERM that arrives while the database opens
  // or the port binds is honoured as soon as the collector is up, not lost.
  let collector: RunningCollector | null = null;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(() => logger.warn({ signal }, 'second signal: exiting now'));
      process.exit(1);
    }
    stopping = true;
    if (collector) shutDown(collector, signal);
  };
  const shutDown = (running: RunningCollector, signal: NodeJS.Signals) => {
    log(() => logger.info({ signal }, 'shutting down: finishing in-flight requests'));
    const deadline = setTimeout(() => {
      log(() => logger.error(`still busy after ${SHUTDOWN_DEADLINE_MS} ms: exiting`));
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    running
      .close()
      .then(
        () => 0,
        (error: unknown) => {
          log(() => logger.error({ err: error }, 'shutdown failed'));
          return 1;
        },
      )
      .then((code) => {
        log(() => logger.info('stopped'));
        process.exit(code);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  collector = await startCollector(config, logger);
  if (stopping) shutDown(collector, 'SIGTERM');
}

collectorProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`vcio-collector: error: ${describeStartupError(error)}\n`);
    process.exit(1);
  });
