// Metrics other parts of the collector set: the live feed's connected websocket clients,
// and failed authentications on every surface (http/auth-limits.ts counts them).
// prom-client metrics registered in no registry of their own; each collector's /metrics
// registry adds them (a metric may sit in several registries).
import { Counter, Gauge } from 'prom-client';

/** Where a credential is presented: the REST API, enrollment, the live websocket, /metrics. */
export type AuthSurface = 'api' | 'enroll' | 'live' | 'metrics';

/** Every failed authentication, whether answered 401 or, past the limit, 429. */
export const authFailures = new Counter<'surface'>({
  name: 'vcio_auth_failures_total',
  help: 'Failed authentications (missing, unknown, wrong or revoked credentials), by surface.',
  labelNames: ['surface'],
  registers: [],
});

/** Refusals by the per-address limits: 429 on HTTP, a policy close on the websocket. */
export const authRateLimited = new Counter<'surface'>({
  name: 'vcio_auth_rate_limited_total',
  help: 'Requests refused by the per-address limits on failed authentications and enrollments (429, or a websocket closed 1008), by surface.',
  labelNames: ['surface'],
  registers: [],
});

// Every surface shows from the first scrape, at 0: an alert on rate() needs the series.
for (const surface of ['api', 'enroll', 'live', 'metrics'] as const) {
  authFailures.inc({ surface }, 0);
  authRateLimited.inc({ surface }, 0);
}

let liveClientSource: (() => number) | null = null;

/**
 * vcio_live_clients. Either set it (`liveClients.inc()` / `.dec()` / `.set(n)`), or give
 * a function that counts them on each scrape with setLiveClientSource.
 */
export const liveClients = new Gauge({
  name: 'vcio_live_clients',
  help: 'Websocket clients connected to the live feed.',
  registers: [],
  collect() {
    if (liveClientSource) this.set(liveClientSource());
  },
});

export function setLiveClientSource(count: (() => number) | null): void {
  liveClientSource = count;
}
