// The `outbox` section: the agent's delivery queue, so a vCIO can see that reports were
// lost while a machine was offline for longer than its queue could hold.
import { Type, type Static } from '@sinclair/typebox';
import { Timestamp, Unknown } from './common.js';

export const OutboxSection = Type.Object({
  /** reports waiting on disk when this one was built (this one not counted) */
  queued: Type.Integer({ minimum: 0 }),
  /** reports dropped unsent since the agent's state was created: the queue was full */
  dropped: Type.Integer({ minimum: 0 }),
  /**
   * when reports were last dropped (null: never); absent from agents before 0.1.0's
   * outbox timestamps. Lets the collector tell a loss last week from one two years ago.
   */
  lastDroppedAt: Type.Optional(Unknown(Timestamp)),
});
export type OutboxSection = Static<typeof OutboxSection>;
