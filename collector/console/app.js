// The vcio live console: sign in with an API token, pick a tenant, watch its hosts and
// their posture scores update over the live feed (/api/v1/live), open a host for its
// posture (findings, accepted risks, lifecycle), inventory and performance, its site (an
// admin moves it to another); and the views of other modules (installView).
// Plain ES module, no framework and no build step. Everything from the API is put in the
// page with textContent, never as HTML.
/* global document, Node, location, requestAnimationFrame */
import uPlot from '/console/vendor/uPlot.esm.js';
import technologyView from '/console/technology.js';
import deployView from '/console/deploy.js';

const TOKEN_KEY = 'vcio.token';
const TENANT_KEY = 'vcio.tenant';
/** Tenant scores of tenants other than the one watched live are re-read this often. */
const TENANT_REFRESH_MS = 60_000;
/** OS lifecycle states change with dates and data refreshes, not with reports. */
const LIFECYCLE_REFRESH_MS = 10 * 60_000;
/** A host's assessment sends posture.changed and finding events together: one reload. */
const POSTURE_RELOAD_DELAY_MS = 400;
const LIFECYCLE_RELOAD_DELAY_MS = 2_000;
const HOSTS_RELOAD_DELAY_MS = 2_000;

const $ = (selector) => document.querySelector(selector);

const state = {
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

// ---------- REST ----------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = 'GET', send } = {}) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${state.token}`,
      ...(send === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(send === undefined ? {} : { body: JSON.stringify(send) }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message || `${res.status} ${res.statusText}`);
  return body;
}

async function apiPages(path, key, max = 20_000) {
  const out = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; offset < max; offset += 1000) {
    const page = await api(`${path}${sep}limit=1000&offset=${offset}`);
    out.push(...page[key]);
    if (page[key].length < 1000) break;
  }
  return out;
}

// ---------- formatting ----------

