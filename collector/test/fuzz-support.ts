// Seeded input generators for the fuzz tests. No fuzzing library: a small PRNG
// (mulberry32) and lists of values known to break parsers, so that every failure can be
// replayed with the seed the test printed:
//
//   VCIO_FUZZ_SEED=1234 VCIO_FUZZ_COUNT=20000 npx tap test/fuzz-api.test.ts

/** Deterministic random choices from one 32-bit seed. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** 0 <= x < 1 (mulberry32) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed from VCIO_FUZZ_SEED, or a fresh one; the test prints it either way. */
export function fuzzSeed(): number {
  const given = process.env.VCIO_FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`VCIO_FUZZ_SEED must be an integer: ${given}`);
    return seed >>> 0;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** How many cases: VCIO_FUZZ_COUNT, or the test's default. */
export function fuzzCount(fallback: number): number {
  const given = Number(process.env.VCIO_FUZZ_COUNT);
  return Number.isInteger(given) && given > 0 ? given : fallback;
}

/** Counts the cases tried per family, for the test's summary line. */
export class FamilyCounts {
  private readonly counts = new Map<string, number>();

  add(family: string): void {
    this.counts.set(family, (this.counts.get(family) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  toString(): string {
    return [...this.counts].map(([family, n]) => `${family}=${n}`).join(' ');
  }
}

/** Strings that break naive code: empty, traversal, NUL, lone surrogates, RTL, huge... */
export const STRANGE_STRINGS: readonly string[] = [
  '',
  ' ',
  '.',
  '..',
  '../../etc/passwd',
  '%00',
  '%2e%2e',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202eevil\u202c',
  '\u200b',
  '\ufeff',
  '\uffff',
  '😀'.repeat(50),
  'Ω≈ç√∫',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE hosts; --',
  '%s%n%x',
  '\\',
  '/',
  '?',
  '#',
  '\r\n',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  '__proto__',
  'constructor',
  'a'.repeat(129),
  'a'.repeat(4096),
  'é'.repeat(70_000),
];

/** JSON values of every type, and the edge cases of each. */
export function strangeValue(rng: Rng): unknown {
  switch (rng.int(16)) {
    case 0:
      return null;
    case 1:
      return rng.pick([true, false]);
    case 2:
      return rng.pick([0, -0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 5e-324]);
    case 3:
      return rng.pick(STRANGE_STRINGS);
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return Array.from({ length: rng.int(5) }, () => rng.pick(STRANGE_STRINGS));
    case 7:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    case 8:
      // deeper is text only (mutateJsonText): JSON.stringify itself overflows the stack
      return nested(rng.pick([100, 1_000, 2_000]));
    case 9:
      return 'x'.repeat(rng.pick([10_000, 200_000, 900_000]));
    case 10:
      return Array.from({ length: rng.pick([1_000, 50_000]) }, (_, i) => i);
    case 11:
      return new Date(rng.pick([0, -1e15, 8.64e15, Date.now()])).toISOString();
    case 12:
      return rng.pick(['2026-13-45T25:61:61Z', '2016-12-31T23:59:60Z', 'yesterday', '0000-00-00']);
    case 13:
      return { extra: rng.pick(STRANGE_STRINGS) };
    case 14:
      return rng.int(1 << 30) - (1 << 29);
    default:
      return rng.pick(['0', '1', 'true', '{}', '[]']);
  }
}

const DEEP_ARRAY = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;

/** An array nested `depth` levels deep. */
export function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Every path (list of keys) into a JSON value, containers and leaves alike. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (out.length > 2_000) return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

/**
 * A structurally mutated copy of a valid body: one to three of replacing a value with a
 * strange one, deleting a field, adding an unknown field, or swapping in another type.
 */
export function mutateJson(valid: unknown, rng: Rng): unknown {
  const copy = structuredClone(valid) as Record<string | number, unknown>;
  const all = paths(copy);
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const path = rng.pick(all);
    if (path.length === 0) {
      if (rng.chance(0.3)) return strangeValue(rng);
      continue;
    }
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const child = parent[key];
      if (!child || typeof child !== 'object') break;
      parent = child as Record<string | number, unknown>;
    }
    const key = path[path.length - 1]!;
    switch (rng.int(3)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 1:
        if (!Array.isArray(parent)) parent[rng.pick(STRANGE_STRINGS.slice(0, 34))] = 1;
        else parent.push(strangeValue(rng));
        break;
      default:
        parent[key] = strangeValue(rng);
    }
  }
  return copy;
}

/**
 * JSON text mutations a structured value cannot express: duplicated keys, overlong
 * numbers, escapes of lone surrogates and NUL, truncation, trailing garbage, deep nesting.
 */
export function mutateJsonText(validText: string, rng: Rng): string {
  switch (rng.int(14)) {
    case 12: // 10,000 levels where the schema allows any value, and where it does not
      return validText.replace(
        rng.pick(['"sections":{', '"errors":[', '"host":{']),
        (open) =>
          `${open}${open.endsWith('[') ? '' : '"deep":'}${DEEP_ARRAY}${open.endsWith('[') ? '' : ','}`,
      );
    case 13:
      return validText.replace(/"collectedAt":"[^"]*"/, `"collectedAt":${DEEP_OBJECT}`);
    case 0:
      return validText.slice(0, rng.int(validText.length));
    case 1:
      return validText.replace(/^\{/, '{"schema":"x","schema":"vcio.report/v1",');
    case 2:
      return validText.replace(/:\s*(-?\d+(\.\d+)?)/, ':1e309');
    case 3:
      return validText.replace(/:\s*(-?\d+(\.\d+)?)/, `:${'9'.repeat(400)}`);
    case 4:
      return validText.replace(/:\s*"/, ':"\\ud800\\u0000\\u202e');
    case 5:
      return `${validText}${rng.pick(['}', ']', ',', 'garbage', '\u0000', '\n{}'])}`;
    case 6:
      return DEEP_ARRAY;
    case 7:
      return DEEP_OBJECT;
    case 8: {
      const i = rng.int(validText.length);
      return validText.slice(0, i) + String.fromCharCode(rng.int(0x10000)) + validText.slice(i);
    }
    case 9:
      return rng.pick(['', ' ', 'null', '0', '"text"', '[]', 'true', '-0', '{"__proto__":{}}']);
    case 10:
      return validText.replace(/"/g, "'");
    default:
      return validText.replace(/:\s*(-?\d+(\.\d+)?)/, ':-0');
  }
}
