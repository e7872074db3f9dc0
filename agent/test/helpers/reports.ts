// Small valid reports and delivery plumbing for the outbox tests.
import { httpPost } from '../../src/http-client.js';
import { newReportId, type Report } from '@vcio/shared';
import { silentLogger, type Logger } from '../../src/log.js';
import type { Credentials } from '../../src/state.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type TransportDeps } from '../../src/transport.js';
import { AGENT_VERSION } from '../../src/version.js';

export const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';
export const SECRET = 'outbox-test-secret-0123456789';

/** A report valid against the contract; `n` ends up in the hostname to tell them apart. */
export function makeReport(n: number): Report {
  return {
    schema: 'vcio.report/v1',
    reportId: newReportId(),
    agent: { id: AGENT_ID, version: AGENT_VERSION },
    host: { machineId: 'm', hostname: `host-${n}` },
    collectedAt: new Date().toISOString(),
    sections: {},
    errors: [],
  };
}

export function credentialsFor(collectorUrl: string): Credentials {
  return {
    collectorUrl,
    agentId: AGENT_ID,
    secret: SECRET,
    tenant: 'acme',
    enrolledAt: '2026-01-01T00:00:00.000Z',
  };
}

/** One attempt per send unless told otherwise, no waiting between attempts. */
export function fastPolicy(maxAttempts = 1): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxAttempts, requestTimeoutMs: 5000 };
}

export function fastDeps(logger: Logger = silentLogger()): TransportDeps {
  return {
    post: httpPost,
    sleep: async () => {},
    random: () => 0,
    now: () => 0,
    logger,
  };
}
