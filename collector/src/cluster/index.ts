// Several collectors on one PostgreSQL database: who runs the background jobs (a leader,
// leadership.ts) and how events reach every collector's live feed (events-bridge.ts).
// On SQLite there is one collector: always the leader, nothing to relay.
import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '../config.js';
import type { CollectorEvents } from '../events.js';
import { startEventBridge, type BridgeLogger, type EventBridge } from './events-bridge.js';
import { alwaysLeader, startPgLeadership, type Leadership } from './leadership.js';

export { alwaysLeader, startPgLeadership, LEADER_LOCK, type Leadership } from './leadership.js';
export { startEventBridge, type EventBridge } from './events-bridge.js';

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

export function startCluster(options: ClusterOptions): Cluster {
  const instanceId = randomUUID().slice(0, 8);
  const database = options.database;
  if (database?.kind !== 'postgres') {
    return { instanceId, leadership: alwaysLeader(), bridge: null, stop: async () => {} };
  }
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
