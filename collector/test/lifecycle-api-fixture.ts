// endoflife.date API v1 answers built from the embedded snapshot, for the refresh tests: the
// inverse of src/lifecycle/api-v1.ts, written from the API definition (api_v1/openapi.yml in
// github.com/endoflife-date/endoflife.date), so a round trip shows the conversion is right.
import type { EolDate, EolProduct } from '@vcio/shared';
import type { SnapshotRelease } from '../src/lifecycle/api-v1.js';

/** The day the fake API answers on: a date decides isEol and friends. */
export const API_TODAY = '2026-12-04';

const isOver = (end: EolDate) => end === true || (typeof end === 'string' && end <= API_TODAY);

/** The snapshot keeps endoflife.date's label templates; the API renders them. */
function renderLabel(release: SnapshotRelease): string {
  const template = release.releaseLabel ?? release.releaseCycle;
  return template
    .replaceAll('__RELEASE_CYCLE__', release.releaseCycle)
    .replaceAll('__CODENAME__', release.codename ?? '');
}

export function toApiV1Release(release: SnapshotRelease): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: release.releaseCycle,
    codename: release.codename ?? null,
    label: renderLabel(release),
    releaseDate: release.releaseDate ?? null,
    isLts: release.lts !== undefined && release.lts !== false,
    ltsFrom: typeof release.lts === 'string' ? release.lts : null,
    isEol: isOver(release.eol),
    eolFrom: typeof release.eol === 'string' ? release.eol : null,
    isMaintained: !isOver(release.eol),
    latest: release.latest
      ? { name: release.latest, date: release.latestReleaseDate ?? null, link: null }
      : null,
    custom: null,
  };
  // Present only for products that have the phase (the API definition's rule).
  if (release.eoas !== undefined) {
    out.isEoas = isOver(release.eoas);
    out.eoasFrom = typeof release.eoas === 'string' ? release.eoas : null;
  }
  if (release.eoes !== undefined) {
    out.isEoes = isOver(release.eoes);
    out.eoesFrom = typeof release.eoes === 'string' ? release.eoes : null;
  }
  return out;
}

/** A ProductDetails object. */
export function toApiV1Product(id: string, product: EolProduct): Record<string, unknown> {
  return {
    name: id,
    label: product.title,
    aliases: [],
    category: product.category,
    tags: [product.category],
    versionCommand: null,
    identifiers: [],
    labels: { eoas: null, discontinued: null, eol: 'Security Support', eoes: null },
    links: { icon: null, html: `https://endoflife.date/${id}`, releasePolicy: null },
    releases: product.releases.map((r) => toApiV1Release(r as SnapshotRelease)),
  };
}

/** GET /products/{id}: a ProductResponse. */
export function productResponse(id: string, product: EolProduct): Record<string, unknown> {
  return {
    schema_version: '1.2.0',
    last_modified: '2026-12-01T10:00:00+00:00',
    result: toApiV1Product(id, product),
  };
}

/** GET /products/full: a FullProductListResponse. */
export function fullResponse(products: Record<string, EolProduct>): Record<string, unknown> {
  const result = Object.entries(products).map(([id, p]) => toApiV1Product(id, p));
  return { schema_version: '1.2.0', total: result.length, result };
}

/** The fields of a release the collector reads, normalised, for round-trip comparisons. */
export function essentials(release: SnapshotRelease) {
  return {
    releaseCycle: release.releaseCycle,
    codename: release.codename ?? null,
    releaseDate: release.releaseDate ?? null,
    eoas: release.eoas ?? null,
    eol: release.eol,
    eoes: release.eoes ?? null,
    latest: release.latest ?? null,
    latestReleaseDate: release.latest ? (release.latestReleaseDate ?? null) : null,
  };
}
