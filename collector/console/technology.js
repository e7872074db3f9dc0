// "Technology": vendors and technology of the tenant picked in the header, from
// GET /api/v1/tenants/:tenant/technology: software by publisher and product with the
// versions in use (version sprawl) and the key software past or near its end of support,
// hardware by manufacturer and model with its age, and the OS distribution.
//
// A module of its own: it builds its header button and its section, and app.js installs
// them (installView in views.js: the button shows while signed in, opening hides the other
// views, showing another view closes this one, and its back button returns). The tenant is
// the one picked in the header (#tenant's value).
// Everything from the API goes in with textContent, never as HTML.
import { $, el } from '/console/dom.js';

const TOKEN_KEY = 'vcio.token';
/** Products listed per page of the software table. */
const PAGE = 100;
/** Versions spelled out per product; the rest are counted. */
const VERSIONS_SHOWN = 6;

async function api(path) {
  const res = await fetch(`/api/v1${path}`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message || `${res.status} ${res.statusText}`);
  return body;
}

const known = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

function table(id, headings, rows, empty) {
  if (rows.length === 0) return el('p', { id, class: 'muted' }, empty);
  return el(
    'table',
    { id, class: 'compact' },
    el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

// ---------- the view ----------

const button = el('button', { type: 'button', id: 'technology-open' }, 'Technology');
const title = el('h2', {}, 'Technology');
const status = el('p', { class: 'muted', role: 'status' });
const filter = el('input', {
  id: 'technology-filter',
  type: 'search',
  placeholder: 'Filter products…',
  maxLength: 256,
});
const sort = el(
  'select',
  { id: 'technology-sort' },
  el('option', { value: 'name' }, 'by publisher'),
  el('option', { value: 'hosts' }, 'most installed'),
  el('option', { value: 'versions' }, 'most versions'),
);
const more = el('button', { type: 'button', id: 'technology-more', hidden: true }, 'More');
const softwareCount = el('span', { class: 'muted' });
const unsupported = el('div', { id: 'technology-unsupported' });
const software = el('div', { id: 'technology-software' });
const hardware = el('div', { id: 'technology-hardware' });
const os = el('div', { id: 'technology-os' });

const view = el(
  'section',
  { id: 'technology-view' },
  title,
  status,
  el(
    'article',
    {},
    el('h3', {}, 'Software'),
    el('h4', {}, 'Key software at or near its end of support'),
    unsupported,
    el('h4', {}, 'Products and versions in use'),
    el('div', { class: 'toolbar' }, filter, el('label', {}, 'Sort ', sort), softwareCount),
    software,
    more,
  ),
  el('article', {}, el('h3', {}, 'Hardware'), hardware),
  el('article', {}, el('h3', {}, 'Operating systems'), os),
);

/** Bumped on every (re)load, so an answer for an older tenant or filter is dropped. */
let generation = 0;
let products = [];
let offset = 0;

const tenant = () => $('#tenant')?.value ?? '';
const tenantPath = () => `/tenants/${encodeURIComponent(tenant())}/technology`;

function versionsText(p) {
  const shown = p.versions
    .slice(0, VERSIONS_SHOWN)
    .map((v) => `${v.version ?? 'unknown'} (${v.hosts})`);
  const rest = p.versions.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

function renderSoftware(total) {
  software.replaceChildren(
    table(
      'technology-products',
      ['Publisher', 'Product', 'Hosts', 'Versions', 'In use (hosts)'],
      products.map((p) => [known(p.publisher), p.name, p.hosts, p.versionCount, versionsText(p)]),
      filter.value ? 'No product matches the filter.' : 'No software reported yet.',
    ),
  );
  softwareCount.textContent = `${products.length} of ${total} products`;
  more.hidden = products.length >= total;
}

function renderUnsupported(rows) {
  unsupported.replaceChildren(
    table(
      'technology-releases',
      ['Software', 'Support ends', 'State', 'Hosts'],
      rows.map((r) => {
        const state = el('span', { class: `lc-${r.state}` }, r.state.replace(/_/g, ' '));
        return [r.label, known(r.eol), state, r.hosts];
      }),
      'None: no key software found past or near its end of support.',
    ),
  );
}

function ageText(age) {
  if (!age) return '—';
  return age.min === age.max ? `${age.min} y` : `${age.min}–${age.max} y (median ${age.median})`;
}

function renderHardware(rows) {
  hardware.replaceChildren(
    table(
      'technology-models',
      ['Manufacturer', 'Model', 'Hosts', 'Virtual', 'Age'],
      rows.map((r) => [known(r.manufacturer), known(r.model), r.hosts, r.virtual, ageText(r.age)]),
      'No hardware reported yet.',
    ),
  );
}

function renderOs(rows) {
  os.replaceChildren(
    table(
      'technology-os-table',
      ['Platform', 'Distribution', 'Release', 'Hosts', 'Lifecycle', 'Support ends'],
      rows.map((r) => {
        const states = Object.entries(r.states)
          .filter(([, n]) => n > 0)
          .map(([s, n]) => el('span', { class: `lc-${s}` }, `${s.replace(/_/g, ' ')} ${n} `));
        const lifecycle = el('span', {}, r.label ? `${r.label}: ` : '', ...states);
        return [
          known(r.platform),
          known(r.distro),
          known(r.release),
          r.hosts,
          lifecycle,
          known(r.eol),
        ];
      }),
      'No host has reported its OS yet.',
    ),
  );
}

async function loadSoftware(reset) {
  const mine = generation;
  if (reset) {
    products = [];
    offset = 0;
  }
  const q = new URLSearchParams({
    part: 'software',
    sort: sort.value,
    limit: String(PAGE),
    offset: String(offset),
  });
  if (filter.value.trim()) q.set('name', filter.value.trim());
  const page = await api(`${tenantPath()}?${q}`);
  if (mine !== generation) return;
  products = products.concat(page.products);
  offset = products.length;
  renderSoftware(page.total);
}

async function load() {
  const mine = ++generation;
  status.textContent = 'Loading…';
  try {
    const [overview] = await Promise.all([api(tenantPath()), loadSoftware(true)]);
    if (mine !== generation) return;
    title.textContent = `Technology: ${overview.tenant.name}`;
    renderUnsupported(overview.software.unsupported);
    renderHardware(overview.hardware);
    renderOs(overview.os);
    status.textContent = `${overview.hosts} hosts, ${overview.software.products} software products`;
  } catch (error) {
    if (mine === generation) status.textContent = `Could not load: ${error.message}`;
  }
}

function reloadSoftware() {
  generation++;
  loadSoftware(true).catch((error) => {
    status.textContent = `Could not load: ${error.message}`;
  });
}

let filterTimer = null;
filter.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(reloadSoftware, 300);
});
sort.addEventListener('change', reloadSoftware);
more.addEventListener('click', () => {
  loadSoftware(false).catch((error) => {
    status.textContent = `Could not load: ${error.message}`;
  });
});

// ---------- installed by app.js ----------

export default {
  button,
  section: view,
  onOpen: () => void load(),
  // an answer still on its way is dropped
  onClose: () => {
    generation++;
  },
};
