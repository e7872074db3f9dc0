// Gzip request bodies. Agents compress reports; a software inventory shrinks ~10×.
//
// The limit applies to the *decompressed* size, and inflation stops as soon as it is
// passed: a small gzip that expands to gigabytes ("zip bomb") costs at most bodyLimit
// bytes of memory, then answers 413.
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

class DecodedLimit extends Transform {
  private seen = 0;
  /** compressed bytes read so far: Fastify checks it against content-length */
  receivedEncodedLength = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(
        new HttpError(
          413,
          'payload_too_large',
          `the decompressed body is larger than the limit of ${this.limit} bytes`,
        ),
      );
      return;
    }
    done(null, chunk);
  }
}

export function registerGzipBodies(app: FastifyInstance, bodyLimit: number): void {
  // Callback style, not async: this hook runs on every request, and most bodies are not
  // compressed; a promise per request for nothing shows up in ingest's profile.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') {
      done(null, payload);
      return;
    }
    if (encoding !== 'gzip') {
      done(
        new HttpError(
          415,
          'unsupported_encoding',
          `content-encoding '${encoding}' is not supported; send gzip or identity`,
        ),
      );
      return;
    }
    const gunzip = createGunzip();
    const limited = new DecodedLimit(bodyLimit);
    payload.on('data', (chunk: Buffer) => {
      limited.receivedEncodedLength += chunk.length;
    });
    gunzip.on('error', () =>
      limited.destroy(new HttpError(400, 'invalid_gzip', 'the body is not valid gzip data')),
    );
    limited.on('error', () => {
      gunzip.destroy();
      payload.resume(); // drain what the client still sends, without inflating it
    });
    payload.pipe(gunzip).pipe(limited);
    done(null, limited);
  });
}
