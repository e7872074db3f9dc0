// Report v1: what an agent sends, defined once. The collector validates every report
// against this schema; the agent's types come from it, so the two cannot drift.
//
// Compatibility rules for v1:
// - every section is optional: an agent sends only what it collected this time;
// - a new section is added as one more optional key, so reports from older v1 agents stay
//   valid; a collector ignores (and counts) sections it does not know, so newer agents can
//   talk to an older collector;
// - a field inside a section is never removed or retyped within v1.
import { Type, type Static } from '@sinclair/typebox';
import { List, Text, Timestamp } from './common.js';
import { OutboxSection } from './outbox.js';
import { PatchesSection } from './patches.js';
import { PerformanceSection } from './performance.js';
import { SecuritySection } from './security.js';
import { SoftwareSection } from './software.js';
import { SystemSection } from './system.js';

import { REPORT_SCHEMA_ID } from './constants.js';

export { KNOWN_SECTIONS, REPORT_SCHEMA_ID, type SectionName } from './constants.js';

export const Sections = Type.Object(
  {
    system: Type.Optional(SystemSection),
    performance: Type.Optional(PerformanceSection),
    patches: Type.Optional(PatchesSection),
    software: Type.Optional(SoftwareSection),
    security: Type.Optional(SecuritySection),
    outbox: Type.Optional(OutboxSection),
  },
  // Unknown sections from newer agents pass validation and are ignored by the collector.
  { additionalProperties: true },
);

export const CollectorError = Type.Object({
  collector: Text(64),
  message: Text(2048),
});
export type CollectorError = Static<typeof CollectorError>;

export const Report = Type.Object(
  {
    schema: Type.Literal(REPORT_SCHEMA_ID),
    reportId: Type.String({ format: 'uuid' }),
    agent: Type.Object({
      id: Type.String({ format: 'uuid' }),
      version: Text(64),
    }),
    host: Type.Object({
      /** /etc/machine-id, Windows MachineGuid, macOS IOPlatformUUID */
      machineId: Type.String({ minLength: 1, maxLength: 128 }),
      hostname: Type.String({ minLength: 1, maxLength: 255 }),
    }),
    collectedAt: Timestamp,
    sections: Sections,
    errors: List(CollectorError, 64),
  },
  { $id: 'vcio.report.v1', additionalProperties: false },
);
export type Report = Static<typeof Report>;
export type ReportSections = Static<typeof Sections>;
