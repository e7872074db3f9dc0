// First start: one tenant and one set of bootstrap tokens, however many collectors start
// at once on one empty database.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import pino from 'pino';
import { BOOTSTRAP_FILE, bootstrapIfEmpty } from '../src/bootstrap.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';
import { postgresUnavailable, startTestPostgres } from './support/postgres.js';

const logger = pino({ level: 'silent' });

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcio-bootstrap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the database holds after the bootstraps: tenants, and which tokens. */
async function holdings(store: Store) {
  const tenants = await store.tenants.listTenants();
  const apiTokens = await store.access.listApiTokens();
  const enrollTokens = await store.access.listEnrollmentTokens(tenants[0]!.id);
  return {
    tenants: tenants.map((x) => x.slug),
    apiTokens: apiTokens.map((x) => x.id),
    enrollTokens: enrollTokens.map((x) => x.id),
  };
}

t.test('SQLite: the first start bootstraps, the next finds the tenant', async (t) => {
  const dir = tempDir(t);
  const store = openSqliteStore(dir);
  t.teardown(() => store.close());
  const first = await bootstrapIfEmpty(store, dir, logger);
  t.ok(first, 'secrets on the first start');
  t.equal(await bootstrapIfEmpty(store, dir, logger), null, 'nothing on the second');
  const file = JSON.parse(readFileSync(join(dir, BOOTSTRAP_FILE), 'utf8')) as {
    adminToken: string;
  };
  t.equal(file.adminToken, first!.adminToken, 'the file keeps the first secrets');
  t.same((await holdings(store)).tenants, ['default']);
});

t.test(
  'PostgreSQL: collectors bootstrapping one empty database at once',
  { skip: postgresUnavailable() ?? false },
  async (t) => {
    const { openPostgresStore } = await import('../src/store/postgres/index.js');
    const server = await startTestPostgres(t);
    // A few databases: the race is a matter of timing, each round is another chance to lose it.
    for (let round = 1; round <= 3; round++) {
      const url = await server.createDatabase();
      const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(url)));
      t.teardown(() => Promise.all(stores.map((s) => s.close())));
      const dirs = stores.map(() => tempDir(t));
      const results = await Promise.allSettled(
        stores.map((store, i) => bootstrapIfEmpty(store, dirs[i]!, logger)),
      );
      t.same(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'fulfilled'],
        `round ${round}: every collector starts`,
      );
      const secrets = results.flatMap((r) =>
        r.status === 'fulfilled' && r.value ? [r.value] : [],
      );
      t.equal(secrets.length, 1, `round ${round}: one of them bootstrapped`);
      const winner = dirs.filter((dir) => existsSync(join(dir, BOOTSTRAP_FILE)));
      t.equal(winner.length, 1, `round ${round}: one bootstrap.json, in the winner's directory`);
      const held = await holdings(stores[0]!);
      t.same(held.tenants, ['default'], `round ${round}: one tenant`);
      t.same(
        [held.apiTokens, held.enrollTokens],
        [[secrets[0]!.adminToken.split('.')[0]], [secrets[0]!.enrollToken.split('.')[0]]],
        `round ${round}: the tokens are the ones in that file`,
      );
    }
  },
);
