// How both stores' drivers hand over a column, and the conversions to the Store's records.
// Both schemas use the same column names and types: times are integer milliseconds
// (PostgreSQL BIGINT arrives as a JS number, see postgres/database.ts), secrets BLOB/BYTEA
// arrive as Buffer. Two kinds of column differ, and are read through the helpers here:
// booleans (SQLite 0/1, PostgreSQL true/false) and JSON (SQLite text, PostgreSQL decoded).
export const toMillis = (d: Date): number => d.getTime();
export const fromMillis = (ms: number): Date => new Date(ms);
export const fromNullableMillis = (ms: number | null): Date | null =>
  ms === null ? null : new Date(ms);
export const toNullableMillis = (d: Date | null): number | null =>
  d === null ? null : d.getTime();

/** A boolean column: SQLite stores 0 or 1, PostgreSQL answers true or false. */
export type SqlBoolean = boolean | 0 | 1;
export const fromSqlBoolean = (v: SqlBoolean): boolean => v === true || v === 1;
export const fromNullableSqlBoolean = (v: SqlBoolean | null): boolean | null =>
  v === null ? null : fromSqlBoolean(v);

/**
 * Reads a JSON column: SQLite hands over the text, PostgreSQL (jsonb, or an array type) the
 * value already decoded. Which one is a property of the store, not of the value (a jsonb
 * string is a string), so each store passes its reader to the row mappers.
 */
export type JsonReader = <T>(column: unknown) => T;
/** SQLite: JSON columns are text. */
export const jsonFromText: JsonReader = <T>(column: unknown): T =>
  JSON.parse(column as string) as T;
/** PostgreSQL: JSON columns arrive decoded. */
export const jsonDecoded: JsonReader = <T>(column: unknown): T => column as T;
