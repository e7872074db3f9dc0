import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../store/types.js';

export const tenantRoutes =
  (store: Store): FastifyPluginAsync =>
  async (app) => {
    app.get('/tenants', async (request) => {
      const principal = request.principal!;
      const tenants = await store.tenants.listTenants();
      return {
        tenants:
          principal.tenantId === null
            ? tenants
            : tenants.filter((t) => t.id === principal.tenantId),
      };
    });
  };
