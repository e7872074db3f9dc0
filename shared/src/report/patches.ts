// The `patches` section: what each package manager or update service says is pending,
// when the last install succeeded, and whether the machine waits for a reboot. Collected
// every few hours.
//
// A source that could not answer (apt's lock held, Windows Update service stopped) says
// so with ok: false and its error: it is never reported as "0 pending".
import { Type, type Static } from '@sinclair/typebox';
import { List, NonNegative, Text, Timestamp, Unknown } from './common.js';

export const PatchManager = Type.Union([
  Type.Literal('apt'),
  Type.Literal('dnf'),
  Type.Literal('yum'),
  Type.Literal('zypper'),
  Type.Literal('windows-update'),
  Type.Literal('softwareupdate'),
]);
export type PatchManager = Static<typeof PatchManager>;

/** Severity as the source states it, normalised (MSRC, Red Hat/Fedora, SUSE all fit). */
export const PatchSeverity = Type.Union([
  Type.Literal('critical'),
  Type.Literal('important'),
  Type.Literal('moderate'),
  Type.Literal('low'),
  Type.Literal('unspecified'),
]);
export type PatchSeverity = Static<typeof PatchSeverity>;

export const PendingUpdate = Type.Object({
  /** package name, or the update's title on Windows/macOS */
  name: Text(512),
  /** Windows knowledge-base article, e.g. "KB5034441" */
  kb: Unknown(Text(32)),
  currentVersion: Unknown(Text(128)),
  availableVersion: Unknown(Text(128)),
  /** true: a security update (apt -security pocket, updateinfo type security, MSRC
   * security classification); false: the source says it is not; null: it does not say */
  security: Unknown(Type.Boolean()),
  severity: Unknown(PatchSeverity),
  /** the source's own category: "Security Updates", "recommended", "bugfix", a pocket */
  classification: Unknown(Text(128)),
  /** advisory ids: RHSA-2024:1234, FEDORA-2024-abc, SUSE-SU-2024:0001-1, USN-... */
  advisories: List(Text(128), 32),
  restartRequired: Unknown(Type.Boolean()),
  releasedAt: Unknown(Timestamp),
});
export type PendingUpdate = Static<typeof PendingUpdate>;

export const PatchSource = Type.Object({
  manager: PatchManager,
  checkedAt: Timestamp,
  durationSeconds: NonNegative,
  /** false when the source could not answer; pending is then empty and counts null */
  ok: Type.Boolean(),
  error: Unknown(Text(2048)),
  pending: List(PendingUpdate, 2000),
  /** may exceed pending.length when the list was cut at its bound */
  pendingCount: Unknown(Type.Integer({ minimum: 0 })),
  securityCount: Unknown(Type.Integer({ minimum: 0 })),
  /** the last successful install of updates this source knows of */
  lastInstallAt: Unknown(Timestamp),
});
export type PatchSource = Static<typeof PatchSource>;

export const PatchesSection = Type.Object({
  sources: List(PatchSource, 16),
  /** null when no check could tell (e.g. needs-restarting missing) */
  rebootRequired: Unknown(Type.Boolean()),
  /** what asks for the reboot: packages from reboot-required.pkgs, registry keys */
  rebootReasons: List(Text(256), 64),
});
export type PatchesSection = Static<typeof PatchesSection>;
