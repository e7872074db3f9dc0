// GET /metrics: the collector's health (prom-client, always current) followed by the
// fleet and per-host families (read from the database and rendered off the main thread,
// cached for --metrics-cache-seconds).
//
// Freshness: a scrape serves the last rendered fleet text at once; when that text is
// older than the cache time, the scrape also starts a new render for the next scrapes
// (one at a time, however many scrapers ask). vcio_metrics_fleet_age_seconds says how
// old the figures of this scrape are: at most the cache time plus one render (15 s plus
// well under a second by default). The first scrape, and every scrape with a cache time
// of 0, waits for a fresh render.
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { MetricsConfig } from '../config.js';
import type { CollectorEvents } from '../events.js';
import { afterAuthFailure } from '../http/auth-limits.js';
import { HttpError } from '../http/errors.js';
import { liveClientCount } from '../live/index.js';
import type { Store } from '../store/types.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import type { PgDatabase } from '../store/postgres/database.js';
import { metricsAuthCheck } from './auth.js';
import { Family } from './exposition.js';
import type { FleetSource } from './fleet-sqlite.js';
import {
  inThreadRenderer,
  workerRenderer,
  type FleetRender,
  type FleetRenderer,
} from './fleet-renderer.js';
import type { CollectorMetrics } from './health.js';
import { setLiveClientSource } from './registry.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsRouteOptions {
  store: Store;
  events: CollectorEvents;
  config: MetricsConfig;
  /** the collector's health metrics (startCollector makes it, to hook the store's commits) */
  metrics: CollectorMetrics;
  /**
   * Where fleet figures come from. By default a worker thread reading the SQLite store's
   * database; a FleetSource is read on the calling thread; null: no fleet figures.
   */
  fleet?: FleetSource | null;
  /** the clock, for tests */
  now?: () => number;
}

/** A renderer made on first use (its module loaded then). */
function lazyRenderer(make: () => Promise<FleetRenderer>): FleetRenderer {
  let made: Promise<FleetRenderer> | null = null;
  return {
    async render(nowMs) {
      made ??= make();
      return (await made).render(nowMs);
    },
    async close() {
      if (made) await (await made).close();
    },
  };
}

interface CachedFleet extends FleetRender {
  readAtMs: number;
}

export const metricsRoutes =
  (options: MetricsRouteOptions): FastifyPluginAsync =>
  async (app) => {
    const { store, events, config, metrics } = options;
    const now = options.now ?? Date.now;
    const sqlite = (store as Partial<{ db: SqliteDatabase; path: string }>).path;
    if (sqlite) metrics.setDatabasePath(sqlite);
    // The PostgreSQL store: fleet figures are read with SQL from its pool (fleet-postgres.ts,
    // loaded only then); an SQLite store has a path and gets the worker.
    const pgDb = (store as Partial<{ db: Partial<PgDatabase> }>).db;
    const postgres = !sqlite && pgDb?.pool ? (pgDb as PgDatabase) : null;
    if (postgres) {
      metrics.setDatabaseSizeReader(async () => {
        const { rows } = await postgres.query<{ bytes: number }>(
          'SELECT pg_database_size(current_database()) AS bytes',
        );
        return rows[0]!.bytes;
      });
    }
    const renderer: FleetRenderer | null =
      options.fleet !== undefined
        ? options.fleet && inThreadRenderer(options.fleet, config)
        : sqlite
          ? workerRenderer(sqlite, config)
          : postgres
            ? lazyRenderer(async () =>
                (await import('./fleet-postgres.js')).postgresRenderer(postgres, config),
              )
            : null;
    // The live feed counts its clients (every feed of this process); read on each scrape.
    setLiveClientSource(liveClientCount);
    metrics.attach(events);
    app.addHook('onClose', async () => {
      metrics.detach();
      await renderer?.close();
    });
    const checkAuth = config.auth ? metricsAuthCheck(config.auth) : null;

    let cached: CachedFleet | null = null;
    let rendering: Promise<void> | null = null;
    let readFailures = 0;

    const refresh = (log: FastifyBaseLogger): Promise<void> => {
      rendering ??= (async () => {
        const at = now();
        try {
          cached = { ...(await renderer!.render(at)), readAtMs: at };
        } catch (error) {
          // Scrapes still answer: the health figures, and the last fleet figures (older,
          // as vcio_metrics_fleet_age_seconds shows) until the database answers again.
          readFailures++;
          log.warn({ err: error }, 'metrics: reading fleet figures failed');
        } finally {
          rendering = null;
        }
      })();
      return rendering;
    };

    const fleetText = async (log: FastifyBaseLogger): Promise<string> => {
      if (renderer) {
        if (!cached || config.cacheSeconds === 0) await refresh(log);
        else if (now() - cached.readAtMs >= config.cacheSeconds * 1000) void refresh(log);
      }
      const age = new Family(
        'vcio_metrics_fleet_age_seconds',
        'gauge',
        'How old the fleet and per-host figures of this scrape are (cached; see --metrics-cache-seconds).',
      );
      const duration = new Family(
        'vcio_metrics_fleet_read_duration_seconds',
        'gauge',
        'How long the last read and render of the fleet figures took (off the main thread).',
      );
      const failures = new Family(
        'vcio_metrics_fleet_read_failures_total',
        'counter',
        'Reads of the fleet figures that failed (the previous figures were served).',
      );
      const perHost = new Family(
        'vcio_metrics_per_host_hosts',
        'gauge',
        'Hosts given per-host series (see --metrics-per-host).',
      );
      const omitted = new Family(
        'vcio_metrics_per_host_omitted_hosts',
        'gauge',
        'Hosts left out of the per-host series by the --metrics-per-host cap.',
      );
      if (cached) {
        age.add('', Math.max(0, (now() - cached.readAtMs) / 1000));
        duration.add('', cached.seconds);
        perHost.add('', cached.perHostExported);
        omitted.add('', cached.perHostOmitted);
      }
      failures.add('', readFailures);
      return (
        [age, duration, failures, perHost, omitted].map((f) => f.render()).join('') +
        (cached?.text ?? '')
      );
    };

    app.get('/metrics', async (request, reply) => {
      try {
        checkAuth?.(request.headers.authorization);
      } catch (error) {
        // Wrong scrape credentials count with the address's other failed authentications.
        throw error instanceof HttpError ? afterAuthFailure(request, error, 'metrics') : error;
      }
      const health = await metrics.registry.metrics();
      const fleet = await fleetText(request.log);
      const body = `${health.endsWith('\n') ? health : `${health}\n`}${fleet}`;
      return reply.header('content-type', METRICS_CONTENT_TYPE).send(body);
    });
  };
