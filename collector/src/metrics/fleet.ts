// The fleet part of /metrics: per tenant and per host, rendered from a snapshot of the
// database (see fleet-sqlite.ts) straight into exposition text.
//
// Names and labels (DESIGN.md: vcio_ prefix, base units, bounded labels):
//   per tenant  {tenant}            hosts known and online, pending updates by severity,
//                                   security updates pending, hosts waiting for a reboot
//   per host    {tenant,host,hostname}  up, last report time, CPU / memory / fullest-disk
//                                   used ratios, pending and security updates, reboot
//                                   required, and vcio_host_os_info{platform,distro,release}
//   posture     per tenant: score, per-category scores, open findings by severity, hosts by
//               OS lifecycle status, hardware past replacement age and due per quarter
//               ahead; per host: score
// `host` is the host's id (stable across renames); `hostname` is for people to read.
import { CATEGORIES, type Category } from '@vcio/shared';
import { Family, labelText } from './exposition.js';

/** The severities a pending update can have; `unknown` when its source does not say. */
export const SEVERITIES = ['critical', 'important', 'moderate', 'low', 'unspecified', 'unknown'];

export interface FleetHost {
  id: string;
  hostname: string;
  tenant: string;
  os: { platform: string; distro: string | null; release: string | null } | null;
  /** when the collector last received a report from the host (its own clock), ms */
  lastSeenMs: number;
  /** from the latest performance sample; null when unknown */
  cpuUtilisation: number | null;
  memoryUsedRatio: number | null;
  /** the fullest filesystem's used share */
  diskUsedRatio: number | null;
  /** null: no patches section yet */
  patches: {
    pending: number;
    security: number;
    /** pending updates by severity (keys from SEVERITIES) */
    bySeverity: Map<string, number>;
    rebootRequired: boolean | null;
  } | null;
  /** null: not assessed yet */
  posture: FleetHostPosture | null;
}

export const LIFECYCLE_STATUSES = ['supported', 'ending_soon', 'end_of_life', 'unknown'];

/** Quarters ahead in the replacement forecast, the current one first (Q+0). */
export const FORECAST_QUARTERS = 8;

export interface FleetHostPosture {
  score: number | null;
  /** the OS lifecycle state (LIFECYCLE_STATUSES) */
  osStatus: string;
  /** virtual machines have no hardware of their own to replace */
  virtual: boolean;
  /** when the hardware reaches its replacement age, ms; null when its age is unknown */
  replacementDueMs: number | null;
}

export interface FleetTenantPosture {
  score: number | null;
  categories: Partial<Record<Category, number | null>>;
  /** open findings by severity */
  findings: Map<string, number>;
}

export interface FleetSnapshot {
  /** every tenant's slug, also those without hosts (they export zeros) */
  tenants: string[];
  /** ordered by tenant and hostname: the per-host cap keeps the first ones */
  hosts: FleetHost[];
  /** when the snapshot was read, ms */
  readAtMs: number;
  /** by tenant slug: the latest tenant scores and open findings */
  tenantPosture: Map<string, FleetTenantPosture>;
}

export interface FleetRenderOptions {
  perHostLimit: number;
  onlineSeconds: number;
}

export interface RenderedFleet {
  text: string;
  /** hosts given per-host series, and hosts left out by the cap */
  perHostExported: number;
  perHostOmitted: number;
}

interface TenantTotals {
  hosts: number;
  online: number;
  reboot: number;
  security: number;
  bySeverity: Map<string, number>;
  /** hosts by OS lifecycle status */
  lifecycle: Map<string, number>;
  /** hardware past replacement age */
  overdue: number;
  /** hardware reaching replacement age per quarter ahead */
  dueByQuarter: number[];
}

const newTotals = (): TenantTotals => ({
  hosts: 0,
  online: 0,
  reboot: 0,
  security: 0,
  bySeverity: new Map(),
  lifecycle: new Map(),
  overdue: 0,
  dueByQuarter: new Array<number>(FORECAST_QUARTERS).fill(0),
});

const quarterIndex = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);
};

