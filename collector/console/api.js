// The REST API with the signed-in token: one request, or every page of a list.
import { state } from '/console/state.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', send } = {}) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${state.token}`,
      ...(send === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(send === undefined ? {} : { body: JSON.stringify(send) }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.message || `${res.status} ${res.statusText}`);
  return body;
}

export async function apiPages(path, key, max = 20_000) {
  const out = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let offset = 0; offset < max; offset += 1000) {
    const page = await api(`${path}${sep}limit=1000&offset=${offset}`);
    out.push(...page[key]);
    if (page[key].length < 1000) break;
  }
  return out;
}
