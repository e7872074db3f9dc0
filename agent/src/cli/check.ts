// `vcio-agent check`: this machine's posture score and findings, judged locally by the same
// catalog and lifecycle data the collector uses (`assessHost` in @vcio/shared), with no
// collector. Made for RMM scripts: the exit code is the worst finding's severity.
//
// The catalog and the endoflife.date JSON are imported inside the action, never at the top:
// program.ts loads this module for every command, and `run` must not carry them in memory.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { EndOfLifeData, HostRole, Severity } from '@vcio/shared';
import { NIL_AGENT_ID, buildReport } from '../report-builder.js';
import { AgentError, errorMessage, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { AGENT_VERSION } from '../version.js';
import { replayEnv, selectCollectors, type CommandEnv } from './commands.js';
import {
  CHECK_SCHEMA,
  checkDocument,
  formatCheckText,
  SEVERITIES,
  type CheckDocument,
} from './check-report.js';

export interface CheckOptions {
  json?: boolean;
  failOn: Severity;
  minCoverage: number;
  lifecycleData?: string;
  role?: HostRole;
  purchaseDate?: string;
  replay?: string;
}

function coverageFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('must be a fraction from 0 to 1');
  return n;
}

/** The check ended with findings: the exit code says how bad, the output says what. */
export class FindingsExit extends AgentError {}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** --purchase-date: a real calendar day, not in the future (a typo would make new hardware). */
export function purchaseDate(value: string, today = new Date()): string {
  const parts = ISO_DATE.exec(value);
  const date = parts ? new Date(`${value}T00:00:00Z`) : null;
  if (!parts || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError('must be a date as YYYY-MM-DD, e.g. 2023-04-30');
  if (date.getTime() > today.getTime()) throw new InvalidArgumentError('must not be in the future');
  return value;
}

function loadLifecycleData(
  load: (path?: string) => EndOfLifeData,
  file: string | undefined,
): EndOfLifeData {
  if (file === undefined) return load();
  try {
    return load(file);
  } catch (err) {
    throw new UsageError(`--lifecycle-data ${file}: ${errorMessage(err)}`);
  }
}

export async function checkCommand(baseEnv: CommandEnv, options: CheckOptions): Promise<void> {
  // Loaded here, after the options were accepted: see the header.
  const { assessHost, loadEndOfLife } = await import('@vcio/shared/assess');
  const data = loadLifecycleData(loadEndOfLife, options.lifecycleData);
  const env = await replayEnv(baseEnv, options.replay);
  const collectors = selectCollectors(undefined, env.platform, env.host);
  // The report never leaves the machine, so no machine id is read (it may need privileges).
  const report = await buildReport({
    collectors,
    agentId: NIL_AGENT_ID,
    machineId: 'local-check',
    hostname: env.hostname(),
    logger: env.logger,
    host: env.host,
  });
  const now = new Date();
  const assessment = assessHost(report.sections, {
    now,
    // The agent is reporting right now: the "not reporting" check passes by definition.
    lastSeenAt: now,
    role: options.role ?? null,
    purchaseDate: options.purchaseDate ?? null,
    lifecycleData: data,
  });
  const doc: CheckDocument = checkDocument(assessment, {
    agentVersion: AGENT_VERSION,
    hostname: report.host.hostname,
    assessedAt: now,
    replay: options.replay ?? null,
    roleSource: options.role ? 'option' : 'inferred',
    lifecycleData: { sourceDate: data.sourceDate, file: options.lifecycleData ?? null },
    errors: report.errors,
    failOn: options.failOn,
    minCoverage: options.minCoverage,
  });
  await env.stdout(options.json ? `${JSON.stringify(doc, null, 2)}\n` : formatCheckText(doc));
  if (doc.exitCode === ExitCode.insufficientData) {
    throw new FindingsExit(
      `check: data coverage below ${Math.round(options.minCoverage * 100)}%: too little data to call this machine clean (exit ${doc.exitCode})`,
      doc.exitCode as AgentError['exitCode'],
    );
  }
  if (doc.exitCode !== 0) {
    const counted = doc.findings.filter((f) => f.counts).length;
    throw new FindingsExit(
      `check: ${counted} finding${counted === 1 ? '' : 's'} at or above ${doc.failOn}, the worst ${doc.worstSeverity} (exit ${doc.exitCode})`,
      doc.exitCode as AgentError['exitCode'],
    );
  }
}

const EXIT_HELP = `
Exit codes: 0 no finding at or above --fail-on; 20 worst is low, 21 medium, 22 high,
23 critical; 24 no finding counts but the data coverage is below --min-coverage; 2 usage error (bad option, unreadable --lifecycle-data); 1 unexpected error.
Unknown checks (data the agent could not read) never set the exit code: see the output.`;

/** Adds `check` to the program; `envFor` builds the command environment (program.ts). */
export function addCheckCommand(
  program: Command,
  envFor: (command: Command) => CommandEnv,
  replayOption: () => Option,
): void {
  program
    .command('check')
    .description(
      "judge this machine's security posture and lifecycle locally (no collector): print the score and findings; the exit code is the worst finding's severity",
    )
    .option('--json', `print one JSON document (schema ${CHECK_SCHEMA}) instead of text`)
    .addOption(
      new Option(
        '--fail-on <severity>',
        'only findings of this severity or worse set the exit code',
      )
        .choices(SEVERITIES)
        .default('low'),
    )
    .addOption(
      new Option(
        '--min-coverage <fraction>',
        'without counted findings, exit 24 instead of 0 when less than this share of the applicable checks had their data',
      )
        .argParser(coverageFraction)
        .default(0.5),
    )
    .option(
      '--lifecycle-data <file>',
      'judge by this endoflife.date file (same shape as the embedded snapshot) instead',
    )
    .addOption(
      new Option('--role <role>', 'server or workstation, instead of the inferred role').choices([
        'server',
        'workstation',
      ]),
    )
    .addOption(
      new Option(
        '--purchase-date <date>',
        'YYYY-MM-DD: age the hardware from this date rather than the firmware date',
      ).argParser((value) => purchaseDate(value)),
    )
    .addOption(replayOption())
    .addHelpText('after', EXIT_HELP)
    .action(async (options: CheckOptions, command: Command) => {
      await checkCommand(envFor(command), options);
    });
}
