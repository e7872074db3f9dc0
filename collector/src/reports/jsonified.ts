// A report is built from store records holding Dates and served as JSON. Converting once,
// at the end of the build, gives the renderers exactly what a JSON client receives (dates
// as ISO strings), so the CSV, HTML and PDF can never show something the JSON does not.

export type Jsonified<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

export function jsonified<T>(value: T): Jsonified<T> {
  return JSON.parse(JSON.stringify(value)) as Jsonified<T>;
}
