// Enrollment: trade a tenant's enrollment token for this agent's own id and secret.
import type { EnrollRequest, EnrollResponse } from '@vcio/shared';
import { AgentError } from './errors.js';
import type { Logger } from './log.js';
import { saveCredentials, type Credentials } from './state.js';
import type { TlsSettings } from './tls.js';
import {
  apiUrl,
  checkCollectorUrl,
  postWithRetry,
  type RetryPolicy,
  type TransportDeps,
} from './transport.js';
import { AGENT_VERSION } from './version.js';

export interface EnrollOptions {
  url: string;
  token: string;
  insecureHttp: boolean;
  /** --ca-file / --pin-sha256: checked on this request, and kept for every later one */
  tls?: TlsSettings;
  machineId: string;
  hostname: string;
  stateDir: string;
  policy: RetryPolicy;
  deps: TransportDeps;
  logger: Logger;
  now?: () => Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseEnrollResponse(body: string): EnrollResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AgentError('enrollment answer from the collector is not JSON');
  }
  const v = parsed as Partial<Record<keyof EnrollResponse, unknown>>;
  if (
    typeof v.agentId !== 'string' ||
    !UUID.test(v.agentId) ||
    typeof v.secret !== 'string' ||
    v.secret === '' ||
    typeof v.tenant !== 'string'
  ) {
    throw new AgentError('enrollment answer from the collector lacks agentId, secret or tenant');
  }
  return { agentId: v.agentId, secret: v.secret, tenant: v.tenant };
}

export async function enroll(
  options: EnrollOptions,
): Promise<{ credentials: Credentials; file: string }> {
  // Normalised (no trailing slash) so every later request builds its URLs the same way.
  const base = checkCollectorUrl(options.url, options.insecureHttp).toString().replace(/\/+$/, '');
  const request: EnrollRequest = {
    token: options.token,
    machineId: options.machineId,
    hostname: options.hostname.slice(0, 255),
    agentVersion: AGENT_VERSION,
  };
  const { response } = await postWithRetry(apiUrl(base, 'enroll'), request, {
    what: 'enrollment',
    tls: options.tls,
    policy: options.policy,
    deps: options.deps,
  });
  const answer = parseEnrollResponse(response.body);
  const credentials: Credentials = {
    collectorUrl: base,
    agentId: answer.agentId,
    secret: answer.secret,
    tenant: answer.tenant,
    enrolledAt: (options.now ?? (() => new Date()))().toISOString(),
    ...(options.insecureHttp ? { insecureHttp: true } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  };
  const file = await saveCredentials(options.stateDir, credentials);
  options.logger.info(
    { agentId: answer.agentId, tenant: answer.tenant, collector: base, file },
    'enrolled',
  );
  return { credentials, file };
}
