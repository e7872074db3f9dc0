// What the collector takes from a validated report, independent of how it is stored:
// which sections it knows, which of them are state (kept as the host's latest) rather
// than time series, the host's summary columns, and the performance sample row.
// Pure functions, shared by every Store implementation.
import { KNOWN_SECTIONS, type Report, type SectionName } from '@vcio/shared';
import type { PerformanceSampleRow } from '../store/types.js';

const known = new Set<string>(KNOWN_SECTIONS);

/**
 * Sections kept as time series (one row per report) rather than as the host's latest
 * state. Storing them as state too would rewrite a large row on every report for
 * nothing: the latest sample already is the latest state.
 */
const TIME_SERIES = new Set<SectionName>(['performance']);

export function splitSections(report: Report): { stored: SectionName[]; ignored: string[] } {
  const stored: SectionName[] = [];
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(report.sections)) {
    if (value === undefined) continue;
    if (known.has(name)) stored.push(name as SectionName);
    else ignored.push(name);
  }
  return { stored, ignored };
}

export function isStateSection(name: SectionName): boolean {
  return !TIME_SERIES.has(name);
}

export interface HostOsSummary {
  platform: string;
  distro: string | null;
  release: string | null;
}

/** The OS columns kept on the host row, from the system section when the report has one. */
export function osSummary(report: Report): HostOsSummary | null {
  const os = report.sections.system?.os;
  if (!os) return null;
  return { platform: os.platform, distro: os.distro, release: os.release };
}

export function performanceSample(report: Report): PerformanceSampleRow | null {
  const perf = report.sections.performance;
  if (!perf) return null;
  return {
    collectedAt: new Date(report.collectedAt),
    cpuUtilisation: perf.cpu.utilisation,
    load1: perf.load?.one ?? null,
    memoryTotalBytes: perf.memory.totalBytes,
    memoryUsedBytes: perf.memory.usedBytes,
    memoryAvailableBytes: perf.memory.availableBytes,
    swapUsedBytes: perf.swap?.usedBytes ?? null,
    processCount: perf.processes.total,
    detail: { filesystems: perf.filesystems, network: perf.network },
  };
}
