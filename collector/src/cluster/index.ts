// Several collectors on one PostgreSQL database: who runs the background jobs (a leader,
// leadership.ts) and how events reach every collector's live feed (events-bridge.ts).
// On SQLite there is one collector: always the leader, nothing to relay, and the
// PostgreSQL client is never loaded (as in store/factory.ts).
import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '../config.js';
import type { CollectorEvents } from '../events.js';
import type { BridgeLogger, EventBridge } from './events-bridge.js';
import type { Leadership } from './leadership.js';

/** The single collector on SQLite. */
export function alwaysLeader(): Leadership {
  return {
    isLeader: () => true,
    onChange: () => () => {},
    stop: async () => {},
  };
}

export interface Cluster {
  /** this collector, as its log lines and notifications name it */
  readonly instanceId: string;
  readonly leadership: Leadership;
  /** null on SQLite */
  readonly bridge: EventBridge | null;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  database: DatabaseConfig | undefined;
  events: CollectorEvents;
  logger: BridgeLogger;
  /** leader election's try/check interval (ms); tests make it short */
  leaderIntervalMs?: number;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const instanceId = randomUUID().slice(0, 8);
  const database = options.database;
  if (database?.kind !== 'postgres') {
    return { instanceId, leadership: alwaysLeader(), bridge: null, stop: async () => {} };
  }
  const [{ startPgLeadership }, { startEventBridge }] = await Promise.all([
    import('./leadership.js'),
    import('./events-bridge.js'),
  ]);
  const leadership = startPgLeadership({
    connectionString: database.url,
    logger: options.logger,
    instanceId,
    intervalMs: options.leaderIntervalMs,
  });
  const bridge = startEventBridge({
    connectionString: database.url,
    events: options.events,
    logger: options.logger,
    instanceId,
  });
  return {
    instanceId,
    leadership,
    bridge,
    async stop() {
      // leadership first: another collector takes the jobs over while this one closes
      await leadership.stop();
      await bridge.stop();
    },
  };
}
