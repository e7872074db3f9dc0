// The software inventory's hash, the same on the agent (to decide whether to send the
// list) and on the collector (to check a list and to recognise a hash-only report).
//
// Order-independent: package databases list in different orders from run to run, and an
// unchanged inventory must hash the same. Each entry is reduced to a fixed field order
// before hashing, so adding a field to SoftwareItem later changes every hash once (one
// full upload per host), never silently.
import { createHash } from 'node:crypto';
import type { SoftwareItem } from './software.js';

function entryKey(item: SoftwareItem): string {
  return JSON.stringify([
    item.source,
    item.name,
    item.version,
    item.arch,
    item.publisher,
    item.installedAt,
  ]);
}

export function softwareHash(items: readonly SoftwareItem[]): string {
  const keys = items.map(entryKey).sort();
  const hash = createHash('sha256');
  for (const key of keys) hash.update(key).update('\n');
  return hash.digest('hex');
}
