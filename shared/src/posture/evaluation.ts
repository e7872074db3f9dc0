// Constructors for evaluations and the one place where a check's platform filter and
// its thresholds default are applied, so no check can forget either.
import type { Check, CheckPlatform, Evaluation, HostPostureInput, Thresholds } from './types.js';
import { DEFAULT_THRESHOLDS } from './types.js';

export const pass = (evidence: string): Evaluation => ({ status: 'pass', credit: 1, evidence });
export const fail = (evidence: string): Evaluation => ({ status: 'fail', credit: 0, evidence });
export const notApplicable = (evidence: string): Evaluation => ({
  status: 'not_applicable',
  credit: 0,
  evidence,
});
export const unknown = (missing: string, evidence = 'not enough data to judge'): Evaluation => ({
  status: 'unknown',
  credit: 0,
  evidence,
  missing,
});

/** Credit by share: all of it is a pass, none a fail, anything between partial. */
export function byShare(good: number, total: number, evidence: string): Evaluation {
  if (good >= total) return pass(evidence);
  if (good <= 0) return fail(evidence);
  return { status: 'partial', credit: good / total, evidence };
}

export function partial(credit: number, evidence: string): Evaluation {
  return { status: 'partial', credit, evidence };
}

export const DAY_MS = 86_400_000;

export function daysBetween(earlier: Date, later: Date): number {
  return (later.getTime() - earlier.getTime()) / DAY_MS;
}

type Body = (input: HostPostureInput, thresholds: Thresholds) => Evaluation;

/** A check whose evaluate answers not applicable off its platforms. */
export function defineCheck(meta: Omit<Check, 'evaluate'>, body: Body): Check {
  return {
    ...meta,
    evaluate(input, thresholds = DEFAULT_THRESHOLDS) {
      if (!meta.platforms.includes(input.platform as CheckPlatform)) {
        return notApplicable(`does not apply to ${input.platform}`);
      }
      return body(input, thresholds);
    },
  };
}
