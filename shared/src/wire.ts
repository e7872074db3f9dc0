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
  /**
   * An admin asked this agent to rotate its secret (POST /api/v1/agent/rotate). Absent:
   * nothing asked (and from older collectors).
   */
  rotateSecret: Type.Optional(Type.Boolean()),
});
export type ReportAccepted = Static<typeof ReportAccepted>;

/** POST /api/v1/agent/rotate: the agent's new secret, pending until first used. */
export const RotateResponse = Type.Object({
  agentId: Type.String({ format: 'uuid' }),
  /** shown once; works alongside the old secret until the agent first uses it */
  secret: Type.String(),
});
export type RotateResponse = Static<typeof RotateResponse>;

/** POST /api/v1/agent/rotate/confirm: sent with the new secret, which that completes. */
export const RotateConfirmResponse = Type.Object({
  agentId: Type.String({ format: 'uuid' }),
  /** false: the credential used is the only one (nothing was pending, or it completed) */
  rotationPending: Type.Boolean(),
});
export type RotateConfirmResponse = Static<typeof RotateConfirmResponse>;

export const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;