const pad = (n) => String(n).padStart(2, '0');
function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function formatAgo(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
function formatOs(os) {
  if (!os || !os.platform) return '—';
  return [os.distro ?? os.platform, os.release].filter(Boolean).join(' ');
}
function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
const known = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** Score bands: below 50 needs work now, below 80 needs attention. */
const scoreBand = (score) => (score < 50 ? 'bad' : score < 80 ? 'warn' : 'ok');

/**
 * A score as text with its band class. undefined: not read yet; null: nothing could be
 * scored (no check applies, or no host scored), which is not the same as a bad score.
 */
function scoreView(score, { missing = 'not assessed yet', none = 'no check applies' } = {}) {
  if (score === undefined) return { text: '—', cls: 'muted', title: missing };
  if (score === null) return { text: 'n/a', cls: 'muted', title: none };
  return { text: score.toFixed(1), cls: `band-${scoreBand(score)}`, title: '' };
}

function scoreSpan(score, options) {
  const v = scoreView(score, options);
  return el('span', { class: `score ${v.cls}`, title: v.title }, v.text);
}

const LIFECYCLE_LABELS = {
  supported: 'supported',
  ending_soon: 'ending soon',
  end_of_life: 'end of life',
  unknown: 'unknown',
};
/** worst first, for sorting */
const LIFECYCLE_RANK = { end_of_life: 0, ending_soon: 1, unknown: 2, supported: 3 };

function supportEnd(lc) {
  if (!lc.eol) return 'no end-of-support date known';
  return lc.state === 'end_of_life' ? `support ended ${lc.eol}` : `support ends ${lc.eol}`;
}

/** "Debian 12 (Bookworm): supported, support ends 2028-06-30" */
function lifecycleText(lc) {
  const reason = lc.reason ? ` (${lc.reason})` : '';
  return `${known(lc.label)}: ${LIFECYCLE_LABELS[lc.state] ?? lc.state}, ${supportEnd(lc)}${reason}`;
}

/** The later of two { score, assessedAt } (ISO strings compare in time order). */
function newerPosture(a, b) {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.assessedAt >= b.assessedAt ? a : b;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node[k] = v;
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---------- views ----------

const APP_VIEWS = ['signin-view', 'hosts-view', 'host-view'];

function show(view) {
  closeView(false);
  for (const id of APP_VIEWS) $(`#${id}`).hidden = id !== view;
  const signedIn = view !== 'signin-view';
  $('#tenant-picker').hidden = !signedIn;
  $('#tenant-scores').hidden = !signedIn;
  $('#signout').hidden = !signedIn;
  for (const v of extraViews) v.button.hidden = !signedIn;
}

// ---------- views of other modules ----------
// technology.js and deploy.js build a section and a header button each and export them
// with onOpen/onClose; switching views stays here, in one place: opening one hides every
// other view, show() (a tenant picked, a host opened, signing out) closes it, and its back
// button returns to the view it was opened from.

const extraViews = [];
/** { view, previous } while a view of another module shows */
let openExtra = null;

function installView(view) {
  const back = el('button', { type: 'button', class: 'back' }, '← Back');
  back.addEventListener('click', () => closeView(true));
  view.section.hidden = true;
  view.section.prepend(back);
  view.button.hidden = true;
  view.button.addEventListener('click', () => openView(view));
  $('#signout').before(view.button);
  $('main').append(view.section);
  extraViews.push(view);
}

function openView(view) {
  const previous = openExtra?.previous ?? APP_VIEWS.find((id) => !$(`#${id}`).hidden);
  closeView(false);
  for (const id of APP_VIEWS) $(`#${id}`).hidden = true;
  openExtra = { view, previous: previous ?? 'hosts-view' };
  view.section.hidden = false;
  void view.onOpen?.();
}

function closeView(goBack) {
  if (!openExtra) return;
  const { view, previous } = openExtra;
  openExtra = null;
  view.section.hidden = true;
  view.onClose?.();
  if (goBack) show(previous);
}

function setLiveState(s, text) {
  const badge = $('#live-state');
  badge.dataset.state = s;
  badge.textContent = text;
}

function banner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = !text;
}

// ---------- sign in ----------

async function signIn(token) {
  state.token = token;
  let tenants;
  try {
    tenants = (await api('/tenants')).tenants;
  } catch (error) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('#signin-error').textContent =
      error.status === 401 ? 'That token is unknown, revoked or wrong.' : error.message;
    show('signin-view');
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('#signin-error').textContent = '';
  const select = $('#tenant');
  select.replaceChildren(...tenants.map((t) => el('option', { value: t.id }, t.name)));
  state.tenants = new Map(tenants.map((t) => [t.id, { id: t.id, name: t.name }]));
  const remembered = sessionStorage.getItem(TENANT_KEY);
  const pick = tenants.find((t) => t.id === remembered) ?? tenants[0];
  show('hosts-view');
  renderTenantScores();
  clearInterval(state.tenantTimer);
  state.tenantTimer = setInterval(() => void loadTenantScores(), TENANT_REFRESH_MS);
  if (pick) {
    select.value = pick.id;
    await selectTenant(pick.id);
  }
  void loadTenantScores();
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.tenant = null;
  closeLive();
  clearInterval(state.tenantTimer);
  clearInterval(state.lifecycleTimer);
  clearTimeout(state.lifecycleReload);
  state.lifecycleReload = null;
  clearTimeout(state.hostsReload);
  state.hostsReload = null;
  state.tenants.clear();
  state.lifecycle.clear();
  state.hosts.clear();
  $('#token').value = '';
  $('#signin-error').textContent = message;
  show('signin-view');
}

// ---------- hosts ----------

function hostModel(summary) {
  return {
    id: summary.id,
    hostname: summary.hostname,
    os: summary.os ?? null,
    lastSeen: summary.lastSeen,
    /** { id, slug, name } or null; undefined: not known yet (a host first seen live) */
    site: summary.site,
    pending: null,
    rebootRequired: null,
    /** { score, assessedAt } or null when the collector has not assessed it yet */
    posture: summary.posture ?? null,
  };
}

// ---------- tenant scores ----------

/** Each visible tenant's score over REST, a few at a time (an MSP may have hundreds). */
async function loadTenantScores() {
  const queue = [...state.tenants.values()];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      try {
        // top=1, days=1: only the score is shown here; the rest is work for nothing
        const view = await api(`/tenants/${encodeURIComponent(t.id)}/posture?top=1&days=1`);
        t.score = view.score;
        t.scored = view.hosts.scored;
        t.assessed = view.hosts.assessed;
      } catch (error) {
        if (error.status === 401) return signOut('The token was rejected: sign in again.');
        t.error = error.message;
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  renderTenantScores();
}

function renderTenantScores() {
  const parts = [...state.tenants.values()].map((t) => {
    const score = t.error
      ? el('span', { class: 'score error', title: t.error }, '?')
      : scoreSpan(t.score, {
          missing: 'loading…',
          none: 'no host of this tenant is scored yet',
        });
    if (typeof t.score === 'number') score.title = `${t.scored} of ${t.assessed} hosts scored`;
    return el(
      'span',
      {
        class: `tenant-score${t.id === state.tenant ? ' current' : ''}`,
        dataset: { tenantId: t.id },
      },
      `${t.name} `,
      score,
    );
  });
  $('#tenant-scores').replaceChildren(el('span', { class: 'muted' }, 'Tenant posture'), ...parts);
}

function applyTenantPosture(event) {
  const t = state.tenants.get(event.tenant);
  if (!t) return;
  t.score = event.data.score;
  delete t.error;
  // the host counts in the tooltip are not in the event: the periodic reload brings them
  renderTenantScores();
}

// ---------- lifecycle column ----------

/** The OS lifecycle of every host of the tenant in one request (for the column). */
async function loadLifecycle() {
  const tenant = state.tenant;
  try {
    const view = await api(`/tenants/${encodeURIComponent(tenant)}/lifecycle`);
    if (tenant !== state.tenant) return;
    for (const h of view.os.hosts) {
      state.lifecycle.set(h.hostId, {
        label: h.label,
        state: h.state,
        eol: h.eol,
        reason: h.reason,
      });
    }
    scheduleRender();
  } catch (error) {
    if (error.status === 401) signOut('The token was rejected: sign in again.');
    else banner(`Could not load lifecycle states: ${error.message}`);
  }
}

/** A newly assessed host: read the lifecycle list again once the burst has passed. */
function queueLifecycleReload() {
  if (state.lifecycleReload) return;
  state.lifecycleReload = setTimeout(() => {
    state.lifecycleReload = null;
    void loadLifecycle();
  }, LIFECYCLE_RELOAD_DELAY_MS);
}

async function selectTenant(tenantId) {
  state.tenant = tenantId;
  sessionStorage.setItem(TENANT_KEY, tenantId);
  state.hosts.clear();
  state.online.clear();
  state.lifecycle.clear();
  state.lastId = null;
  banner('');
  renderTenantScores();
  openLive();
  clearInterval(state.lifecycleTimer);
  state.lifecycleTimer = setInterval(() => void loadLifecycle(), LIFECYCLE_REFRESH_MS);
  state.sites = [];
  state.site = '';
  renderSiteFilter();
  void loadSites();
  await reloadHosts();
}

// ---------- sites ----------

/** The tenant's open sites, for the filter and the host view's move control. */
async function loadSites() {
  const tenant = state.tenant;
  try {
    const { sites } = await api(`/tenants/${encodeURIComponent(tenant)}/sites`);
    if (tenant !== state.tenant) return;
    state.sites = sites;
    renderSiteFilter();
  } catch (error) {
    if (error.status === 401) signOut('The token was rejected: sign in again.');
    else banner(`Could not load sites: ${error.message}`);
  }
}

/** "All sites", "No site" and each site; hidden while the tenant has no site. */
function renderSiteFilter() {
  const select = $('#site-filter');
  select.replaceChildren(
    el('option', { value: '' }, 'All sites'),
    el('option', { value: '-' }, 'No site'),
    ...state.sites.map((s) => el('option', { value: s.id }, s.name)),
  );
  if (state.site && state.site !== '-' && !state.sites.some((s) => s.id === state.site)) {
    state.site = '';
  }
  select.value = state.site;
  $('#site-filter-label').hidden = state.sites.length === 0;
  scheduleRender();
}

const siteName = (site) => (site ? site.name : site === null ? '—' : '…');

function renderHostSite(host) {
  const current = $('#host-site-current');
  current.textContent = siteName(host.site);
  const move = $('#host-site-move');
  move.hidden = state.sites.length === 0;
  const select = $('#host-site');
  select.replaceChildren(
    el('option', { value: '' }, 'No site'),
    ...state.sites.map((s) => el('option', { value: s.slug }, s.name)),
  );
  select.value = host.site?.slug ?? '';
  $('#host-site-status').textContent = '';
}

/** PUT /hosts/:id/site: admin tokens only; the answer is the host's site now. */
async function moveHost(id, slug) {
  const status = $('#host-site-status');
  status.textContent = 'Moving…';
  try {
    const answer = await api(`/hosts/${encodeURIComponent(id)}/site`, {
      method: 'PUT',
      send: { site: slug || null },
    });
    const host = state.hosts.get(id);
    if (host) host.site = answer.site;
    if (state.selected !== id) return;
    $('#host-site-current').textContent = siteName(answer.site);
    status.textContent = 'Moved.';
    scheduleRender();
  } catch (error) {
    status.textContent =
      error.status === 403
        ? `Only an admin token can move hosts: ${error.message}`
        : `Could not move: ${error.message}`;
  }
}

/** The tenant's hosts over REST: the list, then the pending-update counts per host. */
async function reloadHosts() {
  const tenant = state.tenant;
  try {
    const hosts = await apiPages(`/hosts?tenant=${encodeURIComponent(tenant)}`, 'hosts');
    if (tenant !== state.tenant) return;
    for (const h of hosts) {
      const existing = state.hosts.get(h.id);
      const fresh = hostModel(h);
      const posture = newerPosture(fresh.posture, existing?.posture);
      // a live event may already have brought something newer
      if (existing && existing.lastSeen >= h.lastSeen) existing.posture = posture;
      else {
        state.hosts.set(h.id, {
          ...fresh,
          posture,
          ...(existing ? { pending: existing.pending } : {}),
        });
      }
    }
    scheduleRender();
    void loadLifecycle();
    const updates = await apiPages(`/updates?tenant=${encodeURIComponent(tenant)}`, 'updates');
    if (tenant !== state.tenant) return;
    const counts = new Map();
    for (const u of updates) counts.set(u.hostId, (counts.get(u.hostId) ?? 0) + 1);
    for (const host of state.hosts.values()) {
      if (host.pending === null) host.pending = counts.get(host.id) ?? null;
    }
    scheduleRender();
  } catch (error) {
    if (error.status === 401) signOut('The token was rejected: sign in again.');
    else banner(`Could not load hosts: ${error.message}`);
  }
}

/** New hosts arrive in bursts (a deployment): one list reload after the burst. */
function queueHostsReload() {
  if (state.hostsReload) return;
  state.hostsReload = setTimeout(() => {
    state.hostsReload = null;
    void reloadHosts();
  }, HOSTS_RELOAD_DELAY_MS);
}

function sortValue(host, key) {
  switch (key) {
    case 'online':
      return state.online.has(host.id) ? 1 : 0;
    case 'os':
      return formatOs(host.os).toLowerCase();
    case 'pending':
      return host.pending ?? -1;
    case 'score':
      // not assessed, then nothing applicable, then the scores
      return host.posture === null ? -2 : (host.posture.score ?? -1);
    case 'lifecycle': {
      const lc = state.lifecycle.get(host.id);
      return lc ? (LIFECYCLE_RANK[lc.state] ?? 2) : 4;
    }
    case 'hostname':
      return host.hostname.toLowerCase();
    case 'site':
      return host.site ? host.site.name.toLowerCase() : '\uffff';
    default:
      return host.lastSeen;
  }
}

function visibleHosts() {
  const needle = state.filter.trim().toLowerCase();
  const { key, dir } = state.sort;
  return [...state.hosts.values()]
    .filter((h) => !state.onlineOnly || state.online.has(h.id))
    .filter(
      (h) => !state.site || (state.site === '-' ? h.site === null : h.site?.id === state.site),
    )
    .filter(
      (h) =>
        !needle ||
        h.hostname.toLowerCase().includes(needle) ||
        formatOs(h.os).toLowerCase().includes(needle),
    )
    .sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.hostname.localeCompare(b.hostname);
    });
}

