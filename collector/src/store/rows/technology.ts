// Rows of the technology views that both stores group the same way, and the view rows
// built from them.
import type { HardwareModelRow, OsDistributionRow } from '../types.js';
import type { JsonReader } from './columns.js';

export interface HardwareRow {
  manufacturer: string | null;
  model: string | null;
  hosts: number;
  virtual: number;
  /** the known ages in years: SQLite a JSON array (or NULL), PostgreSQL an array */
  ages: unknown;
}

/** The distribution's columns, its state counts flat beside them. */
export type OsRow = Omit<OsDistributionRow, 'states'> & OsDistributionRow['states'];

export const toOsDistribution = (r: OsRow): OsDistributionRow => ({
  platform: r.platform,
  distro: r.distro,
  release: r.release,
  hosts: r.hosts,
  label: r.label,
  eol: r.eol,
  states: {
    supported: r.supported,
    ending_soon: r.ending_soon,
    end_of_life: r.end_of_life,
    unknown: r.unknown,
  },
});

/** The mappers that read JSON columns, for a store's JSON reader. */
export function technologyRecords(json: JsonReader) {
  return {
    toHardwareModel: (r: HardwareRow): HardwareModelRow => ({
      manufacturer: r.manufacturer,
      model: r.model,
      hosts: r.hosts,
      virtual: r.virtual,
      ages: [...(r.ages === null ? [] : json<number[]>(r.ages))].sort((a, b) => a - b),
    }),
  };
}
