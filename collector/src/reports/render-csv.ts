// CSV for spreadsheets: one table per file (Excel cannot open two tables in one sheet
// sensibly), so a tenant report is either its hosts or its open findings. Written for Excel
// first: a UTF-8 byte-order mark (or Excel guesses the code page and mangles names), CRLF
// line ends, RFC 4180 quoting, ISO dates, and text that would start a formula defused.
import { CATEGORIES } from '@vcio/shared';
import type { PortfolioReport } from './portfolio.js';
import type { TenantReport } from './tenant-report.js';

export const CSV_PARTS = ['hosts', 'findings'] as const;
export type CsvPart = (typeof CSV_PARTS)[number];

type Cell = string | number | boolean | null | undefined;

const BOM = '\uFEFF';
/** A cell Excel or LibreOffice would evaluate: =, +, - and @ start a formula. */
const FORMULA_START = /^[=+\-@]/;

/** One cell, RFC 4180: quoted when it holds a quote, comma or line break; quotes doubled. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  // Text from agents (hostnames, evidence) is not trusted: a leading quote makes a
  // spreadsheet show it as text instead of running it.
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvTable(header: string[], rows: Cell[][]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

/** An instant as ISO 8601 to the second, UTC: what Excel and every other tool read. */
export function isoSeconds(value: string | null | undefined): string | null {
  if (!value) return null;
  return `${new Date(value).toISOString().slice(0, 19)}Z`;
}

export function hostsCsv(report: TenantReport): string {
  const header = [
    'hostname',
    'host_id',
    'role',
    'score',
    'coverage',
    ...CATEGORIES.map((c) => `score_${c}`),
    'os',
    'os_lifecycle',
    'os_end_of_support',
    'hardware_age_years',
    'replacement_due',
    'pending_updates',
    'pending_security_updates',
    'reboot_pending',
    'open_findings',
    'last_seen',
    'assessed_at',
  ];
  const rows = report.hosts.map((h) => [
    h.hostname,
    h.hostId,
    h.role,
    h.score,
    h.coverage,
    ...CATEGORIES.map((c) => h.categories?.[c] ?? null),
    h.os.label,
    h.os.state,
    h.os.eol,
    h.hardware?.ageYears ?? null,
    h.hardware?.replacementDue ?? null,
    h.pendingUpdates,
    h.securityUpdates,
    h.rebootPending,
    h.openFindings,
    isoSeconds(h.lastSeen),
    isoSeconds(h.assessedAt),
  ]);
  return csvTable(header, rows);
}

export function findingsCsv(report: TenantReport): string {
  const header = [
    'hostname',
    'host_id',
    'check_id',
    'title',
    'category',
    'severity',
    'weight',
    'evidence',
    'opened_at',
    'remediation',
  ];
  const rows = report.findings.map((f) => [
    f.hostname,
    f.hostId,
    f.checkId,
    f.title,
    f.category,
    f.severity,
    f.weight,
    f.evidence,
    isoSeconds(f.openedAt),
    f.remediation,
  ]);
  return csvTable(header, rows);
}

export function tenantCsv(report: TenantReport, part: CsvPart): string {
  return part === 'findings' ? findingsCsv(report) : hostsCsv(report);
}

export function portfolioCsv(report: PortfolioReport): string {
  const header = [
    'tenant',
    'name',
    'score',
    'score_change',
    'hosts',
    'open_findings',
    'critical_findings',
    'end_of_life_os',
    'overdue_hardware',
    'budget_next_4_quarters',
    'currency',
  ];
  const rows = report.tenants.map((r) => [
    r.tenant.slug,
    r.tenant.name,
    r.score,
    r.scoreDelta,
    r.hosts,
    r.openFindings,
    r.criticalFindings,
    r.endOfLifeOs,
    r.overdueHardware,
    r.budgetNext4Quarters,
    r.currency,
  ]);
  return csvTable(header, rows);
}