function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    renderHosts();
  });
}

function renderHosts() {
  const rows = visibleHosts().map((h) => {
    const online = state.online.has(h.id);
    const pending =
      h.pending === null ? '—' : `${h.pending}${h.rebootRequired ? ' · reboot needed' : ''}`;
    const score = scoreView(h.posture === null ? undefined : h.posture.score);
    if (h.posture) {
      score.title = `${score.title ? `${score.title}; ` : ''}assessed ${formatTime(h.posture.assessedAt)}`;
    }
    const lc = state.lifecycle.get(h.id);
    const tr = el(
      'tr',
      { dataset: { hostId: h.id, lastSeen: h.lastSeen, online: String(online) }, tabIndex: 0 },
      el('td', { class: `state ${online ? 'online' : 'offline'}` }, online ? 'online' : 'offline'),
      el('td', { class: 'hostname' }, h.hostname),
      el('td', { class: 'site' }, siteName(h.site)),
      el('td', { class: 'os' }, formatOs(h.os)),
      el('td', { class: `score ${score.cls}`, title: score.title }, score.text),
      lc
        ? el(
            'td',
            { class: `lifecycle lc-${lc.state}`, title: lifecycleText(lc) },
            LIFECYCLE_LABELS[lc.state] ?? lc.state,
          )
        : el('td', { class: 'lifecycle muted', title: 'not assessed yet' }, '—'),
      el('td', { class: 'pending' }, pending),
      el('td', { class: 'last-seen', title: formatAgo(h.lastSeen) }, formatTime(h.lastSeen)),
    );
    tr.addEventListener('click', () => openHost(h.id));
    tr.addEventListener('keydown', (e) => e.key === 'Enter' && openHost(h.id));
    return tr;
  });
  $('#hosts tbody').replaceChildren(...rows);
  $('#empty').hidden = state.hosts.size > 0;
  $('#host-count').textContent =
    `${rows.length} of ${state.hosts.size} hosts, ${state.online.size} online`;
  for (const th of document.querySelectorAll('#hosts th')) {
    th.setAttribute(
      'aria-sort',
      th.dataset.sort === state.sort.key
        ? state.sort.dir > 0
          ? 'ascending'
          : 'descending'
        : 'none',
    );
  }
}

