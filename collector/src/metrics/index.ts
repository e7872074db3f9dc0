// Prometheus metrics (GET /metrics): health via prom-client, fleet and per-host families
// rendered from the database. See route.ts for freshness, fleet.ts for the names.
export { CollectorMetrics } from './health.js';
export { liveClients, setLiveClientSource } from './registry.js';
export { metricsRoutes, METRICS_CONTENT_TYPE, type MetricsRouteOptions } from './route.js';
export { renderFleet, type FleetSnapshot, type FleetHost } from './fleet.js';
export { sqliteFleetSource, type FleetSource } from './fleet-sqlite.js';
