// The session: signing in with an API token (kept in sessionStorage, so a reload keeps
// it and closing the tab forgets it), signing out, and picking the tenant to watch.
import { api } from '/console/api.js';
import { $, banner, el } from '/console/dom.js';
import { loadLifecycle, reloadHosts } from '/console/hosts.js';
import { closeLive, openLive } from '/console/live.js';
import { loadSites, renderSiteFilter } from '/console/sites.js';
import { state, TOKEN_KEY } from '/console/state.js';
import { loadTenantScores, renderTenantScores } from '/console/tenant-scores.js';
import { show } from '/console/views.js';

const TENANT_KEY = 'vcio.tenant';
/** Tenant scores of tenants other than the one watched live are re-read this often. */
const TENANT_REFRESH_MS = 60_000;
/** OS lifecycle states change with dates and data refreshes, not with reports. */
const LIFECYCLE_REFRESH_MS = 10 * 60_000;

export async function signIn(token) {
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

export function signOut(message = '') {
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

export async function selectTenant(tenantId) {
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
