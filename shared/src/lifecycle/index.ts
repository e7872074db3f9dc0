// Lifecycle: OS and key software against the embedded endoflife.date snapshot, and hardware
// age against a replacement policy. Pure apart from reading the snapshot once.
import type { OsInfo } from '../report/system.js';
import type { SoftwareItem } from '../report/software.js';
import { findRelease, loadEndOfLife, type EndOfLifeData } from './data.js';
import { matchOs, type ReleaseMatch } from './os-match.js';
import { matchSoftware } from './software-match.js';
import {
  evaluateRelease,
  unknownResult,
  type LifecycleOptions,
  type LifecycleResult,
} from './state.js';

export * from './data.js';
export * from './os-match.js';
export * from './software-match.js';
export * from './state.js';
export * from './hardware.js';

/** The first of the match's cycles the data holds (Windows tries edition-specific ones first). */
function resolveCycle(data: EndOfLifeData, match: ReleaseMatch): ReleaseMatch {
  const cycle = [match.cycle, ...(match.fallbackCycles ?? [])].find(
    (c) => findRelease(data, match.product, c) !== undefined,
  );
  return cycle === undefined ? match : { ...match, cycle };
}

export interface LifecycleInput extends LifecycleOptions {
  now: Date;
  /** defaults to the embedded snapshot */
  data?: EndOfLifeData;
}

/** The OS's lifecycle; unknown (with a reason) when the OS is not recognised. */
export function osLifecycle(os: OsInfo, input: LifecycleInput): LifecycleResult {
  const data = input.data ?? loadEndOfLife();
  const match = matchOs(os);
  if (match === null) {
    const label =
      [os.distro, os.release].filter((v) => v !== null && v !== '').join(' ') || os.platform;
    return unknownResult(label, 'operating system not recognised');
  }
  return evaluateRelease(data, resolveCycle(data, match), input.now, input);
}

/**
 * Lifecycles of the key software in `items`, one per product and cycle. Items that are not
 * key software, or whose release is not in the data, are left out.
 */
export function softwareLifecycle(
  items: Pick<SoftwareItem, 'name' | 'version'>[],
  input: LifecycleInput,
): LifecycleResult[] {
  const data = input.data ?? loadEndOfLife();
  const seen = new Map<string, LifecycleResult>();
  for (const item of items) {
    const match = matchSoftware(item);
    if (match === null) continue;
    const key = `${match.product}@${match.cycle}`;
    if (seen.has(key) || findRelease(data, match.product, match.cycle) === undefined) continue;
    seen.set(key, evaluateRelease(data, match, input.now, input));
  }
  return [...seen.values()];
}
