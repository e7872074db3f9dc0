// The live feed: turns what the collector's event bus reports (a report stored, an agent
// enrolled) and what the presence check finds (a host gone quiet) into live events, and
// keeps the timers: heartbeats, the offline check, and the resume window. Posture changes
// and findings opened or resolved come from the posture service's events.
import type { Logger } from 'pino';
import type {
  AgentEnrolledEvent,
  CollectorEvents,
  FindingEvent,
  PostureChangedEvent,
  ReportStoredEvent,
} from '../events.js';
import { findingView, round2 } from '../posture/views.js';
import { setLiveClientSource } from '../metrics/registry.js';
import type { Store } from '../store/types.js';
import { LiveHub } from './hub.js';
import { PresenceTracker, type PresenceChange } from './presence.js';

export interface LiveOptions {
  /** missed performance intervals before a host is reported offline (--offline-after) */
  offlineAfter: number;
  /** seconds between heartbeats (--heartbeat) */
  heartbeatSeconds: number;
  /** the shortest interval expected between a host's reports: the agent's default cadence */
  cadenceSeconds: number;
  /** how often hosts are checked for having gone offline */
  presenceCheckSeconds: number;
  /** events are sent in frames gathered over this long */
  batchMs: number;
  /** a client with more than this waiting in its send buffer is dropped */
  maxBufferedBytes: number;
  /** the resume window: the last events kept, by count and by age */
  resumeEvents: number;
  resumeSeconds: number;
  /** a connection must authenticate within this */
  authTimeoutSeconds: number;
}

export const LIVE_DEFAULTS: LiveOptions = {
  offlineAfter: 3,
  heartbeatSeconds: 20,
  cadenceSeconds: 60,
  presenceCheckSeconds: 5,
  batchMs: 10,
  maxBufferedBytes: 1024 * 1024,
  resumeEvents: 10_000,
  resumeSeconds: 60,
  authTimeoutSeconds: 10,
};

/** A connected client, as the feed's timers and shutdown see it. */
export interface ConnectionHandle {
  /** each heartbeat tick: ping, and cut a client that did not answer the last ping */
  heartbeat(): void;
  /** the collector is stopping */
  shutdown(): void;
}

const runningFeeds = new Set<LiveFeed>();

/** Connected websocket clients of this process: vcio_live_clients reads it on each scrape. */
export function liveClientCount(): number {
  let count = 0;
  for (const feed of runningFeeds) count += feed.connections.size;
  return count;
}

export class LiveFeed {
  readonly hub: LiveHub;
  readonly presence: PresenceTracker;
  readonly options: LiveOptions;
  readonly connections = new Set<ConnectionHandle>();
  private timers: NodeJS.Timeout[] = [];
  private readonly onStored = (e: ReportStoredEvent) => this.reportStored(e);
  private readonly onEnrolled = (e: AgentEnrolledEvent) => this.agentEnrolled(e);
  private readonly onPosture = (e: PostureChangedEvent) => this.postureChanged(e);
  private readonly onOpened = (e: FindingEvent) => this.finding('finding.opened', e);
  private readonly onResolved = (e: FindingEvent) => this.finding('finding.resolved', e);
  private readonly onResumed = () => void this.refreshPresence();

  constructor(
    private readonly events: CollectorEvents,
    private readonly store: Store,
    private readonly logger: Logger,
    options: Partial<LiveOptions> = {},
  ) {
    this.options = { ...LIVE_DEFAULTS, ...options };
    this.hub = new LiveHub({
      batchMs: this.options.batchMs,
      maxBufferedBytes: this.options.maxBufferedBytes,
      resumeEvents: this.options.resumeEvents,
      resumeSeconds: this.options.resumeSeconds,
      onDrop: (client) =>
        this.logger.warn(
          { tokenId: client.tokenId, maxBufferedBytes: this.options.maxBufferedBytes },
          'live: dropped a client that read too slowly',
        ),
    });
    this.presence = new PresenceTracker({
      offlineAfter: this.options.offlineAfter,
      cadenceSeconds: this.options.cadenceSeconds,
    });
  }

  /** Listens to the event bus, seeds presence from the store and starts the timers. */
  async start(): Promise<void> {
    runningFeeds.add(this);
    // vcio_live_clients counts on each scrape
    setLiveClientSource(liveClientCount);
    // onCluster: with several collectors on one database, the events of every collector
    // (cluster/events-bridge.ts), so presence, and so offline detection, covers the whole
    // fleet here; host.online/offline are not relayed, so each console hears them once.
    this.events.onCluster('report.stored', this.onStored);
    this.events.onCluster('agent.enrolled', this.onEnrolled);
    this.events.onCluster('posture.changed', this.onPosture);
    this.events.onCluster('finding.opened', this.onOpened);
    this.events.onCluster('finding.resolved', this.onResolved);
    this.events.on('cluster.resumed', this.onResumed);
    const every = (seconds: number, fn: () => void) => {
      const timer = setInterval(fn, seconds * 1000);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.heartbeatSeconds, () => this.heartbeat());
    every(this.options.presenceCheckSeconds, () => this.checkPresence());
    try {
      await this.seedPresence();
    } catch (error) {
      // Hosts then count as offline until they report: the feed works, presence lags.
      this.logger.warn({ err: error }, 'live: could not read hosts for the online check');
    }
  }

