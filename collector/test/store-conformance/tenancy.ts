// Tenants and sites.
import type { Test } from 'tap';
import { samplePerformance } from '@vcio/shared/testing';
import { isUniqueViolation } from '../../src/store/types.js';
import type { StoreFactory } from './harness.js';
import {
  enrolledAgent,
  enrollmentToken,
  ingest,
  minutes,
  report,
  storedHost,
  T0,
  tenant,
} from './fixtures.js';

export function tenancySuite(t: Test, factory: StoreFactory): void {
  t.test(
    'tenants: create, find by id or slug, list with host counts, rename, archive',
    async (t) => {
      const { store } = await factory.open(t);
      const beta = await tenant(store, 'beta');
      const alpha = await tenant(store, 'alpha');
      t.equal(await store.tenants.countTenants(), 2);
      t.same(await store.tenants.getTenant('beta'), beta, 'by slug');
      t.same(await store.tenants.getTenant(alpha.id), alpha, 'by id');
      t.equal(await store.tenants.getTenant('nope'), null);
      const duplicate = await store.tenants.createTenant({ ...alpha, id: 't-other' }).then(
        () => null,
        (error: unknown) => error,
      );
      t.ok(isUniqueViolation(duplicate), 'slugs are unique: the routes answer 409 for it');

      const agent = await enrolledAgent(store, alpha.id, 'm-1');
      await ingest(store, agent, report(agent, { performance: samplePerformance() }));
      t.same(
        (await store.tenants.listTenants()).map((x) => [x.slug, x.hostCount]),
        [
          ['alpha', 1],
          ['beta', 0],
        ],
        'by slug, with host counts',
      );
      t.equal(await store.tenants.renameTenant(alpha.id, 'Alpha Ltd'), true);
      t.equal(await store.tenants.renameTenant('t-none', 'x'), false);
      t.equal((await store.tenants.getTenant(alpha.id))?.name, 'Alpha Ltd');
      t.equal(await store.tenants.setTenantArchived(beta.id, minutes(5)), true);
      t.same((await store.tenants.getTenant(beta.id))?.archivedAt, minutes(5));
      t.equal(await store.tenants.setTenantArchived(beta.id, null), true);
      t.equal((await store.tenants.getTenant(beta.id))?.archivedAt, null);
      t.equal(await store.tenants.setTenantArchived('t-none', T0), false);
    },
  );

  t.test(
    'sites: per-tenant slugs, host counts, archiving revokes their enrollment tokens',
    async (t) => {
      const { store } = await factory.open(t);
      const a = await tenant(store, 'a');
      const b = await tenant(store, 'b');
      const site = {
        id: 's-1',
        tenantId: a.id,
        slug: 'hq',
        name: 'HQ',
        createdAt: T0,
        archivedAt: null,
      };
      await store.tenants.createSite(site);
      await store.tenants.createSite({ ...site, id: 's-2', tenantId: b.id });
      const duplicate = await store.tenants.createSite({ ...site, id: 's-3' }).then(
        () => null,
        (error: unknown) => error,
      );
      t.ok(isUniqueViolation(duplicate), 'slug unique in a tenant: the routes answer 409 for it');
      t.same(await store.tenants.getSite(a.id, 'hq'), site);
      t.same(await store.tenants.getSite(a.id, 's-1'), site);
      t.equal(await store.tenants.getSite(a.id, 's-2'), null, "not another tenant's site");
      t.same(await store.tenants.getSiteById('s-2'), { ...site, id: 's-2', tenantId: b.id });
      t.equal(await store.tenants.getSiteById('s-9'), null);

      // A host enrolled through a site's token starts in that site.
      const agent = await enrolledAgent(store, a.id, 'm-1', site.id);
      const hostId = storedHost(
        await ingest(store, agent, report(agent, { performance: samplePerformance() })),
      );
      t.same((await store.hosts.getHost(hostId))?.site, { id: 's-1', slug: 'hq', name: 'HQ' });
      t.same(
        (await store.tenants.listSites(a.id)).map((s) => [s.slug, s.hostCount]),
        [['hq', 1]],
      );
      t.equal(
        await store.tenants.setHostSite(hostId, 's-2'),
        false,
        "never into another tenant's site",
      );
      t.equal(await store.tenants.setHostSite(hostId, null), true);
      t.equal((await store.hosts.getHost(hostId))?.site, null);
      t.equal(await store.tenants.setHostSite('h-none', null), false);

      t.equal(await store.tenants.renameSite('s-1', 'Head office'), true);
      t.equal(await store.tenants.renameSite('s-9', 'x'), false);
      await store.access.insertEnrollmentToken(
        enrollmentToken({ id: 'et-site', tenantId: a.id, siteId: 's-1' }),
      );
      await store.access.insertEnrollmentToken(enrollmentToken({ id: 'et-plain', tenantId: a.id }));
      t.equal(await store.tenants.setSiteArchived('s-1', minutes(10)), true);
      t.same(
        (await store.access.findEnrollmentToken('et-site'))?.revokedAt,
        minutes(10),
        'site token revoked',
      );
      t.equal(
        (await store.access.findEnrollmentToken('et-plain'))?.revokedAt,
        null,
        'others untouched',
      );
      t.same((await store.tenants.getSiteById('s-1'))?.archivedAt, minutes(10));
      t.equal(await store.tenants.setSiteArchived('s-1', null), true, 'unarchived');
      t.equal(await store.tenants.setSiteArchived('s-9', T0), false);
    },
  );
}
