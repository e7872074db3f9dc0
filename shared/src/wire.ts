// The HTTP exchanges between agent and collector besides the report itself.
import { Type, type Static } from '@sinclair/typebox';

export { agentAuthorization, API_PREFIX } from './http.js';

export const EnrollRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 512 }),
    machineId: Type.String({ minLength: 1, maxLength: 128 }),
    hostname: Type.String({ minLength: 1, maxLength: 255 }),
    agentVersion: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object({
  agentId: Type.String({ format: 'uuid' }),
  /** shown once; the collector keeps only its hash */
  secret: Type.String(),
  tenant: Type.String(),
});
export type EnrollResponse = Static<typeof EnrollResponse>;

export const ReportAccepted = Type.Object({
  reportId: Type.String(),
  /** true when this report id was already stored: the retry was harmless */
  duplicate: Type.Boolean(),
  /** sections this collector does not know (from a newer agent) and did not store */
  ignoredSections: Type.Array(Type.String()),
  /**
   * Sections the agent should send whole next time: a hash-only software section whose
   * hash this collector does not hold (a restored database, a new collector). Absent from
   * older collectors' answers, which agents read as "nothing to resend".
   */
  resend: Type.Optional(Type.Array(Type.String())),
});
export type ReportAccepted = Static<typeof ReportAccepted>;

export const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;
