// The store answers in pages; a report needs every row of a tenant. These walk the pages so
// the report builders never silently stop at the first thousand hosts or findings.
import type { FindingRecord, HostSummary, PendingUpdateMatch, Store } from '../store/types.js';

const PAGE = 1_000;

async function allPages<T>(
  read: (offset: number) => Promise<{ total: number; rows: T[] }>,
): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await read(offset);
    out.push(...page.rows);
    if (page.rows.length === 0 || offset + PAGE >= page.total) return out;
  }
}

export const allHosts = (store: Store, tenantId: string): Promise<HostSummary[]> =>
  allPages(async (offset) => {
    const page = await store.hosts.listHosts({ tenantId, limit: PAGE, offset });
    return { total: page.total, rows: page.hosts };
  });

export const allOpenFindings = (store: Store, tenantId: string): Promise<FindingRecord[]> =>
  allPages(async (offset) => {
    const page = await store.posture.findings({ tenantId, status: 'open', limit: PAGE, offset });
    return { total: page.total, rows: page.findings };
  });

/** Findings opened or resolved at or after `since` (those opened and fixed since included). */
export const findingsChangedSince = (
  store: Store,
  tenantId: string,
  since: Date,
): Promise<FindingRecord[]> =>
  allPages(async (offset) => {
    const page = await store.posture.findings({
      tenantId,
      status: 'all',
      since,
      limit: PAGE,
      offset,
    });
    return { total: page.total, rows: page.findings };
  });

export const allPendingUpdates = (store: Store, tenantId: string): Promise<PendingUpdateMatch[]> =>
  allPages(async (offset) => {
    const page = await store.inventory.findPendingUpdates({ tenantId, limit: PAGE, offset });
    return { total: page.total, rows: page.updates };
  });
