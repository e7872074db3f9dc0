// Assessing one host: its latest sections plus what the collector (or the agent's own
// `check`) knows about it, through lifecycle and the check catalog, to one answer. Both
// sides call this, so `vcio-agent check` and the collector cannot disagree about a machine
// given the same facts and settings.
import type { SectionName } from './report/constants.js';
import type { Platform, SystemSection } from './report/system.js';
import {
  DEFAULT_REPLACEMENT_POLICY,
  hardwareAgeYears,
  hardwareBaseDate,
  replacementDue,
  type ReplacementPolicy,
} from './lifecycle/hardware.js';
import { osLifecycle, softwareLifecycle } from './lifecycle/index.js';
import type { EndOfLifeData } from './lifecycle/data.js';
import type { LifecycleResult } from './lifecycle/state.js';
import {
  DEFAULT_SERVER_WEIGHT,
  evaluateHost,
  type HostPosture,
  type RiskAcceptance,
} from './posture/score.js';
import type { HostPostureInput, HostRole, Thresholds } from './posture/types.js';
import { DEFAULT_THRESHOLDS } from './posture/types.js';

// The agent takes its values only from `@vcio/shared/agent` and this entry (neither loads
// TypeBox): `vcio-agent check --lifecycle-data FILE` validates a newer snapshot with this.
export { loadEndOfLife, type EndOfLifeData } from './lifecycle/data.js';

/** What a tenant can tune; every field has a default (the and the README's). */
export interface PostureSettings {
  thresholds: Thresholds;
  /** a server counts this many times a workstation in the tenant score */
  serverWeight: number;
  replacement: ReplacementPolicy;
  /** OS support ending within this many days is "ending soon" */
  endingSoonDays: number;
  /** judge OS support by paid extended support (e.g. Ubuntu ESM) where the data has it */
  extendedSupport: boolean;
  /** what replacing one machine costs, for the budget in strategy-review reports */
  replacementCost: ReplacementCost;
}

export interface ReplacementCost {
  workstation: number;
  server: number;
  /** ISO 4217 code, e.g. "EUR" */
  currency: string;
}

export const DEFAULT_POSTURE_SETTINGS: Readonly<PostureSettings> = Object.freeze({
  thresholds: DEFAULT_THRESHOLDS,
  serverWeight: DEFAULT_SERVER_WEIGHT,
  replacement: DEFAULT_REPLACEMENT_POLICY,
  endingSoonDays: 180,
  extendedSupport: false,
  replacementCost: { workstation: 1_200, server: 6_000, currency: 'USD' },
});

/** A tenant's stored overrides on top of the defaults (nested objects merged one level). */
export function resolvePostureSettings(overrides: DeepPartialSettings = {}): PostureSettings {
  return {
    ...DEFAULT_POSTURE_SETTINGS,
    ...overrides,
    thresholds: { ...DEFAULT_POSTURE_SETTINGS.thresholds, ...overrides.thresholds },
    replacement: { ...DEFAULT_POSTURE_SETTINGS.replacement, ...overrides.replacement },
    replacementCost: { ...DEFAULT_POSTURE_SETTINGS.replacementCost, ...overrides.replacementCost },
  };
}

export type DeepPartialSettings = Partial<
  Omit<PostureSettings, 'thresholds' | 'replacement' | 'replacementCost'> & {
    thresholds: Partial<Thresholds>;
    replacement: Partial<ReplacementPolicy>;
    replacementCost: Partial<ReplacementCost>;
  }
>;

/**
 * Server or workstation, from what the agent reports. Windows says so in its edition;
 * macOS machines are workstations; Linux machines an MSP manages are overwhelmingly
 * servers. A role recorded through the API always wins over this guess.
 */
export function inferRole(platform: Platform, system: SystemSection | undefined): HostRole {
  if (platform === 'windows')
    return /server/i.test(system?.os.distro ?? '') ? 'server' : 'workstation';
  if (platform === 'linux' || platform === 'freebsd') return 'server';
  return 'workstation';
}

export type AssessedSections = HostPostureInput['sections'];

