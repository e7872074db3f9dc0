// Metrics other parts of the collector set: the live feed's connected websocket clients.
// A prom-client gauge registered in no registry of its own; each collector's /metrics
// registry adds it (a metric may sit in several registries).
import { Gauge } from 'prom-client';

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
