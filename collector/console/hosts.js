// The host list of the watched tenant: loading it (hosts, pending updates, OS lifecycle),
// sorting and filtering it, drawing the table (once per animation frame at most).
/* global document, requestAnimationFrame */
import { api, apiPages } from '/console/api.js';
import { $, banner, el } from '/console/dom.js';
import {
  formatAgo,
  formatOs,
  formatTime,
  LIFECYCLE_LABELS,
  LIFECYCLE_RANK,
  lifecycleText,
  scoreView,
} from '/console/format.js';
import { openHost } from '/console/host-view.js';
import { signOut } from '/console/session.js';
import { siteName } from '/console/sites.js';
import { state } from '/console/state.js';

/** Bursts of new hosts or first assessments (a deployment) wait this long: one reload. */
const LIFECYCLE_RELOAD_DELAY_MS = 2_000;
const HOSTS_RELOAD_DELAY_MS = 2_000;

export function hostModel(summary) {
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

/** The later of two { score, assessedAt } (ISO strings compare in time order). */
export function newerPosture(a, b) {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.assessedAt >= b.assessedAt ? a : b;
}

/** The OS lifecycle of every host of the tenant in one request (for the column). */
export async function loadLifecycle() {
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
export function queueLifecycleReload() {
  if (state.lifecycleReload) return;
  state.lifecycleReload = setTimeout(() => {
    state.lifecycleReload = null;
    void loadLifecycle();
  }, LIFECYCLE_RELOAD_DELAY_MS);
}

/** The tenant's hosts over REST: the list, then the pending-update counts per host. */
export async function reloadHosts() {
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
export function queueHostsReload() {
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

/** A column header clicked: sort by it, or the other way round if it already sorts. */
export function sortBy(key) {
  state.sort = {
    key,
    dir: state.sort.key === key ? -state.sort.dir : key === 'lastSeen' ? -1 : 1,
  };
  scheduleRender();
}

export function scheduleRender() {
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
