// What a caller may ask of a report, checked the same way for the API and the CLI: the
// format, the date of the last review, the CSV part and the paper size. Each refusal says
// what would have been accepted.
import { CSV_PARTS, type CsvPart } from './render-csv.js';
import { PAPERS, type Paper } from './render-html.js';
import {
  PORTFOLIO_FORMATS,
  TENANT_FORMATS,
  type PortfolioFormat,
  type TenantFormat,
} from './render.js';

export class ReportRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ReportRequestError(
    `invalid_${what}`,
    `${what} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`,
  );
}

export const tenantFormat = (value: string): TenantFormat => oneOf('format', value, TENANT_FORMATS);
export const portfolioFormat = (value: string): PortfolioFormat =>
  oneOf('format', value, PORTFOLIO_FORMATS);
export const csvPart = (value: string): CsvPart => oneOf('part', value, CSV_PARTS);
export const paper = (value: string): Paper => oneOf('paper', value, PAPERS);

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The last review: a date (midnight UTC) or an ISO date-time with a zone, not in the future. */
export function parseSince(value: string, now: Date): Date {
  const text = value.trim();
  const at = DATE_ONLY.test(text)
    ? new Date(`${text}T00:00:00Z`)
    : DATE_TIME.test(text)
      ? new Date(text)
      : null;
  if (
    !at ||
    Number.isNaN(at.getTime()) ||
    (DATE_ONLY.test(text) && at.toISOString().slice(0, 10) !== text)
  ) {
    throw new ReportRequestError(
      'invalid_since',
      `since must be a date (2026-09-01) or an ISO date-time with a zone (got "${text.slice(0, 40)}")`,
    );
  }
  if (at > now) throw new ReportRequestError('invalid_since', 'since must not be in the future');
  return at;
}
