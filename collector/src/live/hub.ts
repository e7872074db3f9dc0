// The live feed's fan-out: events are published in O(1) (the event bus calls in the middle
// of a request), then every `batchMs` they are matched against each client's
// subscriptions and sent as one frame per client (a JSON array of messages). Batching
// halves the CPU at 200 events/s against a frame per event (../shared/TOOLCHAIN.md).
//
// A client that does not read is dropped, never buffered without bound: before each send
// its socket's bufferedAmount is checked against `maxBufferedBytes`.
import { CLOSE, type LiveEvent, type LiveEventType } from './protocol.js';
import { EventRing, type RetainedEvent } from './ring.js';

/** What the hub needs of a websocket (the `ws` WebSocket has all of it). */
export interface LiveSocket {
  /** a Buffer is sent as a text frame too (binary: false) */
  send(data: string | Buffer, options: { binary: boolean }): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

export interface HubOptions {
  batchMs: number;
  maxBufferedBytes: number;
  resumeEvents: number;
  resumeSeconds: number;
  /** called when a client is dropped for reading too slowly (for logs) */
  onDrop?: (client: LiveClient) => void;
}

export class LiveClient {
  /** null: an admin, who may see every tenant */
  readonly scope: string | null;
  allTenants = false;
  readonly tenants = new Set<string>();
  readonly hosts = new Set<string>();
  /** events up to this id were sent (or happened before the client subscribed) */
  cursor = 0;
  queue: string[] = [];
  closed = false;

  constructor(
    readonly socket: LiveSocket,
    scope: string | null,
    readonly tokenId: string,
  ) {
    this.scope = scope;
  }

  wants(event: LiveEvent): boolean {
    return event.id > this.cursor && this.matches(event);
  }

  matches(event: LiveEvent): boolean {
    if (this.scope !== null && event.tenant !== this.scope) return false;
    return (
      this.allTenants ||
      this.tenants.has(event.tenant) ||
      (event.host !== undefined && this.hosts.has(event.host))
    );
  }

  get subscribed(): boolean {
    return this.allTenants || this.tenants.size > 0 || this.hosts.size > 0;
  }
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly ring: EventRing;
  private pending: RetainedEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  /**
   * Ids start at the start-up time in microseconds: they keep growing across restarts, so
   * a `since` from before a restart is always recognised as too old.
   */
  private lastIdValue = Date.now() * 1000;
  private stopped = false;

  constructor(private readonly options: HubOptions) {
    this.ring = new EventRing(options.resumeEvents, options.resumeSeconds * 1000);
  }

  get lastId(): number {
    return this.lastIdValue;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  add(client: LiveClient): void {
    client.cursor = this.lastIdValue;
    this.clients.add(client);
  }

  remove(client: LiveClient): void {
    client.closed = true;
    this.clients.delete(client);
  }

  /** O(1): the fan-out happens on the next flush. */
  publish(type: LiveEventType, tenant: string, host: string | undefined, data: unknown): LiveEvent {
    const atMs = Date.now();
    const event: LiveEvent = {
      id: ++this.lastIdValue,
      type,
      at: new Date(atMs).toISOString(),
      tenant,
      ...(host !== undefined ? { host } : {}),
      data,
    };
    const retained = { event, json: JSON.stringify(event), atMs };
    this.ring.push(retained);
    this.pending.push(retained);
    this.schedule();
    return event;
  }

  /** A control message (hello, subscribed, error...) to one client, in order with its events. */
  sendTo(client: LiveClient, message: object): void {
    if (client.closed) return;
    client.queue.push(JSON.stringify(message));
    this.schedule();
  }

  /**
   * Starts delivering to a client from `since` (the events it missed that `covers`, the
   * subscription just made, selects) or from now. Returns false when `since` is older
   * than what is kept: the client must reload.
   */
  resume(
    client: LiveClient,
    since: number | undefined,
    covers: (event: LiveEvent) => boolean,
  ): boolean {
    if (since === undefined) {
      client.cursor = Math.max(client.cursor, this.lastIdValue);
      return true;
    }
    const missed = this.ring.after(since, this.lastIdValue, Date.now());
    if (missed === null) {
      client.cursor = Math.max(client.cursor, this.lastIdValue);
      return false;
    }
    // The replay goes before anything published later; the cursor keeps the pending
    // fan-out from sending these twice.
    for (const item of missed) {
      if (covers(item.event) && client.matches(item.event)) client.queue.push(item.json);
    }
    client.cursor = Math.max(client.cursor, this.lastIdValue);
    this.schedule();
    return true;
  }

  /** Every client gets the same message (heartbeats). */
  broadcast(message: object): void {
    const json = JSON.stringify(message);
    for (const client of this.clients) client.queue.push(json);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setTimeout(() => this.flush(), this.options.batchMs);
  }

  /** Matches pending events to clients and sends each client one frame. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const events = this.pending;
    this.pending = [];
    this.ring.expire(Date.now());
    // Most clients of a busy feed get exactly this flush's events and nothing else: that
    // frame is encoded once and the same bytes go to each of them.
    let everyEvent: Buffer | null = null;
    for (const client of this.clients) {
      const onlyEvents = client.queue.length === 0;
      let matched = 0;
      for (const item of events) {
        if (client.wants(item.event)) {
          client.queue.push(item.json);
          matched++;
        }
      }
      if (events.length > 0) client.cursor = Math.max(client.cursor, this.lastIdValue);
      if (client.queue.length === 0) continue;
      if (client.socket.bufferedAmount > this.options.maxBufferedBytes) {
        this.drop(client);
        continue;
      }
      let frame: string | Buffer;
      if (onlyEvents && matched === events.length) {
        everyEvent ??= Buffer.from(`[${client.queue.join(',')}]`);
        frame = everyEvent;
      } else {
        frame = `[${client.queue.join(',')}]`;
      }
      client.queue = [];
      try {
        client.socket.send(frame, { binary: false });
      } catch {
        // the socket closed under us: its close handler removes the client
      }
    }
  }

  private drop(client: LiveClient): void {
    this.remove(client);
    client.queue = [];
    this.options.onDrop?.(client);
    client.socket.close(
      CLOSE.tooSlow,
      `too slow: more than ${this.options.maxBufferedBytes} bytes waiting; reconnect and resume with since`,
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
