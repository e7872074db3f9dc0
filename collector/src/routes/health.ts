import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../store/types.js';
import { VERSION } from '../version.js';

export const healthRoutes =
  (store: Store): FastifyPluginAsync =>
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
      return { status: 'ok', version: VERSION, uptimeSeconds: Math.round(process.uptime()) };
    });
  };
