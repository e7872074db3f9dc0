// The technology worker thread: answers technology-thread.ts's questions with
// sqliteTechnologyStore on a read-only connection of its own, and keeps its cache of
// grouped software between questions.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { TechnologyStore } from '../types.js';
import { sqliteTechnologyStore } from './technology.js';
import type {
  TechnologyReply,
  TechnologyRequest,
  TechnologyWorkerData,
} from './technology-thread.js';

const data = workerData as TechnologyWorkerData;
let store: TechnologyStore | null = null;

function open(): TechnologyStore {
  const db = new Database(data.databasePath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return sqliteTechnologyStore(db);
}

parentPort!.on('message', ({ id, method, args }: TechnologyRequest) => {
  const reply = (message: TechnologyReply) => parentPort!.postMessage(message);
  try {
    store ??= open();
    const call = store[method] as (...a: unknown[]) => Promise<unknown>;
    call(...args).then(
      (result) => reply({ id, result }),
      (error: unknown) =>
        reply({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  } catch (error) {
    reply({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
