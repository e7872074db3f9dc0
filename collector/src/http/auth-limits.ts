// Limits on what one client address may repeat: failed authentications (agents and API
// tokens) and enrollment attempts. Token buckets per address, in memory, in maps of
// bounded size.
//
// The numbers (DEFAULT_AUTH_LIMITS):
// - failed authentications: a burst of 20, then one more every 30 s; past that a failure
//   is answered 429 with Retry-After instead of 401.
// - enrollment attempts (any outcome): a burst of 30, then one every 2 s (30 a minute);
//   past that, or while the address is over its failure limit, 429 before the body is read.
// - at most 10,000 addresses per map (about 1 MB), IPv6 counted per /64, loopback exempt.
//
// A valid credential is always accepted, even from an address over its failure limit:
// the agents of one client site usually share one public address, and one bad machine
// there must not be able to stop every other from reporting. The limit therefore does not
// protect the secrets (256 random bits each: guessing is hopeless anyway); it slows a
// client that keeps failing, tells an agent with a stale credential to back off, and puts
// a warning in the log when an address crosses it. Only the failure path touches the
// buckets, so the ingest of authenticated agents costs nothing more.
//
// Loopback is exempt: processes on the collector's own host (admin scripts, a reverse
// proxy, the test suite) are not the attackers this is for. Behind a reverse proxy every
// client shares the proxy's address and these limits do not apply (SECURITY.md).
//
// Every surface that takes a credential counts into the same failure bucket of an address:
// the REST API and enrollment (HTTP 401 → 429), the live websocket (an error message and a
// close with 1008, policy violation) and /metrics (401 → 429). So a client cannot get more
// guesses by spreading them over surfaces. Each failure, loopback's too, is counted in
// vcio_auth_failures_total{surface}, each refusal by a limit in
// vcio_auth_rate_limited_total{surface}.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  onResponseAsyncHookHandler,
} from 'fastify';
import { authFailures, authRateLimited, type AuthSurface } from '../metrics/registry.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** absent on an app built without registerAuthLimits: then nothing is limited */
    authLimits?: AuthLimits;
  }
}

export interface BucketLimit {
  /** how many may come at once */
  burst: number;
  /** one more allowed every this many milliseconds */
  refillEveryMs: number;
}

export interface AuthLimitOptions {
  failures: BucketLimit;
  enrollments: BucketLimit;
  /** addresses remembered per map; the least recently created go first beyond it */
  maxAddresses: number;
  exemptLoopback: boolean;
  /** clock in ms (tests move it) */
  now: () => number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimitOptions = {
  failures: { burst: 20, refillEveryMs: 30_000 },
  enrollments: { burst: 30, refillEveryMs: 2_000 },
  maxAddresses: 10_000,
  exemptLoopback: true,
  now: () => Date.now(),
};

export type TakeResult = { allowed: true } | { allowed: false; waitMs: number; first: boolean };

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** refused since it last gave a token: the warning is logged once per episode */
  refusing: boolean;
}

