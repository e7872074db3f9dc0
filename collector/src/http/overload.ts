// Admission control for ingest: under more load than the collector can store, it sheds
// reports with 503 `overloaded` and a Retry-After, before reading their bodies, instead
// of holding ever more bodies in memory.
//
// Why a cap is needed: every report being received, inflated, validated or waiting for
// its group commit holds its body (and its parsed copy) in memory, and nothing else
// bounds how many there are: Node accepts every connection, and agents retry. Two limits,
// checked when a request arrives (onRequest, after authentication, before the body):
//   - reports in flight, from arrival to answer (--max-in-flight-reports);
//   - their declared body bytes (Content-Length; a body without one counts as the body
//     limit), so a few large software lists cannot take as much memory as thousands of
//     small reports (--max-in-flight-report-bytes). A single report larger than the whole
//     budget is still let in when nothing else is in flight: the body limit governs it.
// Fastify has no such limit of its own (its bodyLimit is per request; @fastify/under-pressure
// sheds on event-loop delay or heap size, after the fact, and is not a dependency here).
//
// Retry-After is spread over [base, 2 × base) seconds: agents sleep exactly what it says,
// so a single value would bring every shed agent back in the same second.
//
// When storage is unavailable (availability.ts) reports are refused here too, with 503
// `storage_unavailable`, without reading them: nothing could store them.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StorageAvailability } from '../store/availability.js';

export interface IngestLimits {
  /** reports being received or stored at once; more are answered 503 overloaded */
  maxInFlight: number;
  /** the sum of their declared body sizes */
  maxInFlightBytes: number;
  /** Retry-After for a shed report: from this to twice this, in seconds */
  retryAfterSeconds: number;
}

/** How long agents wait before retrying while storage is unavailable. */
export const STORAGE_RETRY_AFTER_SECONDS = 30;

/** Shed requests are summed into one log line at most this often. */
const SHED_LOG_INTERVAL_MS = 60_000;

interface Logger {
  warn(obj: object, msg: string): void;
}

export interface IngestAdmissionOptions {
  limits: IngestLimits;
  /** what a body without Content-Length may grow to */
  bodyLimitBytes: number;
  storage: StorageAvailability;
  logger: Logger;
  registry?: Registry;
  /** uniform in [0, 1), for the Retry-After spread; tests pin it */
  random?: () => number;
}

/**
 * Requests answered here (shed, or refused for storage) are logged in aggregate, not one
 * line each: server.ts skips its per-request "request rejected" line for them.
 */
const quietRejections = new WeakSet<FastifyRequest>();

export function isQuietRejection(request: FastifyRequest): boolean {
  return quietRejections.has(request);
}

/** Marks a request whose rejection is logged in aggregate elsewhere. */
export function markQuietRejection(request: FastifyRequest): void {
  quietRejections.add(request);
}

export class IngestAdmission {
  private inFlight = 0;
  private inFlightBytes = 0;
  private shedSinceLog = 0;
  private lastShedLog = 0;
  private readonly shed: Counter<'limit'> | null;
  private readonly random: () => number;

  constructor(private readonly options: IngestAdmissionOptions) {
    this.random = options.random ?? Math.random;
    const registers = options.registry ? [options.registry] : [];
    this.shed = options.registry
      ? new Counter({
          name: 'vcio_ingest_shed_total',
          help: 'Reports answered 503 overloaded, by the limit reached (requests or bytes).',
          labelNames: ['limit'],
          registers,
        })
      : null;
    if (options.registry) {
      const self = () => this;
      new Gauge({
        name: 'vcio_ingest_in_flight_reports',
        help: 'Reports being received or stored right now (see --max-in-flight-reports).',
        registers,
        collect() {
          this.set(self().inFlight);
        },
      });
      new Gauge({
        name: 'vcio_ingest_in_flight_report_bytes',
        help: 'Declared body bytes of the reports in flight (see --max-in-flight-report-bytes).',
        registers,
        collect() {
          this.set(self().inFlightBytes);
        },
      });
    }
  }

  /** Reports in flight now (tests). */
  get current(): { reports: number; bytes: number } {
    return { reports: this.inFlight, bytes: this.inFlightBytes };
  }

  /** The onRequest hook for the ingest route: admit (and release on close), or answer 503. */
  readonly hook: onRequestHookHandler = (request, reply, done) => {
    const { storage, limits } = this.options;
    if (storage.refusing) {
      storage.countRefused();
      markQuietRejection(request);
      const status = storage.status;
      reply
        .code(503)
        .header('retry-after', String(STORAGE_RETRY_AFTER_SECONDS))
        .send({
          error: 'storage_unavailable',
          message: `the collector cannot store reports right now (${status.available ? 'recovering' : status.reason}); retry later`,
        });
      return;
    }
    const bytes = this.declaredBytes(request);
    const overRequests = this.inFlight >= limits.maxInFlight;
    const overBytes = this.inFlight > 0 && this.inFlightBytes + bytes > limits.maxInFlightBytes;
    if (overRequests || overBytes) {
      this.refuse(request, reply, overRequests ? 'requests' : 'bytes');
      return;
    }
    this.inFlight++;
    this.inFlightBytes += bytes;
    // 'close' fires once the answer is sent or the client went away, whichever comes first.
    reply.raw.once('close', () => {
      this.inFlight--;
      this.inFlightBytes -= bytes;
      // A store the probe cannot check recovers on its first write that succeeds.
      if (reply.statusCode < 300 && !storage.available) storage.reportSuccess();
    });
    done();
  };

  private declaredBytes(request: FastifyRequest): number {
    const declared = Number(request.headers['content-length']);
    return Number.isFinite(declared) && declared >= 0
      ? Math.min(declared, this.options.bodyLimitBytes)
      : this.options.bodyLimitBytes;
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, limit: 'requests' | 'bytes'): void {
    this.shed?.inc({ limit });
    markQuietRejection(request);
    this.logShed(limit);
    const base = this.options.limits.retryAfterSeconds;
    const retryAfter = base + Math.floor(this.random() * base);
    reply
      .code(503)
      .header('retry-after', String(retryAfter))
      .send({
        error: 'overloaded',
        message: `the collector is receiving more reports than it can store (${limit === 'requests' ? `${this.options.limits.maxInFlight} in flight` : 'in-flight bytes at the limit'}); retry after ${retryAfter} s`,
      });
  }

  /** The first shed after a quiet minute is logged at once; the rest summed once a minute. */
  private logShed(limit: string): void {
    this.shedSinceLog++;
    const now = Date.now();
    if (now - this.lastShedLog < SHED_LOG_INTERVAL_MS) return;
    this.options.logger.warn(
      {
        shed: this.shedSinceLog,
        limit,
        inFlight: this.inFlight,
        inFlightBytes: this.inFlightBytes,
      },
      'ingest overloaded: shedding reports with 503 and Retry-After',
    );
    this.lastShedLog = now;
    this.shedSinceLog = 0;
  }
}
