// The vocabulary of posture: what a check is, what it sees of a host, and what it answers.
//
// A check is pure: it reads the host's latest sections and answers pass, fail, partial,
// not applicable or unknown, always with the evidence it used. Unknown (a fact the agent
// could not read, a section never reported) is kept apart from every other answer so that
// missing data can never look like a clean machine.
import type { OutboxSection } from '../report/outbox.js';
import type { PatchesSection } from '../report/patches.js';
import type { PerformanceSection } from '../report/performance.js';
import type { SecuritySection } from '../report/security.js';
import type { SoftwareSection } from '../report/software.js';
import type { Platform, SystemSection } from '../report/system.js';

export const CATEGORIES = [
  'patching',
  'protection',
  'encryption',
  'exposure',
  'identity',
  'lifecycle',
  'operations',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CHECK_PLATFORMS = ['linux', 'windows', 'darwin'] as const;
export type CheckPlatform = (typeof CHECK_PLATFORMS)[number];

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type HostRole = 'server' | 'workstation';

export type EvaluationStatus = 'pass' | 'fail' | 'partial' | 'not_applicable' | 'unknown';

export interface Evaluation {
  status: EvaluationStatus;
  /** pass 1, fail 0, partial strictly between; 0 for unknown and not applicable */
  credit: number;
  /** what the check used, in words a technician can verify on the machine */
  evidence: string;
  /** for unknown: which input was missing, and why (the section's own reason) */
  missing?: string;
}

export type OsLifecycleState = 'supported' | 'ending_soon' | 'end_of_life' | 'unknown';

/** What the lifecycle module (built separately) concluded about this host. */
export interface HostLifecycle {
  os: { state: OsLifecycleState; eol: string | null; product: string | null };
  hardware: { ageYears: number | null; replaceAfterYears: number };
}

export interface HostPostureInput {
  platform: Platform;
  role: HostRole | null;
  now: Date;
  /** when the collector last heard from the agent; null when never */
  lastSeenAt: Date | null;
  sections: {
    system?: SystemSection;
    performance?: PerformanceSection;
    patches?: PatchesSection;
    software?: SoftwareSection;
    security?: SecuritySection;
    outbox?: OutboxSection;
  };
  lifecycle?: HostLifecycle;
}

/** Per-tenant limits; every check reads them from here, never from a literal. */
export interface Thresholds {
  securityPendingDays: number;
  noInstallDays: number;
  rebootPendingDays: number;
  signatureMaxAgeDays: number;
  maxAdmins: number;
  offlineHours: number;
  diskFullRatio: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  securityPendingDays: 14,
  noInstallDays: 30,
  rebootPendingDays: 7,
  signatureMaxAgeDays: 3,
  maxAdmins: 3,
  offlineHours: 24,
  diskFullRatio: 0.9,
});

/** A tenant's overrides on top of the defaults. */
export function resolveThresholds(overrides: Partial<Thresholds> = {}): Thresholds {
  return { ...DEFAULT_THRESHOLDS, ...overrides };
}

export interface Check {
  /** stable kebab-case id: history and risk acceptances refer to it */
  id: string;
  title: string;
  category: Category;
  /** 1..10: how much the check moves the score */
  weight: number;
  /** CIS Controls v8 safeguards it supports, e.g. ['7.3'] */
  cis: readonly string[];
  platforms: readonly CheckPlatform[];
  severity: Severity;
  remediation: string;
  evaluate(input: HostPostureInput, thresholds?: Thresholds): Evaluation;
}
