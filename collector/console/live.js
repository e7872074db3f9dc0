// The live feed (/api/v1/live): authenticate, subscribe to the watched tenant (resuming
// after the last event seen), apply its events to the page, and reconnect with backoff
// when it drops or stays silent for three heartbeats.
/* global location */
import { $, banner } from '/console/dom.js';
import { appendSample } from '/console/host-chart.js';
import { queuePostureReload } from '/console/host-posture.js';
import {
  hostModel,
  newerPosture,
  queueHostsReload,
  queueLifecycleReload,
  reloadHosts,
  scheduleRender,
} from '/console/hosts.js';
import { signOut } from '/console/session.js';
import { state } from '/console/state.js';
import { applyTenantPosture, loadTenantScores } from '/console/tenant-scores.js';

function setLiveState(s, text) {
  const badge = $('#live-state');
  badge.dataset.state = s;
  badge.textContent = text;
}

export function closeLive() {
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

export function openLive() {
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
