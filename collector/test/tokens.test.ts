import t from 'tap';
import {
  bearerCredential,
  hashSecret,
  joinCredential,
  newSecret,
  newTokenId,
  secretMatches,
  splitCredential,
} from '../src/security/tokens.js';

t.test('secrets are 32 random bytes, ids carry their kind', async (t) => {
  const a = newSecret();
  t.equal(Buffer.from(a, 'base64url').length, 32);
  t.not(a, newSecret());
  t.match(newTokenId('at'), /^at_[\w-]{12}$/);
  t.match(newTokenId('et'), /^et_[\w-]{12}$/);
});

t.test('secretMatches compares hashes and never matches an unknown id', async (t) => {
  const secret = newSecret();
  t.ok(secretMatches(secret, hashSecret(secret)));
  t.notOk(secretMatches(secret + 'x', hashSecret(secret)));
  t.notOk(secretMatches('vcio: no such credential', null), 'the dummy hash never grants access');
});

t.test('credentials split on the last dot', async (t) => {
  t.same(splitCredential(joinCredential('at_abc', 's3cret')), { id: 'at_abc', secret: 's3cret' });
  t.same(splitCredential('a.b.c'), { id: 'a.b', secret: 'c' });
  t.equal(splitCredential('nodot'), null);
  t.equal(splitCredential('.secret'), null);
  t.equal(splitCredential('id.'), null);
  t.equal(splitCredential('x'.repeat(600) + '.y'), null, 'absurdly long input is refused');
  t.same(bearerCredential('Bearer id.secret'), { id: 'id', secret: 'secret' });
  t.same(bearerCredential('bearer  id.secret '), { id: 'id', secret: 'secret' });
  t.equal(bearerCredential('Basic dXNlcjpwYXNz'), null);
  t.equal(bearerCredential(undefined), null);
});
