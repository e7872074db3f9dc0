// `@vcio/shared/agent`: what the agent needs from the contract at run time. The agent
// imports its types from `@vcio/shared` (erased at build) and its values from here, so it
// never loads TypeBox: its schemas are built when imported, and that alone would add
// about 15 MiB to an agent that must stay under 60 MB (measured with `pnpm bench agent`).
// Nothing exported here may import '@sinclair/typebox'.
export { KNOWN_SECTIONS, MAX_SOFTWARE_ITEMS, REPORT_SCHEMA_ID } from './report/constants.js';
export type { SectionName } from './report/constants.js';
export { newReportId } from './report/report-id.js';
export { softwareHash } from './report/software-hash.js';
export { agentAuthorization, API_PREFIX } from './http.js';
