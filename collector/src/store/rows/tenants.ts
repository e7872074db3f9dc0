// Tenant and site rows as both stores read them, and the records built from them.
import type { Site, SiteSummary, Tenant, TenantSummary } from '../types.js';
import { fromMillis, fromNullableMillis } from './columns.js';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  created_at: number;
  archived_at: number | null;
}

export interface SiteRow {
  id: string;
  tenant_id: string;
  slug: string;
  name: string;
  created_at: number;
  archived_at: number | null;
}

/** A list row: the record's columns and how many hosts it has. */
export type Counted<R> = R & { host_count: number };

export const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  createdAt: fromMillis(r.created_at),
  archivedAt: fromNullableMillis(r.archived_at),
});

export const toTenantSummary = (r: Counted<TenantRow>): TenantSummary => ({
  ...toTenant(r),
  hostCount: r.host_count,
});

export const toSite = (r: SiteRow): Site => ({
  id: r.id,
  tenantId: r.tenant_id,
  slug: r.slug,
  name: r.name,
  createdAt: fromMillis(r.created_at),
  archivedAt: fromNullableMillis(r.archived_at),
});

export const toSiteSummary = (r: Counted<SiteRow>): SiteSummary => ({
  ...toSite(r),
  hostCount: r.host_count,
});
