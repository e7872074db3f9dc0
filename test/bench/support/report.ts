// Printing results: medians, number formats, fixed-width tables, and the machine the
// figures were measured on (a figure without its machine is not a figure).
import os from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 12,345 */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** 12.3 */
export function fixed(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function mib(bytes: number): string {
  return `${fixed(bytes / 1024 ** 2)} MiB`;
}

export interface Column<Row> {
  title: string;
  value(row: Row): string;
  /** text columns are left-aligned, numbers right-aligned */
  left?: boolean;
  /** the least width (the title's length at least) */
  width?: number;
}

/**
 * A table printed a row at a time (results appear as rounds finish), so the column
 * widths come from the titles and a minimum rather than from all the rows.
 */
export class Table<Row> {
  private readonly widths: number[];

  constructor(
    private readonly columns: Column<Row>[],
    minWidth = 7,
  ) {
    this.widths = columns.map((c) => Math.max(c.title.length, c.width ?? minWidth));
  }

  header(): string {
    return this.line(this.columns.map((c) => c.title));
  }

  row(row: Row): string {
    return this.line(this.columns.map((c) => c.value(row)));
  }

  private line(values: string[]): string {
    return values
      .map((v, i) =>
        this.columns[i]!.left ? v.padEnd(this.widths[i]!) : v.padStart(this.widths[i]!),
      )
      .join('  ')
      .trimEnd();
  }
}

export function machineLines(): string[] {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2));
  return [
    `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${fixed(os.totalmem() / 1024 ** 3)} GiB RAM`,
    `         ${os.type()} ${os.release()}, Node ${process.version}, load average ${load.join(' ')}`,
    `date:    ${new Date().toISOString()}`,
  ];
}