// ---------- host detail ----------

/** Definition-list items; a value may be a node (already built with text only). */
function dl(pairs) {
  return pairs.flatMap(([k, v]) => [
    el('dt', {}, k),
    el('dd', {}, v instanceof Node ? v : known(v)),
  ]);
}

async function openHost(id) {
  state.selected = id;
  show('host-view');
  const summary = state.hosts.get(id);
  $('#host-title').textContent = summary?.hostname ?? id;
  $('#inventory').replaceChildren(el('dd', {}, 'Loading…'));
  renderHostSite({ site: summary?.site });
  $('#posture-status').textContent = 'Loading…';
  $('#posture-status').className = 'muted';
  $('#posture-status').hidden = false;
  $('#posture-body').hidden = true;
  void loadPosture(id);
  let host;
  let perf;
  try {
    [host, perf] = await Promise.all([api(`/hosts/${id}`), api(`/hosts/${id}/performance`)]);
  } catch (error) {
    $('#inventory').replaceChildren(el('dd', { class: 'error' }, error.message));
    return;
  }
  if (state.selected !== id) return;
  const listed = state.hosts.get(id);
  if (listed) listed.site = host.site ?? null;
  renderHostSite({ site: host.site ?? null });
  const system = host.sections.system?.data;
  const security = host.sections.security?.data;
  const pairs = [
    ['Hostname', host.hostname],
    ['Site', siteName(host.site ?? null)],
    ['OS', formatOs(host.os)],
    ['Kernel', system?.os.kernel],
    ['Architecture', system?.os.arch],
    [
      'Hardware',
      system
        ? [system.hardware.manufacturer, system.hardware.model].filter(Boolean).join(' ')
        : null,
    ],
    ['Virtual', system?.hardware.virtual === null ? null : system?.hardware.virtual ? 'yes' : 'no'],
    ['BIOS date', system?.hardware.bios.releaseDate],
    [
      'CPU',
      system ? `${known(system.cpu.model)} (${system.cpu.logicalCores} logical cores)` : null,
    ],
    ['Memory', system ? formatBytes(system.memory.totalBytes) : null],
    ['Disks', system?.disks.map((d) => `${known(d.name)} ${formatBytes(d.sizeBytes)}`).join(', ')],
    ['Agent', `${host.agentVersion} (${host.agentId})`],
    ['First seen', formatTime(host.firstSeen)],
    ['Last seen', formatTime(host.lastSeen)],
  ];
  if (security) {
    for (const [group, facts] of Object.entries(security)) {
      if (!facts || typeof facts !== 'object') continue;
      const value = facts.reason
        ? `unknown: ${facts.reason}`
        : 'enabled' in facts
          ? facts.enabled === null
            ? null
            : facts.enabled
              ? 'on'
              : 'off'
          : 'collected';
      pairs.push([`Security: ${group}`, value]);
    }
  }
  $('#inventory').replaceChildren(...dl(pairs));
  renderUpdates(host.sections.patches?.data);
  renderSoftware(host.sections.software?.data);
  renderChart(perf.samples);
}

