// The event bus across collectors on one PostgreSQL database: what happens on one (a
// report stored, an agent enrolled, a posture change) reaches the live feed of every other,
// so a console connected to any collector sees the whole fleet.
//
// - Out: this collector's own events (a plain `on`: relayed events never reach it, so
//   nothing is sent back round) are gathered for `flushMs` and sent as pg_notify
//   notifications of a few events each (wire.ts keeps them under PostgreSQL's 8000 bytes),
//   one at a time on a connection of their own. Delivery is best effort, as for the live
//   feed itself: a send that fails is dropped and logged, not retried late.
// - In: a dedicated connection LISTENs (a pooled one would be handed to other work); every
//   notification but our own goes to `events.emitRemote`, which only onCluster listeners
//   hear: the per-instance counters (vcio_reports_ingested_total...) and the posture
//   service count and compute what this collector received, once.
// - The listening connection is watched (an error, an end, or a check query that fails)
//   and opened again with backoff. Events sent while it was down are lost to this
//   collector: its consoles miss them (they see the current state when they reload), and
//   `cluster.resumed` tells the live feed to re-read which hosts are online.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CollectorEvents } from '../events.js';
import {
  CHANNEL,
  decodeNotification,
  encodeEvent,
  packNotifications,
  RELAYED_EVENTS,
  type RelayedPayload,
} from './wire.js';

export interface BridgeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EventBridgeOptions {
  connectionString: string;
  events: CollectorEvents;
  logger: BridgeLogger;
  /** this collector in notifications (its own come back and are skipped); random by default */
  instanceId?: string;
  /** events are gathered this long before they are sent (ms) */
  flushMs?: number;
  /** the listening connection is checked this often (ms) */
  checkEveryMs?: number;
  /** first wait before opening a lost listening connection again; doubles up to 30 s (ms) */
  reconnectMs?: number;
  /** events waiting to be sent at most; beyond it the oldest are dropped */
  maxQueued?: number;
}

export interface EventBridge {
  readonly instanceId: string;
  /** resolves once the listening connection is open (the first time) */
  ready(): Promise<void>;
  /** relayed so far: sent (events) and received (events from others) */
  stats(): { sent: number; received: number; dropped: number };
  stop(): Promise<void>;
}

export const BRIDGE_DEFAULTS = {
  flushMs: 5,
  checkEveryMs: 15_000,
  reconnectMs: 1_000,
  maxQueued: 10_000,
};
const MAX_RECONNECT_MS = 30_000;

