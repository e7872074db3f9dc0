// The metrics worker thread: reads the fleet snapshot through its own read-only SQLite
// connection and renders it, on request from fleet-renderer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { renderFleet } from './fleet.js';
import { sqliteFleetSource, type FleetSource } from './fleet-sqlite.js';
import type { FleetWorkerData } from './fleet-renderer.js';

const data = workerData as FleetWorkerData;
let source: FleetSource | null = null;

parentPort!.on('message', ({ id, nowMs }: { id: number; nowMs: number }) => {
  try {
    const started = performance.now();
    if (!source) {
      const db = new Database(data.databasePath, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      // Each render reads every host's rows: keep them in this connection's page cache
      // (64 MiB at most) rather than re-reading them from the OS on every render.
      db.pragma('cache_size = -65536');
      source = sqliteFleetSource(db);
    }
    const rendered = renderFleet(source.read(nowMs), data);
    parentPort!.postMessage({
      id,
      result: { ...rendered, seconds: (performance.now() - started) / 1000 },
    });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