/** Counts the host's OS status and where its hardware falls in the forecast. */
function addLifecycle(t: TenantTotals, posture: FleetHostPosture, nowMs: number): void {
  t.lifecycle.set(posture.osStatus, (t.lifecycle.get(posture.osStatus) ?? 0) + 1);
  if (posture.virtual || posture.replacementDueMs === null) return;
  if (posture.replacementDueMs <= nowMs) {
    t.overdue++;
    return;
  }
  const ahead = quarterIndex(posture.replacementDueMs) - quarterIndex(nowMs);
  if (ahead < FORECAST_QUARTERS) t.dueByQuarter[ahead]!++;
}

const ratio = (value: number | null) => value !== null && Number.isFinite(value);

export function renderFleet(snapshot: FleetSnapshot, options: FleetRenderOptions): RenderedFleet {
  const onlineAfterMs = snapshot.readAtMs - options.onlineSeconds * 1000;
  const totals = new Map<string, TenantTotals>();
  for (const tenant of snapshot.tenants) totals.set(tenant, newTotals());

  const up = new Family(
    'vcio_host_up',
    'gauge',
    'Whether the host reported recently (1) or not (0); see --metrics-online-seconds.',
  );
  const lastSeen = new Family(
    'vcio_host_last_report_timestamp_seconds',
    'gauge',
    'When the collector last received a report from the host (Unix time); time() minus it is the seconds since.',
  );
  const cpu = new Family(
    'vcio_host_cpu_utilisation_ratio',
    'gauge',
    'Share of all CPU cores busy, from the latest performance sample.',
  );
  const memory = new Family(
    'vcio_host_memory_used_ratio',
    'gauge',
    'Memory used (total minus available) over total, from the latest performance sample.',
  );
  const disk = new Family(
    'vcio_host_disk_used_ratio',
    'gauge',
    "The fullest filesystem's used share, from the latest performance sample.",
  );
  const pending = new Family(
    'vcio_host_pending_updates',
    'gauge',
    'Pending updates the host reported, over the sources that could answer.',
  );
  const security = new Family(
    'vcio_host_pending_security_updates',
    'gauge',
    'Pending updates its sources mark as security updates.',
  );
  const reboot = new Family(
    'vcio_host_reboot_required',
    'gauge',
    'Whether the host waits for a reboot (absent when it cannot tell).',
  );
  const hostScore = new Family(
    'vcio_host_posture_score',
    'gauge',
    'The host posture score, 0-100 (absent until the host is assessed or when no check applies).',
  );
  const osInfo = new Family(
    'vcio_host_os_info',
    'gauge',
    "The host's operating system, as labels; the value is always 1.",
  );

  const limit = options.perHostLimit;
  let exported = 0;
  for (const host of snapshot.hosts) {
    let tenant = totals.get(host.tenant);
    if (!tenant) {
      tenant = newTotals();
      totals.set(host.tenant, tenant);
    }
    if (host.posture) addLifecycle(tenant, host.posture, snapshot.readAtMs);
    const isUp = host.lastSeenMs >= onlineAfterMs;
    tenant.hosts++;
    if (isUp) tenant.online++;
    const p = host.patches;
    if (p) {
      if (p.rebootRequired === true) tenant.reboot++;
      tenant.security += p.security;
      for (const [severity, n] of p.bySeverity) {
        tenant.bySeverity.set(severity, (tenant.bySeverity.get(severity) ?? 0) + n);
      }
    }
    if (exported >= limit) continue;
    exported++;
    const labels = labelText([
      ['tenant', host.tenant],
      ['host', host.id],
      ['hostname', host.hostname],
    ]);
    up.add(labels, isUp ? 1 : 0);
    lastSeen.add(labels, host.lastSeenMs / 1000);
    if (ratio(host.cpuUtilisation)) cpu.add(labels, host.cpuUtilisation!);
    if (ratio(host.memoryUsedRatio)) memory.add(labels, host.memoryUsedRatio!);
    if (ratio(host.diskUsedRatio)) disk.add(labels, host.diskUsedRatio!);
    if (p) {
      pending.add(labels, p.pending);
      security.add(labels, p.security);
      if (p.rebootRequired !== null) reboot.add(labels, p.rebootRequired ? 1 : 0);
    }
    const score = host.posture?.score;
    if (typeof score === 'number') hostScore.add(labels, score);
    if (host.os) {
      osInfo.add(
        labelText([
          ['tenant', host.tenant],
          ['host', host.id],
          ['hostname', host.hostname],
          ['platform', host.os.platform],
          ['distro', host.os.distro ?? ''],
          ['release', host.os.release ?? ''],
        ]),
        1,
      );
    }
  }

  const hosts = new Family('vcio_tenant_hosts', 'gauge', 'Hosts known in the tenant.');
  const online = new Family(
    'vcio_tenant_hosts_online',
    'gauge',
    'Hosts of the tenant that reported recently.',
  );
  const tenantPending = new Family(
    'vcio_tenant_pending_updates',
    'gauge',
    "Pending updates over the tenant's hosts, by severity as the sources state it (unknown: not stated).",
  );
  const tenantSecurity = new Family(
    'vcio_tenant_pending_security_updates',
    'gauge',
    "Pending security updates over the tenant's hosts.",
  );
  const tenantReboot = new Family(
    'vcio_tenant_hosts_reboot_required',
    'gauge',
    'Hosts of the tenant waiting for a reboot.',
  );
  const tenantScore = new Family(
    'vcio_tenant_posture_score',
    'gauge',
    "The tenant posture score, 0-100: the mean of its hosts' scores, servers weighted more.",
  );
  const categoryScore = new Family(
    'vcio_tenant_posture_category_score',
    'gauge',
    'The tenant posture score of one category, 0-100.',
  );
  const findings = new Family(
    'vcio_tenant_findings',
    'gauge',
    'Open findings (failing or partly failing checks, not accepted) over the tenant, by severity.',
  );
  const lifecycle = new Family(
    'vcio_tenant_hosts_lifecycle',
    'gauge',
    'Hosts of the tenant by operating system lifecycle status (supported, ending_soon, end_of_life, unknown).',
  );
  const pastReplacement = new Family(
    'vcio_tenant_hosts_hardware_past_replacement',
    'gauge',
    "Physical hosts past the tenant's hardware replacement age.",
  );
  const dueReplacement = new Family(
    'vcio_tenant_hosts_hardware_replacement_due',
    'gauge',
    'Physical hosts reaching replacement age in the quarter ahead (Q+0: the current quarter).',
  );
  for (const [slug, t] of totals) {
    const labels = labelText([['tenant', slug]]);
    const posture = snapshot.tenantPosture.get(slug);
    if (typeof posture?.score === 'number') tenantScore.add(labels, posture.score);
    for (const category of CATEGORIES) {
      const value = posture?.categories[category];
      if (typeof value === 'number') {
        categoryScore.add(
          labelText([
            ['tenant', slug],
            ['category', category],
          ]),
          value,
        );
      }
    }
    for (const severity of ['critical', 'high', 'medium', 'low']) {
      findings.add(
        labelText([
          ['tenant', slug],
          ['severity', severity],
        ]),
        posture?.findings.get(severity) ?? 0,
      );
    }
    for (const status of LIFECYCLE_STATUSES) {
      lifecycle.add(
        labelText([
          ['tenant', slug],
          ['status', status],
        ]),
        t.lifecycle.get(status) ?? 0,
      );
    }
    pastReplacement.add(labels, t.overdue);
    t.dueByQuarter.forEach((n, i) =>
      dueReplacement.add(
        labelText([
          ['tenant', slug],
          ['quarter', `Q+${i}`],
        ]),
        n,
      ),
    );
    hosts.add(labels, t.hosts);
    online.add(labels, t.online);
    tenantSecurity.add(labels, t.security);
    tenantReboot.add(labels, t.reboot);
    for (const severity of SEVERITIES) {
      tenantPending.add(
        labelText([
          ['tenant', slug],
          ['severity', severity],
        ]),
        t.bySeverity.get(severity) ?? 0,
      );
    }
  }

  const text = [
    hosts,
    online,
    tenantPending,
    tenantSecurity,
    tenantReboot,
    tenantScore,
    categoryScore,
    findings,
    lifecycle,
    pastReplacement,
    dueReplacement,
    up,
    lastSeen,
    cpu,
    memory,
    disk,
    pending,
    security,
    reboot,
    hostScore,
    osInfo,
  ]
    .map((f) => f.render())
    .join('');
  return {
    text,
    perHostExported: exported,
    perHostOmitted: snapshot.hosts.length - exported,
  };
}
