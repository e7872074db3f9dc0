// The live feed's wire format (documented for users in PROTOCOL.md, next to this file):
// what a client may send, what the server answers, and the close codes. Parsing client
// messages is a pure function so that every malformed input has a test and a clear error.

/** Event types (PROTOCOL.md describes each one's data). */
export const EVENT_TYPES = [
  'host.reported',
  'host.online',
  'host.offline',
  'agent.enrolled',
  'posture.changed',
  'finding.opened',
  'finding.resolved',
] as const;
export type LiveEventType = (typeof EVENT_TYPES)[number];

/** One event as clients receive it. `id` grows by one per event for the collector's lifetime. */
export interface LiveEvent {
  id: number;
  type: LiveEventType;
  /** when the collector published it (ISO 8601) */
  at: string;
  /** tenant id */
  tenant: string;
  /** host id, for host events */
  host?: string;
  data: unknown;
}

/** Close codes (4000–4999 are the application's own range in RFC 6455). */
export const CLOSE = {
  /** no valid API token: missing, wrong, revoked, or not sent within the auth timeout */
  unauthenticated: 4401,
  /** the client read too slowly: more than the bound was waiting in its send buffer */
  tooSlow: 4408,
  /** the client sent more messages than it waited answers for */
  flooding: 4429,
  /** the collector is shutting down: reconnect and resume with `since` */
  goingAway: 1001,
  /** too many failed authentications from this address: wait `retryAfterSeconds` (policy violation) */
  tooManyFailures: 1008,
} as const;

export type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; tenant?: string; host?: string; since?: number }
  | { type: 'unsubscribe'; tenant?: string; host?: string }
  | { type: 'ping' };

export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ID_TEXT = /^[\w.:-]{1,128}$/;

function optionalId(body: Record<string, unknown>, key: 'tenant' | 'host'): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ID_TEXT.test(value)) {
    throw new ProtocolError(
      'invalid_message',
      `${key} must be an id or slug (1–128 letters, digits, '_', '.', ':' or '-')`,
    );
  }
  return value;
}

/** Parses one text frame from a client; throws ProtocolError saying what is wrong. */
export function parseClientMessage(text: string): ClientMessage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProtocolError('invalid_json', 'a message must be one JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError('invalid_json', 'a message must be one JSON object');
  }
  const fields = body as Record<string, unknown>;
  switch (fields.type) {
    case 'auth': {
      if (typeof fields.token !== 'string' || fields.token.length === 0) {
        throw new ProtocolError('invalid_message', "auth needs a token: {type:'auth', token}");
      }
      return { type: 'auth', token: fields.token };
    }
    case 'subscribe': {
      const tenant = optionalId(fields, 'tenant');
      const host = optionalId(fields, 'host');
      if (tenant !== undefined && host !== undefined) {
        throw new ProtocolError('invalid_message', 'subscribe to a tenant or a host, not both');
      }
      const since = fields.since;
      if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since))) {
        throw new ProtocolError('invalid_message', 'since must be an event id (an integer)');
      }
      return {
        type: 'subscribe',
        ...(tenant !== undefined ? { tenant } : {}),
        ...(host !== undefined ? { host } : {}),
        ...(since !== undefined ? { since } : {}),
      };
    }
    case 'unsubscribe': {
      const tenant = optionalId(fields, 'tenant');
      const host = optionalId(fields, 'host');
      return {
        type: 'unsubscribe',
        ...(tenant !== undefined ? { tenant } : {}),
        ...(host !== undefined ? { host } : {}),
      };
    }
    case 'ping':
      return { type: 'ping' };
    default:
      throw new ProtocolError(
        'unknown_type',
        'type must be one of auth, subscribe, unsubscribe, ping',
      );
  }
}
