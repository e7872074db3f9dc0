// A refresh of the collector's lifecycle data: new data from a file or the endoflife.date
// API, compared with the data in use, refused if it shrank (unless allowed), then written.
import { readFileSync } from 'node:fs';
import {
  loadEndOfLife,
  validateEndOfLife,
  type EndOfLifeData,
  type EolProduct,
} from '@vcio/shared';
import { API_SOURCE, isApiV1Document, productsFromApiV1 } from './api-v1.js';
import { fetchApiV1Products } from './api-client.js';
import { compareEndOfLife, describeShrink, type LifecycleChanges } from './changes.js';
import { writeRefreshedCopy } from './refreshed-copy.js';

/** A refresh that cannot go ahead; the message is the whole story (one line). */
export class RefreshError extends Error {}

const today = (now: Date) => now.toISOString().slice(0, 10);

/** The products to ask the API for: the embedded snapshot's, then any the copy added. */
export function productIds(current: EndOfLifeData): string[] {
  return [...new Set([...Object.keys(loadEndOfLife().products), ...Object.keys(current.products)])];
}

function fromApiProducts(products: Record<string, EolProduct>, now: Date): EndOfLifeData {
  // The API has no commit to cite; the date is the day it was asked.
  return { source: API_SOURCE, sourceCommit: '', sourceDate: today(now), products };
}

/**
 * New data from a file: the snapshot's own shape, or (convenience) an API v1 answer, either
 * a /products/full dump or one /products/{product} answer (which replaces that product only).
 */
export function readLifecycleFile(
  path: string,
  current: EndOfLifeData,
  now = new Date(),
): EndOfLifeData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new RefreshError(
      `cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RefreshError(`${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    if (isApiV1Document(raw)) {
      const { products } = productsFromApiV1(raw, new Set(productIds(current)), path);
      const merged = Array.isArray(raw.result) ? products : { ...current.products, ...products };
      return validateEndOfLife(fromApiProducts(merged, now));
    }
    return validateEndOfLife(raw);
  } catch (error) {
    if (error instanceof RefreshError) throw error;
    throw new RefreshError(`${path}: ${(error as Error).message}`);
  }
}

export interface ApiRefreshOptions {
  timeoutMs: number;
  onProgress?: (line: string) => void;
  now?: Date;
}

/** New data from the API: every product the collector knows, fetched and converted. */
export async function fetchLifecycleData(
  base: string,
  current: EndOfLifeData,
  options: ApiRefreshOptions,
): Promise<EndOfLifeData> {
  const { products } = await fetchApiV1Products(base, productIds(current), options);
  if (Object.keys(products).length === 0) {
    throw new RefreshError(
      `${base} knew none of the ${productIds(current).length} products asked for`,
    );
  }
  try {
    return validateEndOfLife(fromApiProducts(products, options.now ?? new Date()));
  } catch (error) {
    throw new RefreshError(`${base}: ${(error as Error).message}`);
  }
}

export interface AppliedRefresh {
  path: string;
  changes: LifecycleChanges;
}

/** Compares, guards against shrinking, and writes the collector's copy. */
export function applyRefresh(
  dataDir: string,
  current: EndOfLifeData,
  next: EndOfLifeData,
  options: { allowShrink: boolean },
): AppliedRefresh {
  const changes = compareEndOfLife(current, next);
  const shrink = describeShrink(changes);
  if (shrink !== null && !options.allowShrink) {
    throw new RefreshError(`${shrink}; nothing written (--allow-shrink accepts it)`);
  }
  return { path: writeRefreshedCopy(dataDir, next), changes };
}