// ---------- host posture ----------

async function loadPosture(id) {
  const seq = ++state.postureSeq;
  let view;
  try {
    view = await api(`/hosts/${encodeURIComponent(id)}/posture?days=30`);
  } catch (error) {
    if (seq !== state.postureSeq || state.selected !== id) return;
    if (error.status === 401) return signOut('The token was rejected: sign in again.');
    $('#posture-status').textContent = `Could not load the posture: ${error.message}`;
    $('#posture-status').className = 'error';
    $('#posture-status').hidden = false;
    $('#posture-body').hidden = true;
    return;
  }
  if (seq !== state.postureSeq || state.selected !== id) return;
  renderPosture(view);
  // the answer is the freshest there is: let the row show it too
  const host = state.hosts.get(id);
  if (host)
    host.posture = newerPosture({ score: view.score, assessedAt: view.assessedAt }, host.posture);
  if (view.lifecycle.os) state.lifecycle.set(id, view.lifecycle.os);
  scheduleRender();
}

function queuePostureReload(id) {
  clearTimeout(state.postureReload);
  state.postureReload = setTimeout(() => {
    state.postureReload = null;
    if (state.selected === id) void loadPosture(id);
  }, POSTURE_RELOAD_DELAY_MS);
}

const percent = (ratio) => (ratio === null ? null : `${Math.round(ratio * 100)}%`);
const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function renderPosture(view) {
  $('#posture-status').hidden = true;
  $('#posture-body').hidden = false;
  const first = view.trend[0];
  const trend =
    view.trend.length > 1
      ? el('span', {}, scoreSpan(first.score), ' → ', scoreSpan(view.trend.at(-1).score))
      : 'one assessment so far';
  $('#posture-summary').replaceChildren(
    ...dl([
      ['Score', scoreSpan(view.score)],
      [
        'Coverage',
        view.coverage === null
          ? null
          : `${percent(view.coverage)} of the applicable checks had the data to judge`,
      ],
      ['Open findings', String(view.findings.length)],
      ['Role', view.role],
      ['Platform', view.platform],
      ['Assessed', formatTime(view.assessedAt)],
      ['Trend (30 days)', trend],
    ]),
  );
  $('#posture-categories tbody').replaceChildren(
    ...Object.entries(view.categories).map(([category, score]) =>
      el(
        'tr',
        { dataset: { category } },
        el('td', {}, capitalise(category)),
        el('td', {}, scoreSpan(score, { none: 'no check of this category applies here' })),
      ),
    ),
  );
  renderFindings(view.findings);
  renderAccepted(view.accepted);
  renderUnknown(view.unknown);
  renderLifecycle(view.lifecycle);
}

