// Keeping posture current: hosts are re-assessed after their reports are stored, never
// inside the request that stored them, so ingest does not wait for scoring.
//
// - A report with a state section (system, patches, software, security, outbox) queues its
//   host at once; a performance-only report (every minute from every agent) queues it no
//   sooner than 30 minutes after its last assessment. Only the disk-space check reads
//   performance, and re-assessing every host every minute would cost ~5 ms of CPU per host
//   per minute (`pnpm bench posture`: 80-90% of a core at 10,000 hosts); at 30 minutes it
//   is ~3%, and the live metrics show disk use as it happens anyway.
// - An assessment that fails (the database busy, say) is retried RETRY_MS later, so a
//   host's posture is never left stale until its next report.
// - The queue drains on a short timer, one host per event-loop turn, so requests keep
//   being served while a large tenant is re-scored.
// - A sweep re-assesses hosts not assessed for STALE_AFTER (time alone changes answers:
//   an agent gone quiet, an OS reaching end of life, an acceptance expiring), and records a
//   tenant point at least daily.
import type { EndOfLifeData, LifecycleResult, SectionName } from '@vcio/shared';
import { loadEndOfLife, tenantCategoryScores, tenantScore } from '@vcio/shared';
import type { Leadership } from '../cluster/leadership.js';
import type { CollectorEvents } from '../events.js';
import type { HostPostureRecord, Store } from '../store/types.js';
import { assessStoredHost, loadTenantContext, postureWrite, type TenantContext } from './assess.js';

export interface PostureLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** The endoflife.date data in use; it can be refreshed while the collector runs. */
export interface LifecycleProvider {
  current(): EndOfLifeData;
  /** where the data came from, for the API (origin, source date...) */
  describe(): object;
}

/** The snapshot built into vcio. */
export const embeddedLifecycle: LifecycleProvider = {
  current: () => loadEndOfLife(),
  describe: () => {
    const data = loadEndOfLife();
    return {
      origin: 'embedded',
      source: data.source,
      sourceDate: data.sourceDate,
      sourceCommit: data.sourceCommit,
    };
  },
};

export interface PostureServiceOptions {
  store: Store;
  events: CollectorEvents;
  logger: PostureLogger;
  /** the endoflife.date data to judge by; the embedded snapshot when absent */
  lifecycle?: LifecycleProvider;
  now?: () => Date;
  /** performance-only reports re-assess a host at most this often (ms) */
  minIntervalMs?: number;
  /** the queue drains this long after the first host joins it (ms) */
  debounceMs?: number;
  /** how often the sweep runs (ms) */
  sweepEveryMs?: number;
  /** hosts not assessed for this long are re-assessed by the sweep (ms) */
  staleAfterMs?: number;
  /**
   * With several collectors on one database the sweep (stale hosts, expired acceptances,
   * daily tenant points) runs on the leader only; a report's re-assessment stays on the
   * collector that received it. Absent: always the leader (one collector).
   */
  leadership?: Pick<Leadership, 'isLeader' | 'onChange'>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const POSTURE_DEFAULTS = {
  minIntervalMs: 30 * MINUTE,
  debounceMs: 200,
  sweepEveryMs: MINUTE,
  staleAfterMs: HOUR,
};

const utcDay = (d: Date): number => Math.floor(d.getTime() / 86_400_000);

/** A failed assessment is tried again this much later. */
const RETRY_MS = 30_000;

/** Hosts the sweep queues per run: a large fleet catches up over a few minutes. */
const SWEEP_BATCH = 2_000;

const STATE_SECTIONS: ReadonlySet<SectionName> = new Set([
  'system',
  'patches',
  'software',
  'security',
  'outbox',
]);

export class PostureService {
  private readonly store: Store;
  private readonly events: CollectorEvents;
  private readonly logger: PostureLogger;
  private readonly lifecycle: LifecycleProvider;
  private readonly now: () => Date;
  private readonly options: typeof POSTURE_DEFAULTS;
  /** host id -> when it is due (ms) */
  private readonly queue = new Map<string, number>();
  /** host id -> when it was last assessed (ms); decides when a performance report is due */
  private readonly lastAssessed = new Map<string, number>();
  private readonly dirtyTenants = new Set<string>();
  /**
   * host id -> its key software's lifecycle, by the software list's hash, the lifecycle
   * data and the UTC day it was judged on: reading a host without its list is about four
   * times cheaper (`pnpm bench posture`), and the list rarely changes between assessments
   */
  private readonly softwareCache = new Map<string, { key: string; results: LifecycleResult[] }>();
  private timer: NodeJS.Timeout | null = null;
  /** when the timer fires (Date.now() time, as setTimeout counts) */
  private timerAt = 0;
  private sweepTimer: NodeJS.Timeout | null = null;
  private unwatchLeadership: (() => void) | null = null;
  private draining: Promise<void> | null = null;
  private lastSweepAt: number;
  private lastTenantPointDay = -1;
  /** tenant id -> its last recorded score, for the change event */
  private readonly tenantScores = new Map<string, number | null>();
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly onStored: (event: { hostId: string; sections: SectionName[] }) => void;
  private readonly leadership: Pick<Leadership, 'isLeader' | 'onChange'> | undefined;

