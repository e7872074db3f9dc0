// Agents simulated in the test process, for end-to-end tests under load: each enrolls over
// HTTP and posts valid reports (@vcio/shared/testing's sampleReport) with its own
// credentials as fast as the collector answers, and keeps what a real agent keeps: the
// reports acknowledged, and those whose answer was lost with the collector ("in doubt"),
// resent until acknowledged.
import { agentAuthorization, type EnrollResponse, type Report } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import type { CollectorProcess } from './processes.js';

/** mulberry32, as collector/test/fuzz-support.ts (test packages do not share files). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimulatedAgent {
  readonly acked = new Set<string>();
  /** sent, but the answer was lost with the collector: resent after the restart */
  readonly inDoubt = new Map<string, Report>();
  duplicatesAnswered = 0;
  private n = 0;

  constructor(
    readonly index: number,
    readonly agentId: string,
    readonly authorization: string,
    /** its machine is `${prefix}-machine-${index}`, its hostname `${prefix}-${index}` */
    readonly prefix = 'crash',
  ) {}

  get machineId(): string {
    return `${this.prefix}-machine-${this.index}`;
  }

  get hostname(): string {
    return `${this.prefix}-${this.index}`;
  }

  /** true: 202; false: no answer (the collector died); throws on any other answer */
  private async post(url: string, report: Report): Promise<boolean> {
    let res: Response;
    try {
      res = await fetch(`${url}/api/v1/reports`, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json' },
        body: JSON.stringify(report),
      });
    } catch {
      this.inDoubt.set(report.reportId, report);
      return false;
    }
    const body = await res.text().catch(() => null);
    if (body === null) {
      this.inDoubt.set(report.reportId, report);
      return false;
    }
    if (res.status !== 202) throw new Error(`report ${report.reportId}: ${res.status} ${body}`);
    if ((JSON.parse(body) as { duplicate: boolean }).duplicate) this.duplicatesAnswered++;
    this.inDoubt.delete(report.reportId);
    this.acked.add(report.reportId);
    return true;
  }

  /** Resends what is in doubt, then sends new reports as fast as it can until one fails. */
  async run(url: string, keepGoing: () => boolean): Promise<void> {
    for (const report of [...this.inDoubt.values()]) {
      if (!(await this.post(url, report))) return;
    }
    while (keepGoing()) {
      const report = sampleReport({
        agentId: this.agentId,
        machineId: this.machineId,
        hostname: this.hostname,
        seed: ++this.n,
      });
      if (!(await this.post(url, report))) return;
    }
  }
}

/** Enrolls agent `index` through the collector with its bootstrap enrollment token. */
export async function enrollSimulatedAgent(
  collector: Pick<CollectorProcess, 'url' | 'bootstrap'>,
  index: number,
  prefix = 'crash',
): Promise<SimulatedAgent> {
  const res = await fetch(`${collector.url}/api/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: collector.bootstrap.enrollToken,
      machineId: `${prefix}-machine-${index}`,
      hostname: `${prefix}-${index}`,
      agentVersion: '0.1.0',
    }),
  });
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as EnrollResponse;
  return new SimulatedAgent(
    index,
    body.agentId,
    agentAuthorization(body.agentId, body.secret),
    prefix,
  );
}
