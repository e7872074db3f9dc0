// The endoflife.date snapshot: product -> release cycles with their support dates.
//
// The JSON lives in shared/data/endoflife/ (MIT, with its LICENSE) and is read lazily on
// first use, relative to this module: ../../data/ is shared/data/ both from
// shared/src/lifecycle/ (tests run the .ts) and from shared/dist/lifecycle/ (the build).
// A newer file of the same shape can be loaded from a path (the refresh command), so the
// shape is validated rather than trusted.
import { readFileSync } from 'node:fs';

/** A support date: an ISO date, or true/false where endoflife.date knows no date. */
export type EolDate = string | boolean;

export interface EolRelease {
  releaseCycle: string;
  releaseLabel?: string | null;
  codename?: string | null;
  releaseDate?: string;
  /** end of active support */
  eoas?: EolDate;
  /** end of security support: the date that makes a release end of life */
  eol: EolDate;
  /** end of extended (often paid) support, e.g. Ubuntu ESM */
  eoes?: EolDate;
  latest?: string;
}

export interface EolProduct {
  title: string;
  category: string;
  releases: EolRelease[];
}

export interface EndOfLifeData {
  source: string;
  sourceCommit: string;
  sourceDate: string;
  products: Record<string, EolProduct>;
}

const DEFAULT_FILE = new URL('../../data/endoflife/releases.json', import.meta.url);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isEolDate = (v: unknown): v is EolDate =>
  typeof v === 'boolean' || (typeof v === 'string' && ISO_DATE.test(v));

/** Throws with the first path that does not fit; returns the data typed. */
export function validateEndOfLife(raw: unknown): EndOfLifeData {
  const fail = (where: string): never => {
    throw new Error(`endoflife data: ${where}`);
  };
  if (!isRecord(raw)) return fail('not an object');
  for (const key of ['source', 'sourceCommit', 'sourceDate'] as const) {
    if (typeof raw[key] !== 'string') fail(`${key} is not a string`);
  }
  if (!isRecord(raw.products)) return fail('products is not an object');
  for (const [name, product] of Object.entries(raw.products)) {
    if (!isRecord(product) || !Array.isArray(product.releases)) {
      fail(`products.${name}.releases is not a list`);
    }
    (product as { releases: unknown[] }).releases.forEach((release, i) => {
      const where = `products.${name}.releases[${i}]`;
      if (!isRecord(release) || typeof release.releaseCycle !== 'string') {
        fail(`${where}.releaseCycle is not a string`);
      }
      const r = release as Record<string, unknown>;
      if (!isEolDate(r.eol)) fail(`${where}.eol is neither a date nor a boolean`);
      for (const key of ['eoas', 'eoes'] as const) {
        if (r[key] !== undefined && !isEolDate(r[key])) {
          fail(`${where}.${key} is neither a date nor a boolean`);
        }
      }
    });
  }
  return raw as unknown as EndOfLifeData;
}

let embedded: EndOfLifeData | undefined;

/**
 * The embedded snapshot (read once, then cached), or the file at `path` (read every call:
 * the caller keeps what it loaded).
 */
export function loadEndOfLife(path?: string | URL): EndOfLifeData {
  if (path === undefined) {
    embedded ??= validateEndOfLife(JSON.parse(readFileSync(DEFAULT_FILE, 'utf8')));
    return embedded;
  }
  return validateEndOfLife(JSON.parse(readFileSync(path, 'utf8')));
}

/** The release of `product` whose cycle is exactly `cycle`, if the data has it. */
export function findRelease(
  data: EndOfLifeData,
  product: string,
  cycle: string,
): EolRelease | undefined {
  return data.products[product]?.releases.find((r) => r.releaseCycle === cycle);
}
