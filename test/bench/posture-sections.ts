// State sections for the posture benchmarks: what a real Linux agent sends about a
// workstation's security settings, pending patches and installed software, shaped as in
// collector/test/sections.ts (dpkg/apt values as Debian 12 prints them). The security
// values are illustrative; the point is the size and shape the assessment reads.
import {
  softwareHash,
  type PatchesSection,
  type SoftwareItem,
  type SoftwareSection,
} from '@vcio/shared';
import { sampleSecurity, samplePendingUpdate } from '@vcio/shared/testing';

const DAY = 86_400_000;

export const securitySection = sampleSecurity;

const update = samplePendingUpdate;

/**
 * apt with five pending updates, two of them security updates released 20 days before
 * `now` (so the "security update pending over 14 days" check has something to find).
 */
export function patchesSection(now: Date): PatchesSection {
  const released = new Date(now.getTime() - 20 * DAY).toISOString();
  const pending = [
    update('openssl', '3.0.11-1~deb12u2', '3.0.15-1~deb12u1', {
      security: true,
      severity: 'important',
      releasedAt: released,
    }),
    update('libssl3', '3.0.11-1~deb12u2', '3.0.15-1~deb12u1', {
      security: true,
      severity: 'important',
      releasedAt: released,
    }),
    update('curl', '7.88.1-10+deb12u5', '7.88.1-10+deb12u8'),
    update('tzdata', '2024a-0+deb12u1', '2025b-0+deb12u1'),
    update('base-files', '12.4+deb12u5', '12.4+deb12u10'),
  ];
  return {
    sources: [
      {
        manager: 'apt',
        checkedAt: now.toISOString(),
        durationSeconds: 2.5,
        ok: true,
        error: null,
        pending,
        pendingCount: pending.length,
        securityCount: pending.filter((u) => u.security === true).length,
        lastInstallAt: new Date(now.getTime() - 2 * DAY).toISOString(),
      },
    ],
    rebootRequired: false,
    rebootReasons: [],
  };
}

// Stems of real Debian package names; the list is padded to the size wanted with
// numbered variants, as a workstation's long tail of libraries looks.
const STEMS = [
  'libc6',
  'openssl',
  'curl',
  'bash',
  'coreutils',
  'systemd',
  'openssh-server',
  'python3',
  'perl-base',
  'libglib2.0-0',
  'libgtk-3-0',
  'firefox-esr',
  'libreoffice-core',
  'git',
  'vim',
  'docker-ce',
  'nodejs',
  'postgresql-client-15',
  'libx11-6',
  'fonts-dejavu-core',
];

/** A dpkg inventory of `count` packages, hashed as the agent hashes it. */
export function softwareSection(count: number): SoftwareSection {
  const items: SoftwareItem[] = [];
  for (let i = 0; i < count; i++) {
    const stem = STEMS[i % STEMS.length]!;
    const round = Math.floor(i / STEMS.length);
    items.push({
      name: round === 0 ? stem : `${stem}-extra${round}`,
      version: `${1 + (i % 7)}.${i % 13}.${i % 5}-${1 + (i % 3)}+deb12u${i % 4}`,
      publisher: 'Debian Maintainers <debian-devel@lists.debian.org>',
      installedAt: null,
      arch: 'amd64',
      source: 'dpkg',
    });
  }
  return {
    hash: softwareHash(items),
    count: items.length,
    items,
    sources: [{ source: 'dpkg', ok: true, error: null, count: items.length }],
  };
}
