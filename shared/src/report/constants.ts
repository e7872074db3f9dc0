// Values of the contract that code needs at run time, kept free of the schema library:
// the agent imports only these (through @vcio/shared/agent), and loading TypeBox's
// schemas would cost it about 15 MiB of memory for nothing (see agent.ts).
export const REPORT_SCHEMA_ID = 'vcio.report/v1';

/** Sections this version of the contract defines, in the order they are documented. */
export const KNOWN_SECTIONS = [
  'system',
  'performance',
  'patches',
  'software',
  'security',
  'outbox',
] as const;
export type SectionName = (typeof KNOWN_SECTIONS)[number];

/** The most software entries one report carries. */
export const MAX_SOFTWARE_ITEMS = 20_000;
