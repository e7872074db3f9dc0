// HTTP to the collector: JSON bodies (gzip for reports), agent credentials, retries.
//
// Retry policy: network errors, timeouts, 408, 429 and 5xx are worth retrying; they are
// retried with "full jitter" exponential backoff (a random delay between 0 and
// min(cap, base * 2^n)), so a fleet whose collector comes back after an outage does not
// return in lockstep. A Retry-After header from the collector wins over the computed delay.
// Any other 4xx means the request itself is wrong (bad token, revoked agent, invalid or too
// large report): retrying cannot help, so it fails at once with the collector's reason.
//
// Plain http:// is refused for anything but loopback unless explicitly allowed: the agent's
// secret travels in every request. Over https the certificate is checked as tls.ts says
// (default store or --ca-file, pins); a failed check is not retried: it cannot pass on
// the next attempt, and its message says what to fix.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Report, ReportAccepted } from '@vcio/shared';
import { agentAuthorization, API_PREFIX } from '@vcio/shared/agent';
import { AgentError, errorMessage, RejectedError, UnreachableError, UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { httpPost, type HttpPost, type HttpResponse } from './http-client.js';
import type { Logger } from './log.js';
import type { Credentials } from './state.js';
import type { TlsSettings } from './tls.js';

const gzip = promisify(gzipCallback);

export interface RetryPolicy {
  /** attempts in total, the first included */
  maxAttempts: number;
  baseDelayMs: number;
  capDelayMs: number;
  /** per attempt */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  capDelayMs: 5 * 60 * 1000,
  requestTimeoutMs: 30_000,
};

export interface TransportDeps {
  post: HttpPost;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** uniform in [0, 1), for jitter */
  random(): number;
  /** wall clock in ms, for Retry-After dates */
  now(): number;
  logger: Logger;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** The collector's base URL, checked: https, or http only on loopback unless allowed. */
export function checkCollectorUrl(url: string, allowInsecureHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid collector URL '${url}'`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`collector URL must start with https:// (got '${parsed.protocol}')`);
  }
  if (parsed.username || parsed.password) {
    throw new UsageError('collector URL must not contain a user name or password');
  }
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw new UsageError(
      `refusing plain http:// to ${parsed.hostname}: the agent's credentials would travel unencrypted; use https://, or pass --insecure-http to allow it`,
    );
  }
  return parsed;
}

/** `{base}/api/v1/{path}`, keeping any path prefix the collector is served under. */
export function apiUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${API_PREFIX}/${path}`;
}

/** Full-jitter backoff before retry number `retry` (0 for the first retry). */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; null if absent/bad. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The collector's `{error, message}` in one line, or the start of whatever it sent. */
export function describeErrorBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string' || typeof parsed.message === 'string') {
      return [parsed.error, parsed.message].filter((s) => typeof s === 'string' && s).join(': ');
    }
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 200);
}

/** Why a request failed, in one line (a timeout, or the network error's cause or message). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError')
    return `no answer within ${timeoutMs / 1000} s`;
  const cause =
    err instanceof Error
      ? (err.cause as { message?: string; code?: string } | undefined)
      : undefined;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return errorMessage(err);
}

export interface PostOptions {
  headers?: Record<string, string>;
  gzip?: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  post?: HttpPost;
  tls?: TlsSettings;
}

export async function postJson(
  url: string,
  body: unknown,
  options: PostOptions,
): Promise<HttpResponse> {
  const json = JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...options.headers,
  };
  let payload: string | Buffer = json;
  if (options.gzip) {
    payload = await gzip(json);
    headers['content-encoding'] = 'gzip';
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  return (options.post ?? httpPost)(new URL(url), {
    headers,
    body: payload,
    signal,
    ...(options.tls ? { tls: options.tls } : {}),
  });
}

export interface RetryOptions {
  /** what is being sent, for messages: "report", "enrollment" */
  what: string;
  policy: RetryPolicy;
  deps: TransportDeps;
  headers?: Record<string, string>;
  gzip?: boolean;
  /** the CA and pins to check the collector's certificate with (tls.ts) */
  tls?: TlsSettings;
  /**
   * Stops retrying: no further attempt is started and a backoff wait ends at once. A request
   * already on the wire is left to finish (or time out), so stopping the agent does not cut
   * a report off half-sent.
   */
  signal?: AbortSignal;
}

export interface RetryResult {
  response: HttpResponse;
  attempts: number;
  durationMs: number;
}

export async function postWithRetry(
  url: string,
  body: unknown,
  options: RetryOptions,
): Promise<RetryResult> {
  const { policy, deps } = options;
  const started = performance.now();
  let lastProblem = 'no attempt made';
  for (let attempt = 1; attempt <= Math.max(1, policy.maxAttempts); attempt++) {
    let retryAfterMs: number | null = null;
    try {
      const response = await postJson(url, body, {
        headers: options.headers,
        gzip: options.gzip,
        timeoutMs: policy.requestTimeoutMs,
        post: deps.post,
        tls: options.tls,
      });
      if (response.status >= 200 && response.status < 300) {
        return { response, attempts: attempt, durationMs: Math.round(performance.now() - started) };
      }
      const reason = describeErrorBody(response.body);
      if (!isRetryableStatus(response.status)) {
        throw new RejectedError(
          `${options.what} rejected by the collector: HTTP ${response.status}${reason ? ` ${reason}` : ''}`,
          response.status,
        );
      }
      lastProblem = `HTTP ${response.status}${reason ? ` ${reason}` : ''}`;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), deps.now());
    } catch (err) {
      if (err instanceof AgentError) throw err;
      lastProblem = describeFetchError(err, policy.requestTimeoutMs);
    }
    if (attempt >= policy.maxAttempts) break;
    if (options.signal?.aborted) throw stopped(options.what, lastProblem);
    const delay = Math.min(
      policy.capDelayMs,
      retryAfterMs ?? backoffDelayMs(attempt - 1, policy, deps.random),
    );
    deps.logger.warn(
      { url, attempt, retryInMs: delay, problem: lastProblem },
      `sending ${options.what} failed, will retry`,
    );
    try {
      await deps.sleep(delay, options.signal);
    } catch {
      throw stopped(options.what, lastProblem);
    }
  }
  throw new UnreachableError(
    `collector unreachable: ${options.what} not accepted after ${policy.maxAttempts} attempt${policy.maxAttempts === 1 ? '' : 's'} (${url}): ${lastProblem}`,
  );
}

function stopped(what: string, lastProblem: string): AgentError {
  return new AgentError(
    `stopping: gave up retrying the ${what} (last problem: ${lastProblem})`,
    ExitCode.unreachable,
  );
}

export interface SendResult {
  status: number;
  attempts: number;
  durationMs: number;
  accepted: ReportAccepted | null;
}

export async function sendReport(
  report: Report,
  credentials: Credentials,
  options: Omit<RetryOptions, 'what' | 'headers' | 'gzip' | 'tls'>,
): Promise<SendResult> {
  const base = checkCollectorUrl(
    credentials.collectorUrl,
    credentials.insecureHttp === true,
  ).toString();
  const { response, attempts, durationMs } = await postWithRetry(apiUrl(base, 'reports'), report, {
    ...options,
    what: 'report',
    gzip: true,
    tls: credentials.tls,
    headers: { authorization: agentAuthorization(credentials.agentId, credentials.secret) },
  });
  let accepted: ReportAccepted | null = null;
  try {
    accepted = JSON.parse(response.body) as ReportAccepted;
  } catch {
    // a 2xx without the expected body still means stored
  }
  return { status: response.status, attempts, durationMs, accepted };
}
