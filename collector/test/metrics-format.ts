// A checker for the Prometheus text exposition format (0.0.4), strict enough to catch
// what Prometheus would refuse: a sample without HELP and TYPE before it, a family split
// in two, a malformed label or escape, a duplicated series, a value that is not a number.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(base) ?? '')) {
      return base;
    }
  }
  return name;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name '${name}' in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next} in: ${line}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`raw newline in label value: ${line}`);
      value += c;
      j++;
    }
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`junk after label value in: ${line}`);
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const help = new Set<string>();
  const types = new Map<string, string>();
  const done = new Set<string>();
  const series = new Set<string>();
  const samples: Sample[] = [];
  let current: string | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (done.has(name!)) throw new Error(`family ${name} appears twice`);
      if (current !== null && current !== name) done.add(current);
      current = name!;
      if (kind === 'HELP') {
        if (help.has(name!)) throw new Error(`two HELP lines for ${name}`);
        help.add(name!);
      } else {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest ?? '')) {
          throw new Error(`bad TYPE in: ${line}`);
        }
        types.set(name!, rest!);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/s.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const family = familyOf(name!, types);
    if (family !== current) throw new Error(`sample ${name} outside its family block`);
    if (!help.has(family) || !types.has(family)) throw new Error(`${family} lacks HELP or TYPE`);
    // Prometheus parses values with Go's ParseFloat: NaN and Inf in any case (prom-client
    // writes `Nan` for an event-loop histogram that has no data yet).
    if (!/^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|nan|[+-]?inf)$/i.test(valueText!)) {
      throw new Error(`bad value in: ${line}`);
    }
    const labels = labelText ? parseLabels(labelText, line) : {};
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`duplicate series: ${line}`);
    series.add(key);
    const lower = valueText!.toLowerCase();
    const value = lower.endsWith('inf')
      ? lower.startsWith('-')
        ? -Infinity
        : Infinity
      : lower === 'nan'
        ? NaN
        : Number(valueText);
    samples.push({ name: name!, labels, value });
  }
  for (const name of types.keys()) {
    if (!help.has(name)) throw new Error(`${name} has TYPE but no HELP`);
  }
  return { types, samples };
}

/** The samples of `name` whose labels include `match`. */
export function find(e: Exposition, name: string, match: Record<string, string> = {}): Sample[] {
  return e.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}
