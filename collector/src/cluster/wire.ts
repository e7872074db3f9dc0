// The events collectors relay to each other through PostgreSQL NOTIFY, as they travel:
// one notification carries a few events as `{"o": <sender>, "e": [[name, payload], ...]}`.
//
// PostgreSQL refuses a payload of 8000 bytes or more, so each event is kept small: the
// events already carry ids and small fields (never a report), and the one part that can
// grow, a finding's evidence text, is cut to fit (the REST API has it whole). An event that
// still does not fit is not relayed (the sender logs it); receivers never see half of one.
import type { ClusterEventName, CollectorEventMap } from '../events.js';

export const CHANNEL = 'vcio_events';
/** One notification's payload at most, in bytes (PostgreSQL's limit is 8000). */
export const MAX_NOTIFY_BYTES = 7_500;
/** One event at most, in bytes: several fit in a notification. */
export const MAX_EVENT_BYTES = 3_000;
/** A finding's evidence is cut to this many characters when its event would be too large. */
const EVIDENCE_CHARS = 500;

export const RELAYED_EVENTS: readonly ClusterEventName[] = [
  'report.stored',
  'agent.enrolled',
  'agent.changed',
  'posture.changed',
  'finding.opened',
  'finding.resolved',
];

const relayed = new Set<string>(RELAYED_EVENTS);

export type RelayedPayload<K extends ClusterEventName> = CollectorEventMap[K][0];

export interface DecodedEvent {
  name: ClusterEventName;
  payload: object;
}

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** One event as JSON for a notification, or null when it cannot be made small enough. */
export function encodeEvent<K extends ClusterEventName>(
  name: K,
  payload: RelayedPayload<K>,
): string | null {
  let json = JSON.stringify([name, payload]);
  if (bytes(json) <= MAX_EVENT_BYTES) return json;
  if (name === 'finding.opened' || name === 'finding.resolved') {
    const event = payload as RelayedPayload<'finding.opened'>;
    const evidence = event.finding.evidence;
    json = JSON.stringify([
      name,
      {
        ...event,
        finding: { ...event.finding, evidence: `${evidence.slice(0, EVIDENCE_CHARS)}…` },
      },
    ]);
  } else if (name === 'report.stored') {
    // what the console shows of the report's contents; the host, time and ids stay
    const { summary: _dropped, ...rest } = payload as RelayedPayload<'report.stored'>;
    json = JSON.stringify([name, rest]);
  }
  return bytes(json) <= MAX_EVENT_BYTES ? json : null;
}

/** Events packed into as few notification payloads as fit under MAX_NOTIFY_BYTES. */
export function packNotifications(
  sender: string,
  events: string[],
): { payload: string; count: number }[] {
  const head = `{"o":${JSON.stringify(sender)},"e":[`;
  const tail = ']}';
  const payloads: { payload: string; count: number }[] = [];
  const close = (group: string[]) =>
    payloads.push({ payload: head + group.join(',') + tail, count: group.length });
  let current: string[] = [];
  let size = bytes(head) + bytes(tail);
  for (const event of events) {
    const extra = bytes(event) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + extra > MAX_NOTIFY_BYTES) {
      close(current);
      current = [];
      size = bytes(head) + bytes(tail);
    }
    current.push(event);
    size += bytes(event) + (current.length > 1 ? 1 : 0);
  }
  if (current.length > 0) close(current);
  return payloads;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An ISO time back to a Date; null when it is not one. */
function toDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Puts back the Dates JSON turned into strings; false when a required one is not a time. */
function reviveDates(name: ClusterEventName, payload: Record<string, unknown>): boolean {
  const revive = (target: Record<string, unknown>, key: string, nullable = false): boolean => {
    if (nullable && target[key] === null) return true;
    const date = toDate(target[key]);
    if (!date) return false;
    target[key] = date;
    return true;
  };
  switch (name) {
    case 'report.stored':
      return revive(payload, 'collectedAt') && revive(payload, 'receivedAt');
    case 'posture.changed':
      return revive(payload, 'assessedAt');
    case 'finding.opened':
    case 'finding.resolved': {
      const finding = payload.finding;
      return (
        isObject(finding) &&
        revive(finding, 'openedAt') &&
        revive(finding, 'updatedAt') &&
        revive(finding, 'resolvedAt', true)
      );
    }
    default:
      return true;
  }
}

export interface DecodedNotification {
  sender: string;
  events: DecodedEvent[];
  /** entries that were not a relayed event (another version's, or damaged): skipped */
  skipped: number;
}

/** A notification's payload back to events; null when it is not one of ours at all. */
export function decodeNotification(text: string): DecodedNotification | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.o !== 'string' || !Array.isArray(parsed.e)) return null;
  const events: DecodedEvent[] = [];
  let skipped = 0;
  for (const entry of parsed.e) {
    if (
      Array.isArray(entry) &&
      typeof entry[0] === 'string' &&
      relayed.has(entry[0]) &&
      isObject(entry[1]) &&
      typeof entry[1].tenantId === 'string' &&
      reviveDates(entry[0] as ClusterEventName, entry[1])
    ) {
      events.push({ name: entry[0] as ClusterEventName, payload: entry[1] });
    } else {
      skipped++;
    }
  }
  return { sender: parsed.o, events, skipped };
}