export interface AssessContext {
  now: Date;
  /** when the collector last heard from the agent (the agent's own check: now) */
  lastSeenAt: Date | null;
  /** when the system section is missing (the collector knows it from earlier reports) */
  platform?: Platform;
  hostId?: string | null;
  /** recorded through the API; otherwise inferred */
  role?: HostRole | null;
  /** YYYY-MM-DD, recorded through the API; preferred over the firmware date */
  purchaseDate?: string | null;
  settings?: PostureSettings;
  acceptances?: readonly RiskAcceptance[];
  /** the endoflife.date data to judge by; the embedded snapshot when absent */
  lifecycleData?: EndOfLifeData;
  /**
   * the key software's lifecycle, already judged for this software list (the collector
   * caches it by the list's hash); computed from the software section when absent
   */
  softwareLifecycle?: LifecycleResult[];
}

export interface HardwareLifecycle {
  role: HostRole;
  /** whole years, null when neither a purchase nor a firmware date is known */
  ageYears: number | null;
  /** which date the age counts from */
  basis: 'purchase' | 'firmware' | null;
  /** YYYY-MM-DD as recorded through the API */
  purchaseDate: string | null;
  /** YYYY-MM-DD, the BIOS/firmware release date the agent read */
  firmwareDate: string | null;
  replaceAfterYears: number;
  /** YYYY-MM-DD when the host reaches its replacement age; null when unknown */
  replacementDue: string | null;
  virtual: boolean | null;
}

export interface HostAssessment {
  platform: Platform;
  role: HostRole;
  /** null when no system section was ever reported */
  os: LifecycleResult | null;
  /** key software (Office, SQL Server, Node.js...) found in the inventory */
  software: LifecycleResult[];
  hardware: HardwareLifecycle;
  posture: HostPosture;
  /** sections the assessment had */
  sections: SectionName[];
}

const isoDate = (d: Date | null): string | null => (d ? d.toISOString().slice(0, 10) : null);

function hardwareOf(
  system: SystemSection | undefined,
  role: HostRole,
  ctx: AssessContext,
  policy: ReplacementPolicy,
): HardwareLifecycle {
  const dates = {
    purchaseDate: ctx.purchaseDate ?? null,
    firmwareDate: system?.hardware.bios.releaseDate ?? null,
  };
  const fromPurchase = hardwareBaseDate({ purchaseDate: dates.purchaseDate, firmwareDate: null });
  const fromFirmware = hardwareBaseDate({ purchaseDate: null, firmwareDate: dates.firmwareDate });
  return {
    role,
    ageYears: hardwareAgeYears(dates, ctx.now),
    basis: fromPurchase ? 'purchase' : fromFirmware ? 'firmware' : null,
    ...dates,
    replaceAfterYears: role === 'server' ? policy.serverYears : policy.workstationYears,
    replacementDue: isoDate(replacementDue({ id: '', role, ...dates }, policy)),
    virtual: system?.hardware.virtual ?? null,
  };
}

/** Lifecycle and posture of one host from its latest sections. Pure. */
export function assessHost(sections: AssessedSections, ctx: AssessContext): HostAssessment {
  const settings = ctx.settings ?? DEFAULT_POSTURE_SETTINGS;
  const system = sections.system;
  const platform: Platform = system?.os.platform ?? ctx.platform ?? 'other';
  const role = ctx.role ?? inferRole(platform, system);
  const lifecycleInput = {
    now: ctx.now,
    data: ctx.lifecycleData,
    endingSoonDays: settings.endingSoonDays,
    extendedSupport: settings.extendedSupport,
  };
  const os = system ? osLifecycle(system.os, lifecycleInput) : null;
  const items = sections.software?.items;
  const software = ctx.softwareLifecycle ?? (items ? softwareLifecycle(items, lifecycleInput) : []);
  const hardware = hardwareOf(system, role, ctx, settings.replacement);
  const input: HostPostureInput = {
    platform,
    role,
    now: ctx.now,
    lastSeenAt: ctx.lastSeenAt,
    sections,
    lifecycle: {
      os: os
        ? { state: os.state, eol: os.eol, product: os.label }
        : { state: 'unknown', eol: null, product: null },
      hardware: { ageYears: hardware.ageYears, replaceAfterYears: hardware.replaceAfterYears },
    },
  };
  const posture = evaluateHost(input, {
    hostId: ctx.hostId ?? null,
    thresholds: settings.thresholds,
    acceptances: ctx.acceptances ?? [],
  });
  return {
    platform,
    role,
    os,
    software,
    hardware,
    posture,
    sections: (Object.keys(sections) as SectionName[]).filter(
      (name) => sections[name as keyof AssessedSections] !== undefined,
    ),
  };
}