function renderFindings(findings) {
  const heaviest = [...findings].sort(
    (a, b) => (b.weight ?? 0) - (a.weight ?? 0) || a.checkId.localeCompare(b.checkId),
  );
  if (heaviest.length === 0) {
    $('#findings').replaceChildren(el('p', { class: 'muted' }, 'No open findings.'));
    return;
  }
  const items = heaviest.map((f) => {
    const meta = [
      `weight ${known(f.weight)}`,
      f.status === 'partial' ? `partly met (${percent(f.credit)} credit)` : null,
      f.openedAt ? `open since ${formatTime(f.openedAt)}` : null,
    ].filter(Boolean);
    return el(
      'li',
      { class: 'finding', dataset: { checkId: f.checkId } },
      el(
        'div',
        {},
        el('span', { class: `severity sev-${f.severity ?? 'none'}` }, f.severity ?? 'unrated'),
        ' ',
        el('strong', {}, f.title),
        ' ',
        el('span', { class: 'muted' }, meta.join(' · ')),
      ),
      el('p', { class: 'evidence' }, f.evidence),
      ...(f.remediation
        ? [el('p', { class: 'remediation' }, el('strong', {}, 'Fix: '), f.remediation)]
        : []),
    );
  });
  $('#findings').replaceChildren(el('ol', { class: 'findings' }, ...items));
}

function renderAccepted(accepted) {
  if (accepted.length === 0) {
    $('#accepted').replaceChildren(el('p', { class: 'muted' }, 'None.'));
    return;
  }
  const items = accepted.map((r) => {
    const a = r.acceptance;
    const detail = a
      ? `accepted by ${a.acceptedBy} until ${formatTime(a.expiresAt)}${a.hostId ? '' : ' (whole tenant)'}: ${a.reason}`
      : 'accepted (the acceptance record is gone)';
    return el(
      'li',
      { dataset: { checkId: r.checkId } },
      el('strong', {}, r.title),
      ' ',
      el('span', {}, detail),
    );
  });
  $('#accepted').replaceChildren(el('ul', {}, ...items));
}

function renderUnknown(unknown) {
  if (unknown.length === 0) {
    $('#unknown').replaceChildren(el('p', { class: 'muted' }, 'None: every check had its data.'));
    return;
  }
  const items = unknown.map((u) =>
    el(
      'li',
      { dataset: { checkId: u.checkId } },
      el('strong', {}, u.title),
      `: missing ${u.missing ?? 'data (not said which)'}`,
    ),
  );
  $('#unknown').replaceChildren(el('ul', {}, ...items));
}

function hardwareText(hw) {
  if (hw.virtual === true) return 'virtual machine: no hardware to replace';
  const policy = `replace after ${hw.replaceAfterYears} years`;
  if (hw.ageYears === null) {
    return `age unknown (no purchase or firmware date); ${policy}`;
  }
  const today = new Date().toISOString().slice(0, 10);
  const due = hw.replacementDue
    ? `, due ${hw.replacementDue}${hw.replacementDue <= today ? ' (overdue)' : ''}`
    : '';
  return `${hw.ageYears.toFixed(1)} years old (from the ${known(hw.basis)} date); ${policy}${due}`;
}

function renderLifecycle(lifecycle) {
  const os = lifecycle.os
    ? el(
        'span',
        { id: 'lifecycle-os', class: `lc-${lifecycle.os.state}` },
        lifecycleText(lifecycle.os),
      )
    : el('span', { id: 'lifecycle-os', class: 'muted' }, 'unknown: no system section reported yet');
  const software = lifecycle.software.length
    ? el(
        'ul',
        {},
        ...lifecycle.software.map((s) => el('li', { class: `lc-${s.state}` }, lifecycleText(s))),
      )
    : el('span', { class: 'muted' }, 'none of the tracked products found');
  $('#lifecycle').replaceChildren(
    ...dl([
      ['Operating system', os],
      ['Hardware', hardwareText(lifecycle.hardware)],
      ['Software', software],
    ]),
  );
}

