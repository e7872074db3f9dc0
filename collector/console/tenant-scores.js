// The header's tenant posture scores: every visible tenant's, read over REST now and
// then; the watched tenant's also from the live feed.
import { api } from '/console/api.js';
import { $, el } from '/console/dom.js';
import { scoreSpan } from '/console/format.js';
import { signOut } from '/console/session.js';
import { state } from '/console/state.js';

/** Each visible tenant's score over REST, a few at a time (an MSP may have hundreds). */
export async function loadTenantScores() {
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

export function renderTenantScores() {
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

export function applyTenantPosture(event) {
  const t = state.tenants.get(event.tenant);
  if (!t) return;
  t.score = event.data.score;
  delete t.error;
  // the host counts in the tooltip are not in the event: the periodic reload brings them
  renderTenantScores();
}
