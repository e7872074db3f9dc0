// Report bodies for the ingest benchmark, cheap enough to build per request that the load
// generator (sharing the machine's cores with the server) stays out of the figures.
//
// Each agent's report is serialised once with markers where the report id and the
// collection time go; a request is then three strings joined around a fresh UUID and
// the current time. Every body is new: a repeated report id is a duplicate the collector
// acknowledges without storing anything, which would flatter the figures.
//
// With gzip, compressing ~2 KB per request would cost the generator more than the
// server's inflate. Gzip allows several members back to back (RFC 1952, 2.2) and
// Node's gunzip reads them all, so a body is: the compressed head (shared), a small
// *stored* (uncompressed) member with the fresh id and time, and the agent's compressed
// tail; compressing happens once per agent, a request costs only a CRC-32 of ~200 bytes.
import { newReportId } from '@vcio/shared';
import { gzipSync } from 'node:zlib';
import { sampleReport } from '@vcio/shared/testing';
import type { OutgoingRequest } from './support/load.js';
import { patchesSection, securitySection } from './posture-sections.js';

export interface EnrolledAgent {
  agentId: string;
  secret: string;
  machineId: string;
  hostname: string;
  seed: number;
}

/**
 * performance: what every agent sends every minute (the default); state: each report also
 * carries a security and a patches section, so each one re-queues its host's posture
 * assessment at once (`pnpm bench ingest --bodies state`, the posture worst case).
 */
export type BodyKind = 'performance' | 'state';

const ID_MARK = '@@REPORT_ID@@';
// A unique, valid date: its ISO text appears nowhere else in the report.
const TIME_MARK = new Date(Date.UTC(2001, 1, 3, 4, 5, 6, 789));

interface Template {
  /** body = head + reportId + middle + collectedAt + tail */
  head: string;
  middle: string;
  tail: string;
  headers: Record<string, string>;
  /** gzip members of head and tail, compressed once */
  gzHead?: Buffer;
  gzTail?: Buffer;
}

export class ReportBodies {
  private readonly templates: Template[];
  private turn = 0;

  constructor(
    agents: readonly EnrolledAgent[],
    private readonly gzip: boolean,
    kind: BodyKind = 'performance',
  ) {
    if (agents.length === 0) throw new Error('no agents to send reports for');
    this.templates = agents.map((agent) => template(agent, gzip, kind));
  }

  /** The next report: the next agent in turn, a new report id, collected now. */
  next(): OutgoingRequest {
    const t = this.templates[this.turn]!;
    this.turn = (this.turn + 1) % this.templates.length;
    // Time-ordered ids, as vcio's agent sends them.
    const id = newReportId();
    const now = new Date().toISOString();
    if (!this.gzip) return { id, body: t.head + id + t.middle + now + t.tail, headers: t.headers };
    const fresh = storedGzipMember(Buffer.from(id + t.middle + now, 'latin1'));
    return { id, body: Buffer.concat([t.gzHead!, fresh, t.gzTail!]), headers: t.headers };
  }

  /** Sizes of a typical body, plain JSON and as sent (gzip or not), in bytes. */
  sizes(): { json: number; wire: number } {
    const saved = this.turn;
    const sample = this.next();
    this.turn = saved;
    const json = this.templates[saved]!;
    return {
      json: Buffer.byteLength(
        json.head + sample.id + json.middle + TIME_MARK.toISOString() + json.tail,
      ),
      wire: Buffer.byteLength(sample.body),
    };
  }
}

function template(agent: EnrolledAgent, gzip: boolean, kind: BodyKind): Template {
  const report = sampleReport({
    agentId: agent.agentId,
    machineId: agent.machineId,
    hostname: agent.hostname,
    seed: agent.seed,
    reportId: ID_MARK,
    collectedAt: TIME_MARK,
  });
  if (kind === 'state') {
    report.sections.security = securitySection();
    report.sections.patches = patchesSection(new Date());
  }
  const json = JSON.stringify(report);
  const [head, rest, ...extra] = json.split(ID_MARK);
  const [middle, tail, ...extra2] = (rest ?? '').split(TIME_MARK.toISOString());
  if (
    head === undefined ||
    middle === undefined ||
    tail === undefined ||
    extra.length + extra2.length > 0
  ) {
    throw new Error('sampleReport changed shape: cannot find the report id and collectedAt in it');
  }
  // The middle goes into a stored member byte for byte; ids and dates are ASCII anyway.
  if (!/^[\x20-\x7e]*$/.test(middle))
    throw new Error(`non-ASCII text around the report id: ${middle}`);
  const headers: Record<string, string> = {
    authorization: `Bearer ${agent.agentId}.${agent.secret}`,
    'content-type': 'application/json',
  };
  if (!gzip) return { head, middle, tail, headers };
  headers['content-encoding'] = 'gzip';
  return { head, middle, tail, headers, gzHead: gzipSync(head), gzTail: gzipSync(tail) };
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]); // deflate, no name, OS unknown

/** A gzip member holding `data` in one stored (BTYPE=00) deflate block; data < 64 KiB. */
export function storedGzipMember(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(GZIP_HEADER.length + 5 + data.length + 8);
  let at = GZIP_HEADER.copy(out, 0);
  out[at++] = 0x01; // BFINAL=1, BTYPE=00 (stored)
  out.writeUInt16LE(data.length, at);
  out.writeUInt16LE(~data.length & 0xffff, at + 2);
  at += 4;
  at += data.copy(out, at);
  out.writeUInt32LE(crc32(data), at);
  out.writeUInt32LE(data.length, at + 4);
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
