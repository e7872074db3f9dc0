// Fetching products from the endoflife.date API v1, one request per product, each with its
// own timeout. Any failure but "no such product" stops the whole refresh: a refresh that
// quietly kept half the old data would be worse than none.
import type { EolProduct } from '@vcio/shared';
import { convertProduct, isApiV1Document, parseApiV1Product } from './api-v1.js';

export class ApiFetchError extends Error {}

export interface FetchProductsOptions {
  /** per request, headers and body included */
  timeoutMs: number;
  /** one line per product, e.g. "ubuntu: 44 releases" */
  onProgress?: (line: string) => void;
}

export interface FetchedProducts {
  products: Record<string, EolProduct>;
  /** products the API answered 404 for (renamed or removed upstream) */
  missing: string[];
}

/** The base URL, checked: http(s) only, no trailing slash. */
export function parseApiBase(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiFetchError(`--api '${text}' is not a URL (e.g. https://endoflife.date/api/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiFetchError(`--api '${text}' must be an http or https URL`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Why a fetch() threw, in one line: a timeout, or the network error's code. */
function describeFetchFailure(
  error: unknown,
  url: string,
  base: string,
  timeoutMs: number,
): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `${url}: no complete answer within ${timeoutMs / 1000} s`;
  }
  // e.g. "getaddrinfo ENOTFOUND endoflife.date", "connect ECONNREFUSED 127.0.0.1:9"
  const cause = e.cause?.message || e.cause?.code || e.message;
  return `cannot reach ${base} (${cause}); without internet access, use --from FILE`;
}

async function fetchJson(url: string, base: string, timeoutMs: number): Promise<unknown | 404> {
  // One signal covers connecting, the headers and reading the body.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    if (response.status === 404) {
      await response.body?.cancel();
      return 404;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ApiFetchError(
        `${url} answered HTTP ${response.status} ${response.statusText}`.trim(),
      );
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ApiFetchError(`${url}: the answer is not JSON`);
    }
  } catch (error) {
    if (error instanceof ApiFetchError) throw error;
    throw new ApiFetchError(describeFetchFailure(error, url, base, timeoutMs));
  }
}

/** GET {base}/products/{id} for each id, converted to the snapshot's shape. */
export async function fetchApiV1Products(
  base: string,
  ids: readonly string[],
  options: FetchProductsOptions,
): Promise<FetchedProducts> {
  const products: Record<string, EolProduct> = {};
  const missing: string[] = [];
  // One at a time: a few dozen small requests, and endoflife.date asks clients to be gentle
  // (its API answers 429 to bursts).
  for (const id of ids) {
    const url = `${base}/products/${encodeURIComponent(id)}`;
    const answer = await fetchJson(url, base, options.timeoutMs);
    if (answer === 404) {
      missing.push(id);
      options.onProgress?.(`${id}: not found (404)`);
      continue;
    }
    if (!isApiV1Document(answer)) {
      throw new ApiFetchError(
        `${url}: not an endoflife.date API v1 answer (no schema_version/result)`,
      );
    }
    products[id] = convertProduct(parseApiV1Product(answer.result, url));
    options.onProgress?.(`${id}: ${products[id]!.releases.length} releases`);
  }
  return { products, missing };
}
