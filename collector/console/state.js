// The console's state in one object, shared by its modules: the session (token, tenant),
// the watched tenant's hosts and what is drawn of them, the open host, and the live feed.

export const TOKEN_KEY = 'vcio.token';

export const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  tenant: null,
  /** tenant id -> { id, name, score (undefined: not read yet), scored, assessed } */
  tenants: new Map(),
  tenantTimer: null,
  /** host id -> OS lifecycle { label, state, eol, reason } of the watched tenant */
  lifecycle: new Map(),
  lifecycleTimer: null,
  lifecycleReload: null,
  /** the open host's posture part: pending reload, and a counter that drops stale answers */
  postureReload: null,
  postureSeq: 0,
  /** hostId -> row model */
  hosts: new Map(),
  /** the watched tenant's open sites, by slug */
  sites: [],
  /** site filter: '' any, '-' hosts in no site, else a site id */
  site: '',
  online: new Set(),
  sort: { key: 'lastSeen', dir: -1 },
  filter: '',
  onlineOnly: false,
  /** the host open in the detail view */
  selected: null,
  chart: null,
  perf: { t: [], cpu: [], mem: [] },
  /** live feed */
  ws: null,
  lastId: null,
  heartbeatMs: 20_000,
  retryMs: 1000,
  retryTimer: null,
  watchdog: null,
  renderQueued: false,
  hostsReload: null,
};
