// PLACEHOLDER: being written. Replace this whole file.
import type { CollectContext } from '../types.js';
import type { SoftwareRead } from './read.js';

export function readWindowsSoftware(_ctx: CollectContext): Promise<SoftwareRead> {
  return Promise.resolve({ items: [], sources: [] });
}
