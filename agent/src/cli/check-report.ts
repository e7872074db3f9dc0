// What `vcio-agent check` prints: one document (the --json output, `vcio.check.v1`) built
// from the assessment, the plain-text summary rendered from that same document (so the two
// can never tell different stories), and the exit code an RMM script branches on.
//
// Only types come from @vcio/shared here: this module is loaded with the CLI, and the
// posture catalog and lifecycle data must stay out of `run` (see check.ts).
import type { CollectorError, HostAssessment, LifecycleResult, Severity } from '@vcio/shared';
import { ExitCode } from '../exit-codes.js';

export const CHECK_SCHEMA = 'vcio.check.v1';

/** Lowest first: --fail-on takes one of these, and the exit code grows with the rank. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies Severity[];

const EXIT_BY_SEVERITY: Record<Severity, ExitCode> = {
  low: ExitCode.findingLow,
  medium: ExitCode.findingMedium,
  high: ExitCode.findingHigh,
  critical: ExitCode.findingCritical,
};

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

export interface CheckFinding {
  checkId: string;
  title: string;
  category: string;
  severity: Severity;
  weight: number;
  status: 'fail' | 'partial';
  credit: number;
  evidence: string;
  remediation: string;
  /** at or above --fail-on, so it sets the exit code */
  counts: boolean;
}

export interface CheckDocument {
  schema: typeof CHECK_SCHEMA;
  agentVersion: string;
  hostname: string;
  assessedAt: string;
  /** the recorded machine replayed instead of this one, or null */
  replay: string | null;
  platform: string;
  role: string;
  roleSource: 'option' | 'inferred';
  /** 0..100, null when no check had the data it needs */
  score: number | null;
  /** applicable / (applicable + unknown), 0..1 */
  coverage: number | null;
  categories: Record<string, number | null>;
  counts: Record<'pass' | 'fail' | 'partial' | 'notApplicable' | 'unknown', number>;
  lifecycle: {
    os: LifecycleResult | null;
    software: LifecycleResult[];
    hardware: HostAssessment['hardware'];
    /** the endoflife.date snapshot judged by, and the file when given --lifecycle-data */
    data: { sourceDate: string; file: string | null };
  };
  /** fail and partial results, heaviest first */
  findings: CheckFinding[];
  /** checks without the data they need, and why */
  unknown: { checkId: string; title: string; missing: string }[];
  /** collectors that failed on this run: their sections are missing */
  errors: CollectorError[];
  sections: string[];
  failOn: Severity;
  /** below this data coverage, a check without counted findings exits 24, not 0 */
  minCoverage: number;
  /** the worst severity among the findings that count; null when none counts */
  worstSeverity: Severity | null;
  exitCode: number;
}

export interface CheckMeta {
  agentVersion: string;
  hostname: string;
  assessedAt: Date;
  replay: string | null;
  roleSource: 'option' | 'inferred';
  lifecycleData: { sourceDate: string; file: string | null };
  errors: CollectorError[];
  failOn: Severity;
  minCoverage: number;
}

/** The exit code for the worst finding at or above `failOn`; ok when none is. */
export function exitCodeFor(
  severities: readonly Severity[],
  failOn: Severity,
): {
  worst: Severity | null;
  code: ExitCode;
} {
  const counted = severities.filter((s) => rank(s) >= rank(failOn));
  if (counted.length === 0) return { worst: null, code: ExitCode.ok };
  const worst = counted.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return { worst, code: EXIT_BY_SEVERITY[worst] };
}

