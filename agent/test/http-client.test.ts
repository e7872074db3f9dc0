// The agent's node:http client: answers, headers, bounds, timeouts and refused connections.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { httpPost, MAX_ANSWER_BYTES } from '../src/http-client.js';

async function server(
  t: { teardown(fn: () => unknown): void },
  handler: http.RequestListener,
): Promise<URL> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => s.close(r)));
  s.on('connection', (socket) => t.teardown(() => socket.destroy()));
  return new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/x`);
}

const post = (url: URL, signal = AbortSignal.timeout(5000)) =>
  httpPost(url, { headers: { 'content-type': 'application/json' }, body: '{"a":1}', signal });

t.test('an answer: status, headers by any case, body; the request as sent', async (t) => {
  let received = '';
  let length = '';
  const url = await server(t, (req, res) => {
    length = req.headers['content-length'] ?? '';
    req.on('data', (c: Buffer) => (received += c.toString()));
    req.on('end', () => {
      res.writeHead(429, [
        ['Retry-After', '7'],
        ['X-Two', 'a'],
        ['X-Two', 'b'],
      ]);
      res.end('{"error":"slow_down"}');
    });
  });
  const answer = await post(url);
  t.equal(answer.status, 429);
  t.equal(answer.headers.get('retry-after'), '7');
  t.equal(answer.headers.get('Retry-After'), '7');
  t.equal(answer.headers.get('x-two'), 'a, b');
  t.equal(answer.headers.get('missing'), null);
  t.equal(answer.body, '{"error":"slow_down"}');
  t.equal(received, '{"a":1}');
  t.equal(length, '7');
});

t.test('an oversized answer is cut at the bound', async (t) => {
  const url = await server(t, (_req, res) => res.end('x'.repeat(MAX_ANSWER_BYTES + 4096)));
  t.equal((await post(url)).body.length, MAX_ANSWER_BYTES);
});

t.test('no answer in time: the signal’s reason, a TimeoutError', async (t) => {
  const url = await server(t, () => {
    // never answers
  });
  await t.rejects(post(url, AbortSignal.timeout(200)), { name: 'TimeoutError' });
  const stopped = new AbortController();
  stopped.abort(new Error('stopping'));
  await t.rejects(post(url, stopped.signal), { message: 'stopping' }, 'already aborted');
});

t.test('a refused connection is the network error', async (t) => {
  // a port nothing listens on: one the system just gave out and took back
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  await t.rejects(post(new URL(`http://127.0.0.1:${port}/x`)), { code: 'ECONNREFUSED' });
});
