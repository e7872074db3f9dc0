// Host rows as both stores read them (the same SELECT columns), and the records built from
// them: the summary in lists, and one host's detail from its sections, software and latest
// performance sample.
import type { LifecycleState, SectionName } from '@vcio/shared';
import type { HostDetail, HostSummary, PerformanceSampleRow } from '../types.js';
import { fromMillis, type JsonReader } from './columns.js';

/** hosts h.*, with the tenant, site and posture columns each store's HOST_COLUMNS adds. */
export interface HostRow {
  key: number;
  id: string;
  tenant_id: string;
  tenant_slug: string;
  machine_id: string;
  hostname: string;
  agent_id: string;
  agent_version: string;
  os_platform: string | null;
  os_distro: string | null;
  os_release: string | null;
  first_seen: number;
  last_seen: number;
  last_report_at: number;
  site_id: string | null;
  site_slug: string | null;
  site_name: string | null;
  posture_score: number | null;
  posture_assessed_at: number | null;
  os_state: LifecycleState | null;
  os_label: string | null;
  os_eol: string | null;
}

export interface SampleRow {
  collected_at: number;
  cpu_utilisation: number | null;
  load1: number | null;
  memory_total_bytes: number;
  memory_used_bytes: number;
  memory_available_bytes: number;
  swap_used_bytes: number | null;
  process_count: number | null;
  /** JSON */
  detail: unknown;
}

export interface SectionRow {
  section: string;
  collected_at: number;
  /** JSON */
  data: unknown;
}

export interface SoftwareStateRow {
  hash: string;
  count: number;
  /** JSON */
  sources: unknown;
  updated_at: number;
}

export interface SoftwareItemRow {
  name: string;
  version: string | null;
  publisher: string | null;
  installed_at: string | null;
  arch: string | null;
  source: string;
}

/** What getHost reads: the host, its sections, its software state and list, its latest sample. */
export interface HostDetailRows {
  host: HostRow;
  sections: SectionRow[];
  software: SoftwareStateRow | undefined;
  /** null: the list was not asked for */
  items: SoftwareItemRow[] | null;
  latest: SampleRow | undefined;
}

export const toHostSummary = (r: HostRow): HostSummary => ({
  id: r.id,
  tenantId: r.tenant_id,
  tenantSlug: r.tenant_slug,
  machineId: r.machine_id,
  hostname: r.hostname,
  agentId: r.agent_id,
  agentVersion: r.agent_version,
  os: { platform: r.os_platform, distro: r.os_distro, release: r.os_release },
  firstSeen: fromMillis(r.first_seen),
  lastSeen: fromMillis(r.last_seen),
  lastReportAt: fromMillis(r.last_report_at),
  site: r.site_id === null ? null : { id: r.site_id, slug: r.site_slug!, name: r.site_name! },
  posture:
    r.posture_assessed_at === null
      ? null
      : {
          score: r.posture_score,
          assessedAt: fromMillis(r.posture_assessed_at),
          os: r.os_state ? { state: r.os_state, label: r.os_label, eol: r.os_eol } : null,
        },
});

/** The mappers that read JSON columns, for a store's JSON reader. */
export function hostRecords(json: JsonReader) {
  const toSample = (r: SampleRow): PerformanceSampleRow => ({
    collectedAt: fromMillis(r.collected_at),
    cpuUtilisation: r.cpu_utilisation,
    load1: r.load1,
    memoryTotalBytes: r.memory_total_bytes,
    memoryUsedBytes: r.memory_used_bytes,
    memoryAvailableBytes: r.memory_available_bytes,
    swapUsedBytes: r.swap_used_bytes,
    processCount: r.process_count,
    detail: json<PerformanceSampleRow['detail']>(r.detail),
  });

  const toHostDetail = (rows: HostDetailRows): HostDetail => {
    const detail: HostDetail = {
      ...toHostSummary(rows.host),
      sections: {},
      latestPerformance: null,
    };
    for (const s of rows.sections) {
      detail.sections[s.section as SectionName] = {
        collectedAt: fromMillis(s.collected_at),
        data: json<unknown>(s.data),
      };
    }
    const software = rows.software;
    if (software) {
      const updatedAt = fromMillis(software.updated_at);
      detail.sections.software = {
        collectedAt: updatedAt,
        data: {
          hash: software.hash,
          count: software.count,
          updatedAt,
          sources: json<unknown>(software.sources),
          items:
            rows.items === null
              ? null
              : rows.items.map((r) => ({
                  name: r.name,
                  version: r.version,
                  publisher: r.publisher,
                  installedAt: r.installed_at,
                  arch: r.arch,
                  source: r.source,
                })),
        },
      };
    }
    detail.latestPerformance = rows.latest ? toSample(rows.latest) : null;
    return detail;
  };

  return { toSample, toHostDetail };
}
