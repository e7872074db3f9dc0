// Facts as text: times, sizes, OS names, posture scores and their bands, lifecycle states,
// definition lists. Pure, apart from building the nodes with el.
/* global Node */
import { el } from '/console/dom.js';

const pad = (n) => String(n).padStart(2, '0');
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function formatAgo(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
export function formatOs(os) {
  if (!os || !os.platform) return '—';
  return [os.distro ?? os.platform, os.release].filter(Boolean).join(' ');
}
export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
export const known = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

/** Score bands: below 50 needs work now, below 80 needs attention. */
const scoreBand = (score) => (score < 50 ? 'bad' : score < 80 ? 'warn' : 'ok');

/**
 * A score as text with its band class. undefined: not read yet; null: nothing could be
 * scored (no check applies, or no host scored), which is not the same as a bad score.
 */
export function scoreView(score, { missing = 'not assessed yet', none = 'no check applies' } = {}) {
  if (score === undefined) return { text: '—', cls: 'muted', title: missing };
  if (score === null) return { text: 'n/a', cls: 'muted', title: none };
  return { text: score.toFixed(1), cls: `band-${scoreBand(score)}`, title: '' };
}

export function scoreSpan(score, options) {
  const v = scoreView(score, options);
  return el('span', { class: `score ${v.cls}`, title: v.title }, v.text);
}

export const LIFECYCLE_LABELS = {
  supported: 'supported',
  ending_soon: 'ending soon',
  end_of_life: 'end of life',
  unknown: 'unknown',
};
/** worst first, for sorting */
export const LIFECYCLE_RANK = { end_of_life: 0, ending_soon: 1, unknown: 2, supported: 3 };

function supportEnd(lc) {
  if (!lc.eol) return 'no end-of-support date known';
  return lc.state === 'end_of_life' ? `support ended ${lc.eol}` : `support ends ${lc.eol}`;
}

/** "Debian 12 (Bookworm): supported, support ends 2028-06-30" */
export function lifecycleText(lc) {
  const reason = lc.reason ? ` (${lc.reason})` : '';
  return `${known(lc.label)}: ${LIFECYCLE_LABELS[lc.state] ?? lc.state}, ${supportEnd(lc)}${reason}`;
}

/** Definition-list items; a value may be a node (already built with text only). */
export function dl(pairs) {
  return pairs.flatMap(([k, v]) => [
    el('dt', {}, k),
    el('dd', {}, v instanceof Node ? v : known(v)),
  ]);
}
