// The time conversions moved to ../rows/columns.ts, where both stores read them; kept so the
// files that still import them from here (postgres/reports.ts, maintenance.ts) need no change.
export { fromMillis, fromNullableMillis, toMillis, toNullableMillis } from '../rows/columns.js';
