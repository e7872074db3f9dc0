// WAL checkpoints on a worker thread.
//
// SQLite's automatic checkpoint runs inside whichever commit crosses the WAL threshold,
// on the thread that commits: here, the event loop that serves agents. Measured on this
// project's 2-core machine it cost ~40% of ingest's SQL time. A worker thread with its own
// connection checkpoints in PASSIVE mode every second instead (it never blocks the
// writer), so that work runs on the other core. If the worker fails, the main connection
// goes back to automatic checkpoints: slower, never unsafe.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { SqliteDatabase } from './database.js';

const requireFromHere = createRequire(import.meta.url);

// CommonJS source for an eval'd worker: it needs no file of its own, so it runs the same
// from compiled output, from TypeScript under test, and from a bundled binary.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const walSize = () => {
  try {
    return statSync(workerData.path + '-wal').size;
  } catch {
    return 0;
  }
};
const db = new Database(workerData.path);
// No waiting: a TRUNCATE checkpoint holds the write lock while it waits for readers, so a
// long reader (a backup, an export, the technology worker) would stall ingest for as long.
// Measured: 1 s stalls with a 1 s timeout, none over 30 ms without. It tries again next tick.
db.pragma('busy_timeout = 0');
let timer = null;
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    if (walSize() > workerData.truncateAboveBytes) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(
  db: SqliteDatabase,
  path: string,
  options: {
    intervalMs?: number;
    truncateAboveBytes?: number;
    onError?: (message: string) => void;
  } = {},
): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: requireFromHere.resolve('better-sqlite3'),
      path,
      intervalMs: options.intervalMs ?? 1000,
      truncateAboveBytes: options.truncateAboveBytes ?? 64 * 1024 * 1024,
    },
  });
  worker.unref();
  db.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  const fallBack = (message: string) => {
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
    options.onError?.(message);
  };
  worker.on('message', (m: { error?: string }) => {
    if (m.error) options.onError?.(`WAL checkpoint failed: ${m.error}`);
  });
  worker.on('error', (error) => fallBack(`WAL checkpoint worker failed: ${error.message}`));
  worker.on('exit', (code) => {
    if (!stopping)
      fallBack(`WAL checkpoint worker exited (${code}); back to automatic checkpoints`);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      stopping = true;
      worker.ref(); // keep the process alive until the worker has closed its connection
      worker.postMessage('stop');
      await exited;
      if (db.open) db.pragma('wal_autocheckpoint = 1000');
    },
  };
}
