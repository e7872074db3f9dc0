// The vcio live console: sign in with an API token, pick a tenant, watch its hosts update
// over the live feed (/api/v1/live), open a host for its inventory and performance.
// Plain ES module, no framework and no build step. Everything from the API is put in the
// page with textContent, never as HTML.
/* global document, Node, location, requestAnimationFrame */
import uPlot from '/console/vendor/uPlot.esm.js';

const TOKEN_KEY = 'vcio.token';
const TENANT_KEY = 'vcio.tenant';
const NOT_SCORED = '—';

const $ = (selector) => document.querySelector(selector);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  tenant: null,
  /** hostId -> row model */
  hosts: new Map(),
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
};

// ---------- REST ----------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  const res = await fetch(`/api/v1${path}`, {
    headers: { authorization: `Bearer ${state.token}` },
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

function show(view) {
  for (const id of ['signin-view', 'hosts-view', 'host-view']) $(`#${id}`).hidden = id !== view;
  const signedIn = view !== 'signin-view';
  $('#tenant-picker').hidden = !signedIn;
  $('#signout').hidden = !signedIn;
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
  const remembered = sessionStorage.getItem(TENANT_KEY);
  const pick = tenants.find((t) => t.id === remembered) ?? tenants[0];
  show('hosts-view');
  if (pick) {
    select.value = pick.id;
    await selectTenant(pick.id);
  }
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.tenant = null;
  closeLive();
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
    pending: null,
    rebootRequired: null,
  };
}

async function selectTenant(tenantId) {
  state.tenant = tenantId;
  sessionStorage.setItem(TENANT_KEY, tenantId);
  state.hosts.clear();
  state.online.clear();
  state.lastId = null;
  banner('');
  openLive();
  await reloadHosts();
}

/** The tenant's hosts over REST: the list, then the pending-update counts per host. */
async function reloadHosts() {
  const tenant = state.tenant;
  try {
    const hosts = await apiPages(`/hosts?tenant=${encodeURIComponent(tenant)}`, 'hosts');
    if (tenant !== state.tenant) return;
    for (const h of hosts) {
      const existing = state.hosts.get(h.id);
      // a live event may already have brought something newer
      if (existing && existing.lastSeen >= h.lastSeen) continue;
      state.hosts.set(h.id, {
        ...hostModel(h),
        ...(existing ? { pending: existing.pending } : {}),
      });
    }
    scheduleRender();
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

function sortValue(host, key) {
  switch (key) {
    case 'online':
      return state.online.has(host.id) ? 1 : 0;
    case 'os':
      return formatOs(host.os).toLowerCase();
    case 'pending':
      return host.pending ?? -1;
    case 'score':
    case 'lifecycle':
      return 0; // not scored yet
    case 'hostname':
      return host.hostname.toLowerCase();
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
    const tr = el(
      'tr',
      { dataset: { hostId: h.id, lastSeen: h.lastSeen, online: String(online) }, tabIndex: 0 },
      el('td', { class: `state ${online ? 'online' : 'offline'}` }, online ? 'online' : 'offline'),
      el('td', { class: 'hostname' }, h.hostname),
      el('td', { class: 'os' }, formatOs(h.os)),
      el('td', { class: 'score muted', title: 'posture scoring is not built yet' }, NOT_SCORED),
      el(
        'td',
        { class: 'lifecycle muted', title: 'lifecycle checks are not built yet' },
        NOT_SCORED,
      ),
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

function dl(pairs) {
  return pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, known(v))]);
}

async function openHost(id) {
  state.selected = id;
  show('host-view');
  const summary = state.hosts.get(id);
  $('#host-title').textContent = summary?.hostname ?? id;
  $('#inventory').replaceChildren(el('dd', {}, 'Loading…'));
  let host;
  let perf;
  try {
    [host, perf] = await Promise.all([api(`/hosts/${id}`), api(`/hosts/${id}/performance`)]);
  } catch (error) {
    $('#inventory').replaceChildren(el('dd', { class: 'error' }, error.message));
    return;
  }
  if (state.selected !== id) return;
  const system = host.sections.system?.data;
  const security = host.sections.security?.data;
  const pairs = [
    ['Hostname', host.hostname],
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
  if (event.tenant !== state.tenant) return;
  const d = event.data;
  switch (event.type) {
    case 'host.reported': {
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
    default:
      // posture.changed, finding.opened, finding.resolved: reserved, not emitted yet
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