function renderUpdates(patches) {
  const box = $('#updates');
  if (!patches) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No patch scan reported yet.'));
    return;
  }
  const items = [];
  for (const source of patches.sources) {
    if (!source.ok) {
      items.push(
        el('li', { class: 'error' }, `${source.manager}: could not check (${known(source.error)})`),
      );
      continue;
    }
    for (const u of source.pending) {
      const flag = u.security ? ` — security${u.severity ? ` (${u.severity})` : ''}` : '';
      items.push(
        el('li', {}, `${u.name} ${known(u.currentVersion)} → ${known(u.availableVersion)}${flag}`),
      );
    }
  }
  const reboot = patches.rebootRequired ? [el('p', { class: 'warn' }, 'Reboot required.')] : [];
  const shown = items.slice(0, 200);
  const more =
    items.length > shown.length
      ? [el('p', { class: 'muted' }, `and ${items.length - shown.length} more`)]
      : [];
  box.replaceChildren(
    ...reboot,
    shown.length ? el('ul', {}, ...shown) : el('p', { class: 'muted' }, 'Nothing pending.'),
    ...more,
  );
}

function renderSoftware(software) {
  const box = $('#software');
  const list = software?.items ?? [];
  const draw = () => {
    const needle = $('#software-filter').value.trim().toLowerCase();
    const shown = list
      .filter((s) => !needle || s.name.toLowerCase().includes(needle))
      .slice(0, 300);
    box.replaceChildren(
      el(
        'p',
        { class: 'muted' },
        `${list.length} packages${shown.length < list.length ? `, ${shown.length} shown` : ''}`,
      ),
      el(
        'ul',
        { class: 'software' },
        ...shown.map((s) => el('li', {}, `${s.name} ${known(s.version)} (${s.source})`)),
      ),
    );
  };
  $('#software-filter').oninput = draw;
  draw();
}

function renderChart(samples) {
  const ordered = [...samples].reverse(); // the API gives newest first
  state.perf = {
    t: ordered.map((s) => new Date(s.collectedAt).getTime() / 1000),
    cpu: ordered.map((s) => (s.cpuUtilisation === null ? null : s.cpuUtilisation * 100)),
    mem: ordered.map((s) =>
      s.memoryTotalBytes > 0 ? (s.memoryUsedBytes / s.memoryTotalBytes) * 100 : null,
    ),
  };
  drawChart();
}

function drawChart() {
  state.chart?.destroy();
  state.chart = null;
  $('#chart-empty').hidden = state.perf.t.length > 0;
  if (state.perf.t.length === 0) return;
  const width = Math.max(320, $('#chart').clientWidth || 800);
  state.chart = new uPlot(
    {
      width,
      height: 240,
      scales: { '%': { range: [0, 100] } },
      axes: [{}, { scale: '%', values: (_u, ticks) => ticks.map((v) => `${v}%`) }],
      series: [
        {},
        { label: 'CPU', scale: '%', stroke: '#2a7ab0', width: 1.5 },
        { label: 'Memory', scale: '%', stroke: '#b05a2a', width: 1.5 },
      ],
    },
    [state.perf.t, state.perf.cpu, state.perf.mem],
    $('#chart'),
  );
}

function appendSample(event) {
  const p = event.data.performance;
  if (!p) return;
  const t = new Date(event.data.collectedAt).getTime() / 1000;
  state.perf.t.push(t);
  state.perf.cpu.push(p.cpuUtilisation === null ? null : p.cpuUtilisation * 100);
  state.perf.mem.push(p.memoryUsedRatio === null ? null : p.memoryUsedRatio * 100);
  if (state.chart) state.chart.setData([state.perf.t, state.perf.cpu, state.perf.mem]);
  else drawChart();
}

// ---------- live feed ----------

function closeLive() {
  clearTimeout(state.retryTimer);
  clearTimeout(state.watchdog);
  if (state.ws) {
    state.ws.onclose = null;
    state.ws.close(1000, 'bye');
    state.ws = null;
  }
  setLiveState('off', 'offline');
}

function armWatchdog() {
  clearTimeout(state.watchdog);
  // three missed heartbeats: the connection is dead even if the socket has not noticed
  state.watchdog = setTimeout(() => state.ws?.close(4000, 'no heartbeat'), state.heartbeatMs * 3);
}

