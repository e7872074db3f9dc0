// The last events, for clients that reconnect and resume with `since`: bounded both in
// count and in age, so memory stays flat whatever the event rate.
import type { LiveEvent } from './protocol.js';

export interface RetainedEvent {
  event: LiveEvent;
  /** the event serialised once, shared by every client it goes to */
  json: string;
  atMs: number;
}

export class EventRing {
  private readonly slots: (RetainedEvent | undefined)[];
  private start = 0;
  private size = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs: number,
  ) {
    this.slots = new Array<RetainedEvent | undefined>(capacity);
  }

  push(item: RetainedEvent): void {
    if (this.size === this.capacity) {
      this.slots[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
    this.slots[(this.start + this.size) % this.capacity] = item;
    this.size++;
  }

  private at(index: number): RetainedEvent {
    return this.slots[(this.start + index) % this.capacity]!;
  }

  /** Forgets events older than the window. */
  expire(nowMs: number): void {
    while (this.size > 0 && nowMs - this.at(0).atMs > this.maxAgeMs) {
      this.slots[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
  }

  /**
   * The events after `since`, or null when some of them are no longer held. Ids are
   * consecutive, so `lastId` (the newest id ever published) tells what should be there.
   */
  after(since: number, lastId: number, nowMs: number): RetainedEvent[] | null {
    this.expire(nowMs);
    if (since > lastId) return null; // an id from another collector process, or made up
    const missed = lastId - since;
    if (missed > this.size) return null;
    const out: RetainedEvent[] = [];
    for (let i = this.size - missed; i < this.size; i++) out.push(this.at(i));
    return out;
  }

  get length(): number {
    return this.size;
  }
}
