// Reading the JSON documents collectors get from other programs: PowerShell's
// ConvertTo-Json (Windows patches, software and security scripts), system_profiler -json
// and brew --json on macOS.
//
// The quirks handled once here: a byte-order mark, a warning line printed before the
// document (a profile or a module loading), ConvertTo-Json writing a one-element list as
// the element itself and an empty one as null.

/** An object's fields, or no fields when the value is not an object. */
export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** ConvertTo-Json writes a one-element list as the element itself, and nothing as null. */
export function asArray(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const preview = (text: string): string => text.slice(0, 120).replace(/\s+/g, ' ');

/**
 * The JSON object `what` printed. Throws, with `what` named, when the output is empty, not
 * JSON, or JSON that is not an object: callers report that as the source's error.
 */
export function parseJsonObject(output: string, what: string): Record<string, unknown> {
  const trimmed = output.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new Error(`no output from ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    // Something printed a line before the document: try from the first '{'.
    const start = trimmed.indexOf('{');
    const end = trimmed.lastIndexOf('}');
    try {
      if (start < 0 || end < start) throw new Error('no JSON object');
      doc = JSON.parse(trimmed.slice(start, end + 1));
    } catch {
      throw new Error(`${what} output is not JSON: '${preview(trimmed)}'`);
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`${what} output is not a JSON object`);
  return doc as Record<string, unknown>;
}
