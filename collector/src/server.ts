// buildServer: the collector's HTTP surface as a Fastify instance that is not listening
// yet. main.ts listens; tests call inject().
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import { API_PREFIX } from '@vcio/shared';
import { readFileSync } from 'node:fs';
import {
  buildIngestLimits,
  buildMetricsConfig,
  type CollectorConfig,
  type DeployConfig,
  type MetricsConfig,
} from './config.js';
import { CollectorEvents } from './events.js';
import { requireApiToken } from './http/auth.js';
import { registerAuthLimits } from './http/auth-limits.js';
import { registerErrorHandling } from './http/errors.js';
import { IngestAdmission, isQuietRejection, type IngestLimits } from './http/overload.js';
import { registerGzipBodies } from './http/gzip.js';
import { registerFiniteQueryNumbers } from './http/validation.js';
import { liveRoutes, MAX_CLIENT_MESSAGE_BYTES, type LiveOptions } from './live/index.js';
import { CollectorMetrics, metricsRoutes } from './metrics/index.js';
import { PostureService } from './posture/service.js';
import { consoleRoutes } from './routes/console.js';
import { agentDownloadRoutes, installCommandRoutes } from './routes/deploy.js';
import { agentRoutes, agentSelfRoutes } from './routes/agents.js';
import { enrollRoutes } from './routes/enroll.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { initiativeRoutes } from './routes/initiatives.js';
import { inventoryRoutes } from './routes/inventory.js';
import { postureRoutes } from './routes/posture.js';
import { reportRoutes } from './routes/reports.js';
import { reportExportRoutes } from './routes/reports-export.js';
import { technologyRoutes } from './routes/technology.js';
import { tenantRoutes } from './routes/tenants.js';
import { siteRoutes } from './routes/sites.js';
import { tokenRoutes } from './routes/tokens.js';
import { auditRoutes } from './routes/audit.js';
import type { Store } from './store/types.js';
import { StorageAvailability, sqliteWriteProbe } from './store/availability.js';
import type { SqliteStore } from './store/sqlite/index.js';
import { dirname } from 'node:path';

export interface ServerDeps {
  config: Pick<CollectorConfig, 'bodyLimitBytes' | 'tls'> & {
    metrics?: MetricsConfig;
    deploy?: DeployConfig;
    /** admission control for reports; the defaults of config.ts when absent */
    ingest?: IngestLimits;
  };
  store: Store;
  logger: Logger;
  /** what the routes report happening (metrics and the live feed listen); a fresh one if absent */
  events?: CollectorEvents;
  /** the health metrics (startCollector passes the one hooked to the store); fresh if absent */
  metrics?: CollectorMetrics;
  /** the live feed's settings (offline-after, heartbeat...); defaults when absent */
  live?: Partial<LiveOptions>;
  /**
   * keeps posture current (startCollector passes one with its sweep running); when absent
   * one is made that re-assesses hosts after their reports, and stops with the server
   */
  posture?: PostureService;
  /**
   * whether the database takes writes (store/availability.ts); when absent one is made,
   * probing the SQLite store's data directory, and closed with the server
   */
  storage?: StorageAvailability;
}

declare module 'fastify' {
  interface FastifyInstance {
    posture: PostureService;
  }
}

export function buildServer({
  config,
  store,
  logger,
  events = new CollectorEvents(),
  metrics = new CollectorMetrics(),
  live,
  posture,
  storage,
}: ServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    // A log line per request costs ~19% of ingest throughput; failures are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    ...(config.tls
      ? {
          https: {
            cert: readFileSync(config.tls.certFile),
            key: readFileSync(config.tls.keyFile),
          },
        }
      : {}),
    ajv: {
      customOptions: {
        // Reject unknown top-level report fields instead of silently dropping them.
        removeAdditional: false,
        allErrors: false,
      },
    },
  }) as unknown as FastifyInstance;

  // The API speaks JSON only; anything else is a 415, not a body that fails validation.
  app.removeContentTypeParser('text/plain');
  const sqlite = store as Partial<SqliteStore>;
  const storageState =
    storage ??
    new StorageAvailability({
      logger,
      registry: metrics.registry,
      probe: sqlite.db && sqlite.path ? sqliteWriteProbe(sqlite.db, dirname(sqlite.path)) : null,
    });
  if (!storage) app.addHook('onClose', async () => storageState.close());
  const admission = new IngestAdmission({
    limits: config.ingest ?? buildIngestLimits({}),
    bodyLimitBytes: config.bodyLimitBytes,
    storage: storageState,
    logger,
    registry: metrics.registry,
  });
  registerErrorHandling(app, storageState);
  registerGzipBodies(app, config.bodyLimitBytes);
  registerFiniteQueryNumbers(app);
  registerAuthLimits(app);

  app.addHook('onResponse', (request, reply, done) => {
    // Shed reports and storage refusals are logged in aggregate (http/overload.ts,
    // store/availability.ts): a line each would flood the log exactly when it matters.
    if (reply.statusCode >= 400 && !isQuietRejection(request)) {
      request.log.info(
        { method: request.method, url: request.url.split('?')[0], status: reply.statusCode },
        'request rejected',
      );
    }
    done();
  });

  const postureService = posture ?? new PostureService({ store, events, logger });
  app.decorate('posture', postureService);
  if (!posture) app.addHook('onClose', () => postureService.stop());

  app.register(healthRoutes(store, storageState));
  app.register(
    metricsRoutes({ store, events, metrics, config: config.metrics ?? buildMetricsConfig({}) }),
  );
  app.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } });
  app.register(consoleRoutes());
  app.register(agentDownloadRoutes(config.deploy));
  app.register(
    async (api) => {
      api.register(enrollRoutes(store, events));
      api.register(reportRoutes(store, events, admission.hook));
      api.register(agentSelfRoutes(store, events));
      api.register(liveRoutes({ store, events, logger, options: live }));
      api.register(async (readApi) => {
        requireApiToken(readApi, store);
        readApi.register(hostRoutes(store));
        readApi.register(reportExportRoutes(store, postureService));
        readApi.register(inventoryRoutes(store));
        readApi.register(technologyRoutes(store));
        readApi.register(initiativeRoutes(store));
        readApi.register(tenantRoutes(store));
        readApi.register(postureRoutes(store, postureService));
        readApi.register(siteRoutes(store));
        readApi.register(tokenRoutes(store));
        readApi.register(agentRoutes(store, events));
        readApi.register(auditRoutes(store));
        readApi.register(installCommandRoutes(store, config.deploy));
      });
    },
    { prefix: API_PREFIX },
  );
  return app;
}