  constructor(options: PostureServiceOptions) {
    this.store = options.store;
    this.events = options.events;
    this.logger = options.logger;
    this.lifecycle = options.lifecycle ?? embeddedLifecycle;
    this.now = options.now ?? (() => new Date());
    this.options = {
      minIntervalMs: options.minIntervalMs ?? POSTURE_DEFAULTS.minIntervalMs,
      debounceMs: options.debounceMs ?? POSTURE_DEFAULTS.debounceMs,
      sweepEveryMs: options.sweepEveryMs ?? POSTURE_DEFAULTS.sweepEveryMs,
      staleAfterMs: options.staleAfterMs ?? POSTURE_DEFAULTS.staleAfterMs,
    };
    this.leadership = options.leadership;
    this.lastSweepAt = this.now().getTime();
    this.onStored = (event) =>
      this.queueHost(
        event.hostId,
        event.sections.some((s) => STATE_SECTIONS.has(s)),
      );
    this.events.on('report.stored', this.onStored);
  }

  /** Starts the sweep; the first one runs at once (catching up after a restart). */
  start(): void {
    const sweep = () => {
      if (this.leadership && !this.leadership.isLeader()) return;
      this.sweep().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'posture: sweep failed; will retry'),
      );
    };
    this.sweepTimer = setInterval(sweep, this.options.sweepEveryMs);
    this.sweepTimer.unref();
    // On PostgreSQL the leader lock is won after start (the sweep above is skipped as a
    // follower) or on failover: catch up then, not up to a minute later.
    this.unwatchLeadership =
      this.leadership?.onChange((leader) => {
        if (leader && !this.stopped) sweep();
      }) ?? null;
    sweep();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.events.off('report.stored', this.onStored);
    if (this.timer) clearTimeout(this.timer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.unwatchLeadership?.();
    await this.draining;
  }

  /** urgent: due now; otherwise due MIN_INTERVAL after the host's last assessment. */
  queueHost(hostId: string, urgent = true): void {
    if (this.stopped) return;
    const now = this.now().getTime();
    const last = this.lastAssessed.get(hostId);
    const due =
      urgent || last === undefined ? now : Math.max(now, last + this.options.minIntervalMs);
    this.queue.set(hostId, Math.min(this.queue.get(hostId) ?? Infinity, due));
    this.schedule();
  }

