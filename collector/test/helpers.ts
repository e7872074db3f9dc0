// A collector on a temporary database, driven through inject(): no port, no process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { agentAuthorization, type EnrollResponse } from '@vcio/shared';
import { bootstrapIfEmpty, type BootstrapSecrets } from '../src/bootstrap.js';
import { CollectorEvents } from '../src/events.js';
import { buildServer } from '../src/server.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/index.js';

export interface TestCollector {
  app: FastifyInstance;
  store: SqliteStore;
  events: CollectorEvents;
  secrets: BootstrapSecrets;
  dataDir: string;
  admin: { authorization: string };
  enroll(machineId?: string): Promise<EnrollResponse & { authorization: string }>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function testCollector(
  t: Teardown,
  options: { bodyLimitBytes?: number } = {},
): Promise<TestCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vcio-collector-test-'));
  const store = openSqliteStore(dataDir);
  const logger = pino({ level: process.env.VCIO_TEST_LOG ?? 'silent' });
  const secrets = (await bootstrapIfEmpty(store, dataDir, logger))!;
  const events = new CollectorEvents();
  const app = buildServer({
    config: { bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024, tls: null },
    store,
    logger,
    events,
  });
  await app.ready();
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
