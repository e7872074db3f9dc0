// startCollector: open the store, bootstrap on first start, listen, and run background
// maintenance. main.ts and quickstart.ts both start the collector through here.
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { bootstrapIfEmpty, type BootstrapSecrets } from './bootstrap.js';
import { isLoopback, type CollectorConfig } from './config.js';
import { CollectorEvents } from './events.js';
import { buildServer } from './server.js';
import { startCluster, type Cluster } from './cluster/index.js';
import { startInitiativeTracker } from './initiatives/tracker.js';
import { LifecycleDataSource } from './lifecycle/data-source.js';
import { CollectorMetrics } from './metrics/index.js';
import { PostureService } from './posture/service.js';
import { openStore } from './store/factory.js';
import { repeatLimitedWarning } from './store/availability.js';
import type { Store } from './store/types.js';
import { VERSION } from './version.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/**
 * Score and initiative history keeps every point this long, then the last of each UTC day
 * (for good): the 90-day trends and the review baseline read these days at full detail.
 */
export const HISTORY_DETAIL_DAYS = 90;

export interface RunningCollector {
  app: FastifyInstance;
  store: Store;
  events: CollectorEvents;
  posture: PostureService;
  /** leadership of the background jobs, and the event relay on PostgreSQL (cluster/) */
  cluster: Cluster;
  url: string;
  bootstrap: BootstrapSecrets | null;
  /** stop accepting, finish in-flight requests, close the database */
  close(): Promise<void>;
}

let stdoutErrorsIgnored = false;

export function createLogger(level: CollectorConfig['logLevel']): Logger {
  // Logs go to process.stdout rather than pino's default sonic-boom destination: when
  // stdout is a pipe whose reader has gone (a dead log shipper), sonic-boom retries the
  // failed write every 100 ms forever and the collector can never shut down. On
  // process.stdout that failure is an error event, and logs nobody reads are dropped.
  if (!stdoutErrorsIgnored) {
    stdoutErrorsIgnored = true;
    process.stdout.on('error', () => {});
  }
  return pino(
    {
      level,
      base: { service: 'vcio-collector' },
      // Defence in depth: no code path logs these, and if one ever did they stay out.
      redact: ['req.headers.authorization', '*.secret', '*.token', '*.adminToken', '*.enrollToken'],
    },
    process.stdout,
  );
}

export async function startCollector(
  config: CollectorConfig,
  logger: Logger,
): Promise<RunningCollector> {
  const metrics = new CollectorMetrics();
  // SQLite in the data directory, or PostgreSQL at --database (store/factory.ts).
  const opened = await openStore({
    database: config.database,
    dataDir: config.dataDir,
    synchronous: config.synchronous,
    onCommit: metrics.observeCommit,
    // Logged when it appears or changes, not every second while a full disk lasts.
    onWarning: repeatLimitedWarning((obj, message) => logger.warn(obj, message)),
  });
  const store = opened.store;
  const bootstrap = await bootstrapIfEmpty(store, config.dataDir, logger);

  const events = new CollectorEvents();
  // Before the routes: on PostgreSQL, events from the first request on reach the other
  // collectors, and the background jobs below run on the leader only.
  const cluster = await startCluster({ database: config.database, events, logger });
  // The refreshed endoflife.date copy in the data directory when there is a valid one
  // (`vcio-collector lifecycle refresh`), the embedded snapshot otherwise.
  const lifecycle = new LifecycleDataSource({ dataDir: config.dataDir, logger });
  const posture = new PostureService({
    store,
    events,
    logger,
    lifecycle,
    leadership: cluster.leadership,
  });
  const app = buildServer({
    config,
    store,
    logger,
    events,
    metrics,
    live: { offlineAfter: config.offlineAfter, heartbeatSeconds: config.heartbeatSeconds },
    posture,
  });
  try {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (error) {
    await posture.stop();
    await cluster.stop();
    await store.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const scheme = config.tls ? 'https' : 'http';
  const shownHost = config.listen.host.includes(':')
    ? `[${config.listen.host}]`
    : config.listen.host;
  const url = `${scheme}://${shownHost}:${port}`;
  logger.info(
    // the database as opened.description has it: a PostgreSQL password is never logged
    { url, version: VERSION, dataDir: config.dataDir, database: opened.description },
    `vcio collector listening on ${url}`,
  );
  if (!config.tls && !isLoopback(config.listen.host)) {
    logger.warn(
      'listening beyond loopback without TLS: agent credentials would cross the network in clear; set --tls-cert and --tls-key, or put a TLS proxy in front',
    );
  }
  if (!config.metrics.auth && !isLoopback(config.listen.host)) {
    logger.warn(
      "/metrics is open beyond loopback: anyone who can reach it reads every tenant's host names and posture; set --metrics-token or --metrics-basic-auth",
    );
  }

  posture.start();
  const initiatives = startInitiativeTracker({
    store,
    events,
    logger,
    leadership: cluster.leadership,
  });

  // Retention (store/sqlite/maintenance.ts says what each table keeps). One run at a time:
  // a first run over a large backlog can outlast the hour.
  let pruning = false;
  const prune = async () => {
    // several collectors on one database: the leader prunes (cluster/leadership.ts)
    if (pruning || !cluster.leadership.isLeader()) return;
    pruning = true;
    const started = Date.now();
    try {
      const removed = await store.maintenance.applyRetention({
        samplesBefore: new Date(started - config.retentionDays * DAY),
        historyDetailBefore: new Date(started - HISTORY_DETAIL_DAYS * DAY),
      });
      if (Object.values(removed).some((n) => n > 0))
        logger.info(
          { removed, retentionDays: config.retentionDays, ms: Date.now() - started },
          'retention: pruned old rows',
        );
    } catch (error) {
      // a run cut short by shutdown (the database closed under it) is no failure
      if (!closing) logger.warn({ err: error }, 'retention: prune failed; will retry next hour');
    } finally {
      pruning = false;
    }
  };
  const firstPrune = setTimeout(prune, 60_000);
  const hourlyPrune = setInterval(prune, HOUR);
  firstPrune.unref();
  hourlyPrune.unref();

  let closing: Promise<void> | null = null;
  return {
    app,
    store,
    events,
    posture,
    cluster,
    url,
    bootstrap,
    close() {
      closing ??= (async () => {
        clearTimeout(firstPrune);
        clearInterval(hourlyPrune);
        await app.close();
        await initiatives.stop();
        await posture.stop();
        // after the requests: their events are relayed; leadership passes on at once
        await cluster.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
