// The fleet-wide summary across tenants: one row per client, built from each tenant's own
// report so the portfolio and the per-tenant documents always agree.
import type { Store, Tenant } from '../store/types.js';
import { jsonified } from './jsonified.js';
import {
  buildTenantReport,
  type TenantReport,
  type TenantReportDeps,
  type TenantReportOptions,
} from './tenant-report.js';

export const PORTFOLIO_REPORT_SCHEMA = 'vcio.report.portfolio.v1';

export function portfolioRow(report: TenantReport) {
  const s = report.summary;
  return {
    tenant: report.tenant,
    score: s.score,
    scoreDelta: s.sinceLastReview.scoreDelta,
    hosts: s.hosts.total,
    openFindings: s.openFindings,
    criticalFindings: s.findingsBySeverity.critical,
    endOfLifeOs: report.lifecycle.os.counts.end_of_life,
    overdueHardware: report.hardwareForecast.overdue.hosts.length,
    /** overdue hardware plus the next four quarters, at the tenant's unit costs */
    budgetNext4Quarters: report.hardwareForecast.budgetNextYear,
    currency: report.hardwareForecast.unitCost.currency,
  };
}

export type PortfolioRow = ReturnType<typeof portfolioRow>;

/** The tenants a portfolio covers: not archived, and only the caller's own for a scoped token. */
export async function portfolioTenants(store: Store, scope: string | null): Promise<Tenant[]> {
  return (await store.tenants.listTenants()).filter(
    (t) => !t.archivedAt && (scope === null || t.id === scope),
  );
}

/**
 * Every tenant given, in slug order. `onTenant` hears each one as it is done (the CLI
 * prints progress, and writes each tenant's own files from the same report).
 */
export async function buildPortfolioReport(
  store: Store,
  tenants: Tenant[],
  now: Date,
  options: TenantReportOptions = {},
  deps: TenantReportDeps = {},
  onTenant?: (report: TenantReport) => Promise<void> | void,
) {
  const rows: PortfolioRow[] = [];
  for (const tenant of [...tenants].sort((a, b) => a.slug.localeCompare(b.slug))) {
    const report = await buildTenantReport(store, tenant, now, options, deps);
    rows.push(portfolioRow(report));
    await onTenant?.(report);
  }
  const scored = rows.filter((r) => r.score !== null);
  return jsonified({
    schema: PORTFOLIO_REPORT_SCHEMA,
    generatedAt: now,
    totals: {
      tenants: rows.length,
      hosts: rows.reduce((n, r) => n + r.hosts, 0),
      criticalFindings: rows.reduce((n, r) => n + r.criticalFindings, 0),
      endOfLifeOs: rows.reduce((n, r) => n + r.endOfLifeOs, 0),
      overdueHardware: rows.reduce((n, r) => n + r.overdueHardware, 0),
      /** a plain mean of the tenants' scores: each client counts once */
      meanScore: scored.length
        ? Math.round((scored.reduce((n, r) => n + r.score!, 0) / scored.length) * 100) / 100
        : null,
    },
    tenants: rows,
  });
}

export type PortfolioReport = Awaited<ReturnType<typeof buildPortfolioReport>>;
