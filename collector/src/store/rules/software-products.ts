// The software products view's logic both stores (../sqlite/, ../postgres/)
// share: the database groups a tenant's software rows by product and by version;
// this turns those grouped rows into products, keeps them per tenant while the tenant's
// software is unchanged, and filters, sorts and pages them, in one order for both stores.
import { createHash } from 'node:crypto';
import type { SoftwareProductQuery, SoftwareProductRow } from '../types.js';

/** One product of the tenant, as the database grouped it. */
export interface ProductRow {
  publisher: string | null;
  name: string;
  hosts: number;
  version_count: number;
}

/** One version of a product, as the database grouped it. */
export interface VersionRow {
  publisher: string | null;
  name: string;
  version: string | null;
  version_key: string | null;
  hosts: number;
}

/** Lower-cases ASCII letters only, as SQLite's NOCASE and LIKE do. */
const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** publisher (no publisher first), then name, ignoring ASCII case. */
function byPublisherAndName(a: SoftwareProductRow, b: SoftwareProductRow): number {
  return (
    compareText(asciiLower(a.publisher ?? ''), asciiLower(b.publisher ?? '')) ||
    compareText(asciiLower(a.name), asciiLower(b.name)) ||
    compareText(a.publisher ?? '', b.publisher ?? '') ||
    compareText(a.name, b.name)
  );
}

const PRODUCT_ORDER: Record<
  SoftwareProductQuery['sort'],
  (a: SoftwareProductRow, b: SoftwareProductRow) => number
> = {
  name: byPublisherAndName,
  hosts: (a, b) => b.hosts - a.hosts || byPublisherAndName(a, b),
  versions: (a, b) =>
    b.versionCount - a.versionCount || b.hosts - a.hosts || byPublisherAndName(a, b),
};

const productKey = (publisher: string | null, name: string) => `${publisher ?? ''}\u0000${name}`;

/** Oldest first by version key; entries without a version (no key) last. */
function byVersionKey(a: VersionRow, b: VersionRow): number {
  if (a.version_key === b.version_key) return compareText(a.version ?? '', b.version ?? '');
  if (a.version_key === null) return 1;
  if (b.version_key === null) return -1;
  return compareText(a.version_key, b.version_key);
}

/** The products with their versions (oldest first), in publisher and name order. */
export function groupProducts(
  productRows: readonly ProductRow[],
  versionRows: readonly VersionRow[],
): SoftwareProductRow[] {
  const byProduct = new Map<string, SoftwareProductRow>();
  for (const r of productRows) {
    byProduct.set(productKey(r.publisher, r.name), {
      publisher: r.publisher,
      name: r.name,
      hosts: r.hosts,
      versionCount: r.version_count,
      versions: [],
    });
  }
  for (const v of [...versionRows].sort(byVersionKey)) {
    byProduct.get(productKey(v.publisher, v.name))?.versions.push({
      version: v.version,
      hosts: v.hosts,
    });
  }
  return [...byProduct.values()].sort(byPublisherAndName);
}

/** What the tenant's software rows are, from "key:hash" of each host (null: no host). */
export const softwareFingerprint = (hashes: string | null): string =>
  createHash('sha256')
    .update(hashes ?? '')
    .digest('hex');

/** Tenants whose grouped software is kept; the least recently used is dropped. */
const CACHED_TENANTS = 32;

/** Grouped products per tenant, reused while the tenant's fingerprint is unchanged. */
export class GroupedSoftwareCache {
  private readonly grouped = new Map<
    string,
    { fingerprint: string; products: SoftwareProductRow[] }
  >();

  get(tenantId: string, fingerprint: string): SoftwareProductRow[] | undefined {
    const kept = this.grouped.get(tenantId);
    if (!kept || kept.fingerprint !== fingerprint) return undefined;
    // most recently used last
    this.grouped.delete(tenantId);
    this.grouped.set(tenantId, kept);
    return kept.products;
  }

  set(tenantId: string, fingerprint: string, products: SoftwareProductRow[]): void {
    this.grouped.delete(tenantId);
    this.grouped.set(tenantId, { fingerprint, products });
    if (this.grouped.size > CACHED_TENANTS) this.grouped.delete(this.grouped.keys().next().value!);
  }
}

/** The query's filters (ASCII case-insensitive substrings), sort and page. */
export function selectProducts(
  grouped: SoftwareProductRow[],
  query: SoftwareProductQuery,
): { total: number; products: SoftwareProductRow[] } {
  let products = grouped;
  const publisher = query.publisher === undefined ? undefined : asciiLower(query.publisher);
  const name = query.name === undefined ? undefined : asciiLower(query.name);
  if (publisher !== undefined) {
    products = products.filter((p) => asciiLower(p.publisher ?? '').includes(publisher));
  }
  if (name !== undefined) products = products.filter((p) => asciiLower(p.name).includes(name));
  if (query.sort !== 'name') products = [...products].sort(PRODUCT_ORDER[query.sort]);
  return {
    total: products.length,
    products: products.slice(query.offset, query.offset + query.limit),
  };
}
