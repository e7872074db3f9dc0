// Posture and lifecycle over the API: a host's assessment, a tenant's score, findings and
// lifecycle, risk acceptances, a host's role and purchase date, a tenant's settings.
// Reading needs any API token in scope; changing needs an admin token.
//
// One module per resource under posture/, their schemas in posture/schemas.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { PostureService } from '../posture/service.js';
import type { Store } from '../store/types.js';
import { acceptanceRoutes } from './posture/acceptances.js';
import { hostPostureRoutes } from './posture/host.js';
import { postureSettingsRoutes } from './posture/settings.js';
import { tenantPostureRoutes } from './posture/tenant.js';

export const postureRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
    await app.register(hostPostureRoutes(store, posture));
    await app.register(tenantPostureRoutes(store, posture));
    await app.register(acceptanceRoutes(store, posture));
    await app.register(postureSettingsRoutes(store, posture));
  };
