// Agents as admins manage them: the list, revocation, and two-step secret rotation
// (pending until used; completed once, whichever collector sees the new secret first).
import type { Test } from 'tap';
import { samplePerformance } from '@vcio/shared/testing';
import type { StoreFactory } from './harness.js';
import { enrolledAgent, ingest, minutes, report, storedHost, tenant } from './fixtures.js';

const secret = (text: string) => Buffer.from(text.padEnd(32, '#'));

export function agentsSuite(t: Test, factory: StoreFactory): void {
  t.test('agents: listed per tenant, newest first, with the host each reports', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const b = await tenant(store, 'b');
    const first = await enrolledAgent(store, a.id, 'm-1');
    const second = await enrolledAgent(store, a.id, 'm-2');
    await enrolledAgent(store, b.id, 'm-9');
    // same created_at (the fixture's clock): the id breaks the tie, byte-wise
    const expectedOrder = [first.id, second.id].sort();
    const seen = minutes(5);
    const hostId = storedHost(
      await ingest(
        store,
        first,
        report(first, { performance: samplePerformance(1) }, { collectedAt: seen }),
        seen,
      ),
    );

    const list = await store.access.listAgents(a.id);
    t.same(
      list.map((x) => x.id),
      expectedOrder,
    );
    const listed = list.find((x) => x.id === first.id)!;
    t.same(listed, {
      id: first.id,
      tenantId: a.id,
      machineId: 'm-1',
      hostname: 'host-m-1',
      version: '0.1.0',
      createdAt: first.createdAt,
      revokedAt: null,
      rotateRequestedAt: null,
      secretRotatedAt: null,
      rotationPending: false,
      hostId,
      lastSeen: seen,
    });
    t.notOk('secretHash' in listed || 'pendingSecretHash' in listed, 'no secret hash listed');
    const silent = list.find((x) => x.id === second.id)!;
    t.equal(silent.hostId, null, 'an agent that never reported has no host');
    t.equal(silent.lastSeen, null);
    t.same(
      (await store.access.listAgents(b.id)).map((x) => x.machineId),
      ['m-9'],
      'the other tenant sees only its own',
    );
    t.same(await store.access.listAgents('t-none'), []);
  });

  t.test('revoking an agent: once, and its rotation state goes with it', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    t.equal(await store.access.beginAgentRotation(agent.id, secret('new')), true);
    t.equal(await store.access.requestAgentRotation(agent.id, minutes(1)), true);

    t.equal(await store.access.revokeAgent(agent.id, minutes(2)), true);
    t.equal(await store.access.revokeAgent(agent.id, minutes(3)), false, 'already revoked');
    t.equal(await store.access.revokeAgent('agent-none', minutes(3)), false);
    const found = await store.access.findAgent(agent.id);
    t.same(found?.revokedAt, minutes(2), 'the first revocation time stays');
    t.equal(found?.pendingSecretHash ?? null, null, 'the pending secret is gone');
    t.equal(found?.rotateRequestedAt ?? null, null, 'the rotation request is gone');
    t.same(found?.secretHash, agent.secretHash);

    t.equal(await store.access.beginAgentRotation(agent.id, secret('later')), false);
    t.equal(await store.access.requestAgentRotation(agent.id, minutes(4)), false);
    t.equal(await store.access.completeAgentRotation(agent.id, secret('new'), minutes(4)), false);
    const listed = (await store.access.listAgents(a.id))[0]!;
    t.same(listed.revokedAt, minutes(2));
    t.equal(listed.rotationPending, false);
  });

  t.test('rotation: pending until completed with the pending secret', async (t) => {
    const { store } = await factory.open(t);
    const a = await tenant(store, 'a');
    const agent = await enrolledAgent(store, a.id, 'm-1');
    const fresh = await store.access.findAgent(agent.id);
    t.equal(fresh?.pendingSecretHash ?? null, null);
    t.equal(fresh?.rotateRequestedAt ?? null, null);
    t.equal(fresh?.secretRotatedAt ?? null, null);

    t.equal(await store.access.requestAgentRotation(agent.id, minutes(1)), true);
    t.equal(await store.access.requestAgentRotation(agent.id, minutes(2)), true);
    t.same(
      (await store.access.findAgent(agent.id))?.rotateRequestedAt,
      minutes(1),
      'a repeated request keeps the first time',
    );
    t.equal(await store.access.requestAgentRotation('agent-none', minutes(1)), false);
    t.equal(await store.access.beginAgentRotation('agent-none', secret('x')), false);

    t.equal(await store.access.beginAgentRotation(agent.id, secret('first')), true);
    const pending = await store.access.findAgent(agent.id);
    t.same(pending?.pendingSecretHash, secret('first'));
    t.ok(Buffer.isBuffer(pending?.pendingSecretHash), 'the pending hash comes back as bytes');
    t.same(pending?.secretHash, agent.secretHash, 'the current secret still works');
    t.equal((await store.access.listAgents(a.id))[0]?.rotationPending, true);

    // a second begin replaces the unused pending secret
    t.equal(await store.access.beginAgentRotation(agent.id, secret('second')), true);
    t.equal(
      await store.access.completeAgentRotation(agent.id, secret('first'), minutes(3)),
      false,
      'the replaced pending secret no longer completes',
    );
    t.equal(await store.access.completeAgentRotation(agent.id, secret('second'), minutes(3)), true);
    const done = await store.access.findAgent(agent.id);
    t.same(done?.secretHash, secret('second'), 'the pending secret is the secret now');
    t.equal(done?.pendingSecretHash ?? null, null);
    t.equal(done?.rotateRequestedAt ?? null, null, 'the request is cleared');
    t.same(done?.secretRotatedAt, minutes(3));
    t.equal(
      await store.access.completeAgentRotation(agent.id, secret('second'), minutes(4)),
      false,
      'completed once only',
    );
    const listed = (await store.access.listAgents(a.id))[0]!;
    t.equal(listed.rotationPending, false);
    t.same(listed.secretRotatedAt, minutes(3));
  });

  t.test('two Store instances completing the same rotations at once: each once', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    const a = await tenant(db.store, 'a');
    const agents = await Promise.all(
      Array.from({ length: 8 }, (_, i) => enrolledAgent(db.store, a.id, `m-${i}`)),
    );
    for (const agent of agents) {
      t.equal(await db.store.access.beginAgentRotation(agent.id, secret(agent.id)), true);
    }
    const outcomes = await Promise.all(
      agents.flatMap((agent, i) => [
        db.store.access.completeAgentRotation(agent.id, secret(agent.id), minutes(i)),
        other.access.completeAgentRotation(agent.id, secret(agent.id), minutes(100 + i)),
      ]),
    );
    for (let i = 0; i < agents.length; i++) {
      t.same(
        [outcomes[2 * i], outcomes[2 * i + 1]].filter(Boolean),
        [true],
        `agent ${i}: exactly one collector completed it`,
      );
      const done = await other.access.findAgent(agents[i]!.id);
      t.same(done?.secretHash, secret(agents[i]!.id));
      const expected = outcomes[2 * i] ? minutes(i) : minutes(100 + i);
      t.same(done?.secretRotatedAt, expected, 'the winner wrote the rotation time');
    }
  });

  t.test('a rotation begun on one instance, replaced on another, completes once', async (t) => {
    const db = await factory.open(t);
    const other = await db.another();
    const a = await tenant(db.store, 'a');
    const agent = await enrolledAgent(db.store, a.id, 'm-1');
    await db.store.access.beginAgentRotation(agent.id, secret('one'));
    // the agent retried its rotation on the other collector before using the first secret
    await other.access.beginAgentRotation(agent.id, secret('two'));
    const [stale, current] = await Promise.all([
      db.store.access.completeAgentRotation(agent.id, secret('one'), minutes(1)),
      other.access.completeAgentRotation(agent.id, secret('two'), minutes(1)),
    ]);
    t.equal(stale, false, 'the superseded secret does not complete');
    t.equal(current, true);
    t.same((await db.store.access.findAgent(agent.id))?.secretHash, secret('two'));
  });
}
