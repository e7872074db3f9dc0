// Helpers shared by the Linux package-manager parsers (apt.ts, dnf.ts, zypper.ts): building
// a PendingUpdate within the contract's bounds, and the one severity vocabulary.
import type { PatchSeverity, PendingUpdate } from '@vcio/shared';

export type PendingUpdateFields = Partial<PendingUpdate> & { name: string };

const text = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined || value.trim() === '' ? null : value.trim().slice(0, max);

/** A PendingUpdate with every field the source did not give set to null (unknown). */
export function pendingUpdate(fields: PendingUpdateFields): PendingUpdate {
  return {
    name: fields.name.slice(0, 512),
    kb: text(fields.kb, 32),
    currentVersion: text(fields.currentVersion, 128),
    availableVersion: text(fields.availableVersion, 128),
    security: fields.security ?? null,
    severity: fields.severity ?? null,
    classification: text(fields.classification, 128),
    advisories: (fields.advisories ?? []).slice(0, 32).map((a) => a.slice(0, 128)),
    restartRequired: fields.restartRequired ?? null,
    releasedAt: fields.releasedAt ?? null,
  };
}

const SEVERITIES: readonly PatchSeverity[] = ['critical', 'important', 'moderate', 'low'];

/**
 * Red Hat / Fedora / SUSE severities to the contract's. dnf5 cuts the word to its column
 * width ("Importan"), so a prefix of three letters or more is enough. A severity the source
 * states but that is none of the four ("None", "unspecified", "unknown") is 'unspecified';
 * no severity at all (empty) is null.
 */
export function normaliseSeverity(value: string | null | undefined): PatchSeverity | null {
  const word = (value ?? '').trim().toLowerCase();
  if (word === '' || word === '-' || word === '---') return null;
  if (word.length >= 3) {
    const known = SEVERITIES.find((s) => s.startsWith(word));
    if (known) return known;
  }
  return 'unspecified';
}

const SEVERITY_RANK: Record<PatchSeverity, number> = {
  unspecified: 0,
  low: 1,
  moderate: 2,
  important: 3,
  critical: 4,
};

/** The graver of two severities (null counts as lowest). */
export function graverSeverity(
  a: PatchSeverity | null,
  b: PatchSeverity | null,
): PatchSeverity | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a;
}

/** Non-empty, trimmed lines; CRLF-safe. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
}
