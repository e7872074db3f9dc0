// A stand-in collector for tests: a real HTTP server on a random loopback port that answers
// from a script of responses and records what it received (body decompressed).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** the raw bytes on the wire */
  raw: Buffer;
  /** the JSON body, decompressed when content-encoding is gzip */
  json: unknown;
}

export interface FakeCollector {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Answers requests in order from `script`; once it runs out, the last entry repeats.
 * `respond` may instead compute an answer per request.
 */
export async function startFakeCollector(
  script: ScriptedResponse[] | ((req: ReceivedRequest, index: number) => ScriptedResponse),
): Promise<FakeCollector> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json: unknown = null;
      try {
        const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString(
          'utf8',
        );
        json = text ? JSON.parse(text) : null;
      } catch {
        json = undefined;
      }
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        raw,
        json,
      };
      received.push(request);
      const index = received.length - 1;
      const answer =
        typeof script === 'function'
          ? script(request, index)
          : (script[Math.min(index, script.length - 1)] ?? { status: 500 });
      const body =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening: connections are refused at once. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
