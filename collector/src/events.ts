// What happens in the collector, for whoever watches: the Prometheus metrics count it, the
// live feed forwards it to consoles. Routes emit; they do not know who listens.
//
// Listeners run synchronously inside the request that emitted (Node's EventEmitter): they
// must be cheap and must not throw. A listener that needs to do real work (a websocket
// send, a database read) queues it and returns.
import { EventEmitter } from 'node:events';
import type { SectionName } from '@vcio/shared';
import type { HostReportSummary } from './live/summary.js';
import type { CategoryScores, FindingRecord } from './store/types.js';

export interface ReportStoredEvent {
  tenantId: string;
  hostId: string;
  agentId: string;
  hostname: string;
  reportId: string;
  collectedAt: Date;
  receivedAt: Date;
  /** the sections stored from this report */
  sections: SectionName[];
  /** from receipt of the request to the commit, in seconds */
  ingestSeconds: number;
  /** what the live feed shows of the report (OS, pending updates, CPU and memory) */
  summary?: HostReportSummary;
}

export interface ReportRejectedEvent {
  /** the error code of the answer: invalid_request, payload_too_large, unauthorized... */
  reason: string;
  status: number;
}

/**
 * An agent's record changed (revoked, rotation started, completed or requested): whoever
 * caches agent records forgets this one.
 */
export interface AgentChangedEvent {
  agentId: string;
  tenantId: string;
  change: 'revoked' | 'rotation_started' | 'rotated' | 'rotation_requested';
}

export interface AgentEnrolledEvent {
  tenantId: string;
  agentId: string;
  hostname: string;
  machineId: string;
}

/** A host's or a tenant's scores changed (a host's first assessment counts as a change). */
export interface PostureChangedEvent {
  scope: 'host' | 'tenant';
  tenantId: string;
  /** for scope 'host' */
  hostId?: string;
  hostname?: string;
  score: number | null;
  previousScore: number | null;
  categories: CategoryScores;
  assessedAt: Date;
}

export interface FindingEvent {
  tenantId: string;
  hostId: string;
  finding: FindingRecord;
}

export interface CollectorEventMap {
  'report.stored': [ReportStoredEvent];
  'report.duplicate': [{ tenantId: string; agentId: string; reportId: string }];
  'report.rejected': [ReportRejectedEvent];
  'agent.enrolled': [AgentEnrolledEvent];
  'agent.changed': [AgentChangedEvent];
  'posture.changed': [PostureChangedEvent];
  'finding.opened': [FindingEvent];
  'finding.resolved': [FindingEvent];
  /**
   * The relay from other collectors was interrupted and is back: events of that gap were
   * missed here (the live feed re-reads who is online).
   */
  'cluster.resumed': [{ downMs: number }];
}

/** Events another collector on the same database relays (cluster/events-bridge.ts). */
export type ClusterEventName =
  | 'report.stored'
  | 'agent.enrolled'
  | 'agent.changed'
  | 'posture.changed'
  | 'finding.opened'
  | 'finding.resolved';

type ClusterListener<K extends ClusterEventName> = (...args: CollectorEventMap[K]) => void;

export class CollectorEvents extends EventEmitter<CollectorEventMap> {
  /**
   * Events relayed from other collectors. Kept apart from this instance's own: a plain
   * `on` hears only what happened here, so per-instance counters, posture assessment and
   * the relay itself never see another collector's event (nothing counted, computed or
   * relayed twice); whoever wants the whole cluster (the live feed, caches) uses onCluster.
   */
  private readonly remote = new EventEmitter();
  private readonly remotePayloads = new WeakSet<object>();

  constructor() {
    super();
    // Metrics, the live feed and tests subscribe; more than Node's default of 10 is normal.
    this.setMaxListeners(100);
    this.remote.setMaxListeners(100);
  }

  /** Listens to this collector's events and those relayed from other collectors. */
  onCluster<K extends ClusterEventName>(name: K, listener: ClusterListener<K>): this {
    this.on(name as never, listener as never);
    this.remote.on(name, listener as (...args: unknown[]) => void);
    return this;
  }

  offCluster<K extends ClusterEventName>(name: K, listener: ClusterListener<K>): this {
    this.off(name as never, listener as never);
    this.remote.off(name, listener as (...args: unknown[]) => void);
    return this;
  }

  /** An event another collector relayed: only onCluster listeners hear it. */
  emitRemote<K extends ClusterEventName>(name: K, ...args: CollectorEventMap[K]): void {
    this.remotePayloads.add(args[0]);
    this.remote.emit(name, ...args);
  }

  /** Whether a payload came from another collector (an onCluster listener may ask). */
  isRemote(payload: object): boolean {
    return this.remotePayloads.has(payload);
  }
}
