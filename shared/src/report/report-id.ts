// Report ids are UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random
// bits. Time-ordered ids land at the end of the collector's report-id index instead of
// at random places in it, which keeps ingest's disk writes sequential. Any UUID is still
// accepted on the wire; v7 is what vcio's own agent sends.
import { randomBytes } from 'node:crypto';

export function newReportId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10xx
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
