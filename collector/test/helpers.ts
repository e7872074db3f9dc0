// A collector on a temporary database, driven through inject(): no port, no process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { agentAuthorization, type EnrollResponse } from '@vcio/shared';
import { hashSecret, joinCredential, newSecret, newTokenId } from '../src/security/tokens.js';
import { bootstrapIfEmpty, type BootstrapSecrets } from '../src/bootstrap.js';
import { buildMetricsConfig, type MetricsConfig } from '../src/config.js';
import { CollectorEvents } from '../src/events.js';
import type { LiveOptions } from '../src/live/index.js';
import { CollectorMetrics } from '../src/metrics/index.js';
import { buildServer } from '../src/server.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/index.js';

export interface TestCollector {
  app: FastifyInstance;
  store: SqliteStore;
  events: CollectorEvents;
  secrets: BootstrapSecrets;
  dataDir: string;
  admin: { authorization: string };
  /** every route the collector registered (the isolation matrix checks each one) */
  routes: RegisteredRoute[];
  enroll(machineId?: string): Promise<EnrollResponse & { authorization: string }>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  websocket: boolean;
}

export interface TestCollectorOptions {
  bodyLimitBytes?: number;
  /** /metrics settings, over the defaults */
  metrics?: Partial<MetricsConfig>;
  /** the live feed's settings */
  live?: Partial<LiveOptions>;
  /** listen on a random loopback port (websocket tests); inject() only otherwise */
  listen?: boolean;
}

export async function testCollector(
  t: Teardown,
  options: TestCollectorOptions = {},
): Promise<TestCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-collector-test-'));
  const metrics = new CollectorMetrics();
  const store = openSqliteStore(dataDir, { onCommit: metrics.observeCommit });
  const logger = pino({ level: process.env.VCIO_TEST_LOG ?? 'silent' });
  const secrets = (await bootstrapIfEmpty(store, dataDir, logger))!;
  const events = new CollectorEvents();
  const app = buildServer({
    config: {
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      tls: null,
      metrics: { ...buildMetricsConfig({}), ...options.metrics },
    },
    store,
    logger,
    events,
    metrics,
    live: options.live,
  });
  // Plugins load at ready(), so a hook added now still sees every route they register.
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, websocket: Boolean(route.websocket) });
    }
  });
  if (options.listen) await app.listen({ host: '127.0.0.1', port: 0 });
  else await app.ready();
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  let n = 0;
  return {
    app,
    store,
    events,
    secrets,
    dataDir,
    routes,
    admin: { authorization: `Bearer ${secrets.adminToken}` },
    async enroll(machineId = `machine-${++n}`) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        payload: {
          token: secrets.enrollToken,
          machineId,
          hostname: `host-${machineId}`,
          agentVersion: '0.1.0',
        },
      });
      if (res.statusCode !== 201) throw new Error(`enroll failed: ${res.statusCode} ${res.body}`);
      const body = res.json<EnrollResponse>();
      return { ...body, authorization: agentAuthorization(body.agentId, body.secret) };
    },
  };
}

/** A read-only API token scoped to one tenant: the credential itself. */
export async function readOnlyToken(c: TestCollector, tenantId: string): Promise<string> {
  const id = newTokenId('at');
  const secret = newSecret();
  await c.store.access.insertApiToken({
    id,
    tenantId,
    role: 'read',
    name: 'test',
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    revokedAt: null,
  });
  return joinCredential(id, secret);
}

/** An agent enrolled in `tenantId` through an enrollment token of its own. */
export async function enrollIn(
  c: TestCollector,
  tenantId: string,
  machineId: string,
): Promise<EnrollResponse & { authorization: string }> {
  const id = newTokenId('et');
  const secret = newSecret();
  await c.store.access.insertEnrollmentToken({
    id,
    tenantId,
    name: 'test',
    secretHash: hashSecret(secret),
    createdAt: new Date(),
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
  });
  const res = await c.app.inject({
    method: 'POST',
    url: '/api/v1/enroll',
    payload: {
      token: joinCredential(id, secret),
      machineId,
      hostname: machineId,
      agentVersion: '0.1.0',
    },
  });
  const body = res.json<EnrollResponse>();
  return { ...body, authorization: agentAuthorization(body.agentId, body.secret) };
}

/**
 * Sends again while the answer is 503: after a write failed for storage, reports are refused
 * at the door until the storage probe (every 2 s) sees a write work again.
 */
export async function onceStorageRecovered<R extends { statusCode: number }>(
  send: () => Promise<R>,
): Promise<R> {
  let answer = await send();
  for (let attempt = 0; answer.statusCode === 503 && attempt < 100; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await send();
  }
  return answer;
}