export function checkDocument(assessment: HostAssessment, meta: CheckMeta): CheckDocument {
  const { posture } = assessment;
  const findings: CheckFinding[] = posture.findings.map((r) => ({
    checkId: r.checkId,
    title: r.title,
    category: r.category,
    severity: r.severity,
    weight: r.weight,
    status: r.status as CheckFinding['status'],
    credit: r.evaluation.credit,
    evidence: r.evaluation.evidence,
    remediation: r.remediation,
    counts: rank(r.severity) >= rank(meta.failOn),
  }));
  const verdict = exitCodeFor(
    findings.map((f) => f.severity),
    meta.failOn,
  );
  const { worst } = verdict;
  // A clean verdict needs enough data: a machine where most checks could not read their
  // inputs is not clean, and an RMM script reading only the exit code must not think so.
  const tooLittleData = verdict.code === ExitCode.ok && (posture.coverage ?? 0) < meta.minCoverage;
  const code = tooLittleData ? ExitCode.insufficientData : verdict.code;
  const countOf = (status: string): number =>
    posture.results.filter((r) => r.status === status).length;
  return {
    schema: CHECK_SCHEMA,
    agentVersion: meta.agentVersion,
    hostname: meta.hostname,
    assessedAt: meta.assessedAt.toISOString(),
    replay: meta.replay,
    platform: assessment.platform,
    role: assessment.role,
    roleSource: meta.roleSource,
    score: posture.score,
    coverage: posture.coverage,
    categories: posture.categories,
    counts: {
      pass: countOf('pass'),
      fail: countOf('fail'),
      partial: countOf('partial'),
      notApplicable: countOf('not_applicable'),
      unknown: countOf('unknown'),
    },
    lifecycle: {
      os: assessment.os,
      software: assessment.software,
      hardware: assessment.hardware,
      data: meta.lifecycleData,
    },
    findings,
    unknown: posture.results
      .filter((r) => r.status === 'unknown')
      .map((r) => ({
        checkId: r.checkId,
        title: r.title,
        missing: r.evaluation.missing ?? r.evaluation.evidence,
      })),
    errors: meta.errors,
    sections: assessment.sections,
    failOn: meta.failOn,
    minCoverage: meta.minCoverage,
    worstSeverity: worst,
    exitCode: code,
  };
}

// ---- plain text -------------------------------------------------------------------------

/** RMM consoles show output in a fixed-width pane; longer lines wrap badly or get cut. */
export const LINE_WIDTH = 100;

/** Word-wraps `text` to `width`, each line prefixed by `indent` (the first by `first`). */
export function wrap(text: string, indent: string, first = indent, width = LINE_WIDTH): string[] {
  return wrapWords(text.split(/\s+/), indent, first, width);
}

/** Fills lines with `words` (which may hold spaces: they are never split). */
export function wrapWords(
  words: readonly string[],
  indent: string,
  first = indent,
  width = LINE_WIDTH,
): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words.filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

const oneDecimal = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(1));
const percent = (n: number | null): string => (n === null ? 'n/a' : `${Math.round(n * 100)}%`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function lifecycleText(result: LifecycleResult): string {
  switch (result.state) {
    case 'supported':
      return `${result.label}: supported${result.eol ? ` until ${result.eol}` : ''}`;
    case 'ending_soon':
      return `${result.label}: support ending soon, on ${result.eol ?? 'an unknown date'}`;
    case 'end_of_life':
      return `${result.label}: END OF LIFE${result.eol ? ` since ${result.eol}` : ''}`;
    default:
      return `${result.label}: unknown (${result.reason ?? 'no end-of-support date known'})`;
  }
}

function hardwareText(hw: HostAssessment['hardware']): string {
  const policy = `replace after ${plural(hw.replaceAfterYears, 'year')} (${hw.role})`;
  if (hw.virtual === true) return `virtual machine: no hardware of its own to age`;
  if (hw.ageYears === null)
    return `age unknown: no firmware or purchase date (--purchase-date); ${policy}`;
  const due = hw.replacementDue ? `, due ${hw.replacementDue}` : '';
  const since = hw.basis === 'purchase' ? hw.purchaseDate : hw.firmwareDate;
  return `${plural(hw.ageYears, 'year')} old (${hw.basis} date ${since}); ${policy}${due}`;
}

/** Unknown checks grouped by what they miss, the most common reason first. */
export function unknownReasons(unknown: CheckDocument['unknown']): [string, string[]][] {
  const byReason = new Map<string, string[]>();
  for (const u of unknown) byReason.set(u.missing, [...(byReason.get(u.missing) ?? []), u.checkId]);
  return [...byReason.entries()].sort(
    (a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]),
  );
}

