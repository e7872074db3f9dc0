// What a collector is. One collector fills one section of the report; see index.ts for the
// registry and system.ts / performance.ts for examples.
import type { ReportSections, SectionName } from '@vcio/shared';
import type { HostAccess } from '../host.js';
import type { Logger } from '../log.js';

export interface CollectContext {
  logger: Logger;
  /** aborted when the report builder gives up on this collector (timeout) or the agent stops */
  signal: AbortSignal;
  /** the machine to read: the live one, or recorded outputs in replay mode (host.ts) */
  host: HostAccess;
}

export interface Collector<K extends SectionName = SectionName> {
  /** the report section it fills, also the name used by `collect --only` */
  readonly name: K;
  /** how often the service loop runs it by default */
  readonly cadenceSeconds: number;
  /** Node platform names it can run on (process.platform values) */
  readonly platforms: readonly NodeJS.Platform[];
  /** longest it may take before the report builder records a timeout error instead */
  readonly timeoutSeconds: number;
  collect(ctx: CollectContext): Promise<NonNullable<ReportSections[K]>>;
}

/** Any one collector, with its name and section type kept together. */
export type AnyCollector = { [K in SectionName]: Collector<K> }[SectionName];