export function startEventBridge(options: EventBridgeOptions): EventBridge {
  const { events, logger } = options;
  const instanceId = options.instanceId ?? randomUUID();
  const flushMs = options.flushMs ?? BRIDGE_DEFAULTS.flushMs;
  const checkEveryMs = options.checkEveryMs ?? BRIDGE_DEFAULTS.checkEveryMs;
  const reconnectMs = options.reconnectMs ?? BRIDGE_DEFAULTS.reconnectMs;
  const maxQueued = options.maxQueued ?? BRIDGE_DEFAULTS.maxQueued;
  const stats = { sent: 0, received: 0, dropped: 0 };
  let stopped = false;

  // ---- out ----
  // One connection, so notifications leave (and arrive) in the order the events happened.
  const sender = new pg.Pool({
    connectionString: options.connectionString,
    max: 1,
    application_name: `vcio-collector events ${instanceId}`,
    connectionTimeoutMillis: 10_000,
  });
  sender.on('error', () => {}); // an idle connection lost: the pool opens another when needed
  let queue: string[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let sending: Promise<void> | null = null;
  let lastSendError = '';

  const warnDropped = (count: number, reason: string) => {
    stats.dropped += count;
    if (reason !== lastSendError) {
      lastSendError = reason;
      logger.warn(
        { events: count, reason },
        'cluster: live events not relayed to the other collectors',
      );
    }
  };

  async function send(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const batch = queue;
      queue = [];
      const notifications = packNotifications(instanceId, batch);
      for (let i = 0; i < notifications.length; i++) {
        const { payload, count } = notifications[i]!;
        try {
          await sender.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
          stats.sent += count;
          lastSendError = '';
        } catch (error) {
          // The database is likely out of reach: the rest of the batch goes too rather than
          // wait out a timeout each (live events that late are stale anyway).
          const rest = notifications.slice(i).reduce((n, p) => n + p.count, 0);
          warnDropped(rest, error instanceof Error ? error.message : String(error));
          break;
        }
      }
    }
  }

  function flush(): void {
    flushTimer = null;
    if (sending) return; // the running send picks up what was queued meanwhile
    sending = send().finally(() => {
      sending = null;
    });
  }

  const publishers = RELAYED_EVENTS.map((name) => {
    const listener = (payload: RelayedPayload<typeof name>) => {
      if (stopped) return;
      try {
        const json = encodeEvent(name, payload);
        if (json === null) {
          warnDropped(1, `a ${name} event too large for a notification`);
          return;
        }
        queue.push(json);
        if (queue.length > maxQueued)
          warnDropped(
            queue.splice(0, queue.length - maxQueued).length,
            'the database is not keeping up',
          );
        flushTimer ??= setTimeout(flush, flushMs);
      } catch (error) {
        // a listener never fails the request that emitted
        warnDropped(1, error instanceof Error ? error.message : String(error));
      }
    };
    events.on(name as never, listener as never);
    return { name, listener };
  });

  // ---- in ----
  let listener: pg.Client | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let checkTimer: NodeJS.Timeout | null = null;
  let nextDelay = reconnectMs;
  let downSince: number | null = null;
  let lastConnectError = '';
  let firstReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (firstReady = resolve));

  function receive(message: pg.Notification): void {
    if (message.channel !== CHANNEL || !message.payload) return;
    const decoded = decodeNotification(message.payload);
    if (!decoded) {
      logger.warn({}, 'cluster: ignored a notification that is not a vcio event');
      return;
    }
    if (decoded.sender === instanceId) return; // our own, already delivered here
    for (const { name, payload } of decoded.events) {
      stats.received++;
      try {
        events.emitRemote(name, payload as never);
      } catch (error) {
        logger.warn({ err: error, event: name }, 'cluster: a relayed event failed a listener');
      }
    }
  }

  function lost(client: pg.Client, reason: string): void {
    if (listener !== client) return;
    listener = null;
    if (checkTimer) clearInterval(checkTimer);
    checkTimer = null;
    client.end().catch(() => {});
    if (stopped) return;
    downSince ??= Date.now();
    logger.warn(
      { reason },
      'cluster: lost the connection for live events from other collectors; reconnecting',
    );
    scheduleConnect();
  }

  function scheduleConnect(): void {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      void connect();
    }, nextDelay);
    reconnectTimer.unref();
    nextDelay = Math.min(nextDelay * 2, MAX_RECONNECT_MS);
  }

  async function connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: `vcio-collector listen ${instanceId}`,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      query_timeout: 10_000,
    });
    client.on('error', (error) => lost(client, error.message));
    client.on('end', () => lost(client, 'connection closed'));
    client.on('notification', receive);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      client.end().catch(() => {});
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastConnectError) {
        lastConnectError = message;
        logger.warn({ err: message }, 'cluster: cannot LISTEN for live events; retrying');
      }
      downSince ??= Date.now();
      scheduleConnect();
      return;
    }
    if (stopped) {
      await client.end().catch(() => {});
      return;
    }
    listener = client;
    lastConnectError = '';
    nextDelay = reconnectMs;
    // A connection that silently died (no error, no end) is found by a query that fails.
    checkTimer = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => {
        lost(client, error instanceof Error ? error.message : String(error));
      });
    }, checkEveryMs);
    checkTimer.unref();
    if (downSince !== null) {
      const downMs = Date.now() - downSince;
      downSince = null;
      logger.info({ downMs }, 'cluster: live events from other collectors resumed');
      events.emit('cluster.resumed', { downMs });
    }
    firstReady();
  }
  void connect();

  return {
    instanceId,
    ready: () => readyPromise,
    stats: () => ({ ...stats }),
    async stop() {
      if (stopped) return;
      // what happened here before the stop still goes out
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = null;
      for (const { name, listener: publish } of publishers)
        events.off(name as never, publish as never);
      await (sending ?? send());
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (checkTimer) clearInterval(checkTimer);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
      await sender.end().catch(() => {});
    },
  };
}
