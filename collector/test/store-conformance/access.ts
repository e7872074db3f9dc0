// API tokens, enrollment tokens, enrollment.
import type { Test } from 'tap';
import type { StoreFactory } from './harness.js';
import { agentRecord, apiToken, enrollmentToken, minutes, T0, tenant } from './fixtures.js';

export function accessSuite(t: Test, factory: StoreFactory): void {
  t.test(
    'API tokens: stored with their hash, listed newest first, revoked but never the last admin',
    async (t) => {
      const { store } = await factory.open(t);
      const a = await tenant(store, 'a');
      const admin = apiToken({ id: 'at-admin' });
      const reader = apiToken({
        id: 'at-read',
        tenantId: a.id,
        role: 'read',
        createdAt: minutes(1),
      });
      await store.access.insertApiToken(admin);
      await store.access.insertApiToken(reader);
      const found = await store.access.findApiToken('at-read');
      t.same(found, reader);
      t.ok(Buffer.isBuffer(found?.secretHash), 'the hash comes back as bytes');
      t.equal(await store.access.findApiToken('at-none'), null);
      t.same(
        (await store.access.listApiTokens()).map((x) => x.id),
        ['at-read', 'at-admin'],
      );

      t.equal(await store.access.revokeApiToken('at-read', minutes(2)), 'revoked');
      t.equal(
        await store.access.revokeApiToken('at-read', minutes(3)),
        'not_found',
        'already revoked',
      );
      t.same((await store.access.findApiToken('at-read'))?.revokedAt, minutes(2));
      t.equal(await store.access.revokeApiToken('at-none', T0), 'not_found');
      t.equal(await store.access.revokeApiToken('at-admin', T0), 'last_admin');
    },
  );

  t.test('two admins revoking each other at once leave one admin', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    await db.store.access.insertApiToken(apiToken({ id: 'at-1' }));
    await db.store.access.insertApiToken(apiToken({ id: 'at-2' }));
    const outcomes = await Promise.all([
      db.store.access.revokeApiToken('at-1', T0),
      other.access.revokeApiToken('at-2', T0),
    ]);
    t.same(outcomes.sort(), ['last_admin', 'revoked']);
    const live = (await db.store.access.listApiTokens()).filter((x) => x.revokedAt === null);
    t.equal(live.length, 1);
  });

  t.test('enrollment tokens: listed, revoked per tenant, uses counted atomically', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const limited = enrollmentToken({
      id: 'et-2',
      tenantId: a.id,
      maxUses: 2,
      createdAt: minutes(1),
    });
    await store.access.insertEnrollmentToken(enrollmentToken({ id: 'et-1', tenantId: a.id }));
    await store.access.insertEnrollmentToken(limited);
    t.same(await store.access.findEnrollmentToken('et-2'), limited);
    t.equal(await store.access.findEnrollmentToken('et-9'), null);
    t.same(
      (await store.access.listEnrollmentTokens(a.id)).map((x) => x.id),
      ['et-2', 'et-1'],
    );
    t.same(await store.access.listEnrollmentTokens(b.id), []);

    const enroll = (machine: string) =>
      store.access.enrollAgent('et-2', agentRecord(a.id, 'et-2', machine));
    t.equal(await enroll('m-1'), 'enrolled');
    t.equal(await enroll('m-2'), 'enrolled');
    t.equal(await enroll('m-3'), 'exhausted', 'max_uses reached');
    t.equal((await store.access.findEnrollmentToken('et-2'))?.uses, 2);

    const agent = agentRecord(a.id, 'et-1', 'm-4');
    t.equal(await store.access.enrollAgent('et-1', agent), 'enrolled', 'unlimited');
    t.has(await store.access.findAgent(agent.id), agent);
    t.equal(await store.access.findAgent('agent-none'), null);

    t.equal(await store.access.revokeEnrollmentToken(b.id, 'et-1', T0), false, 'not its tenant');
    t.equal(await store.access.revokeEnrollmentToken(a.id, 'et-1', minutes(5)), true);
    t.equal(await store.access.revokeEnrollmentToken(a.id, 'et-1', minutes(6)), false, 'already');
    t.equal(
      await store.access.enrollAgent('et-1', agentRecord(a.id, 'et-1', 'm-5')),
      'exhausted',
      'revoked',
    );

    await store.access.insertEnrollmentToken(
      enrollmentToken({ id: 'et-old', tenantId: a.id, expiresAt: new Date(Date.now() - 1000) }),
    );
    t.equal(
      await store.access.enrollAgent('et-old', agentRecord(a.id, 'et-old', 'm-6')),
      'exhausted',
      'expired',
    );
    t.equal(
      await store.access.enrollAgent('et-none', agentRecord(a.id, 'et-1', 'm-7')),
      'exhausted',
      'no such token',
    );
  });

  t.test('a token with one use left enrolls exactly one of two concurrent agents', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    const a = await tenant(db.store, 'a');
    for (let round = 0; round < 5; round++) {
      const id = `et-race-${round}`;
      await db.store.access.insertEnrollmentToken(
        enrollmentToken({ id, tenantId: a.id, maxUses: 1 }),
      );
      const outcomes = await Promise.all([
        db.store.access.enrollAgent(id, agentRecord(a.id, id, `m-${round}-a`)),
        other.access.enrollAgent(id, agentRecord(a.id, id, `m-${round}-b`)),
        db.store.access.enrollAgent(id, agentRecord(a.id, id, `m-${round}-c`)),
      ]);
      t.same(outcomes.sort(), ['enrolled', 'exhausted', 'exhausted'], `round ${round}`);
      t.equal((await db.store.access.findEnrollmentToken(id))?.uses, 1);
    }
  });
}
