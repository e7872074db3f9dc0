// Building blocks of the report contract.
//
// Unknown is `null`, never zero or "": a container without a disk layout, a VM without a
// serial number, or Windows without load averages must not look like a machine with
// zero disks or zero load. Every fact an agent may not be able to read is `Unknown<T>`.
import { Type, type TSchema } from '@sinclair/typebox';

export const Unknown = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Free text read from the machine: bounded so a broken parser cannot bloat a report. */
export const Text = (maxLength = 512) => Type.String({ maxLength });

export const Bytes = Type.Integer({ minimum: 0, description: 'bytes' });
export const Ratio = Type.Number({ minimum: 0, maximum: 1 });
export const NonNegative = Type.Number({ minimum: 0 });
export const Timestamp = Type.String({ format: 'date-time', maxLength: 64 });

/** Lists in a report are bounded: a machine with 10,000 mounts is a bug, not a fact. */
export const List = <T extends TSchema>(items: T, maxItems = 256) =>
  Type.Array(items, { maxItems });
