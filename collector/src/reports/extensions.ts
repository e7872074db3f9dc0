// The parts of a report that other modules of the collector compute: the vendor and
// technology overview and the initiatives. They are reached through this one interface so
// a test (or a store without them) can swap them, and a part that is not computed is
// reported as "not available in this version" rather than left out: a reader can tell
// "none" from "not computed".
import { initiativeSummaries, type InitiativeSummary } from '../initiatives/summary.js';
import type { Store } from '../store/types.js';
import { technologyOverview, type TechnologyOverview } from '../technology/overview.js';

export type ReportPart<T> = { available: true; data: T } | { available: false; reason: string };

export const NOT_AVAILABLE = 'not available in this version';

/** The overview without what the report already says once (tenant, generation time). */
export type TechnologyPart = Omit<TechnologyOverview, 'tenant' | 'generatedAt'>;

export interface ReportExtensions {
  technology(store: Store, tenantId: string): Promise<ReportPart<TechnologyPart>>;
  initiatives(store: Store, tenantId: string, now: Date): Promise<ReportPart<InitiativeSummary[]>>;
}

export const reportExtensions: ReportExtensions = {
  async technology(store, tenantId) {
    const o = await technologyOverview(store, tenantId);
    return {
      available: true,
      data: { hosts: o.hosts, software: o.software, hardware: o.hardware, os: o.os },
    };
  },
  async initiatives(store, tenantId, now) {
    return { available: true, data: await initiativeSummaries(store, tenantId, now) };
  },
};
