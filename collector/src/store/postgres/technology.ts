// What a tenant runs, in PostgreSQL: the same questions and answers as sqlite/technology.ts
// (software by publisher and product with its versions, key releases past or near their end
// of support, hardware models, OS distribution), each one GROUP BY in the server.
//
// The grouping runs in the database server, not in the collector's process, so no worker
// thread is needed: the event loop only waits for the (small) grouped answer. Grouped
// software is still kept per tenant while the tenant's software is unchanged (the same
// fingerprint as SQLite's: each host's key and list hash), since grouping millions of rows
// costs the server seconds; the fingerprint and the grouping it belongs to are read in one
// REPEATABLE READ snapshot, so a report landing in between cannot pair an old grouping
// with a new fingerprint.
//
// Text the views sort or take the max of is compared COLLATE "C" (byte order), as SQLite's
// BINARY; NULLs sort first, as in SQLite. JSON inside assessments is read with -> and ->>.
import type { SoftwareProductRow, SoftwareReleaseRow, TechnologyStore } from '../types.js';
import { jsonDecoded } from '../rows/columns.js';
import {
  technologyRecords,
  toOsDistribution,
  type HardwareRow,
  type OsRow,
} from '../rows/technology.js';
import {
  groupProducts,
  GroupedSoftwareCache,
  selectProducts,
  softwareFingerprint,
  type ProductRow,
  type VersionRow,
} from '../rules/software-products.js';
import type { PgDatabase, Queryable } from './database.js';

const { toHardwareModel } = technologyRecords(jsonDecoded);

/** version_count: distinct version strings, plus one when some entries have no version. */
const PRODUCTS_QUERY = `
  SELECT s.publisher, s.name, count(DISTINCT s.host_key) AS hosts,
         count(DISTINCT s.version) + max(CASE WHEN s.version IS NULL THEN 1 ELSE 0 END)
           AS version_count
  FROM hosts h
  JOIN host_software s ON s.host_key = h.key
  WHERE h.tenant_id = $1
  GROUP BY s.publisher, s.name`;

const VERSIONS_QUERY = `
  SELECT s.publisher, s.name, s.version, min(s.version_key) AS version_key,
         count(DISTINCT s.host_key) AS hosts
  FROM hosts h
  JOIN host_software s ON s.host_key = h.key
  WHERE h.tenant_id = $1
  GROUP BY s.publisher, s.name, s.version`;

/** What the tenant's software rows are: its hosts and the hash of each one's list. */
const FINGERPRINT_QUERY = `
  SELECT string_agg(h.key || ':' || st.hash, ',' ORDER BY h.key) AS hashes
  FROM hosts h
  JOIN host_software_state st ON st.host_key = h.key
  WHERE h.tenant_id = $1`;

const RELEASES_QUERY = `
  SELECT product, cycle, max(label) AS label, max(eol) AS eol, state,
         count(DISTINCT host_id) AS hosts
  FROM (
    SELECT hp.host_id,
           (sw->>'product') COLLATE "C" AS product,
           (sw->>'cycle') COLLATE "C" AS cycle,
           (sw->>'label') COLLATE "C" AS label,
           (sw->>'eol') COLLATE "C" AS eol,
           sw->>'state' AS state
    FROM host_posture hp
    -- anything but an array (an assessment without key software) gives no rows, as in SQLite
    CROSS JOIN LATERAL json_array_elements(
      CASE WHEN json_typeof(hp.detail->'software') = 'array' THEN hp.detail->'software' END
    ) sw
    WHERE hp.tenant_id = $1
  ) r
  WHERE state IN ('end_of_life', 'ending_soon')
  GROUP BY product, cycle, state
  ORDER BY state = 'end_of_life' DESC, hosts DESC, product NULLS FIRST, cycle NULLS FIRST`;

/**
 * Hosts without a system section yet form one (null, null) row. A virtual machine's age is
 * its hypervisor's firmware date, not hardware anyone replaces: VMs count, ages do not.
 */
