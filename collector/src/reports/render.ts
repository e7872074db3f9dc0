// One report document to one file of a format: the bytes, their content type and a file
// name. The API and the `export` command both render through here, so a download and an
// exported file are the same bytes.
import { chromiumPdf } from './pdf-chromium.js';
import { pdfkitPdf } from './pdf-pdfkit.js';
import type { PortfolioReport } from './portfolio.js';
import { portfolioCsv, tenantCsv, type CsvPart } from './render-csv.js';
import { portfolioHtml, tenantHtml, type Paper } from './render-html.js';
import type { TenantReport } from './tenant-report.js';

export const TENANT_FORMATS = ['json', 'csv', 'html', 'pdf'] as const;
export type TenantFormat = (typeof TENANT_FORMATS)[number];
export const PORTFOLIO_FORMATS = ['json', 'csv', 'html'] as const;
export type PortfolioFormat = (typeof PORTFOLIO_FORMATS)[number];

export type PdfRenderer = 'chromium' | 'pdfkit';

export interface RenderedFile {
  body: Buffer;
  contentType: string;
  fileName: string;
  /** inline: a browser shows it; attachment: it is saved (CSV) */
  disposition: 'inline' | 'attachment';
  /** which renderer made a PDF, and why Chromium was not it */
  pdf?: { renderer: PdfRenderer; fallbackReason: string | null };
}

export interface RenderOptions {
  part?: CsvPart;
  paper?: Paper;
  /** a Chromium binary other than VCIO_CHROMIUM or /usr/bin/chromium */
  chromium?: string;
}

const CONTENT_TYPES: Record<TenantFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
};

/** A file-name-safe slug: tenant slugs are validated, but a file name must never carry a path. */
const safe = (text: string) =>
  text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'tenant';

/** e.g. acme-posture-2026-12-04.pdf, acme-posture-findings-2026-12-04.csv */
export function reportFileName(
  name: string,
  generatedAt: string,
  format: TenantFormat,
  part?: CsvPart,
): string {
  const kind = part ? `posture-${part}` : 'posture';
  return `${safe(name)}-${kind}-${generatedAt.slice(0, 10)}.${format}`;
}

/** A header value that cannot break out of its quotes (the name is safe already). */
export const contentDisposition = (file: RenderedFile) =>
  `${file.disposition}; filename="${file.fileName}"`;

export async function renderTenantReport(
  report: TenantReport,
  format: TenantFormat,
  options: RenderOptions = {},
): Promise<RenderedFile> {
  const base = {
    contentType: CONTENT_TYPES[format],
    fileName: reportFileName(
      report.tenant.slug,
      report.generatedAt,
      format,
      format === 'csv' ? (options.part ?? 'hosts') : undefined,
    ),
    disposition: format === 'csv' ? ('attachment' as const) : ('inline' as const),
  };
  switch (format) {
    case 'json':
      return { ...base, body: Buffer.from(`${JSON.stringify(report, null, 2)}\n`) };
    case 'csv':
      return { ...base, body: Buffer.from(tenantCsv(report, options.part ?? 'hosts')) };
    case 'html':
      return { ...base, body: Buffer.from(tenantHtml(report, options.paper)) };
    case 'pdf': {
      try {
        const body = await chromiumPdf(tenantHtml(report, options.paper), {
          binary: options.chromium,
        });
        return { ...base, body, pdf: { renderer: 'chromium', fallbackReason: null } };
      } catch (error) {
        const body = await pdfkitPdf(report, options.paper);
        const reason = error instanceof Error ? error.message : String(error);
        return { ...base, body, pdf: { renderer: 'pdfkit', fallbackReason: reason } };
      }
    }
  }
}

export function renderPortfolioReport(
  report: PortfolioReport,
  format: PortfolioFormat,
  options: RenderOptions = {},
): RenderedFile {
  const base = {
    contentType: CONTENT_TYPES[format],
    fileName: reportFileName('portfolio', report.generatedAt, format),
    disposition: format === 'csv' ? ('attachment' as const) : ('inline' as const),
  };
  const body =
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'csv'
        ? portfolioCsv(report)
        : portfolioHtml(report, options.paper);
  return { ...base, body: Buffer.from(body) };
}
