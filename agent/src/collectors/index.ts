// The collector registry. Adding a collector is one new file in this folder and one line in
// COLLECTOR_FACTORIES; nothing else changes (the CLI's --only, the report builder and the
// service loop all read this list).
//
// Factories rather than instances: some collectors keep state between runs (performance
// keeps the previous counters to compute rates), and each agent run or test gets its own.
import { createPatchesCollector } from './patches/index.js';
import { createPerformanceCollector } from './performance.js';
import { createSecurityCollector } from './security/index.js';
import { createSoftwareCollector } from './software/index.js';
import { createSystemCollector } from './system.js';
import type { AnyCollector } from './types.js';

const COLLECTOR_FACTORIES: ReadonlyArray<() => AnyCollector> = [
  createSystemCollector,
  createPerformanceCollector,
  createPatchesCollector,
  createSoftwareCollector,
  createSecurityCollector,
];

export function createCollectors(): AnyCollector[] {
  return COLLECTOR_FACTORIES.map((create) => create());
}

export function collectorNames(): string[] {
  return createCollectors().map((c) => c.name);
}

/** Collectors that can run on this platform. */
export function collectorsFor(
  platform: NodeJS.Platform,
  collectors = createCollectors(),
): AnyCollector[] {
  return collectors.filter((c) => c.platforms.includes(platform));
}
