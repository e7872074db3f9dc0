// One host: its inventory, site, pending updates, software and performance chart, with
// its posture part (host-posture.js) loaded beside.
import { api } from '/console/api.js';
import { $, el } from '/console/dom.js';
import { dl, formatBytes, formatOs, formatTime, known } from '/console/format.js';
import { renderChart } from '/console/host-chart.js';
import { loadPosture } from '/console/host-posture.js';
import { scheduleRender } from '/console/hosts.js';
import { renderHostSite, siteName } from '/console/sites.js';
import { state } from '/console/state.js';
import { show } from '/console/views.js';

export async function openHost(id) {
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

/** Back to the host list: the open host's reloads and chart go with it. */
export function closeHost() {
  state.selected = null;
  clearTimeout(state.postureReload);
  state.chart?.destroy();
  state.chart = null;
  show('hosts-view');
  scheduleRender();
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
