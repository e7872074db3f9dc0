// The `outbox` section: the agent's delivery queue, so a vCIO can see that reports were
// lost while a machine was offline for longer than its queue could hold.
import { Type, type Static } from '@sinclair/typebox';

export const OutboxSection = Type.Object({
  /** reports waiting on disk when this one was built (this one not counted) */
  queued: Type.Integer({ minimum: 0 }),
  /** reports dropped unsent since the agent's state was created: the queue was full */
  dropped: Type.Integer({ minimum: 0 }),
});
export type OutboxSection = Static<typeof OutboxSection>;
