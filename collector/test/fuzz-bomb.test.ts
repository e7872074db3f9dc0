// Compressed bombs: a body that is small on the wire and huge once inflated must be cut
// off with 413 at the body limit, never inflated into memory; other encodings are 415.
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { sampleReport } from '@vcio/shared/testing';
import { testCollector } from './helpers.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** RSS after a full collection: what the process holds, not garbage waiting to be freed. */
function rssAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}

// 64 MiB of zeros gzipped (~64 KB); the same member repeated makes a valid multi-member
// gzip of any inflated size without ever holding that size here.
const zerosMember = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
const membersOf = (inflated: number) =>
  Buffer.concat(Array.from({ length: Math.ceil(inflated / (64 * MiB)) }, () => zerosMember));

t.test('a gzip bomb is cut off at the body limit with 413, not inflated', async (t) => {
  // A 2 MiB limit so that the 1 GiB bomb (~1 MiB compressed) gets past the wire limit
  // and reaches the inflater.
  const c = await testCollector(t, { bodyLimitBytes: 2 * MiB });
  const agent = await c.enroll();
  const bombs: [string, Buffer][] = [
    ['1 GiB of zeros in 16 gzip members', membersOf(GiB)],
    ['128 MiB of zeros in 2 members', membersOf(128 * MiB)],
    ['64 MiB of zeros, one member', zerosMember],
    // the JSON a report starts with, then zeros: inflating must stop before parsing
    [
      'a report prefix then 256 MiB of zeros',
      Buffer.concat([gzipSync('{"schema":"vcio.report/v1","x":"'), membersOf(256 * MiB)]),
    ],
  ];
  const before = rssAfterGc();
  for (const [what, body] of bombs) {
    t.ok(body.length < 2 * MiB, `${what}: ${(body.length / 1024).toFixed(0)} KiB on the wire`);
    const res = await c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: {
        authorization: agent.authorization,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      payload: body,
    });
    t.equal(res.statusCode, 413, what);
    t.match(res.json(), { error: 'payload_too_large', message: /decompressed body is larger/ });
  }
  const grown = rssAfterGc() - before;
  t.comment(`rss growth over ${bombs.length} bombs: ${(grown / MiB).toFixed(1)} MiB`);
  // Inflating the largest one would take 1 GiB; capped inflation holds at most the limit.
  t.ok(grown < 64 * MiB, `rss grew ${(grown / MiB).toFixed(1)} MiB`);
});

t.test('compressed bodies over the limit on the wire are 413 before inflating', async (t) => {
  const c = await testCollector(t, { bodyLimitBytes: 64 * 1024 });
  const agent = await c.enroll();
  const res = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: {
      authorization: agent.authorization,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    payload: membersOf(GiB), // ~1 MiB compressed: over the 64 KiB limit as it arrives
  });
  t.equal(res.statusCode, 413);
  t.match(res.json(), { error: 'payload_too_large', message: /compressed body is larger/ });
});

t.test('nested gzip is inflated once: the inner gzip is not JSON', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll();
  const inner = membersOf(GiB);
  const res = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: {
      authorization: agent.authorization,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    payload: gzipSync(inner),
  });
  t.equal(res.statusCode, 400, 'one layer inflated: binary, not JSON');
  t.match(res.json(), { error: 'invalid_json' });
  const stacked = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: {
      authorization: agent.authorization,
      'content-type': 'application/json',
      'content-encoding': 'gzip, gzip',
    },
    payload: gzipSync(gzipSync('{}')),
  });
  t.equal(stacked.statusCode, 415, 'stacked encodings are not supported');
  t.match(stacked.json(), { error: 'unsupported_encoding' });
});

t.test('encodings other than gzip and identity are 415', async (t) => {
  const c = await testCollector(t);
  const agent = await c.enroll();
  const report = JSON.stringify(sampleReport({ agentId: agent.agentId }));
  const cases: [string, Buffer][] = [
    ['deflate', deflateSync(report)],
    ['br', brotliCompressSync(report)],
    ['zstd', Buffer.from(report)],
    ['compress', Buffer.from(report)],
    ['x-unknown', Buffer.from(report)],
    ['deflate', deflateSync(Buffer.alloc(16 * MiB))],
  ];
  for (const [encoding, body] of cases) {
    const res = await c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: {
        authorization: agent.authorization,
        'content-type': 'application/json',
        'content-encoding': encoding,
      },
      payload: body,
    });
    t.equal(res.statusCode, 415, encoding);
    t.match(res.json(), { error: 'unsupported_encoding', message: new RegExp(encoding) });
  }
  const gzipped = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: {
      authorization: agent.authorization,
      'content-type': 'application/json',
      'content-encoding': 'GZIP',
    },
    payload: gzipSync(report),
  });
  t.equal(gzipped.statusCode, 202, 'gzip is accepted whatever its case');
});

t.test('without credentials a bomb is refused before it is read', async (t) => {
  const c = await testCollector(t, { bodyLimitBytes: 2 * MiB });
  const res = await c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    payload: membersOf(GiB),
  });
  t.equal(res.statusCode, 401);
  t.match(res.json(), { error: 'unauthenticated' });
});
