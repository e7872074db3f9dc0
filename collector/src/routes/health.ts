// GET /healthz: liveness and readiness. 503 when the database does not answer a read, or
// when it cannot take writes (a full disk, a read-only file system): reports would be
// refused, so a load balancer should send agents elsewhere meanwhile. Recovery does not
// depend on traffic: the storage probe notices it (store/availability.ts).
import type { FastifyPluginAsync } from 'fastify';
import { markQuietRejection } from '../http/overload.js';
import type { StorageAvailability } from '../store/availability.js';
import type { Store } from '../store/types.js';
import { VERSION } from '../version.js';

export const healthRoutes =
  (store: Store, storage?: StorageAvailability): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', async (request, reply) => {
      try {
        await store.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unavailable');
        return reply
          .code(503)
          .send({ error: 'storage_unavailable', message: 'the database does not answer' });
      }
      const status = storage?.status;
      if (status && !status.available) {
        // Logged once by the availability when it changed, not on every probe of this route.
        markQuietRejection(request);
        return reply.code(503).send({
          error: 'storage_unavailable',
          message: `the database cannot take writes since ${status.since.toISOString()}: ${status.message}; reports are refused until space or write access returns`,
          storage: { available: false, reason: status.reason, since: status.since.toISOString() },
        });
      }
      return { status: 'ok', version: VERSION, uptimeSeconds: Math.round(process.uptime()) };
    });
  };