  stop(): void {
    runningFeeds.delete(this);
    this.events.offCluster('report.stored', this.onStored);
    this.events.offCluster('agent.enrolled', this.onEnrolled);
    this.events.offCluster('posture.changed', this.onPosture);
    this.events.offCluster('finding.opened', this.onOpened);
    this.events.offCluster('finding.resolved', this.onResolved);
    this.events.off('cluster.resumed', this.onResumed);
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.hub.stop();
  }

  private async seedPresence(): Promise<void> {
    const now = Date.now();
    const pageSize = 1000;
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.store.hosts.listHosts({ limit: pageSize, offset });
      for (const h of page.hosts) {
        this.presence.seed(h.id, h.tenantId, h.hostname, h.lastSeen.getTime(), now);
      }
      if (page.hosts.length < pageSize) return;
    }
  }

  /**
   * After other collectors' events were missed (the relay reconnected): hosts that
   * reported meanwhile are brought up to date from the store (back online if they were
   * marked offline), so the gap does not leave them offline here.
   */
  private async refreshPresence(): Promise<void> {
    try {
      const now = Date.now();
      const pageSize = 1000;
      for (let offset = 0; ; offset += pageSize) {
        const page = await this.store.hosts.listHosts({ limit: pageSize, offset });
        for (const h of page.hosts) {
          const known = this.presence.get(h.id);
          const seenMs = h.lastSeen.getTime();
          if (!known) this.presence.seed(h.id, h.tenantId, h.hostname, seenMs, now);
          // a host seen since, and recently enough to be online now (no flapping back)
          else if (
            seenMs > known.lastSeenMs &&
            now - seenMs <= this.options.offlineAfter * known.intervalMs
          ) {
            const change = this.presence.reported(h.id, h.tenantId, h.hostname, seenMs, null);
            if (change) this.publishPresence(change);
          }
        }
        if (page.hosts.length < pageSize) return;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'live: could not re-read hosts after missed events');
    }
  }

  private reportStored(e: ReportStoredEvent): void {
    try {
      const change = this.presence.reported(
        e.hostId,
        e.tenantId,
        e.hostname,
        e.receivedAt.getTime(),
        e.summary?.performance?.intervalSeconds ?? null,
      );
      if (change) this.publishPresence(change);
      this.hub.publish('host.reported', e.tenantId, e.hostId, {
        hostId: e.hostId,
        hostname: e.hostname,
        agentId: e.agentId,
        reportId: e.reportId,
        collectedAt: e.collectedAt.toISOString(),
        lastSeen: e.receivedAt.toISOString(),
        sections: e.sections,
        os: e.summary?.os ?? null,
        patches: e.summary?.patches ?? null,
        performance: e.summary?.performance ?? null,
      });
    } catch (error) {
      // A listener must never fail the request that emitted.
      this.logger.error({ err: error }, 'live: could not publish a report event');
    }
  }

  private agentEnrolled(e: AgentEnrolledEvent): void {
    this.hub.publish('agent.enrolled', e.tenantId, undefined, {
      agentId: e.agentId,
      hostname: e.hostname,
      machineId: e.machineId,
    });
  }

  private postureChanged(e: PostureChangedEvent): void {
    this.hub.publish('posture.changed', e.tenantId, e.hostId, {
      scope: e.scope,
      ...(e.hostId ? { hostId: e.hostId, hostname: e.hostname } : {}),
      // rounded as the REST views round them
      score: round2(e.score),
      previousScore: round2(e.previousScore),
      categories: Object.fromEntries(
        Object.entries(e.categories).map(([category, score]) => [category, round2(score)]),
      ),
      assessedAt: e.assessedAt.toISOString(),
    });
  }

  private finding(type: 'finding.opened' | 'finding.resolved', e: FindingEvent): void {
    this.hub.publish(type, e.tenantId, e.hostId, findingView(e.finding));
  }

  private publishPresence(change: PresenceChange): void {
    const { host } = change;
    this.hub.publish(change.online ? 'host.online' : 'host.offline', host.tenantId, change.hostId, {
      hostId: change.hostId,
      hostname: host.hostname,
      lastSeen: new Date(host.lastSeenMs).toISOString(),
      ...(change.online ? {} : { missedIntervals: change.missedIntervals }),
    });
  }

  checkPresence(): void {
    for (const change of this.presence.check(Date.now())) this.publishPresence(change);
  }

  heartbeat(): void {
    for (const connection of this.connections) connection.heartbeat();
    this.hub.broadcast({
      type: 'heartbeat',
      at: new Date().toISOString(),
      lastId: this.hub.lastId,
    });
  }
}
