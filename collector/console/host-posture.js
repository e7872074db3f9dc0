// The open host's posture: score, categories, open findings, accepted risks, checks that
// lacked data, and lifecycle (OS, hardware, software). Reloaded when the live feed says
// the host was assessed again; answers to older requests are dropped.
import { api } from '/console/api.js';
import { $, el } from '/console/dom.js';
import { dl, formatTime, known, lifecycleText, scoreSpan } from '/console/format.js';
import { newerPosture, scheduleRender } from '/console/hosts.js';
import { signOut } from '/console/session.js';
import { state } from '/console/state.js';

/** A host's assessment sends posture.changed and finding events together: one reload. */
const POSTURE_RELOAD_DELAY_MS = 400;

export async function loadPosture(id) {
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

export function queuePostureReload(id) {
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
