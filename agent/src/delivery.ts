// How a built report reaches the collector: through the durable outbox (outbox.ts). `once`
// and `run` only talk to ReportDelivery; OutboxDelivery writes each report to disk first,
// then drains the queue oldest first, one report at a time, so reports arrive in order.
//
// What a drain does with the collector's answer:
//   2xx                        delete the file, next report
//   network, 408, 429, 5xx     (after the transport's own retries) stop; the queue waits for
//                              the next tick or the next `once`
//   401                        stop and keep everything: the agent's credentials are refused,
//                              not the report, and re-enrolling makes them sendable again
//                              (with a CredentialKeeper, rotate.ts: credentials changed on
//                              disk are used at once; otherwise nothing is sent for a while
//                              and the refusal is logged once)
//   any other 4xx (400, 403, 413)  this report can never be accepted: set it aside as
//                              .rejected and go on, so one bad report cannot block the queue
//                              forever (403 machine_mismatch: a cloned machine's reports)
//
// A queued report is sent as the agent that sends it (report.agent.id is set to the current
// credentials' agent): reports queued before a re-enrollment belong to the same machine.
//
// On the way into the queue a report is prepared: the software list is left out when the
// collector already holds it (software-upload.ts), and the outbox's own state (queued,
// dropped) is added as the `outbox` section whenever the report carries the system
// inventory or reports are waiting, so the collector learns of reports lost in an outage.
import type { OutboxSection, Report } from '@vcio/shared';
import { AgentError, errorMessage, RejectedError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { Logger } from './log.js';
import type { Outbox } from './outbox.js';
import { SoftwareUpload } from './software-upload.js';
import type { CredentialKeeper } from './rotate.js';
import type { Credentials } from './state.js';
import { sendReport, type RetryPolicy, type TransportDeps } from './transport.js';

export interface ReportDelivery {
  /**
   * Resolves once the report is safe: with the outbox, written to disk (sending goes on in
   * the background). Rejects with an AgentError (exit code inside) otherwise.
   * `signal` asks it to stop retrying.
   */
  deliver(report: Report, signal?: AbortSignal): Promise<void>;
}

export interface DrainResult {
  sent: number;
  /** reports set aside as .rejected during this drain */
  rejected: number;
  /** the last such rejection */
  rejection?: RejectedError;
  /** still queued when the drain ended */
  queued: number;
  /** why the drain stopped with reports still queued; absent when stopped by the signal */
  error?: AgentError;
}

function isCredentialProblem(err: RejectedError): boolean {
  return err.status === 401;
}

/** The report with the outbox's state added when it is worth telling (see the header). */
export function withOutboxStatus(report: Report, status: OutboxSection): Report {
  if (report.sections.system === undefined && status.queued === 0) return report;
  return { ...report, sections: { ...report.sections, outbox: status } };
}

export class OutboxDelivery implements ReportDelivery {
  private running: Promise<DrainResult> | undefined;
  private again = false;
  private readonly software: Promise<SoftwareUpload>;
  private readonly keeper: CredentialKeeper | null;
  private readonly fixedCredentials: Credentials | null;

  constructor(
    readonly outbox: Outbox,
    credentials: Credentials | CredentialKeeper,
    private readonly policy: RetryPolicy,
    private readonly deps: TransportDeps,
    private readonly logger: Logger,
  ) {
    this.software = SoftwareUpload.open(outbox.dir, logger);
    const isKeeper = 'current' in credentials && typeof credentials.current === 'function';
    this.keeper = isKeeper ? (credentials as CredentialKeeper) : null;
    this.fixedCredentials = isKeeper ? null : (credentials as Credentials);
  }

  private get credentials(): Credentials {
    return this.keeper ? this.keeper.current() : this.fixedCredentials!;
  }

  /** Enqueues durably, then starts a drain in the background (see settled()). */
  async deliver(report: Report, signal?: AbortSignal): Promise<void> {
    await this.enqueue(report);
    void this.drain(signal);
  }

  async enqueue(built: Report): Promise<void> {
    const software = await this.software;
    const report = withOutboxStatus(software.prepare(built), this.outbox.stats());
    try {
      await this.outbox.enqueue(report);
    } catch (err) {
      this.logger.error({ reportId: report.reportId, err: errorMessage(err) }, 'report lost');
      throw err;
    }
    this.logger.debug(
      {
        reportId: report.reportId,
        sections: Object.keys(report.sections),
        outbox: this.outbox.stats(),
      },
      'report queued',
    );
  }

  /**
   * Sends what is queued, oldest first, until the queue is empty or a failure stops it.
   * Never rejects. Called while a drain runs, it joins that drain, which then looks at the
   * queue once more before it ends.
   */
  drain(signal?: AbortSignal): Promise<DrainResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<DrainResult> => {
      let result: DrainResult;
      try {
        do {
          this.again = false;
          result = await this.drainQueue(signal);
        } while (this.again && !result.error && !signal?.aborted);
      } finally {
        // In the same turn as the last check of `again`: no trigger can fall in between.
        this.running = undefined;
      }
      return result;
    };
    const running = run();
    this.running = running;
    return running;
  }

  /** Resolves when no drain is running: `run` waits for it before it exits. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
    await this.keeper?.settled();
  }

  private async drainQueue(signal?: AbortSignal): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, rejected: 0, queued: 0 };
    try {
      await this.outbox.refresh();
      // Refused credentials: nothing is sent until they change (or a while has passed).
      if (this.keeper && this.outbox.queued > 0 && !(await this.keeper.maySend())) {
        result.error = this.keeper.refusal();
        result.queued = this.outbox.queued;
        return result;
      }
      for (;;) {
        if (signal?.aborted) break;
        const next = await this.outbox.oldest();
        if (!next) break;
        const stop = await this.sendOne(next.name, next.report, signal, result);
        if (stop) {
          result.error = stop;
          break;
        }
      }
    } catch (err) {
      // The outbox itself failed (disk): keep what is queued, report it as this drain's end.
      result.error = err instanceof AgentError ? err : new AgentError(errorMessage(err));
      this.logger.error({ err: errorMessage(err), outbox: this.outbox.stats() }, 'outbox failed');
    }
    result.queued = this.outbox.queued;
    return result;
  }

  /** Sends as the current agent (see the header). */
  private send(queued: Report, signal: AbortSignal | undefined) {
    const credentials = this.credentials;
    const report =
      queued.agent.id === credentials.agentId
        ? queued
        : { ...queued, agent: { ...queued.agent, id: credentials.agentId } };
    return sendReport(report, credentials, { policy: this.policy, deps: this.deps, signal });
  }

  /** Sends one queued report; returns the error that stops the drain, if any. */
  private async sendOne(
    name: string,
    report: Report,
    signal: AbortSignal | undefined,
    result: DrainResult,
  ): Promise<AgentError | undefined> {
    const sections = Object.keys(report.sections);
    let sent;
    try {
      sent = await this.send(report, signal);
    } catch (err) {
      if (err instanceof RejectedError && isCredentialProblem(err) && this.keeper) {
        // Other credentials on disk (rotated or re-enrolled by another process): send again
        // with them at the next turn of the drain; else the keeper logged it, once.
        if (await this.keeper.refused(err)) return undefined;
        return err;
      }
      if (err instanceof RejectedError && !isCredentialProblem(err)) {
        await this.outbox.setAside(name, 'rejected');
        result.rejected++;
        result.rejection = err;
        this.logger.error(
          { reportId: report.reportId, sections, file: `${name}.rejected`, err: err.message },
          'report rejected, set aside',
        );
        return undefined;
      }
      const stop =
        err instanceof AgentError ? err : new AgentError(errorMessage(err), ExitCode.unexpected);
      const level = err instanceof RejectedError ? 'error' : 'warn';
      this.logger[level](
        { reportId: report.reportId, sections, err: stop.message, outbox: this.outbox.stats() },
        'report queued',
      );
      return stop;
    }
    await this.outbox.remove(name);
    await (await this.software).accepted(report, sent.accepted);
    this.keeper?.rotateIfAsked(sent.accepted?.rotateSecret);
    result.sent++;
    this.logger.info(
      {
        reportId: report.reportId,
        sections,
        status: sent.status,
        duplicate: sent.accepted?.duplicate === true,
        attempts: sent.attempts,
        ms: sent.durationMs,
        outbox: this.outbox.stats(),
      },
      'report sent',
    );
    return undefined;
  }
}