const HARDWARE_QUERY = `
  SELECT manufacturer, model, count(*) AS hosts,
         count(*) FILTER (WHERE is_virtual = 'true') AS "virtual",
         coalesce(
           array_agg(age) FILTER (WHERE age IS NOT NULL AND is_virtual IS DISTINCT FROM 'true'),
           '{}'
         ) AS ages
  FROM (
    SELECT (s.data->'hardware'->>'manufacturer') COLLATE "C" AS manufacturer,
           (s.data->'hardware'->>'model') COLLATE "C" AS model,
           s.data->'hardware'->>'virtual' AS is_virtual,
           (hp.detail->'hardware'->>'ageYears')::double precision AS age
    FROM hosts h
    LEFT JOIN host_sections s ON s.host_id = h.id AND s.section = 'system'
    LEFT JOIN host_posture hp ON hp.host_id = h.id
    WHERE h.tenant_id = $1
  ) x
  GROUP BY manufacturer, model
  ORDER BY hosts DESC, manufacturer NULLS FIRST, model NULLS FIRST`;

/** A host not assessed yet counts as unknown. */
const OS_QUERY = `
  SELECT platform, distro, "release", count(*) AS hosts, max(label) AS label, max(eol) AS eol,
         count(*) FILTER (WHERE state = 'supported') AS supported,
         count(*) FILTER (WHERE state = 'ending_soon') AS ending_soon,
         count(*) FILTER (WHERE state = 'end_of_life') AS end_of_life,
         count(*) FILTER (WHERE state = 'unknown') AS unknown
  FROM (
    SELECT h.os_platform COLLATE "C" AS platform,
           h.os_distro COLLATE "C" AS distro,
           h.os_release COLLATE "C" AS "release",
           (hp.detail->'os'->>'label') COLLATE "C" AS label,
           (hp.detail->'os'->>'eol') COLLATE "C" AS eol,
           coalesce(hp.detail->'os'->>'state', 'unknown') AS state
    FROM hosts h
    LEFT JOIN host_posture hp ON hp.host_id = h.id
    WHERE h.tenant_id = $1
  ) x
  GROUP BY platform, distro, "release"
  ORDER BY hosts DESC, platform NULLS FIRST, distro NULLS FIRST, "release" NULLS FIRST`;

async function fingerprint(on: PgDatabase | Queryable, tenantId: string): Promise<string> {
  const { rows } = await (on as Queryable).query<{ hashes: string | null }>({
    name: 'vcio_technology_fingerprint',
    text: FINGERPRINT_QUERY,
    values: [tenantId],
  });
  return softwareFingerprint(rows[0]?.hashes ?? null);
}

export function pgTechnologyStore(db: PgDatabase): TechnologyStore {
  const grouped = new GroupedSoftwareCache();

  /** The tenant's software grouped by product and version: kept while it is unchanged. */
  async function groupedSoftware(tenantId: string): Promise<SoftwareProductRow[]> {
    const kept = grouped.get(tenantId, await fingerprint(db, tenantId));
    if (kept) return kept;
    const { current, products } = await db.transaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const current = await fingerprint(client, tenantId);
      const productRows = await client.query<ProductRow>(PRODUCTS_QUERY, [tenantId]);
      const versionRows = await client.query<VersionRow>(VERSIONS_QUERY, [tenantId]);
      return { current, products: groupProducts(productRows.rows, versionRows.rows) };
    });
    grouped.set(tenantId, current, products);
    return products;
  }

  return {
    async softwareProducts(query) {
      return selectProducts(await groupedSoftware(query.tenantId), query);
    },

    async unsupportedSoftware(tenantId) {
      const { rows } = await db.query<SoftwareReleaseRow>(RELEASES_QUERY, [tenantId]);
      return rows;
    },

    async hardwareModels(tenantId) {
      const { rows } = await db.query<HardwareRow>(HARDWARE_QUERY, [tenantId]);
      return rows.map(toHardwareModel);
    },

    async osDistribution(tenantId) {
      const { rows } = await db.query<OsRow>(OS_QUERY, [tenantId]);
      return rows.map(toOsDistribution);
    },
  };
}
