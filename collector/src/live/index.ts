// The live feed (/api/v1/live): the route plugin, and the connected-client count for metrics.
export { liveRoutes, MAX_CLIENT_MESSAGE_BYTES } from './route.js';
export { liveClientCount, LIVE_DEFAULTS, type LiveOptions } from './feed.js';
