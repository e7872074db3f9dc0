// What a refresh changes compared with the data in use, for the summary it prints and for
// the shrink guard (a partial API answer must not silently drop products or releases).
import type { EndOfLifeData, EolRelease } from '@vcio/shared';

export interface LifecycleChanges {
  productsAdded: string[];
  productsRemoved: string[];
  /** products present before and after whose releases differ */
  productsUpdated: string[];
  /** "ubuntu 26.10" */
  releasesAdded: string[];
  releasesRemoved: string[];
  /** "windows 10-22h2-e: eol 2025-10-14 -> 2026-10-13" */
  datesMoved: string[];
  /** release cycles whose latest version changed (counted, not listed: browsers change weekly) */
  latestChanged: number;
}

const DATE_FIELDS = ['releaseDate', 'eoas', 'eol', 'eoes'] as const;

const show = (value: unknown) => (value === undefined ? 'none' : String(value));

export function compareEndOfLife(before: EndOfLifeData, after: EndOfLifeData): LifecycleChanges {
  const changes: LifecycleChanges = {
    productsAdded: [],
    productsRemoved: [],
    productsUpdated: [],
    releasesAdded: [],
    releasesRemoved: [],
    datesMoved: [],
    latestChanged: 0,
  };
  for (const id of Object.keys(before.products)) {
    if (!(id in after.products)) changes.productsRemoved.push(id);
  }
  for (const [id, product] of Object.entries(after.products)) {
    const old = before.products[id];
    if (old === undefined) {
      changes.productsAdded.push(id);
      continue;
    }
    const oldByCycle = new Map<string, EolRelease>(old.releases.map((r) => [r.releaseCycle, r]));
    const newCycles = new Set(product.releases.map((r) => r.releaseCycle));
    let updated = false;
    for (const release of product.releases) {
      const was = oldByCycle.get(release.releaseCycle);
      if (was === undefined) {
        changes.releasesAdded.push(`${id} ${release.releaseCycle}`);
        updated = true;
        continue;
      }
      for (const field of DATE_FIELDS) {
        if (was[field] !== release[field]) {
          changes.datesMoved.push(
            `${id} ${release.releaseCycle}: ${field} ${show(was[field])} -> ${show(release[field])}`,
          );
          updated = true;
        }
      }
      if (was.latest !== release.latest) {
        changes.latestChanged += 1;
        updated = true;
      }
    }
    for (const cycle of oldByCycle.keys()) {
      if (!newCycles.has(cycle)) {
        changes.releasesRemoved.push(`${id} ${cycle}`);
        updated = true;
      }
    }
    if (updated) changes.productsUpdated.push(id);
  }
  return changes;
}

/** Why the new data is smaller than the old, or null when it lost nothing. */
export function describeShrink(changes: LifecycleChanges): string | null {
  const lost: string[] = [];
  if (changes.productsRemoved.length > 0) {
    lost.push(
      `${changes.productsRemoved.length} product(s) (${changes.productsRemoved.join(', ')})`,
    );
  }
  if (changes.releasesRemoved.length > 0) {
    const listed = changes.releasesRemoved.slice(0, 10).join(', ');
    const more = changes.releasesRemoved.length > 10 ? ', ...' : '';
    lost.push(`${changes.releasesRemoved.length} release(s) (${listed}${more})`);
  }
  return lost.length === 0 ? null : `the new data lost ${lost.join(' and ')}`;
}

/** The summary a refresh prints, one fact a line. */
export function formatChanges(changes: LifecycleChanges): string[] {
  const lines: string[] = [];
  const list = (label: string, items: string[]) => {
    if (items.length > 0) lines.push(`${label}: ${items.length} (${items.join(', ')})`);
  };
  list('products added', changes.productsAdded);
  list('products removed', changes.productsRemoved);
  list('products updated', changes.productsUpdated);
  list('releases added', changes.releasesAdded);
  list('releases removed', changes.releasesRemoved);
  if (changes.datesMoved.length > 0) {
    lines.push(`dates moved: ${changes.datesMoved.length}`);
    for (const moved of changes.datesMoved) lines.push(`  ${moved}`);
  }
  if (changes.latestChanged > 0) lines.push(`latest versions changed: ${changes.latestChanged}`);
  if (lines.length === 0) lines.push('no changes to products, releases or dates');
  return lines;
}
