// "Deploy agents": an administrator picks a tenant, creates install commands
// (POST /api/v1/tenants/:tenant/install-commands) and copies the bash and PowerShell
// one-liners into an RMM script. The enrollment token inside them is shown once.
//
// A module of its own: it builds its header button and its section, and app.js installs
// them (installView in views.js: the button shows while signed in, opening hides the other
// views, showing another view closes this one, and its back button returns).
// Everything from the API goes in with textContent, never as HTML.
/* global document */
import { $, el } from '/console/dom.js';

const TOKEN_KEY = 'vcio.token';

async function api(path, options = {}) {
  const res = await fetch(`/api/v1${path}`, {
    ...options,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`,
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = new Error(body.message || `${res.status} ${res.statusText}`);
    error.status = res.status;
    throw error;
  }
  return body;
}

// ---------- the view ----------

const button = el('button', { type: 'button', id: 'deploy-open' }, 'Deploy agents');
const field = (label, input) => el('label', {}, label, ' ', input);
const tenantSelect = el('select', { id: 'deploy-tenant', required: true });
const nameInput = el('input', {
  id: 'deploy-name',
  maxLength: 100,
  placeholder: 'e.g. NinjaOne policy',
});
const hoursInput = el('input', {
  id: 'deploy-hours',
  type: 'number',
  min: 1,
  max: 8784,
  value: 72,
});
const usesInput = el('input', {
  id: 'deploy-uses',
  type: 'number',
  min: 1,
  max: 100000,
  value: 100,
});
const siteInput = el('input', {
  id: 'deploy-site',
  maxLength: 128,
  placeholder: 'optional: slug of a site',
});
const createButton = el(
  'button',
  { type: 'submit', id: 'deploy-create' },
  'Create install commands',
);
const errorLine = el('p', { id: 'deploy-error', class: 'error', role: 'alert' });
const result = el('div', { id: 'deploy-result', hidden: true });
const tokensTable = el('div', { id: 'deploy-tokens' });

const form = el(
  'form',
  { id: 'deploy-form', autocomplete: 'off' },
  el(
    'p',
    { class: 'muted' },
    'One command per platform, ready to paste into an RMM script (it runs as root / SYSTEM): it downloads the agent from this collector, checks its SHA-256, installs it as a service and ends with the install exit code. Creating commands creates a new enrollment token for the tenant; only administrators can.',
  ),
  el(
    'div',
    { class: 'toolbar' },
    field('Tenant', tenantSelect),
    field('Name', nameInput),
    field('Expires after (hours)', hoursInput),
    field('Machines', usesInput),
    field('Site', siteInput),
    createButton,
  ),
  errorLine,
);

const view = el(
  'section',
  { id: 'deploy-view' },
  el('h2', {}, 'Deploy agents'),
  form,
  result,
  el('h3', {}, 'Install tokens of this tenant'),
  tokensTable,
);

/** A command in a box with its copy button. */
function commandBlock(title, text, id) {
  const pre = el('pre', { id }, text);
  // CSSOM, not a style attribute: the console's CSP allows only its own style sheet.
  pre.style.whiteSpace = 'pre-wrap';
  pre.style.wordBreak = 'break-all';
  pre.style.background = '#fff';
  pre.style.border = '1px solid var(--line)';
  pre.style.padding = '0.5rem';
  const status = el('span', { class: 'muted' });
  const copy = el('button', { type: 'button' }, 'Copy');
  copy.addEventListener('click', async () => {
    status.textContent = (await copyText(text, pre)) ? ' copied' : ' select the text and copy it';
  });
  return el('article', {}, el('h3', {}, title, ' ', copy, status), pre);
}

/** The clipboard API needs a secure context (https or localhost); else select and copy. */
async function copyText(text, pre) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const selection = document.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

function showResult(answer) {
  const warnings = answer.warnings.map((w) => el('li', {}, w));
  result.replaceChildren(
    el('p', { class: 'banner', id: 'deploy-notice' }, answer.notice),
    el(
      'p',
      {},
      `Tenant ${answer.tenant.name} (${answer.tenant.slug}), collector ${answer.url} `,
      el(
        'span',
        { class: 'muted' },
        answer.urlSource === 'configured' ? '(--public-url)' : '(from this page’s address)',
      ),
      `; token ${answer.token.id}, expires ${answer.token.expiresAt}, up to ${answer.token.maxUses} machines.`,
    ),
    ...(warnings.length ? [el('ul', { class: 'warn', id: 'deploy-warnings' }, ...warnings)] : []),
    commandBlock('Linux and macOS (bash, as root)', answer.commands.bash, 'deploy-bash'),
    commandBlock(
      'Windows (PowerShell, elevated: administrator or SYSTEM)',
      answer.commands.powershell,
      'deploy-powershell',
    ),
  );
  result.hidden = false;
}

async function loadTokens() {
  const tenant = tenantSelect.value;
  if (!tenant) return;
  try {
    const { tokens } = await api(`/tenants/${encodeURIComponent(tenant)}/install-commands`);
    if (tokens.length === 0) {
      tokensTable.replaceChildren(el('p', { class: 'muted' }, 'None yet.'));
      return;
    }
    const row = (t) =>
      el(
        'tr',
        {},
        el('td', {}, t.name),
        el('td', {}, t.id),
        el('td', {}, t.createdAt),
        el('td', {}, t.expiresAt ?? '—'),
        el('td', {}, `${t.uses} / ${t.maxUses ?? '∞'}`),
        el('td', {}, t.revoked ? 'revoked' : t.active ? 'active' : 'expired or used up'),
      );
    tokensTable.replaceChildren(
      el(
        'table',
        { class: 'compact' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['Name', 'Token id', 'Created', 'Expires', 'Used', 'State'].map((h) =>
              el('th', {}, h),
            ),
          ),
        ),
        el('tbody', {}, ...tokens.map(row)),
      ),
    );
  } catch (error) {
    tokensTable.replaceChildren(el('p', { class: 'error' }, error.message));
  }
}

// ---------- opening and closing ----------

async function onOpen() {
  errorLine.textContent = '';
  try {
    const { tenants } = await api('/tenants');
    const current = $('#tenant')?.value;
    tenantSelect.replaceChildren(
      ...tenants.map((t) => el('option', { value: t.slug }, `${t.name} (${t.slug})`)),
    );
    const picked = tenants.find((t) => t.id === current);
    if (picked) tenantSelect.value = picked.slug;
    await loadTokens();
  } catch (error) {
    errorLine.textContent = error.message;
  }
}

function onClose() {
  result.hidden = true;
  // The commands hold a secret: they do not stay in the page once it is left.
  result.replaceChildren();
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  errorLine.textContent = '';
  createButton.disabled = true;
  const body = {
    expiresInHours: Number(hoursInput.value),
    maxUses: Number(usesInput.value),
    ...(nameInput.value.trim() ? { name: nameInput.value.trim() } : {}),
    ...(siteInput.value.trim() ? { site: siteInput.value.trim() } : {}),
  };
  try {
    const answer = await api(
      `/tenants/${encodeURIComponent(tenantSelect.value)}/install-commands`,
      { method: 'POST', body: JSON.stringify(body) },
    );
    showResult(answer);
    await loadTokens();
  } catch (error) {
    errorLine.textContent =
      error.status === 403
        ? `Only an admin token can create install commands: ${error.message}`
        : error.message;
  } finally {
    createButton.disabled = false;
  }
});
tenantSelect.addEventListener('change', () => {
  result.hidden = true;
  result.replaceChildren();
  void loadTokens();
});
// ---------- installed by app.js ----------

export default { button, section: view, onOpen, onClose };
