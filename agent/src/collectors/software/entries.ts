// Turning what a package database said into contract-sized SoftwareItems, and the items
// and statuses of all sources into one SoftwareRead. Shared by the three platform readers.
//
// - Every string is cut to the contract's maxLength (name 256, version 128, publisher 256,
//   arch 32, error 2048) so a broken or hostile package database cannot make a report the
//   collector rejects. Control characters (a NUL some Windows installers leave at the end of
//   DisplayName) become spaces; blank means unknown (null), never "".
// - Items are sorted and exact duplicates (same source, name, version, arch) dropped: the
//   same app in two folders, a formula listed twice. Sorting makes the list, and the cut at
//   MAX_SOFTWARE_ITEMS in index.ts, the same from run to run whatever order the database
//   listed things in.
// - A source that failed contributes no items and reports ok: false, its error and a null
//   count: a half-read inventory must not look like software having been removed.
import type { SoftwareItem, SoftwareSourceStatus } from '@vcio/shared';
import type { SoftwareRead } from './read.js';

export const SOFTWARE_TEXT_LIMITS = {
  name: 256,
  version: 128,
  publisher: 256,
  arch: 32,
  error: 2048,
} as const;

/**
 * `value` as trimmed text of at most `max` UTF-16 units, or null when it is not text (or a
 * number) or is blank. A cut never splits a surrogate pair, so the result stays valid UTF-16.
 */
export function boundedText(value: unknown, max: number): string | null {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return null;
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (text === '') return null;
  if (text.length > max) {
    let end = max;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate whose pair was cut off
    text = text.slice(0, end).trimEnd();
  }
  return text === '' ? null : text;
}

/** What a reader found about one entry, before it is bounded to the contract. */
export interface RawEntry {
  name: unknown;
  version?: unknown;
  publisher?: unknown;
  /** already an ISO 8601 timestamp, or null */
  installedAt?: string | null;
  arch?: unknown;
}

/** A contract-sized item, or null when the entry has no usable name. */
export function softwareItem(source: string, entry: RawEntry): SoftwareItem | null {
  const name = boundedText(entry.name, SOFTWARE_TEXT_LIMITS.name);
  if (name === null) return null;
  return {
    name,
    version: boundedText(entry.version, SOFTWARE_TEXT_LIMITS.version),
    publisher: boundedText(entry.publisher, SOFTWARE_TEXT_LIMITS.publisher),
    installedAt: entry.installedAt ?? null,
    arch: boundedText(entry.arch, SOFTWARE_TEXT_LIMITS.arch),
    source,
  };
}

/** Epoch seconds (a number or its decimal text, as rpm, pkgutil and Homebrew write it) to ISO. */
export function epochSecondsToIso(value: unknown): string | null {
  const seconds =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d{1,12}\s*$/.test(value)
        ? Number(value)
        : NaN;
  // 0 is "never set" in every database read here, not 1 January 1970.
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An ISO 8601 date-time as a source wrote it, normalised to UTC 'Z' form, or null. */
export function isoTimestamp(value: unknown): string | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim()))
    return null;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

const orderKey = (item: SoftwareItem): string =>
  JSON.stringify([
    item.source,
    item.name,
    item.version,
    item.arch,
    item.publisher,
    item.installedAt,
  ]);

const identity = (item: SoftwareItem): string =>
  JSON.stringify([item.source, item.name, item.version, item.arch]);

/** Sorted, without exact duplicates (the first after sorting is kept). */
export function sortAndDedupe(items: readonly SoftwareItem[]): SoftwareItem[] {
  const sorted = items
    .map((item) => ({ item, key: orderKey(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const seen = new Set<string>();
  const kept: SoftwareItem[] = [];
  for (const { item } of sorted) {
    const id = identity(item);
    if (seen.has(id)) continue;
    seen.add(id);
    kept.push(item);
  }
  return kept;
}

/** One source's outcome: what it listed, or why it could not be read. */
export type SourceOutcome =
  { source: string; items: SoftwareItem[] } | { source: string; error: string };

export function failedOutcome(source: string, error: string): SourceOutcome {
  return { source, error };
}

/** The SoftwareRead of several sources, statuses in the order given. */
export function assembleRead(outcomes: readonly SourceOutcome[]): SoftwareRead {
  const items: SoftwareItem[] = [];
  const sources: SoftwareSourceStatus[] = [];
  for (const outcome of outcomes) {
    if ('error' in outcome) {
      sources.push({
        source: outcome.source,
        ok: false,
        error: boundedText(outcome.error, SOFTWARE_TEXT_LIMITS.error) ?? 'unknown error',
        count: null,
      });
      continue;
    }
    const own = sortAndDedupe(outcome.items);
    items.push(...own);
    sources.push({ source: outcome.source, ok: true, error: null, count: own.length });
  }
  return { items: sortAndDedupe(items), sources };
}