  /** Every host of the tenant, at once (settings or acceptances changed). */
  async queueTenant(tenantId: string): Promise<void> {
    const pageSize = 1_000;
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.store.hosts.listHosts({ tenantId, limit: pageSize, offset });
      for (const host of page.hosts) this.queueHost(host.id);
      if (offset + pageSize >= page.total) break;
    }
    this.dirtyTenants.add(tenantId);
    this.schedule();
  }

  /** Where the lifecycle data in use came from. */
  lifecycleSource(): object {
    return this.lifecycle.describe();
  }

  /** The host's stored assessment; a host never assessed is assessed now. */
  async ensureAssessed(hostId: string): Promise<HostPostureRecord | null> {
    const stored = await this.store.posture.getHostPosture(hostId);
    if (stored) return stored;
    const tenantId = await this.assess(hostId, new Map());
    if (tenantId) {
      this.dirtyTenants.add(tenantId);
      this.schedule();
    }
    return this.store.posture.getHostPosture(hostId);
  }

  private hasDueWork(): boolean {
    const now = this.now().getTime();
    return this.dirtyTenants.size > 0 || [...this.queue.values()].some((at) => at <= now);
  }

  /**
   * Resolves when nothing is due or running (tests, and an orderly shutdown); hosts queued
   * for later by a performance-only report do not count.
   */
  idle(): Promise<void> {
    if (!this.hasDueWork() && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drains after delayMs, unless a drain is due sooner already (or running: it reschedules). */
  private schedule(delayMs = this.options.debounceMs): void {
    if (this.stopped || this.draining) return;
    const at = Date.now() + delayMs;
    if (this.timer) {
      // a host due now must not wait for a timer set for one due in half an hour
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draining = this.drain()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'posture: drain failed'))
        .finally(() => {
          this.draining = null;
          this.afterDrain();
        });
    }, delayMs);
    this.timer.unref();
  }

  private afterDrain(): void {
    if (this.queue.size > 0 || this.dirtyTenants.size > 0) {
      let next = this.dirtyTenants.size > 0 ? 0 : Infinity;
      // a loop, not Math.min(...): a queue of every host of a large fleet is too many arguments
      for (const at of this.queue.values()) if (at < next) next = at;
      this.schedule(Math.max(this.options.debounceMs, next - this.now().getTime()));
    }
    if (!this.hasDueWork()) this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async drain(): Promise<void> {
    const now = this.now();
    const due = [...this.queue].filter(([, at]) => at <= now.getTime()).map(([id]) => id);
    const tenants = new Map<string, TenantContext>();
    for (const hostId of due) {
      if (this.stopped) return;
      this.queue.delete(hostId);
      try {
        const tenantId = await this.assess(hostId, tenants);
        if (tenantId) this.dirtyTenants.add(tenantId);
      } catch (error) {
        this.logger.warn({ err: error, hostId }, 'posture: assessment failed; retrying in 30 s');
        const retryAt = this.now().getTime() + RETRY_MS;
        this.queue.set(hostId, Math.min(this.queue.get(hostId) ?? Infinity, retryAt));
      }
      // one host per turn: requests waiting behind a long batch get served in between
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const tenantId of [...this.dirtyTenants]) {
      this.dirtyTenants.delete(tenantId);
      await this.recordTenant(tenantId, tenants.get(tenantId));
    }
  }

  /** Assesses and records one host; returns its tenant id, or null when it is gone. */
  private async assess(
    hostId: string,
    tenants: Map<string, TenantContext>,
  ): Promise<string | null> {
    const now = this.now();
    const data = this.lifecycle.current();
    let host = await this.store.hosts.getHost(hostId, { softwareItems: false });
    if (!host) return null;
    const hash = (host.sections.software?.data as { hash?: string } | undefined)?.hash;
    const cacheKey = `${hash}|${data.sourceDate}|${data.sourceCommit}|${utcDay(now)}`;
    const cached = this.softwareCache.get(hostId);
    const softwareLifecycle = hash && cached?.key === cacheKey ? cached.results : undefined;
    if (hash && !softwareLifecycle) {
      host = await this.store.hosts.getHost(hostId);
      if (!host) return null;
    }
    let tenant = tenants.get(host.tenantId);
    if (!tenant) {
      tenant = await loadTenantContext(this.store, host.tenantId, now);
      tenants.set(host.tenantId, tenant);
    }
    const assessment = await assessStoredHost(
      this.store,
      host,
      tenant,
      now,
      data,
      softwareLifecycle,
    );
    if (hash) this.softwareCache.set(hostId, { key: cacheKey, results: assessment.software });
    const outcome = await this.store.posture.recordHostPosture(postureWrite(host, assessment, now));
    this.lastAssessed.set(hostId, now.getTime());
    if (outcome.changed) {
      this.events.emit('posture.changed', {
        scope: 'host',
        tenantId: host.tenantId,
        hostId,
        hostname: host.hostname,
        score: assessment.posture.score,
        previousScore: outcome.previousScore,
        categories: assessment.posture.categories,
        assessedAt: now,
      });
    }
    for (const finding of outcome.opened)
      this.events.emit('finding.opened', { tenantId: host.tenantId, hostId, finding });
    for (const finding of outcome.resolved)
      this.events.emit('finding.resolved', { tenantId: host.tenantId, hostId, finding });
    return host.tenantId;
  }

  /** The tenant score: hosts' scores, servers weighted by the tenant's setting. */
  private async recordTenant(tenantId: string, context?: TenantContext): Promise<void> {
    const now = this.now();
    const settings = (context ?? (await loadTenantContext(this.store, tenantId, now))).settings;
    const hosts = await this.store.posture.tenantScoreInputs(tenantId);
    const score = tenantScore(hosts, settings.serverWeight);
    const categories = tenantCategoryScores(hosts, settings.serverWeight);
    const previous =
      this.tenantScores.get(tenantId) ??
      (
        await this.store.posture.history(
          'tenant',
          tenantId,
          new Date(now.getTime() - 400 * 86_400_000),
        )
      ).at(-1)?.score ??
      null;
    this.tenantScores.set(tenantId, score);
    const changed = await this.store.posture.recordTenantPosture(tenantId, {
      at: now,
      score,
      categories,
    });
    if (changed) {
      this.events.emit('posture.changed', {
        scope: 'tenant',
        tenantId,
        score,
        previousScore: previous,
        categories,
        assessedAt: now,
      });
    }
  }

  /** Stale hosts, expired acceptances, and a tenant point for each tenant every day. */
  async sweep(): Promise<void> {
    const now = this.now();
    const since = this.lastSweepAt;
    this.lastSweepAt = now.getTime();
    for (const hostId of await this.store.posture.staleHosts(
      new Date(now.getTime() - this.options.staleAfterMs),
      SWEEP_BATCH,
    )) {
      this.queueHost(hostId);
    }
    const tenants = await this.store.tenants.listTenants();
    const day = Math.floor(now.getTime() / 86_400_000);
    for (const tenant of tenants) {
      const expired = (await this.store.posture.listAcceptances(tenant.id)).filter(
        (a) =>
          a.revokedAt === null &&
          a.expiresAt.getTime() > since &&
          a.expiresAt.getTime() <= now.getTime(),
      );
      for (const acceptance of expired) {
        if (acceptance.hostId) this.queueHost(acceptance.hostId);
        else await this.queueTenant(tenant.id);
      }
      if (day !== this.lastTenantPointDay) this.dirtyTenants.add(tenant.id);
    }
    this.lastTenantPointDay = day;
    if (this.dirtyTenants.size > 0) this.schedule();
  }
}
