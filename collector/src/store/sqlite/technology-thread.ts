// The SQLite technology store run in a worker thread (the default) or on the calling thread.
//
// Grouping a tenant's software is one GROUP BY over every host_software row of the tenant:
// 1.9 s at 500 hosts × 1,500 packages on the 2-core dev machine, tens of seconds at 10,000
// hosts (`pnpm bench technology`). On the main thread ingest and every other request would
// wait that long. The worker opens its own read-only connection (WAL lets it read while the
// collector writes), runs sqliteTechnologyStore there, and keeps its per-tenant cache of
// grouped software; the main thread only posts a question and receives the (small) answer.
// The same way as /metrics' fleet worker (metrics/fleet-renderer.ts).
import { Worker } from 'node:worker_threads';
import type { TechnologyStore } from '../types.js';

export interface ClosableTechnologyStore extends TechnologyStore {
  /** stops the worker, if one runs; pending questions fail */
  close(): Promise<void>;
}

export interface TechnologyWorkerData {
  databasePath: string;
}

export type TechnologyMethod = keyof TechnologyStore;

export interface TechnologyRequest {
  id: number;
  method: TechnologyMethod;
  args: unknown[];
}

export type TechnologyReply = { id: number; result: unknown } | { id: number; error: string };

const METHODS: readonly TechnologyMethod[] = [
  'softwareProducts',
  'unsupportedSoftware',
  'hardwareModels',
  'osDistribution',
];

// Under the TypeScript test runner this module is a .ts file and so is its worker.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './technology-worker.ts' : './technology-worker.js',
  import.meta.url,
);

export function workerTechnologyStore(databasePath: string): ClosableTechnologyStore {
  let worker: Worker | null = null;
  let nextId = 0;
  let closed = false;
  const waiting = new Map<number, { resolve(r: unknown): void; reject(e: Error): void }>();

  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
    worker = null;
  };

  const start = () => {
    const data: TechnologyWorkerData = { databasePath };
    const w = new Worker(WORKER_URL, { workerData: data });
    // Idle, the worker never keeps the process alive; while a question is out it does,
    // so a caller awaiting an answer (a CLI export, a test) is not cut short.
    w.unref();
    w.on('message', (reply: TechnologyReply) => {
      const entry = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0) w.unref();
      if ('error' in reply) entry?.reject(new Error(reply.error));
      else entry?.resolve(reply.result);
    });
    w.on('error', (error) => {
      if (worker === w) failAll(error);
    });
    // A worker that died is started again by the next question.
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`the technology worker exited (code ${code})`));
    });
    return w;
  };

  const ask = (method: TechnologyMethod, args: unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(new Error('the store is closed'));
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      if (waiting.size === 1) w.ref();
      const request: TechnologyRequest = { id, method, args };
      w.postMessage(request);
    });
  };

  const store = Object.fromEntries(
    METHODS.map((method) => [method, (...args: unknown[]) => ask(method, args)]),
  ) as unknown as TechnologyStore;
  return {
    ...store,
    async close() {
      closed = true;
      const w = worker;
      failAll(new Error('the technology worker was stopped'));
      if (w) await w.terminate();
    },
  };
}

/** The same store on the calling thread: the baseline in `pnpm bench technology`. */
export function inThreadTechnologyStore(store: TechnologyStore): ClosableTechnologyStore {
  return { ...store, async close() {} };
}
