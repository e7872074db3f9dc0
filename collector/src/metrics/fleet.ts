// The fleet part of /metrics: per tenant and per host, rendered from a snapshot of the
// database (see fleet-sqlite.ts) straight into exposition text.
//
// Names and labels (DESIGN.md: vcio_ prefix, base units, bounded labels):
//   per tenant  {tenant}            hosts known and online, pending updates by severity,
//                                   security updates pending, hosts waiting for a reboot
//   per host    {tenant,host,hostname}  up, last report time, CPU / memory / fullest-disk
//                                   used ratios, pending and security updates, reboot
//                                   required, and vcio_host_os_info{platform,distro,release}
// `host` is the host's id (stable across renames); `hostname` is for people to read.
//
// Extension point: posture scores, findings and lifecycle states (the posture issue) add
// fields to FleetHost / FleetTenant and families below; the dashboards' queries follow.
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
}

export interface FleetSnapshot {
  /** every tenant's slug, also those without hosts (they export zeros) */
  tenants: string[];
  /** ordered by tenant and hostname: the per-host cap keeps the first ones */
  hosts: FleetHost[];
  /** when the snapshot was read, ms */
  readAtMs: number;
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
}

const ratio = (value: number | null) => value !== null && Number.isFinite(value);

export function renderFleet(snapshot: FleetSnapshot, options: FleetRenderOptions): RenderedFleet {
  const onlineAfterMs = snapshot.readAtMs - options.onlineSeconds * 1000;
  const totals = new Map<string, TenantTotals>();
  for (const tenant of snapshot.tenants) {
    totals.set(tenant, { hosts: 0, online: 0, reboot: 0, security: 0, bySeverity: new Map() });
  }

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
      tenant = { hosts: 0, online: 0, reboot: 0, security: 0, bySeverity: new Map() };
      totals.set(host.tenant, tenant);
    }
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
  for (const [slug, t] of totals) {
    const labels = labelText([['tenant', slug]]);
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
    up,
    lastSeen,
    cpu,
    memory,
    disk,
    pending,
    security,
    reboot,
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
