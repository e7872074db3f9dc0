// A client of the collector's live feed (/api/v1/live) for end-to-end tests: it records
// every message and waits for the ones a test expects, in order.
import WebSocket from 'ws';
import type { CollectorProcess } from './processes.js';

// Tests read the feed's JSON loosely: the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = any;

export class FeedClient {
  readonly messages: Message[] = [];
  private seen = 0;
  private wake: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  constructor(collector: Pick<CollectorProcess, 'url'>) {
    this.ws = new WebSocket(`${collector.url.replace(/^http/, 'ws')}/api/v1/live`);
    this.ws.on('message', (data) => {
      this.messages.push(...(JSON.parse(data.toString()) as Message[]));
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  async opened(): Promise<this> {
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    return this;
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next message (after the last one returned) that matches. */
  async next(match: (m: Message) => boolean, timeoutMs = 15_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.seen < this.messages.length) {
        const m = this.messages[this.seen++];
        if (match(m)) return m;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; messages: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  type(type: string, timeoutMs?: number): Promise<Message> {
    return this.next((m) => m.type === type, timeoutMs);
  }
}
