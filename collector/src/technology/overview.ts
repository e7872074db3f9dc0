// Vendors and technology for one tenant: the software it runs (by publisher and product,
// with the versions in use: version sprawl), key software past or near its end of support,
// hardware by manufacturer and model with its age, and the OS distribution. The grouping
// happens in the store (SQL); this module shapes the answer and sums ages up.
import type {
  HardwareModelRow,
  OsDistributionRow,
  SoftwareProductQuery,
  SoftwareProductRow,
  SoftwareReleaseRow,
  Store,
} from '../store/types.js';

/** Products listed in each of the overview's software lists. */
export const OVERVIEW_PRODUCTS = 25;

export interface AgeSummary {
  /** whole years */
  min: number;
  median: number;
  max: number;
  /** hosts whose age is known (physical hosts with a purchase or firmware date) */
  hosts: number;
}

export interface HardwareModel {
  manufacturer: string | null;
  model: string | null;
  hosts: number;
  /** of which virtual machines (their age is not counted) */
  virtual: number;
  /** null when no host of the model has a known age */
  age: AgeSummary | null;
}

export interface TechnologyOverview {
  tenant: { id: string; slug: string; name: string };
  generatedAt: Date;
  hosts: number;
  software: {
    /** distinct (publisher, product) pairs installed anywhere in the tenant */
    products: number;
    /** installed on the most hosts first */
    mostInstalled: SoftwareProductRow[];
    /** products with more than one version in use, the most versions first */
    mostVersions: SoftwareProductRow[];
    /** key software releases at or near their end of support, end of life first */
    unsupported: SoftwareReleaseRow[];
  };
  hardware: HardwareModel[];
  os: OsDistributionRow[];
}

/** min, median and max of ascending ages; the median of an even count is the mean of two. */
export function ageSummary(ages: readonly number[]): AgeSummary | null {
  if (ages.length === 0) return null;
  const mid = Math.floor(ages.length / 2);
  const median = ages.length % 2 === 1 ? ages[mid]! : (ages[mid - 1]! + ages[mid]!) / 2;
  return { min: ages[0]!, median, max: ages[ages.length - 1]!, hosts: ages.length };
}

export function hardwareModel(row: HardwareModelRow): HardwareModel {
  return {
    manufacturer: row.manufacturer,
    model: row.model,
    hosts: row.hosts,
    virtual: row.virtual,
    age: ageSummary(row.ages),
  };
}

export class UnknownTenantError extends Error {
  constructor(readonly tenantId: string) {
    super(`no tenant ${tenantId}`);
  }
}

export async function hardwareModels(store: Store, tenantId: string): Promise<HardwareModel[]> {
  return (await store.technology.hardwareModels(tenantId)).map(hardwareModel);
}

/** The whole overview of a tenant (by id): what the API's default answer and the report show. */
export async function technologyOverview(
  store: Store,
  tenantId: string,
): Promise<TechnologyOverview> {
  const tenant = await store.tenants.getTenant(tenantId);
  if (!tenant || tenant.id !== tenantId) throw new UnknownTenantError(tenantId);
  const generatedAt = new Date();
  const page = (sort: SoftwareProductQuery['sort']) =>
    store.technology.softwareProducts({
      tenantId,
      sort,
      limit: OVERVIEW_PRODUCTS,
      offset: 0,
    });
  const [hosts, installed, versions, unsupported, hardware, os] = await Promise.all([
    store.hosts.listHosts({ tenantId, limit: 1, offset: 0 }),
    page('hosts'),
    page('versions'),
    store.technology.unsupportedSoftware(tenantId),
    hardwareModels(store, tenantId),
    store.technology.osDistribution(tenantId),
  ]);
  return {
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    generatedAt,
    hosts: hosts.total,
    software: {
      products: installed.total,
      mostInstalled: installed.products,
      mostVersions: versions.products.filter((p) => p.versionCount > 1),
      unsupported,
    },
    hardware,
    os,
  };
}
