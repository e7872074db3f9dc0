// The Store conformance suite: one set of behaviour tests, run against every Store
// implementation. SQLite always; PostgreSQL when a server can be had (a throwaway cluster,
// or VCIO_TEST_DATABASE_URL), skipped with the reason otherwise (failing under CI=true).
import t, { type Test } from 'tap';
import { postgresFactory, sqliteFactory, type StoreFactory } from './store-conformance/harness.js';
import { accessSuite } from './store-conformance/access.js';
import { agentsSuite } from './store-conformance/agents.js';
import { auditSuite } from './store-conformance/audit.js';
import { fleetSuite } from './store-conformance/fleet.js';
import { ingestSuite } from './store-conformance/ingest.js';
import { initiativesSuite } from './store-conformance/initiatives.js';
import { inventorySuite } from './store-conformance/inventory.js';
import { postureSuite } from './store-conformance/posture.js';
import { retentionSuite } from './store-conformance/retention.js';
import { technologySuite } from './store-conformance/technology.js';
import { tenancySuite } from './store-conformance/tenancy.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';

function conformance(t: Test, factory: StoreFactory): void {
  tenancySuite(t, factory);
  accessSuite(t, factory);
  agentsSuite(t, factory);
  auditSuite(t, factory);
  ingestSuite(t, factory);
  inventorySuite(t, factory);
  postureSuite(t, factory);
  technologySuite(t, factory);
  initiativesSuite(t, factory);
  retentionSuite(t, factory);
  fleetSuite(t, factory);
}

t.test('sqlite', async (t) => conformance(t, sqliteFactory));

const unavailable = postgresUnavailable();
t.test('postgres', { skip: unavailable ?? false }, async (t) => {
  const server = await startTestPostgres(t);
  t.comment(`PostgreSQL: ${server.origin}, ready in ${server.startSeconds.toFixed(2)} s`);
  conformance(t, await postgresFactory(server));
});
