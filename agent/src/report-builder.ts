// Runs collectors and assembles one report in the shared contract's shape.
//
// A collector that throws or runs past its timeout does not sink the report: its section is
// left out and an `errors` entry says which collector failed and why. A section is never
// dropped without saying so.

import type { CollectorError, Report, ReportSections } from '@vcio/shared';
import { newReportId, REPORT_SCHEMA_ID } from '@vcio/shared/agent';
import type { AnyCollector } from './collectors/types.js';
import { errorMessage } from './errors.js';
import { liveHost, type HostAccess } from './host.js';
import type { Logger } from './log.js';
import { AGENT_VERSION } from './version.js';

/** The agent id in reports from an agent that is not enrolled (`collect` only). */
export const NIL_AGENT_ID = '00000000-0000-0000-0000-000000000000';

export interface BuildReportOptions {
  collectors: readonly AnyCollector[];
  agentId: string;
  machineId: string;
  hostname: string;
  logger: Logger;
  /** the machine to read; the live one unless replaying recorded outputs */
  host?: HostAccess;
  /** overrides each collector's own timeoutSeconds (tests) */
  timeoutMs?: number;
  /** aborts the collectors still running, e.g. when the agent is stopping */
  signal?: AbortSignal;
  now?: () => Date;
}

class CollectorTimeout extends Error {
  constructor(seconds: number) {
    super(`timed out after ${seconds} s`);
  }
}

async function runOne(
  collector: AnyCollector,
  options: BuildReportOptions,
): Promise<{ name: string; section?: unknown; error?: CollectorError }> {
  const timeoutMs = options.timeoutMs ?? collector.timeoutSeconds * 1000;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new CollectorTimeout(timeoutMs / 1000);
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    const section = await Promise.race([
      collector.collect({
        logger: options.logger.child({ collector: collector.name }),
        signal: controller.signal,
        host: options.host ?? liveHost,
      }),
      timeout,
    ]);
    options.logger.debug(
      { collector: collector.name, ms: Math.round(performance.now() - started) },
      'collected',
    );
    return { name: collector.name, section };
  } catch (err) {
    const message = errorMessage(err).slice(0, 2048) || 'failed without a message';
    options.logger.warn(
      { collector: collector.name, err },
      `collector ${collector.name} failed: ${message}`,
    );
    return { name: collector.name, error: { collector: collector.name.slice(0, 64), message } };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export async function buildReport(options: BuildReportOptions): Promise<Report> {
  // In parallel: a slow inventory read must not stretch the performance interval, and the
  // report is ready when the slowest collector is.
  const results = await Promise.all(options.collectors.map((c) => runOne(c, options)));
  // Stamped when the collection ended: the facts are as of then, and reports built side
  // by side (the service loop's two lanes) are queued, and so delivered, in this order.
  const collectedAt = (options.now ?? (() => new Date()))().toISOString();
  const sections: Record<string, unknown> = {};
  const errors: CollectorError[] = [];
  for (const result of results) {
    if (result.error) errors.push(result.error);
    else sections[result.name] = result.section;
  }
  return {
    schema: REPORT_SCHEMA_ID,
    reportId: newReportId(),
    agent: { id: options.agentId, version: AGENT_VERSION },
    host: { machineId: options.machineId, hostname: options.hostname.slice(0, 255) || 'unknown' },
    collectedAt,
    sections: sections as ReportSections,
    errors: errors.slice(0, 64),
  };
}
