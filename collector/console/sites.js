// Sites: the tenant's open sites for the host list's filter, and the host view's site
// with the control that moves the host to another (admin tokens only).
import { api } from '/console/api.js';
import { $, banner, el } from '/console/dom.js';
import { scheduleRender } from '/console/hosts.js';
import { signOut } from '/console/session.js';
import { state } from '/console/state.js';

/** The tenant's open sites, for the filter and the host view's move control. */
export async function loadSites() {
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
export function renderSiteFilter() {
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

export const siteName = (site) => (site ? site.name : site === null ? '—' : '…');

export function renderHostSite(host) {
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
export async function moveHost(id, slug) {
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
