// The software inventory goes up whole only when it changed.
//
// A Linux server lists thousands of packages and a Windows desktop hundreds; sending them
// every hour would be most of the agent's traffic for nothing. So the agent remembers the
// hash of the last list the collector accepted (a 2xx for a report that carried it whole)
// and, while the inventory hashes the same, sends the hash alone (items: null).
//
// The collector answers `resend: ['software']` when it does not hold the hash it was sent
// (its database was restored, the agent moved to a new collector): the remembered hash is
// then forgotten and the next software run sends the whole list again.
//
// Kept in the outbox's directory (software-ack.json, written atomically) because it is
// delivery state: it says what the collector has, not what the machine has.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Report, ReportAccepted } from '@vcio/shared';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { writeFileAtomic } from './state.js';

export const SOFTWARE_ACK_FILE = 'software-ack.json';
const HASH = /^[0-9a-f]{64}$/;

export class SoftwareUpload {
  private acknowledged: string | null = null;

  private constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<SoftwareUpload> {
    const upload = new SoftwareUpload(path.join(dir, SOFTWARE_ACK_FILE), logger);
    try {
      const saved = JSON.parse(await readFile(upload.file, 'utf8')) as { hash?: unknown };
      if (typeof saved.hash === 'string' && HASH.test(saved.hash)) upload.acknowledged = saved.hash;
    } catch (err) {
      // Missing or damaged: the worst case is one full upload.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        logger.warn({ file: upload.file, err: errorMessage(err) }, 'software ack reset');
    }
    return upload;
  }

  /** the hash the collector holds, as far as this agent knows */
  get acknowledgedHash(): string | null {
    return this.acknowledged;
  }

  /** The report as it should be queued: the list left out when the collector has it. */
  prepare(report: Report): Report {
    const software = report.sections.software;
    if (!software || software.items === null || software.hash !== this.acknowledged) return report;
    return { ...report, sections: { ...report.sections, software: { ...software, items: null } } };
  }

  /** After the collector's 2xx for `report`. */
  async accepted(report: Report, answer: ReportAccepted | null): Promise<void> {
    if (answer?.resend?.includes('software')) {
      this.logger.info(
        { reportId: report.reportId },
        'collector asked for the whole software list: sent with the next software run',
      );
      await this.save(null);
      return;
    }
    const software = report.sections.software;
    if (software && software.items !== null && software.hash !== this.acknowledged)
      await this.save(software.hash);
  }

  private async save(hash: string | null): Promise<void> {
    this.acknowledged = hash;
    try {
      if (hash === null) await rm(this.file, { force: true });
      else await writeFileAtomic(this.file, `${JSON.stringify({ hash })}\n`, 0o600);
    } catch (err) {
      // In memory it is right; after a restart the worst case is one full upload.
      this.logger.warn({ file: this.file, err: errorMessage(err) }, 'software ack not saved');
    }
  }
}
