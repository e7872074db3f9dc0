// Posture reports for strategy reviews over the API: one tenant's report as JSON, CSV
// (hosts or findings), HTML or PDF, and the portfolio across the tenants a token may see.
// Reading only: any API token in scope; a tenant outside a scoped token's tenant is a 404.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { HttpError } from '../http/errors.js';
import type { PostureService } from '../posture/service.js';
import { buildPortfolioReport, portfolioTenants } from '../reports/portfolio.js';
import {
  ReportRequestError,
  csvPart,
  paper,
  parseSince,
  portfolioFormat,
  tenantFormat,
} from '../reports/report-request.js';
import {
  contentDisposition,
  renderPortfolioReport,
  renderTenantReport,
  type RenderedFile,
} from '../reports/render.js';
import { buildTenantReport } from '../reports/tenant-report.js';
import type { Store } from '../store/types.js';
import { visibleTenant } from './visibility.js';

const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 128 }) });

// Free strings here and checked in the handler, so a wrong value gets a message naming
// the accepted ones rather than a schema path.
const Choice = Type.String({ maxLength: 64 });
const TenantReportQuery = Type.Object(
  {
    format: Type.Optional(Choice),
    since: Type.Optional(Type.String({ maxLength: 64 })),
    part: Type.Optional(Choice),
    paper: Type.Optional(Choice),
  },
  { additionalProperties: false },
);
const PortfolioQuery = Type.Object(
  {
    format: Type.Optional(Choice),
    since: Type.Optional(Type.String({ maxLength: 64 })),
    paper: Type.Optional(Choice),
  },
  { additionalProperties: false },
);

function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ReportRequestError) throw new HttpError(400, error.code, error.message);
    throw error;
  }
}

function send(reply: FastifyReply, file: RenderedFile) {
  reply
    .header('content-type', file.contentType)
    .header('content-disposition', contentDisposition(file))
    // a report holds a client's weaknesses: no shared cache keeps a copy
    .header('cache-control', 'private, no-store');
  if (file.pdf) reply.header('x-vcio-pdf-renderer', file.pdf.renderer);
  return reply.send(file.body);
}

export const reportExportRoutes =
  (store: Store, posture: PostureService): FastifyPluginAsync =>
  async (app) => {
    const deps = { lifecycleSource: () => posture.lifecycleSource() };

    app.get<{ Params: Static<typeof TenantParams>; Querystring: Static<typeof TenantReportQuery> }>(
      '/tenants/:tenant/report',
      { schema: { params: TenantParams, querystring: TenantReportQuery } },
      async (request, reply) => {
        const now = new Date();
        const q = request.query;
        const format = checked(() => tenantFormat(q.format ?? 'json'));
        const options = checked(() => ({
          since: q.since === undefined ? undefined : parseSince(q.since, now),
          part: csvPart(q.part ?? 'hosts'),
          paper: paper(q.paper ?? 'a4'),
        }));
        const tenant = await visibleTenant(store, request.principal!, request.params.tenant);
        const report = await buildTenantReport(store, tenant, now, { since: options.since }, deps);
        const file = await renderTenantReport(report, format, options);
        if (file.pdf?.fallbackReason) {
          request.log.warn(
            { tenant: tenant.slug, reason: file.pdf.fallbackReason },
            'report: Chromium could not print the PDF; used pdfkit',
          );
        }
        return send(reply, file);
      },
    );

    app.get<{ Querystring: Static<typeof PortfolioQuery> }>(
      '/reports/portfolio',
      { schema: { querystring: PortfolioQuery } },
      async (request, reply) => {
        const now = new Date();
        const q = request.query;
        const format = checked(() => portfolioFormat(q.format ?? 'json'));
        const since = checked(() => (q.since === undefined ? undefined : parseSince(q.since, now)));
        const paperSize = checked(() => paper(q.paper ?? 'a4'));
        // an admin token sees every tenant; a scoped token, its own only
        const tenants = await portfolioTenants(store, request.principal!.tenantId);
        const report = await buildPortfolioReport(store, tenants, now, { since }, deps);
        return send(reply, renderPortfolioReport(report, format, { paper: paperSize }));
      },
    );
  };
