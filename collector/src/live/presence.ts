// Which hosts are online: a host is offline once it has missed `offlineAfter` performance
// intervals. Kept in memory (one small entry per host, seeded from the store at start-up
// and updated by each report), so neither the check nor a subscription reads the database.
//
// A host's interval is the agent's default performance cadence (60 s), or the interval its
// last performance sample covered when that is longer (an agent set to report every 5
// minutes is not offline after 3): `vcio-agent once` covers only a second or two, which
// must not make the expected interval shorter.

export interface PresenceOptions {
  /** missed intervals before a host is offline */
  offlineAfter: number;
  /** the shortest expected interval between reports, in seconds */
  cadenceSeconds: number;
}

export interface HostPresence {
  tenantId: string;
  hostname: string;
  lastSeenMs: number;
  intervalMs: number;
  online: boolean;
}

export type PresenceChange =
  | { online: true; hostId: string; host: HostPresence }
  | { online: false; hostId: string; host: HostPresence; missedIntervals: number };

export class PresenceTracker {
  private readonly hosts = new Map<string, HostPresence>();

  constructor(private readonly options: PresenceOptions) {}

  private isFresh(lastSeenMs: number, intervalMs: number, nowMs: number): boolean {
    return nowMs - lastSeenMs <= this.options.offlineAfter * intervalMs;
  }

  /** A host known from the store at start-up: online when it reported recently, no event. */
  seed(
    hostId: string,
    tenantId: string,
    hostname: string,
    lastSeenMs: number,
    nowMs: number,
  ): void {
    if (this.hosts.has(hostId)) return; // a report since start-up is newer
    const intervalMs = this.options.cadenceSeconds * 1000;
    this.hosts.set(hostId, {
      tenantId,
      hostname,
      lastSeenMs,
      intervalMs,
      online: this.isFresh(lastSeenMs, intervalMs, nowMs),
    });
  }

  /** A report arrived: returns the change when the host was not online before. */
  reported(
    hostId: string,
    tenantId: string,
    hostname: string,
    seenMs: number,
    intervalSeconds: number | null,
  ): PresenceChange | null {
    const previous = this.hosts.get(hostId);
    const intervalMs = Math.max(this.options.cadenceSeconds, intervalSeconds ?? 0) * 1000;
    const host: HostPresence = {
      tenantId,
      hostname,
      lastSeenMs: Math.max(seenMs, previous?.lastSeenMs ?? 0),
      // a report without a performance sample keeps the interval learned before
      intervalMs: intervalSeconds === null && previous ? previous.intervalMs : intervalMs,
      online: true,
    };
    this.hosts.set(hostId, host);
    return previous?.online ? null : { online: true, hostId, host };
  }

  /** Hosts that have just gone offline. O(hosts); run every few seconds. */
  check(nowMs: number): PresenceChange[] {
    const changes: PresenceChange[] = [];
    for (const [hostId, host] of this.hosts) {
      if (host.online && !this.isFresh(host.lastSeenMs, host.intervalMs, nowMs)) {
        host.online = false;
        changes.push({
          online: false,
          hostId,
          host,
          missedIntervals: Math.floor((nowMs - host.lastSeenMs) / host.intervalMs),
        });
      }
    }
    return changes;
  }

  get(hostId: string): HostPresence | undefined {
    return this.hosts.get(hostId);
  }

  /** Ids of the online hosts a subscription covers (null tenant: every tenant). */
  online(filter: { tenantId: string | null; hostId?: string }): string[] {
    if (filter.hostId !== undefined) {
      return this.hosts.get(filter.hostId)?.online ? [filter.hostId] : [];
    }
    const ids: string[] = [];
    for (const [hostId, host] of this.hosts) {
      if (host.online && (filter.tenantId === null || host.tenantId === filter.tenantId)) {
        ids.push(hostId);
      }
    }
    return ids;
  }
}
