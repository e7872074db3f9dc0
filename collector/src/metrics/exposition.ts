// Writing the Prometheus text exposition format (version 0.0.4) by hand, for the fleet
// and per-host families. prom-client's gauges cost ~1.7 µs a set and ~29 ms per 1,000
// hosts to render (TOOLCHAIN.md); lines built straight from database rows are 2–3× cheaper.
//
// Label values can hold anything a hostname or an OS name can: the format escapes
// backslash, double quote and line feed, nothing else.

export type Labels = readonly (readonly [name: string, value: string])[];

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** HELP text escapes backslash and line feed only. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function labelText(labels: Labels): string {
  if (labels.length === 0) return '';
  let text = '{';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i]!;
    text += `${i === 0 ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return `${text}}`;
}

/**
 * One metric family: its HELP and TYPE lines, then its samples. A family with no samples
 * still prints HELP and TYPE, so dashboards and tests see every name the exporter has.
 */
export class Family {
  private readonly lines: string[] = [];

  constructor(
    readonly name: string,
    readonly type: 'gauge' | 'counter',
    readonly help: string,
  ) {}

  /** `labels` is already rendered by labelText (callers reuse a host's label text). */
  add(labels: string, value: number): void {
    this.lines.push(`${this.name}${labels} ${formatValue(value)}`);
  }

  get size(): number {
    return this.lines.length;
  }

  render(): string {
    const head = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    return this.lines.length === 0 ? head : `${head}${this.lines.join('\n')}\n`;
  }
}
