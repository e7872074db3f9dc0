// How a built report reaches the collector. `once` and `run` only ever talk to this
// interface, so the durable outbox (a later issue: write to disk first, delete on 2xx, retry
// across restarts) replaces DirectDelivery without touching them.
import type { Report } from '@vcio/shared';
import type { Logger } from './log.js';
import type { Credentials } from './state.js';
import { sendReport, type RetryPolicy, type TransportDeps } from './transport.js';

export interface ReportDelivery {
  /**
   * Resolves once the report is safe: with DirectDelivery, stored by the collector; with the
   * outbox, written to disk. Rejects with an AgentError (exit code inside) otherwise.
   * `signal` asks it to stop retrying.
   */
  deliver(report: Report, signal?: AbortSignal): Promise<void>;
}

/** Sends at once, retrying per the policy; a report that still fails is logged and lost. */
export class DirectDelivery implements ReportDelivery {
  constructor(
    private readonly credentials: Credentials,
    private readonly policy: RetryPolicy,
    private readonly deps: TransportDeps,
    private readonly logger: Logger,
  ) {}

  async deliver(report: Report, signal?: AbortSignal): Promise<void> {
    const sections = Object.keys(report.sections);
    try {
      const result = await sendReport(report, this.credentials, {
        policy: this.policy,
        deps: this.deps,
        signal,
      });
      this.logger.info(
        {
          reportId: report.reportId,
          sections,
          status: result.status,
          attempts: result.attempts,
          ms: result.durationMs,
        },
        'report sent',
      );
    } catch (err) {
      this.logger.error({ reportId: report.reportId, sections, err }, 'report not delivered');
      throw err;
    }
  }
}