function openLive() {
  closeLive();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live`);
  state.ws = ws;
  setLiveState('connecting', 'connecting…');
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: state.token }));
  ws.onmessage = (message) => {
    armWatchdog();
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const m of Array.isArray(frame) ? frame : [frame]) handle(m);
  };
  ws.onclose = (e) => {
    clearTimeout(state.watchdog);
    state.ws = null;
    if (e.code === 4401) {
      signOut('The token was rejected: sign in again.');
      return;
    }
    setLiveState('off', `reconnecting in ${Math.round(state.retryMs / 1000)} s`);
    state.retryTimer = setTimeout(openLive, state.retryMs);
    state.retryMs = Math.min(30_000, state.retryMs * 2);
  };
}

function handle(m) {
  switch (m.type) {
    case 'hello': {
      state.heartbeatMs = m.heartbeatSeconds * 1000;
      state.retryMs = 1000;
      const resume = state.lastId !== null ? { since: state.lastId } : {};
      state.ws.send(JSON.stringify({ type: 'subscribe', tenant: state.tenant, ...resume }));
      return;
    }
    case 'subscribed':
      state.online = new Set(m.online);
      if (state.lastId === null) state.lastId = m.lastId;
      setLiveState('live', 'live');
      scheduleRender();
      return;
    case 'resume_gap':
      banner('Missed some live updates while disconnected: reloaded.');
      state.lastId = m.lastId;
      void reloadHosts();
      void loadTenantScores();
      if (state.selected) queuePostureReload(state.selected);
      return;
    case 'heartbeat':
    case 'pong':
    case 'unsubscribed':
      return;
    case 'error':
      banner(`Live feed: ${m.message}`);
      return;
    default:
      if (typeof m.id === 'number') applyEvent(m);
  }
}

function applyEvent(event) {
  state.lastId = Math.max(state.lastId ?? 0, event.id);
  if (event.type === 'posture.changed' && event.data.scope === 'tenant') {
    applyTenantPosture(event);
    return;
  }
  if (event.tenant !== state.tenant) return;
  const d = event.data;
  switch (event.type) {
    case 'host.reported': {
      // a host new to this page: its site (not in the event) comes with the next list
      if (!state.hosts.has(event.host)) queueHostsReload();
      const host =
        state.hosts.get(event.host) ??
        hostModel({ id: event.host, hostname: d.hostname, lastSeen: d.lastSeen });
      host.hostname = d.hostname;
      if (!host.lastSeen || d.lastSeen >= host.lastSeen) host.lastSeen = d.lastSeen;
      if (d.os) host.os = d.os;
      if (d.patches) {
        host.pending = d.patches.pending;
        host.rebootRequired = d.patches.rebootRequired;
      }
      state.hosts.set(event.host, host);
      state.online.add(event.host);
      if (state.selected === event.host) appendSample(event);
      break;
    }
    case 'host.online':
      state.online.add(event.host);
      break;
    case 'host.offline':
      state.online.delete(event.host);
      break;
    case 'agent.enrolled':
      banner(`New agent enrolled: ${d.hostname}`);
      break;
    case 'posture.changed': {
      const host = state.hosts.get(event.host);
      if (host) {
        host.posture = newerPosture({ score: d.score, assessedAt: d.assessedAt }, host.posture);
      }
      // a host assessed for the first time: its lifecycle state is new too
      if (!state.lifecycle.has(event.host)) queueLifecycleReload();
      if (state.selected === event.host) queuePostureReload(event.host);
      break;
    }
    case 'finding.opened':
    case 'finding.resolved':
      if (state.selected === event.host) queuePostureReload(event.host);
      return;
    default:
      // event types this console does not use
      return;
  }
  scheduleRender();
}

// ---------- wiring ----------

$('#signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($('#token').value.trim());
});
$('#signout').addEventListener('click', () => signOut());
$('#tenant').addEventListener('change', (e) => {
  show('hosts-view');
  void selectTenant(e.target.value);
});
$('#back').addEventListener('click', () => {
  state.selected = null;
  clearTimeout(state.postureReload);
  state.chart?.destroy();
  state.chart = null;
  show('hosts-view');
  scheduleRender();
});
$('#filter').addEventListener('input', (e) => {
  state.filter = e.target.value;
  scheduleRender();
});
$('#online-only').addEventListener('change', (e) => {
  state.onlineOnly = e.target.checked;
  scheduleRender();
});
$('#site-filter').addEventListener('change', (e) => {
  state.site = e.target.value;
  scheduleRender();
});
$('#host-site-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (state.selected) void moveHost(state.selected, $('#host-site').value);
});
installView(technologyView);
installView(deployView);
for (const th of document.querySelectorAll('#hosts th')) {
  th.addEventListener('click', () => {
    const key = th.dataset.sort;
    state.sort = {
      key,
      dir: state.sort.key === key ? -state.sort.dir : key === 'lastSeen' ? -1 : 1,
    };
    scheduleRender();
  });
}
// "12 s ago" tooltips stay current
setInterval(() => !$('#hosts-view').hidden && scheduleRender(), 30_000);

if (state.token) void signIn(state.token);
else show('signin-view');
