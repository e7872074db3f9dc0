// The ingest benchmark's baseline: the cheapest Fastify 5 endpoint that still does the
// transport work the collector cannot avoid (read the body, inflate it when gzipped,
// parse the JSON) and nothing else: no auth, no validation, no storage, no logging.
// The collector's figure divided by this one is what the collector's own work costs,
// measured on the same machine in the same run.
//
// Run as a child process by ingest.ts; prints `listening on <url>` on stdout.
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';

const app = Fastify({ logger: false });

// Same as the collector: a gzip body is read whole and inflated in one call before the
// JSON parser sees it (the cheapest way for small bodies). Fastify compares
// content-length with `receivedEncodedLength` on a replaced stream.
app.addHook('preParsing', (request, _reply, payload, done) => {
  if (request.headers['content-encoding'] !== 'gzip') {
    done(null, payload);
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  payload.on('data', (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  });
  payload.on('end', () => {
    const decoded = Object.assign(new PassThrough(), { receivedEncodedLength: received });
    decoded.end(gunzipSync(Buffer.concat(chunks, received)));
    done(null, decoded);
  });
});

app.post('/', async (_request, reply) => reply.code(202).send({}));

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
