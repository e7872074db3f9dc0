// POST /api/v1/reports: the ingest path. Authenticated before the body is read, validated
// against report v1 (and a software list against its hash), answered 202 only after the
// report is committed. The 202 carries resend: ['software'] when the report named a
// software hash this collector does not hold.
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { ErrorBody, Report, ReportAccepted } from '@vcio/shared';
import { AgentAuthenticator } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { strictBodyCompiler } from '../http/validation.js';
import { checkSoftwareSection, splitSections } from '../ingest/sections.js';
import type { CollectorEvents } from '../events.js';
import { summariseReport } from '../live/summary.js';
import type { AgentRecord, Store } from '../store/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    agent: AgentRecord | null;
    /** performance.now() when the request arrived, for the ingest latency */
    startedAt: number;
  }
}

/** The error code of a JSON error body, for the rejection event; cheap on the error path only. */
function errorCodeOf(payload: unknown): string {
  if (typeof payload !== 'string') return 'unknown';
  try {
    const code = (JSON.parse(payload) as { error?: unknown }).error;
    return typeof code === 'string' ? code : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const reportRoutes =
  (store: Store, events: CollectorEvents, admit?: onRequestHookHandler): FastifyPluginAsync =>
  async (app) => {
    const agents = new AgentAuthenticator(store, events);
    app.addHook('onClose', async () => agents.close());
    app.decorateRequest('agent', null);
    app.decorateRequest('startedAt', 0);
    // Plain JSON.parse for reports, in this plugin's scope only. Fastify's default parser
    // also scans every body for __proto__/constructor keys (~7% of ingest CPU), which
    // guards code that merges bodies into other objects. A report is never merged: it is
    // validated against a closed schema, read field by field and stored as JSON text.
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      (_request, body: string, done) => {
        try {
          done(null, JSON.parse(body));
        } catch (error) {
          done(
            new HttpError(400, 'invalid_json', `the body is not JSON: ${(error as Error).message}`),
          );
        }
      },
    );
    // onRequest runs before the body is read: a caller without credentials gets its 401
    // without the collector parsing (or inflating) what it sent.
    app.addHook('onRequest', async (request) => {
      request.startedAt = performance.now();
      request.agent = await agents.authenticate(request);
    });
    // Admission (http/overload.ts) comes after authentication, still before the body: only
    // agents take an in-flight slot, so connections without credentials that send their
    // body slowly cannot fill the slots and shut real agents out. Authentication is a
    // cached lookup and a hash, cheap enough to run under overload.
    if (admit) app.addHook('onRequest', admit);

    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode >= 400)
        events.emit('report.rejected', {
          reason: errorCodeOf(payload),
          status: reply.statusCode,
        });
      return payload;
    });

    app.post<{ Body: Report }>(
      '/reports',
      {
        schema: { body: Report, response: { 202: ReportAccepted, '4xx': ErrorBody } },
        validatorCompiler: strictBodyCompiler,
      },
      async (request, reply) => {
        const agent = request.agent!;
        const report = request.body;
        if (report.agent.id !== agent.id) {
          throw new HttpError(
            403,
            'agent_mismatch',
            `body/agent/id ${report.agent.id} is not the authenticated agent ${agent.id}`,
          );
        }
        // An agent speaks only for the machine it enrolled as: its credentials copied to
        // another machine (a cloned VM, a copied state directory) write nothing there.
        if (report.host.machineId !== agent.machineId) {
          throw new HttpError(
            403,
            'machine_mismatch',
            `these credentials were enrolled for another machine (${agent.machineId}, not ${report.host.machineId}); re-enroll this machine: vcio-agent enroll --force`,
          );
        }
        const software = report.sections.software;
        const softwareProblem = software ? checkSoftwareSection(software) : null;
        if (softwareProblem) throw new HttpError(400, 'software_hash_mismatch', softwareProblem);
        const { stored, ignored } = splitSections(report);
        const receivedAt = new Date();
        const outcome = await store.reports.ingest({
          report,
          agent,
          receivedAt,
          sections: stored,
        });
        if (outcome.status === 'conflict') {
          throw new HttpError(
            409,
            'report_id_conflict',
            `report ${report.reportId} was already stored for another agent`,
          );
        }
        if (outcome.status === 'stored') {
          events.emit('report.stored', {
            tenantId: agent.tenantId,
            hostId: outcome.hostId,
            agentId: agent.id,
            hostname: report.host.hostname,
            reportId: report.reportId,
            collectedAt: new Date(report.collectedAt),
            receivedAt,
            sections: stored,
            // from the start of the request: reading, inflating and validating included
            ingestSeconds: (performance.now() - request.startedAt) / 1000,
            summary: summariseReport(report),
          });
        } else {
          events.emit('report.duplicate', {
            tenantId: agent.tenantId,
            agentId: agent.id,
            reportId: report.reportId,
          });
        }
        const answer: ReportAccepted = {
          reportId: report.reportId,
          duplicate: outcome.status === 'duplicate',
          ignoredSections: ignored,
        };
        // Left out when empty: agents read its absence as "nothing to resend".
        if (outcome.resend.length > 0) answer.resend = outcome.resend;
        // An admin asked for a new secret: the agent rotates by itself (POST /agent/rotate).
        if (agent.rotateRequestedAt) answer.rotateSecret = true;
        return reply.code(202).send(answer);
      },
    );
  };
