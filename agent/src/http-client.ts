// The agent's HTTP client: one POST, on node:http/https.
//
// Not fetch: Node's fetch is undici, loaded on first use, and it costs the agent about
// 12 MiB of resident memory (measured: 39 → 52 MiB for a bare process) against 1.5 MiB for
// node:http, in an agent whose budget is 60 MB. The agent only ever POSTs JSON and reads a
// small answer, which node:http does in a page of code.
import http from 'node:http';
import https from 'node:https';
import type { SecureContext } from 'node:tls';
import {
  describeTlsFailure,
  pinningIdentityCheck,
  secureContextFor,
  type TlsSettings,
} from './tls.js';

export interface HttpRequest {
  headers: Record<string, string>;
  body: string | Buffer;
  /** aborts the request; its reason (e.g. a TimeoutError) is what the promise rejects with */
  signal: AbortSignal;
  /** for https: the CA bundle to trust instead of the default store, and the pins (tls.ts) */
  tls?: TlsSettings;
}

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: string;
}

/** How the transport sends a request: node:http here, a fake in tests. */
export type HttpPost = (url: URL, request: HttpRequest) => Promise<HttpResponse>;

/** Collector answers are small JSON documents; anything past this is cut. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export const httpPost: HttpPost = (url, { headers, body, signal, tls }) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const secure = url.protocol === 'https:';
    // secureContext reaches tls.connect, though https's types do not list it.
    const options: https.RequestOptions & { secureContext?: SecureContext } = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      // One request per report, minutes apart: no connection to keep.
      agent: false,
    };
    if (secure) {
      // Certificate checks are never turned off: no rejectUnauthorized: false anywhere.
      options.secureContext = secureContextFor(tls?.ca);
      if (tls?.pins?.length) options.checkServerIdentity = pinningIdentityCheck(tls.pins);
    }
    const req = (secure ? https : http).request(url, options);
    // A failed certificate check becomes a one-line reason that says what to do (tls.ts).
    const failure = (err: Error): Error =>
      (secure ? describeTlsFailure(err, url.hostname, tls) : null) ?? err;
    const onAbort = (): void => {
      req.destroy(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal.removeEventListener('abort', onAbort);
    req.on('error', (err) => {
      done();
      reject(signal.aborted ? (signal.reason as Error) : failure(err));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (err) => {
        done();
        reject(signal.aborted ? (signal.reason as Error) : err);
      });
      res.on('end', () => {
        done();
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            get: (name) => {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
          },
          body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
