import t from 'tap';
import { cachedLookup } from '../src/security/record-cache.js';

t.test('records are cached for ttlMs, unknown ids never', async (t) => {
  let clock = 0;
  const lookups: string[] = [];
  const cache = cachedLookup(
    async (id) => {
      lookups.push(id);
      return id.startsWith('known') ? { id } : null;
    },
    { ttlMs: 100, maxEntries: 2, now: () => clock },
  );
  t.same(await cache.get('known-1'), { id: 'known-1' });
  t.same(await cache.get('known-1'), { id: 'known-1' });
  t.same(lookups, ['known-1'], 'the second read came from the cache');
  clock = 150;
  await cache.get('known-1');
  t.same(lookups, ['known-1', 'known-1'], 'expired entries are looked up again');

  t.equal(await cache.get('nope'), null);
  t.equal(await cache.get('nope'), null);
  t.equal(lookups.filter((id) => id === 'nope').length, 2, 'misses are not cached');

  await cache.get('known-2');
  await cache.get('known-3');
  lookups.length = 0;
  await cache.get('known-1');
  t.same(lookups, ['known-1'], 'the oldest entry was evicted at maxEntries');
  cache.forget('known-3');
  await cache.get('known-3');
  t.same(lookups, ['known-1', 'known-3'], 'forget drops an entry');
});
