// The vcio live console: sign in with an API token, pick a tenant, watch its hosts and
// their posture scores update over the live feed (/api/v1/live), open a host for its
// posture (findings, accepted risks, lifecycle), inventory and performance, its site (an
// admin moves it to another); and the views of other modules (installView).
// Plain ES modules, no framework and no build step; this one wires the page's controls to
// the others:
//   state.js        the shared state          api.js           REST with the token
//   session.js      sign in/out, tenant       live.js          the live feed
//   tenant-scores   header posture scores     hosts.js         the host list
//   sites.js        site filter, moving       host-view.js     one host
//   host-posture    its posture part          host-chart.js    its uPlot chart
//   views.js        which view shows          dom.js/format.js helpers
// Everything from the API is put in the page with textContent, never as HTML.
/* global document */
import deployView from '/console/deploy.js';
import { $ } from '/console/dom.js';
import { closeHost } from '/console/host-view.js';
import { scheduleRender, sortBy } from '/console/hosts.js';
import { selectTenant, signIn, signOut } from '/console/session.js';
import { moveHost } from '/console/sites.js';
import { state } from '/console/state.js';
import technologyView from '/console/technology.js';
import { installView, show } from '/console/views.js';

$('#signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($('#token').value.trim());
});
$('#signout').addEventListener('click', () => signOut());
$('#tenant').addEventListener('change', (e) => {
  show('hosts-view');
  void selectTenant(e.target.value);
});
$('#back').addEventListener('click', () => closeHost());
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
  th.addEventListener('click', () => sortBy(th.dataset.sort));
}
// "12 s ago" tooltips stay current
setInterval(() => !$('#hosts-view').hidden && scheduleRender(), 30_000);

if (state.token) void signIn(state.token);
else show('signin-view');
