// The durable outbox: reports written to disk before they are sent, removed only once the
// collector has acknowledged them, so a collector outage, a reboot or a SIGKILL of the agent
// loses nothing. The collector deduplicates by report id, so sending at least once from here
// means stored exactly once there.
//
// Layout, under <stateDir>/outbox/ (0700, files 0600):
//   <seq>-<reportId>.json      one queued report, the JSON as sent. <seq> is 16 digits, the
//                              larger of (last seq + 1) and the clock in ms, so name order is
//                              enqueue order, also across restarts.
//   *.tmp                      a write in progress (writeFileAtomic: temp, fsync, rename,
//                              fsync dir). Left over by a killed agent: removed on open.
//   *.json.corrupt, .rejected  set aside: unreadable on open, or refused by the collector
//                              (a 4xx other than 401/403). The newest MAX_ASIDE are kept.
//   counters.json              {dropped, corrupt, rejected}: totals since the outbox began,
//                              and lastDroppedAt: when reports were last dropped.
//
// Bounded: past maxReports or maxBytes the oldest queued reports are deleted, counted as
// dropped and logged. Opening never fails on a damaged file, only on a directory it cannot
// use (StateDirError, exit 6).
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '@vcio/shared';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { ensureStateDir, stateDirError, writeFileAtomic } from './state.js';

export const OUTBOX_DIR = 'outbox';
export const COUNTERS_FILE = 'counters.json';
/** set-aside files kept for inspection; older ones are deleted */
export const MAX_ASIDE = 100;

export interface OutboxLimits {
  maxReports: number;
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxReports: 10_000,
  maxBytes: 50 * 1024 * 1024,
};

export interface OutboxCounters {
  dropped: number;
  corrupt: number;
  rejected: number;
}

export interface QueuedReport {
  name: string;
  report: Report;
}

type Aside = 'corrupt' | 'rejected';

