// From a matched release to a lifecycle state. Unknown is never a pass: a release with no
// published end date is `unknown`, not `supported`, and an end-of-life OS is never clean.
import type { EndOfLifeData, EolDate, EolRelease } from './data.js';
import { findRelease } from './data.js';

export type LifecycleState = 'supported' | 'ending_soon' | 'end_of_life' | 'unknown';

export interface LifecycleResult {
  /** endoflife.date product id, e.g. "ubuntu"; null when nothing matched */
  product: string | null;
  /** release cycle, e.g. "20.04"; null when nothing matched */
  cycle: string | null;
  /** what a technician reads, e.g. "Ubuntu 20.04 (Focal Fossa)" */
  label: string;
  /** the end-of-support date applied (YYYY-MM-DD), null when none is known */
  eol: string | null;
  state: LifecycleState;
  source: 'endoflife.date';
  /** why the state is unknown; present only then */
  reason?: string;
}

export interface LifecycleOptions {
  /** days before the end date that count as ending soon; default 180 */
  endingSoonDays?: number;
  /** judge by extended support (eoes, e.g. Ubuntu ESM) where the data has a date */
  extendedSupport?: boolean;
}

export const DEFAULT_ENDING_SOON_DAYS = 180;
const DAY_MS = 86_400_000;

/** The state of an end date at `now`: past (or on) the date is end of life. */
export function stateForDate(
  eol: EolDate | undefined,
  now: Date,
  endingSoonDays = DEFAULT_ENDING_SOON_DAYS,
): LifecycleState {
  if (eol === true) return 'end_of_life';
  if (typeof eol !== 'string') return 'unknown';
  const end = Date.parse(`${eol}T00:00:00Z`);
  if (now.getTime() >= end) return 'end_of_life';
  if (now.getTime() >= end - endingSoonDays * DAY_MS) return 'ending_soon';
  return 'supported';
}

/** The end date that applies: eoes when extended support is asked for and dated, else eol. */
function applicableEnd(release: EolRelease, options: LifecycleOptions): EolDate {
  if (options.extendedSupport === true && typeof release.eoes === 'string') return release.eoes;
  return release.eol;
}

export function unknownResult(label: string, reason: string): LifecycleResult {
  return {
    product: null,
    cycle: null,
    label,
    eol: null,
    state: 'unknown',
    source: 'endoflife.date',
    reason,
  };
}

/**
 * The result for `product` `cycle` at `now`. `neverSupported` products (macOS: Apple
 * publishes no dates) can be end of life but are otherwise unknown.
 */
export function evaluateRelease(
  data: EndOfLifeData,
  match: { product: string; cycle: string; neverSupported?: boolean },
  now: Date,
  options: LifecycleOptions = {},
): LifecycleResult {
  const release = findRelease(data, match.product, match.cycle);
  const title = data.products[match.product]?.title ?? match.product;
  if (release === undefined) {
    return {
      ...unknownResult(`${title} ${match.cycle}`, 'release not in the endoflife.date snapshot'),
      product: match.product,
      cycle: match.cycle,
    };
  }
  const name =
    release.releaseLabel?.includes('__') === false ? release.releaseLabel : release.releaseCycle;
  // Some labels already carry the product ("Windows Server 2012 R2", "AlmaLinux OS 8").
  const bare = title.replace(/^(?:Microsoft|Apple) /, '');
  const named = name.startsWith(bare) ? name : `${title} ${name}`;
  const label = `${named}${release.codename ? ` (${release.codename})` : ''}`;
  const end = applicableEnd(release, options);
  let state = stateForDate(end, now, options.endingSoonDays);
  if (match.neverSupported === true && state !== 'end_of_life') state = 'unknown';
  const result: LifecycleResult = {
    product: match.product,
    cycle: match.cycle,
    label,
    eol: typeof end === 'string' ? end : null,
    state,
    source: 'endoflife.date',
  };
  if (state === 'unknown') {
    result.reason =
      match.neverSupported === true
        ? 'the vendor publishes no end-of-support dates'
        : 'no end-of-support date known';
  }
  return result;
}
