// Report sections for the inventory tests, and the calls that send them.
//
// Package names, versions, architectures and maintainers are as dpkg-query and apt print
// them: openssl/curl as on the vcio dev container (Debian 12, 2026-11-27:
// dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\t${Maintainer}\n'), the older
// openssl builds as Debian 12 and Ubuntu 22.04 shipped them, the pending updates from
// agent/test/fixtures/patches/apt-list-upgradable/recorded-debian12-container.txt and
// dnf-updateinfo-security/1.txt. The security section's values are illustrative: the
// collector stores that section as it comes.
import {
  softwareHash,
  type OutboxSection,
  type PatchesSection,
  type PatchSource,
  type PendingUpdate,
  type Report,
  type SoftwareItem,
  type SoftwareSection,
} from '@vcio/shared';
import { samplePendingUpdate, sampleReport, sampleSecurity } from '@vcio/shared/testing';
import type { TestCollector } from './helpers.js';

export const DEBIAN_OPENSSL_TEAM =
  'Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>';

export function dpkg(name: string, version: string | null, publisher: string | null = null) {
  return {
    name,
    version,
    publisher,
    installedAt: null,
    arch: 'amd64',
    source: 'dpkg',
  } satisfies SoftwareItem;
}

export function software(items: SoftwareItem[]): SoftwareSection {
  return {
    hash: softwareHash(items),
    count: items.length,
    items,
    sources: [{ source: 'dpkg', ok: true, error: null, count: items.length }],
  };
}

/** The same inventory as `full`, as an agent sends it once the collector holds it. */
export function hashOnly(full: SoftwareSection): SoftwareSection {
  return { ...full, items: null };
}

export const pending = samplePendingUpdate;

export function patchSource(
  manager: PatchSource['manager'],
  updates: PendingUpdate[],
  extra: Partial<PatchSource> = {},
): PatchSource {
  return {
    manager,
    checkedAt: '2026-11-27T08:00:00Z',
    durationSeconds: 2.5,
    ok: true,
    error: null,
    pending: updates,
    pendingCount: updates.length,
    securityCount: updates.filter((u) => u.security === true).length,
    lastInstallAt: null,
    ...extra,
  };
}

export function patches(sources: PatchSource[]): PatchesSection {
  return { sources, rebootRequired: false, rebootReasons: [] };
}

export const security = sampleSecurity;

export function outbox(): OutboxSection {
  return { queued: 3, dropped: 0 };
}

export type Agent = Awaited<ReturnType<TestCollector['enroll']>>;

/** A report from `agent` about machine `machineId`, with the given sections. */
export function reportWith(
  agent: Agent,
  machineId: string,
  sections: Report['sections'],
  options: { collectedAt?: Date; hostname?: string } = {},
): Report {
  const report = sampleReport({
    agentId: agent.agentId,
    machineId,
    hostname: options.hostname ?? `host-${machineId}`,
    collectedAt: options.collectedAt,
    sections: [],
  });
  return { ...report, sections };
}

export function send(c: TestCollector, agent: Agent, report: Report) {
  return c.app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    headers: { authorization: agent.authorization, 'content-type': 'application/json' },
    payload: JSON.stringify(report),
  });
}

/** The host id the collector gave `machineId`. */
export function hostKeyOf(c: TestCollector, machineId: string): { id: string; key: number } {
  return c.store.db.prepare('SELECT id, key FROM hosts WHERE machine_id = ?').get(machineId) as {
    id: string;
    key: number;
  };
}

export function count(c: TestCollector, table: string): number {
  return (c.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}