export function formatCheckText(doc: CheckDocument): string {
  const out: string[] = [];
  const replay = doc.replay ? ` [replay of ${doc.replay}]` : '';
  out.push(...wrap(`vcio-agent check: ${doc.hostname}${replay}`, '  ', ''));
  out.push(
    `  ${doc.platform}, ${doc.role} (${doc.roleSource === 'option' ? 'from --role' : 'inferred; --role to override'}), ${doc.assessedAt}`,
  );
  out.push('');
  const scored = doc.counts.pass + doc.counts.fail + doc.counts.partial;
  out.push(
    doc.score === null
      ? 'Score: none (no check had the data it needs)'
      : `Score: ${oneDecimal(doc.score)} / 100`,
  );
  out.push(
    `Data coverage: ${percent(doc.coverage)} (${plural(scored, 'check')} scored, ${doc.counts.unknown} unknown, ${doc.counts.notApplicable} not applicable)`,
  );
  // A category and its score stay on one line.
  const categories = Object.entries(doc.categories).map(([c, s]) => `${c} ${oneDecimal(s)}`);
  const items = categories.map((c, i) => (i < categories.length - 1 ? `${c},` : c));
  out.push(...wrapWords(items, '  ', 'Categories: '));
  out.push('');
  out.push('Lifecycle');
  out.push(
    ...wrap(
      doc.lifecycle.os ? lifecycleText(doc.lifecycle.os) : 'not known (no system section)',
      '    ',
      '  OS: ',
    ),
  );
  out.push(...wrap(hardwareText(doc.lifecycle.hardware), '    ', '  Hardware: '));
  for (const sw of doc.lifecycle.software)
    out.push(...wrap(lifecycleText(sw), '    ', '  Software: '));
  const file = doc.lifecycle.data.file ? ` from ${doc.lifecycle.data.file}` : ' (embedded)';
  out.push(
    ...wrap(
      `endoflife.date data of ${doc.lifecycle.data.sourceDate}${file}`,
      '    ',
      '  Judged by: ',
    ),
  );
  out.push('');
  out.push(
    doc.findings.length === 0
      ? 'Findings: none'
      : `Findings: ${doc.findings.length}, heaviest first (severity, weight, check)`,
  );
  for (const f of doc.findings) {
    const partial =
      f.status === 'partial' ? ` [partial: ${Math.round(f.credit * 100)}% credit]` : '';
    out.push(
      ...wrap(
        `${f.checkId} (w${f.weight}): ${f.title}${partial}`,
        '      ',
        `  ${f.severity.toUpperCase().padEnd(8)} `,
      ),
    );
    out.push(...wrap(f.evidence, '      ', '      found: '));
    out.push(...wrap(f.remediation, '      ', '      fix: '));
  }
  if (doc.unknown.length > 0) {
    out.push('');
    out.push(`Unknown: ${plural(doc.unknown.length, 'check')} without the data they need`);
    for (const [reason, ids] of unknownReasons(doc.unknown))
      out.push(...wrap(`${reason} (${ids.join(', ')})`, '    ', '  '));
  }
  if (doc.errors.length > 0) {
    out.push('');
    out.push(`Collector errors: ${doc.errors.length} (their sections are missing)`);
    for (const e of doc.errors) out.push(...wrap(e.message, '    ', `  ${e.collector}: `));
  }
  out.push('');
  const counted = doc.findings.filter((f) => f.counts).length;
  out.push(
    doc.exitCode === ExitCode.insufficientData
      ? `Exit ${doc.exitCode}: no finding at or above ${doc.failOn}, but data coverage ${percent(doc.coverage)} is below ${percent(doc.minCoverage)}: too little data to call it clean`
      : doc.worstSeverity === null
        ? `Exit ${doc.exitCode}: no finding at or above ${doc.failOn}`
        : `Exit ${doc.exitCode}: worst finding ${doc.worstSeverity} (${plural(counted, 'finding')} at or above ${doc.failOn})`,
  );
  return `${out.join('\n')}\n`;
}
