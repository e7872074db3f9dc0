// What the collector takes from a validated report, independent of how it is stored:
// which sections it knows, which of them are state (kept as the host's latest) rather
// than time series or rows, the host's summary columns, the performance sample row, the
// software and pending-update rows, and whether a software list matches its hash.
// Pure functions, shared by every Store implementation.
import {
  KNOWN_SECTIONS,
  softwareHash,
  versionKey,
  type PatchesSection,
  type Report,
  type SectionName,
  type SoftwareItem,
  type SoftwareSection,
} from '@vcio/shared';
import type { PerformanceSampleRow } from '../store/types.js';

const known = new Set<string>(KNOWN_SECTIONS);

/**
 * Sections not kept as the host's latest JSON state. performance is a time series (one
 * row per report): storing it as state too would rewrite a large row on every report for
 * nothing, the latest sample already is the latest state. software lives in its own rows
 * (a list of thousands, queried across hosts): a JSON copy would double the largest thing
 * the collector stores.
 */
const NOT_JSON_STATE = new Set<SectionName>(['performance', 'software']);

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
  return !NOT_JSON_STATE.has(name);
}

/**
 * What to ask of the agent after a software section, given the list the store holds for
 * the host (its hash and the collectedAt of the report that brought it; undefined: none):
 * the whole list again when it sent a hash alone and the store holds another list (or
 * none), unless what it holds is newer than the report (a late report from the agent's
 * queue says nothing newer).
 */
export function softwareResend(
  held: { hash: string; updatedAt: number } | undefined,
  software: SoftwareSection,
  collectedAt: number,
): SectionName[] {
  if (software.items !== null || held?.hash === software.hash) return [];
  if (held && held.updatedAt > collectedAt) return [];
  return ['software'];
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

/**
 * Why a software section cannot be stored, or null when it can. A list is stored only when
 * it hashes to the hash it came with: a faulty agent must not put a list into the
 * inventory under a hash it will later confirm without the list. The agent hashes the list
 * it sends (already cut to the contract's bounds), so the list is hashed here exactly as
 * received, before anything else touches it.
 */
export function checkSoftwareSection(section: SoftwareSection): string | null {
  if (section.items === null) return null;
  if (section.count !== section.items.length) {
    return `sections/software/count is ${section.count} but sections/software/items holds ${section.items.length} entries`;
  }
  const actual = softwareHash(section.items);
  if (actual !== section.hash) {
    return `sections/software/hash ${section.hash} is not the hash of sections/software/items (${actual}); the report was not stored`;
  }
  return null;
}

export interface SoftwareRow {
  item: number;
  source: string;
  name: string;
  version: string | null;
  versionKey: string | null;
  publisher: string | null;
  installedAt: string | null;
  arch: string | null;
}

export function softwareRow(entry: SoftwareItem, item: number): SoftwareRow {
  return {
    item,
    source: entry.source,
    name: entry.name,
    version: entry.version,
    versionKey: entry.version === null ? null : versionKey(entry.version),
    publisher: entry.publisher,
    installedAt: entry.installedAt,
    arch: entry.arch,
  };
}

/**
 * A timestamp as a Date, or null for one that JSON Schema's date-time accepts but
 * JavaScript cannot place (a leap second, 23:59:60): never an Invalid Date in a row.
 */
function validDate(text: string): Date | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}

export interface PendingUpdateRow {
  sourceIndex: number;
  item: number;
  manager: string;
  checkedAt: Date;
  name: string;
  kb: string | null;
  currentVersion: string | null;
  availableVersion: string | null;
  security: boolean | null;
  severity: string | null;
  classification: string | null;
  advisories: string[];
  restartRequired: boolean | null;
  releasedAt: Date | null;
}

/**
 * One row per pending update of every source that answered (checked at the report's
 * collectedAt when its own time cannot be read). A source that could not
 * answer (ok: false) has none, whatever it listed: its error stays visible in the patches
 * section, and "unknown" is not turned into a list that looks current.
 */
export function pendingUpdateRows(patches: PatchesSection, collectedAt: Date): PendingUpdateRow[] {
  const rows: PendingUpdateRow[] = [];
  patches.sources.forEach((source, sourceIndex) => {
    if (!source.ok) return;
    const checkedAt = validDate(source.checkedAt) ?? collectedAt;
    source.pending.forEach((update, item) => {
      rows.push({
        sourceIndex,
        item,
        manager: source.manager,
        checkedAt,
        name: update.name,
        kb: update.kb,
        currentVersion: update.currentVersion,
        availableVersion: update.availableVersion,
        security: update.security,
        severity: update.severity,
        classification: update.classification,
        advisories: update.advisories,
        restartRequired: update.restartRequired,
        releasedAt: update.releasedAt === null ? null : validDate(update.releasedAt),
      });
    });
  });
  return rows;
}
