// Which collector runs the cluster-wide background jobs (retention, the posture sweep and
// daily tenant points, the initiative tracker's hourly pass). On SQLite there is one
// collector: it is always the leader. On PostgreSQL the leader is whoever holds a
// session-level advisory lock, on a connection of its own (not from the pool: a pooled
// connection is shared and recycled, and the lock would go wherever it went).
//
// - Every `intervalMs` a follower tries pg_try_advisory_lock; the first to get it leads.
// - The lock lives exactly as long as the holder's session. When the leader dies, or its
//   connection is terminated, the server releases the lock and a follower takes it on its
//   next try: failover within `intervalMs` plus the time the server needs to notice.
// - The leader checks on the same timer that its session still holds the lock (a query
//   with a timeout). An error or end on the connection, or a check that fails or does not
//   answer in time, ends its leadership at once, before the server could hand the lock to
//   anyone else: a leader that cannot reach the database must not keep acting as one.
import { EventEmitter } from 'node:events';
import pg from 'pg';

export interface Leadership {
  isLeader(): boolean;
  /** called with the new state on each change; returns the unsubscribe function */
  onChange(listener: (leader: boolean) => void): () => void;
  /** gives leadership up (the lock is released at once, for a quick failover) */
  stop(): Promise<void>;
}

export interface LeadershipLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** "vcio" and "lead" as two 32-bit integers (migrate.ts and maintenance.ts use "migr", "rten"). */
export const LEADER_LOCK = [0x7663696f, 0x6c656164] as const;

export interface PgLeadershipOptions {
  connectionString: string;
  logger: LeadershipLogger;
  /** how often a follower tries for the lock and the leader checks it holds it (ms) */
  intervalMs?: number;
  /** a check not answered within this ends leadership (ms) */
  checkTimeoutMs?: number;
  /** this collector, in the log lines */
  instanceId?: string;
}

export const LEADERSHIP_DEFAULTS = { intervalMs: 3_000, checkTimeoutMs: 2_000 };

export function startPgLeadership(options: PgLeadershipOptions): Leadership {
  const intervalMs = options.intervalMs ?? LEADERSHIP_DEFAULTS.intervalMs;
  const checkTimeoutMs = options.checkTimeoutMs ?? LEADERSHIP_DEFAULTS.checkTimeoutMs;
  const { logger } = options;
  const changes = new EventEmitter();
  let client: pg.Client | null = null;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> = Promise.resolve();
  /** the last failure to connect, logged once until it changes */
  let lastConnectError = '';

  function setLeader(value: boolean, reason?: string): void {
    if (leader === value) return;
    leader = value;
    const who = { instance: options.instanceId };
    if (value) logger.info(who, 'cluster: became leader (running retention, sweeps, daily points)');
    else logger.warn({ ...who, reason }, 'cluster: lost leadership');
    changes.emit('change', value);
  }

  /** The connection failed or stopped answering: leadership ends now, a new one next tick. */
  function drop(current: pg.Client, reason: string): void {
    if (client !== current) return;
    client = null;
    setLeader(false, reason);
    // Ending a connection that still works tells the server to release the lock at once.
    current.end().catch(() => {});
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: options.connectionString,
      // names this collector in pg_stat_activity (which one leads, which to terminate)
      application_name: `vcio-collector leader ${options.instanceId ?? ''}`.trim(),
      keepAlive: true,
      connectionTimeoutMillis: checkTimeoutMs * 2,
      query_timeout: checkTimeoutMs,
    });
    // Without an 'error' listener a terminated connection would end the process.
    fresh.on('error', (error) => drop(fresh, error.message));
    fresh.on('end', () => drop(fresh, 'connection closed'));
    try {
      await fresh.connect();
    } catch (error) {
      fresh.end().catch(() => {});
      throw error;
    }
    return fresh;
  }

  async function tick(): Promise<void> {
    let current: pg.Client | null = client;
    try {
      if (!current) {
        current = client = await connect();
        lastConnectError = '';
      }
      if (!leader) {
        const { rows } = await current.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS locked',
          [...LEADER_LOCK],
        );
        if (stopped || client !== current) return;
        if (rows[0]?.locked) setLeader(true);
      } else {
        // Still our session, still holding the lock (an advisory lock on two keys is
        // classid, objid with objsubid 2 in pg_locks).
        const { rows } = await current.query<{ held: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
             AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 2
             AND pid = pg_backend_pid() AND granted) AS held`,
          [...LEADER_LOCK],
        );
        if (!rows[0]?.held) drop(current, 'the lock is no longer held');
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (current) drop(current, message);
      else if (message !== lastConnectError) {
        lastConnectError = message;
        logger.warn(
          { instance: options.instanceId, err: message },
          'cluster: cannot reach the database for leader election; retrying',
        );
      }
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      ticking = tick().finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  }
  schedule(0);

  return {
    isLeader: () => leader && !stopped,
    onChange(listener) {
      changes.on('change', listener);
      return () => changes.off('change', listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      await ticking;
      const current = client;
      client = null;
      if (leader) {
        leader = false;
        logger.info({ instance: options.instanceId }, 'cluster: gave up leadership (stopping)');
        changes.emit('change', false);
      }
      // The server releases the lock with the session: another collector leads on its next try.
      await current?.end().catch(() => {});
    },
  };
}