/** Token buckets keyed by address, at most `maxEntries` of them. */
export class AddressBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: BucketLimit,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`, or says how long until there is one. */
  take(key: string): TakeResult {
    const bucket = this.current(key, true)!;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.refusing = false;
      return { allowed: true };
    }
    const first = !bucket.refusing;
    bucket.refusing = true;
    return { allowed: false, waitMs: this.waitFor(bucket), first };
  }

  /** Milliseconds until `key` has a token again; 0 when it has one now. Takes nothing. */
  wait(key: string): number {
    const bucket = this.current(key, false);
    return bucket && bucket.tokens < 1 ? this.waitFor(bucket) : 0;
  }

  private waitFor(bucket: Bucket): number {
    return Math.ceil((1 - bucket.tokens) * this.limit.refillEveryMs);
  }

  private current(key: string, create: boolean): Bucket | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket) {
      const refilled = (now - bucket.updatedAt) / this.limit.refillEveryMs;
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + Math.max(0, refilled));
      bucket.updatedAt = now;
      return bucket;
    }
    if (!create) return undefined;
    if (this.buckets.size >= this.maxEntries) this.makeRoom(now);
    const fresh: Bucket = { tokens: this.limit.burst, updatedAt: now, refusing: false };
    this.buckets.set(key, fresh);
    return fresh;
  }

  /**
   * A full bucket is the same as none, so those go first; if that is not enough, the
   * oldest tenth goes. Evicting a tenth at a time keeps the sweep's cost per new address
   * constant when an attacker cycles through many addresses.
   */
  private makeRoom(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + (now - bucket.updatedAt) / this.limit.refillEveryMs;
      if (tokens >= this.limit.burst) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxEntries) return;
    let evict = Math.max(1, Math.ceil(this.maxEntries / 10));
    for (const key of this.buckets.keys()) {
      if (evict-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The key an address is limited under: IPv4 as is, IPv6 by its /64 (one subscriber
 * usually holds a whole /64, so counting single addresses would let one client rotate
 * through billions); null for loopback when it is exempt.
 */
export function addressKey(ip: string, exemptLoopback: boolean): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  if (!address.includes(':')) {
    return exemptLoopback && address.startsWith('127.') ? null : address;
  }
  const groups = ipv6Groups(address);
  if (!groups) return address;
  if (exemptLoopback && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return null;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address; null when it is not one. */
function ipv6Groups(ip: string): number[] | null {
  const text = ip.split('%')[0]!; // a zone (fe80::1%eth0) names an interface, not a host
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (half: string | undefined): number[] | null => {
    if (!half) return [];
    const out: number[] = [];
    for (const part of half.split(':')) {
      if (part.includes('.')) {
        // an embedded IPv4 in the last 32 bits
        const octets = part.split('.').map(Number);
        if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return null;
        out.push(octets[0]! * 256 + octets[1]!, octets[2]! * 256 + octets[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing < 1 ? null : [...head, ...new Array<number>(missing).fill(0), ...tail];
}

export class AuthLimits {
  readonly options: AuthLimitOptions;
  readonly failures: AddressBuckets;
  readonly enrollments: AddressBuckets;

  constructor(options: Partial<AuthLimitOptions> = {}) {
    this.options = { ...DEFAULT_AUTH_LIMITS, ...options };
    const { maxAddresses, now } = this.options;
    this.failures = new AddressBuckets(this.options.failures, maxAddresses, now);
    this.enrollments = new AddressBuckets(this.options.enrollments, maxAddresses, now);
  }

  /** undefined ip: the socket closed before the request was handled; nothing to count */
  key(ip: string | undefined): string | null {
    return ip ? addressKey(ip, this.options.exemptLoopback) : null;
  }
}

const retryAfter = (waitMs: number) => ({
  'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
});

/** Takes a failure token; the first refusal of an episode is logged for the operator. */
function countFailure(request: FastifyRequest, limits: AuthLimits, key: string): TakeResult {
  const taken = limits.failures.take(key);
  if (!taken.allowed && taken.first) {
    request.log.warn(
      { address: key, retryAfterSeconds: Math.ceil(taken.waitMs / 1000) },
      'too many failed authentications from one address: answering 429',
    );
  }
  return taken;
}

export type FailureVerdict = { limited: false } | { limited: true; retryAfterSeconds: number };

/**
 * Counts a failed authentication on `surface` (metric, and the address's failure bucket);
 * says whether the address is now past its limit. For surfaces that answer in their own
 * way (the websocket); HTTP routes use afterAuthFailure.
 */
export function recordAuthFailure(request: FastifyRequest, surface: AuthSurface): FailureVerdict {
  authFailures.inc({ surface });
  const limits = request.server.authLimits;
  const key = limits?.key(request.ip);
  if (!limits || key === null || key === undefined) return { limited: false };
  const taken = countFailure(request, limits, key);
  if (taken.allowed) return { limited: false };
  authRateLimited.inc({ surface });
  return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(taken.waitMs / 1000)) };
}

/**
 * What to answer a failed authentication with: `error` itself (a 401) while the address is
 * under its limit, a 429 with Retry-After past it.
 */
export function afterAuthFailure(
  request: FastifyRequest,
  error: HttpError,
  surface: AuthSurface = 'api',
): HttpError {
  const verdict = recordAuthFailure(request, surface);
  if (!verdict.limited) return error;
  return new HttpError(
    429,
    'too_many_failures',
    'too many failed authentications from this address; check the credential and retry later',
    retryAfter(verdict.retryAfterSeconds * 1000),
  );
}

/**
 * Route hooks for POST /enroll: every attempt takes a token before the body is read, an
 * address over its failure limit waits too, and a refused enrollment (401) counts as a
 * failed authentication.
 */
export function enrollmentLimitHooks(): {
  onRequest: onRequestAsyncHookHandler;
  onResponse: onResponseAsyncHookHandler;
} {
  return {
    async onRequest(this: FastifyInstance, request: FastifyRequest) {
      const limits = request.server.authLimits;
      const key = limits?.key(request.ip);
      if (!limits || key === null || key === undefined) return;
      const failing = limits.failures.wait(key);
      if (failing > 0) {
        authRateLimited.inc({ surface: 'enroll' });
        throw new HttpError(
          429,
          'too_many_failures',
          'too many failed enrollments from this address; check the enrollment token and retry later',
          retryAfter(failing),
        );
      }
      const taken = limits.enrollments.take(key);
      if (taken.allowed) return;
      authRateLimited.inc({ surface: 'enroll' });
      if (taken.first) {
        request.log.warn(
          { address: key, retryAfterSeconds: Math.ceil(taken.waitMs / 1000) },
          'too many enrollments from one address: answering 429',
        );
      }
      throw new HttpError(
        429,
        'too_many_enrollments',
        'too many enrollment attempts from this address; retry later',
        retryAfter(taken.waitMs),
      );
    },
    async onResponse(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      if (reply.statusCode !== 401) return;
      // The 401 has gone out: the bucket only decides the address's next attempts.
      authFailures.inc({ surface: 'enroll' });
      const limits = request.server.authLimits;
      const key = limits?.key(request.ip);
      if (limits && key !== null && key !== undefined) countFailure(request, limits, key);
    },
  };
}

/** Makes the limits live for every route of `app`; returns them (tests look inside). */
export function registerAuthLimits(
  app: FastifyInstance,
  options: Partial<AuthLimitOptions> = {},
): AuthLimits {
  const limits = new AuthLimits(options);
  app.decorate('authLimits', limits);
  return limits;
}
