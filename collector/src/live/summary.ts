// What the live feed says about a host when it reports, read from the report body at
// ingest (microseconds, no database read). A part the report did not carry is null: the
// console keeps what it already knows (a performance-only report says nothing of the OS).
import type { Report } from '@vcio/shared';

export interface HostReportSummary {
  /** from the system section */
  os: { platform: string; distro: string | null; release: string | null } | null;
  /** from the patches section */
  patches: {
    /** pending updates over the sources that answered; null when none could tell */
    pending: number | null;
    security: number | null;
    rebootRequired: boolean | null;
    /** sources that could not answer (e.g. apt's lock held) */
    failedSources: number;
  } | null;
  /** from the performance section */
  performance: {
    cpuUtilisation: number | null;
    memoryUsedRatio: number | null;
    /** seconds the sample covers: the agent's performance cadence when it runs as a service */
    intervalSeconds: number;
  } | null;
}

function sumCounts(values: (number | null)[]): number | null {
  let total = 0;
  let known = false;
  for (const value of values) {
    if (value !== null) {
      total += value;
      known = true;
    }
  }
  return known ? total : null;
}

export function summariseReport(report: Report): HostReportSummary {
  const { system, patches, performance } = report.sections;
  const answered = patches?.sources.filter((s) => s.ok) ?? [];
  return {
    os: system
      ? { platform: system.os.platform, distro: system.os.distro, release: system.os.release }
      : null,
    patches: patches
      ? {
          pending: sumCounts(answered.map((s) => s.pendingCount)),
          security: sumCounts(answered.map((s) => s.securityCount)),
          rebootRequired: patches.rebootRequired,
          failedSources: patches.sources.length - answered.length,
        }
      : null,
    performance: performance
      ? {
          cpuUtilisation: performance.cpu.utilisation,
          memoryUsedRatio:
            performance.memory.totalBytes > 0
              ? performance.memory.usedBytes / performance.memory.totalBytes
              : null,
          intervalSeconds: performance.intervalSeconds,
        }
      : null,
  };
}
