// Conversions between SQLite rows (integers for times) and the Store's records.
export const toMillis = (d: Date): number => d.getTime();
export const fromMillis = (ms: number): Date => new Date(ms);
export const fromNullableMillis = (ms: number | null): Date | null =>
  ms === null ? null : new Date(ms);
export const toNullableMillis = (d: Date | null): number | null =>
  d === null ? null : d.getTime();
