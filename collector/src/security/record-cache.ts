// A small time-bounded cache in front of credential lookups on the ingest path: every
// report is authenticated, and the database lookup behind it was ~5% of ingest CPU. The
// secret is still checked against the cached hash on every request; what the cache can
// delay is only a change to the record itself (a revocation takes effect within ttlMs).
export interface RecordCache<T> {
  get(id: string): Promise<T | null>;
  forget(id: string): void;
}

export function cachedLookup<T>(
  find: (id: string) => Promise<T | null>,
  options: { ttlMs: number; maxEntries: number; now?: () => number },
): RecordCache<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { record: T; expires: number }>();
  return {
    async get(id) {
      const hit = entries.get(id);
      if (hit && hit.expires > now()) return hit.record;
      const record = await find(id);
      // Unknown ids are not cached: a flood of made-up ids must not evict real agents.
      if (record === null) {
        entries.delete(id);
        return null;
      }
      // Bounded: past the limit the oldest entry (first in insertion order) goes.
      if (entries.size >= options.maxEntries && !entries.has(id)) {
        entries.delete(entries.keys().next().value!);
      }
      entries.delete(id);
      entries.set(id, { record, expires: now() + options.ttlMs });
      return record;
    },
    forget(id) {
      entries.delete(id);
    },
  };
}
