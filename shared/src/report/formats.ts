// String formats the contract uses, for TypeBox's own validator (Value.Check). The
// collector validates with Ajv and ajv-formats through Fastify; these patterns agree with
// it for every value an agent produces, so the agent can check a report before sending.
import { FormatRegistry } from '@sinclair/typebox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * RFC 3339 date-time that JavaScript can also read. A leap second ("23:59:60") is valid
 * RFC 3339 but Date.parse refuses it, and every consumer of a report stores dates as
 * numbers: such a value is refused at the door rather than failing later as a 500.
 */
export function isDateTime(v: string): boolean {
  return DATE_TIME.test(v) && isCalendarDate(v.slice(0, 10)) && !Number.isNaN(Date.parse(v));
}

export function registerFormats(): void {
  if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
  if (!FormatRegistry.Has('date')) FormatRegistry.Set('date', isCalendarDate);
  if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);
}

registerFormats();
