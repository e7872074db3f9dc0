// endoflife.date API v1 answers, converted to the snapshot's shape (EndOfLifeData). Pure.
//
// Source of the format: endoflife.date's own API definition, api_v1/openapi.yml (API 1.1.0)
// and CHANGELOG_API.md in github.com/endoflife-date/endoflife.date (MIT). In short:
// GET /products/{product} answers { schema_version, last_modified, result: ProductDetails };
// GET /products/full answers { schema_version, total, result: ProductDetails[] }; a
// ProductDetails has name, label, category and releases; a ProductRelease has name,
// codename|null, label, releaseDate, isLts/ltsFrom, isEol/eolFrom (always), isEoas/eoasFrom
// and isEoes/eoesFrom (only for products with those phases; isEoes null when the cycle is
// not eligible), and latest { name, date, link } | null.
//
// v1 split each of v0's date-or-boolean fields in two (isEol + eolFrom); the snapshot keeps
// v0's single field, so a date wins and the boolean stands in when no date is known.
import type { EolDate, EolProduct, EolRelease } from '@vcio/shared';

export const DEFAULT_API_BASE = 'https://endoflife.date/api/v1';
export const API_SOURCE =
  'endoflife.date API v1 (https://endoflife.date/api/v1), MIT licence, Copyright 2020 endoflife.date contributors';

export interface ApiV1Release {
  name: string;
  codename?: string | null;
  label?: string;
  releaseDate?: string | null;
  isLts?: boolean;
  ltsFrom?: string | null;
  isEoas?: boolean;
  eoasFrom?: string | null;
  isEol: boolean;
  eolFrom: string | null;
  isEoes?: boolean | null;
  eoesFrom?: string | null;
  latest?: { name: string; date?: string | null } | null;
}

export interface ApiV1Product {
  name: string;
  label: string;
  category: string;
  releases: ApiV1Release[];
}

/** The snapshot's release, with the two fields it carries beyond what shared reads. */
export type SnapshotRelease = EolRelease & { lts?: boolean | string; latestReleaseDate?: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isDateOrNull = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v));

export class ApiFormatError extends Error {}

/** Checks the fields the conversion relies on; throws naming the first that does not fit. */
export function parseApiV1Product(raw: unknown, where: string): ApiV1Product {
  const fail = (what: string): never => {
    throw new ApiFormatError(`${where}: ${what} (not an endoflife.date API v1 product)`);
  };
  if (!isRecord(raw)) return fail('not an object');
  for (const key of ['name', 'label', 'category'] as const) {
    if (typeof raw[key] !== 'string') fail(`${key} is not a string`);
  }
  if (!Array.isArray(raw.releases)) return fail('releases is not a list');
  raw.releases.forEach((release: unknown, i) => {
    const at = `releases[${i}]`;
    if (!isRecord(release) || typeof release.name !== 'string')
      return fail(`${at}.name is not a string`);
    if (typeof release.isEol !== 'boolean') fail(`${at}.isEol is not a boolean`);
    for (const key of ['eolFrom', 'eoasFrom', 'eoesFrom', 'releaseDate', 'ltsFrom'] as const) {
      if (!isDateOrNull(release[key])) fail(`${at}.${key} is not a date`);
    }
  });
  return raw as unknown as ApiV1Product;
}

/** A v0-style single field: the date when known, else whether the phase is over. */
function phaseEnd(
  isOver: boolean | null | undefined,
  from: string | null | undefined,
): EolDate | undefined {
  if (typeof from === 'string') return from;
  return typeof isOver === 'boolean' ? isOver : undefined;
}

export function convertRelease(release: ApiV1Release): SnapshotRelease {
  const out: SnapshotRelease = {
    releaseCycle: release.name,
    eol: phaseEnd(release.isEol, release.eolFrom)!,
  };
  // v1's label is rendered ("22.04 'Jammy Jellyfish' (LTS)", "macOS 15 (Sequoia)"); the
  // lifecycle label adds the codename itself, so keep only labels that say something the
  // cycle and codename do not ("11 26H1 (E)", "Windows Server 2022").
  const label = release.label;
  if (
    typeof label === 'string' &&
    label !== release.name &&
    !(release.codename && label.includes(release.codename))
  ) {
    out.releaseLabel = label;
  }
  if (release.codename) out.codename = release.codename;
  if (release.isLts === true) out.lts = release.ltsFrom ?? true;
  if (release.releaseDate) out.releaseDate = release.releaseDate;
  const eoas = phaseEnd(release.isEoas, release.eoasFrom);
  if (eoas !== undefined) out.eoas = eoas;
  const eoes = phaseEnd(release.isEoes, release.eoesFrom);
  if (eoes !== undefined) out.eoes = eoes;
  if (release.latest?.name) {
    out.latest = release.latest.name;
    if (release.latest.date) out.latestReleaseDate = release.latest.date;
  }
  return out;
}

export function convertProduct(product: ApiV1Product): EolProduct {
  return {
    title: product.label,
    category: product.category,
    releases: product.releases.map(convertRelease),
  };
}

export function isApiV1Document(raw: unknown): raw is { schema_version: string; result: unknown } {
  return isRecord(raw) && typeof raw.schema_version === 'string' && 'result' in raw;
}

/**
 * The products of an API v1 document: a /products/full dump (a list) or one /products/{p}
 * answer. A dump's products outside `wanted` are left out (it holds hundreds we do not use).
 */
export function productsFromApiV1(
  doc: { result: unknown },
  wanted: ReadonlySet<string>,
  where: string,
): { products: Record<string, EolProduct>; ignored: number } {
  const items = Array.isArray(doc.result) ? doc.result : [doc.result];
  const products: Record<string, EolProduct> = {};
  let ignored = 0;
  items.forEach((item: unknown, i) => {
    const name = isRecord(item) ? item.name : undefined;
    // One product's answer was asked for by name: it is wanted whatever it is.
    if (Array.isArray(doc.result) && typeof name === 'string' && !wanted.has(name)) {
      ignored += 1;
      return;
    }
    const product = parseApiV1Product(
      item,
      Array.isArray(doc.result) ? `${where} result[${i}]` : where,
    );
    products[product.name] = convertProduct(product);
  });
  return { products, ignored };
}
