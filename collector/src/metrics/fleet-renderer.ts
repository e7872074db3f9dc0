// Who reads and renders the fleet figures: a worker thread (the default for the SQLite
// store) or, for tests and other stores, the calling thread.
//
// At 10,000 hosts reading and rendering takes a few hundred milliseconds of CPU, at
// 50,000 over a second (`pnpm bench metrics`): on the main thread that would stall
// ingest and every other request for as long. The worker opens its own read-only
// connection (WAL lets it read while the collector writes) and hands back the text.
import { Worker } from 'node:worker_threads';
import { renderFleet, type FleetRenderOptions, type RenderedFleet } from './fleet.js';
import type { FleetSource } from './fleet-sqlite.js';

export interface FleetRender extends RenderedFleet {
  /** how long reading and rendering took, in seconds */
  seconds: number;
}

export interface FleetRenderer {
  render(nowMs: number): Promise<FleetRender>;
  close(): Promise<void>;
}

export function inThreadRenderer(source: FleetSource, options: FleetRenderOptions): FleetRenderer {
  return {
    async render(nowMs) {
      const started = performance.now();
      const rendered = renderFleet(source.read(nowMs), options);
      return { ...rendered, seconds: (performance.now() - started) / 1000 };
    },
    async close() {},
  };
}

export interface FleetWorkerData extends FleetRenderOptions {
  databasePath: string;
}

type Reply = { id: number; result: FleetRender } | { id: number; error: string };

// Under the TypeScript test runner this module is a .ts file and so is its worker.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './fleet-worker.ts' : './fleet-worker.js',
  import.meta.url,
);

export function workerRenderer(databasePath: string, options: FleetRenderOptions): FleetRenderer {
  let worker: Worker | null = null;
  let nextId = 0;
  const waiting = new Map<number, { resolve(r: FleetRender): void; reject(e: Error): void }>();
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
    worker = null;
  };
  const start = () => {
    const data: FleetWorkerData = { ...options, databasePath };
    const w = new Worker(WORKER_URL, { workerData: data });
    w.unref(); // never keeps the collector alive
    w.on('message', (reply: Reply) => {
      const entry = waiting.get(reply.id);
      waiting.delete(reply.id);
      if ('error' in reply) entry?.reject(new Error(reply.error));
      else entry?.resolve(reply.result);
    });
    w.on('error', (error) => failAll(error));
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`the metrics worker exited (code ${code})`));
    });
    return w;
  };
  return {
    render(nowMs) {
      worker ??= start();
      const id = nextId++;
      const w = worker;
      return new Promise<FleetRender>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, nowMs });
      });
    },
    async close() {
      const w = worker;
      worker = null;
      failAll(new Error('the metrics worker was stopped'));
      if (w) await w.terminate();
    },
  };
}