const QUEUED = /^(\d{16})-[0-9a-f-]{36}\.json$/;
const ASIDE = /\.json\.(corrupt|rejected)$/;
const TEMP_PID = /\.(\d+)\.[0-9a-f]+\.tmp$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Enough of a report to send it: the collector validates the rest. */
function parseReport(text: string): Report | null {
  try {
    const value = JSON.parse(text) as Partial<Report> | null;
    if (typeof value !== 'object' || value === null) return null;
    if (typeof value.reportId !== 'string' || typeof value.schema !== 'string') return null;
    return value as Report;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export class Outbox {
  /** queued file names, oldest first, with their sizes */
  private readonly queue: Array<{ name: string; bytes: number }> = [];
  private readonly aside: string[] = [];
  private totalBytes = 0;
  private lastSeq = 0;
  private counters: OutboxCounters = { dropped: 0, corrupt: 0, rejected: 0 };
  /** ISO time reports were last dropped for want of room; null: never */
  private lastDroppedAt: string | null = null;
  /** serializes changes, so the index and counters.json never interleave */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly limits: OutboxLimits,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating) <stateDir>/outbox: removes dead temp files, sets damaged ones aside. */
  static async open(
    stateDir: string,
    options: { logger: Logger; limits?: Partial<OutboxLimits> },
  ): Promise<Outbox> {
    const dir = path.join(stateDir, OUTBOX_DIR);
    await ensureStateDir(stateDir);
    try {
      const created = await mkdir(dir, { recursive: true, mode: 0o700 });
      if (created !== undefined && process.platform !== 'win32') await chmod(dir, 0o700);
    } catch (err) {
      throw stateDirError('create outbox directory', dir, err);
    }
    const limits = { ...DEFAULT_OUTBOX_LIMITS, ...options.limits };
    const outbox = new Outbox(dir, limits, options.logger);
    await outbox.loadCounters();
    await outbox.scan(true);
    return outbox;
  }

  get queued(): number {
    return this.queue.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get totals(): Readonly<OutboxCounters> {
    return { ...this.counters };
  }

  /** For log lines: how much is waiting and how much was ever lost to the bounds. */
  stats(): { queued: number; dropped: number; lastDroppedAt: string | null } {
    return {
      queued: this.queue.length,
      dropped: this.counters.dropped,
      lastDroppedAt: this.lastDroppedAt,
    };
  }

  /** Writes the report durably; resolves once it is on disk. Drops the oldest past a bound. */
  enqueue(report: Report): Promise<string> {
    return this.locked(async () => {
      const seq = Math.max(this.lastSeq + 1, Date.now());
      this.lastSeq = seq;
      const id = UUID.test(report.reportId) ? report.reportId : randomUUID();
      const name = `${String(seq).padStart(16, '0')}-${id}.json`;
      const content = JSON.stringify(report);
      const file = path.join(this.dir, name);
      try {
        await writeFileAtomic(file, content, 0o600);
      } catch (err) {
        throw stateDirError('write', file, err);
      }
      this.add(name, Buffer.byteLength(content));
      await this.enforceLimits();
      return name;
    });
  }

  /**
   * The oldest queued report, or null when the queue is empty. A file that no longer parses
   * is set aside as corrupt and the next one is returned; one another process already sent
   * and removed is skipped.
   */
  async oldest(): Promise<QueuedReport | null> {
    for (;;) {
      const head = this.queue[0];
      if (!head) return null;
      let text: string;
      try {
        text = await readFile(path.join(this.dir, head.name), 'utf8');
      } catch (err) {
        if (!isMissing(err)) throw stateDirError('read', path.join(this.dir, head.name), err);
        await this.locked(async () => this.forget(head.name));
        continue;
      }
      const report = parseReport(text);
      if (report) return { name: head.name, report };
      await this.setAside(head.name, 'corrupt');
    }
  }

  /** The collector has it: delete. */
  remove(name: string): Promise<void> {
    return this.locked(async () => {
      await this.unlink(name);
      this.forget(name);
    });
  }

  /** Moves a queued report out of the queue, kept as <name>.<why> for inspection. */
  setAside(name: string, why: Aside): Promise<void> {
    return this.locked(async () => {
      await this.moveAside(name, why);
      await this.saveCounters();
    });
  }

  /** Picks up reports queued by another agent process (a `once` next to the service). */
  refresh(): Promise<void> {
    return this.locked(() => this.scan(false));
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.lock.then(fn);
    this.lock = result.catch(() => undefined);
    return result;
  }

  private add(name: string, bytes: number): void {
    const at = this.queue.findIndex((q) => q.name > name);
    this.queue.splice(at === -1 ? this.queue.length : at, 0, { name, bytes });
    this.totalBytes += bytes;
    const seq = Number(QUEUED.exec(name)?.[1] ?? 0);
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  private forget(name: string): void {
    const at = this.queue.findIndex((q) => q.name === name);
    if (at === -1) return;
    this.totalBytes -= this.queue[at]!.bytes;
    this.queue.splice(at, 1);
  }

  private async unlink(name: string): Promise<void> {
    try {
      await rm(path.join(this.dir, name));
    } catch (err) {
      if (!isMissing(err)) throw stateDirError('delete', path.join(this.dir, name), err);
    }
  }

  private async moveAside(name: string, why: Aside): Promise<void> {
    const target = `${name}.${why}`;
    try {
      await rename(path.join(this.dir, name), path.join(this.dir, target));
      this.aside.push(target);
      this.aside.sort();
    } catch (err) {
      if (!isMissing(err)) throw stateDirError('move aside', path.join(this.dir, name), err);
    }
    this.forget(name);
    this.counters[why]++;
    while (this.aside.length > MAX_ASIDE) await this.unlink(this.aside.shift()!);
  }

  private async enforceLimits(): Promise<void> {
    let dropped = 0;
    while (
      this.queue.length > 0 &&
      (this.queue.length > this.limits.maxReports || this.totalBytes > this.limits.maxBytes)
    ) {
      const oldest = this.queue[0]!;
      await this.unlink(oldest.name);
      this.forget(oldest.name);
      dropped++;
    }
    if (dropped === 0) return;
    this.counters.dropped += dropped;
    this.lastDroppedAt = new Date().toISOString();
    await this.saveCounters();
    this.logger.warn(
      { dropped, outbox: this.stats(), limits: this.limits },
      'outbox full: oldest reports dropped',
    );
  }

  /** Reads the directory. On open also cleans up; later only adds files it did not know. */
  private async scan(opening: boolean): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch (err) {
      throw stateDirError('read', this.dir, err);
    }
    const known = new Set(this.queue.map((q) => q.name));
    let corrupt = 0;
    for (const name of names) {
      try {
        if (opening && name.endsWith('.tmp')) {
          const pid = Number(TEMP_PID.exec(name)?.[1] ?? 0);
          if (pid === 0 || (pid !== process.pid && !pidAlive(pid))) await this.unlink(name);
        } else if (opening && ASIDE.test(name)) {
          this.aside.push(name);
        } else if (QUEUED.test(name) && !known.has(name)) {
          const file = path.join(this.dir, name);
          if (!opening) {
            this.add(name, (await stat(file)).size);
            continue;
          }
          const text = await readFile(file, 'utf8');
          if (parseReport(text)) {
            this.add(name, Buffer.byteLength(text));
          } else {
            await this.moveAside(name, 'corrupt');
            corrupt++;
          }
        }
      } catch (err) {
        // One unreadable file must not keep the agent from starting or sending the rest.
        if (!isMissing(err))
          this.logger.warn({ file: name, err: errorMessage(err) }, 'outbox file skipped');
      }
    }
    if (corrupt > 0) {
      await this.saveCounters();
      this.logger.warn(
        { corrupt, dir: this.dir, outbox: this.stats() },
        'outbox: unreadable reports set aside as .corrupt',
      );
    }
    if (opening) await this.enforceLimits();
  }

  private async loadCounters(): Promise<void> {
    const file = path.join(this.dir, COUNTERS_FILE);
    try {
      const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<
        OutboxCounters & { lastDroppedAt: unknown }
      >;
      for (const key of ['dropped', 'corrupt', 'rejected'] as const) {
        const value = saved[key];
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
          this.counters[key] = value;
      }
      const last = saved.lastDroppedAt;
      if (typeof last === 'string' && !Number.isNaN(Date.parse(last))) this.lastDroppedAt = last;
    } catch (err) {
      if (!isMissing(err))
        this.logger.warn({ file, err: errorMessage(err) }, 'outbox counters reset');
    }
  }

  private async saveCounters(): Promise<void> {
    const file = path.join(this.dir, COUNTERS_FILE);
    try {
      const saved = { ...this.counters, lastDroppedAt: this.lastDroppedAt };
      await writeFileAtomic(file, `${JSON.stringify(saved)}\n`, 0o600);
    } catch (err) {
      // Only the statistics are lost; the queue itself is intact.
      this.logger.warn({ file, err: errorMessage(err) }, 'outbox counters not saved');
    }
  }
}
