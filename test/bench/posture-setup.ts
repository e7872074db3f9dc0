// A tenant's worth of hosts in a fresh SQLite store, written through the store's own
// ingest as the collector writes reports: each host has one report with every section
// (system, performance, patches, software, security, outbox), so the assessment reads
// what a real host's latest state looks like.
import { randomUUID } from 'node:crypto';
import type { Report, SectionName } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import type { AgentRecord, SqliteStore } from './posture-collector.js';
import { patchesSection, securitySection, softwareSection } from './posture-sections.js';

export interface Fleet {
  tenantId: string;
  hostIds: string[];
}

/** Reports in flight at once: the store commits them in batches (group commit). */
const INGEST_CONCURRENCY = 50;

export async function createFleet(
  store: SqliteStore,
  hosts: number,
  softwareItems: number,
): Promise<Fleet> {
  const now = new Date();
  const tenantId = randomUUID();
  await store.tenants.createTenant({ id: tenantId, slug: 'bench', name: 'Bench', createdAt: now });
  const tokenId = randomUUID();
  await store.access.insertEnrollmentToken({
    id: tokenId,
    tenantId,
    name: 'posture benchmark',
    // Nobody enrolls with it over HTTP: the agents are created directly below.
    secretHash: Buffer.alloc(32),
    createdAt: now,
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
  });
  // One list shared by every host: the store writes each host's rows all the same.
  const software = softwareSection(softwareItems);
  const hostIds: string[] = [];
  for (let start = 0; start < hosts; start += INGEST_CONCURRENCY) {
    const batch = Array.from(
      { length: Math.min(INGEST_CONCURRENCY, hosts - start) },
      (_, i) => start + i + 1,
    );
    const ids = await Promise.all(
      batch.map((seed) => addHost(store, tenantId, tokenId, seed, software, now)),
    );
    hostIds.push(...ids);
  }
  return { tenantId, hostIds };
}

async function addHost(
  store: SqliteStore,
  tenantId: string,
  tokenId: string,
  seed: number,
  software: Report['sections']['software'],
  now: Date,
): Promise<string> {
  const n = String(seed).padStart(5, '0');
  const agent: AgentRecord = {
    id: randomUUID(),
    tenantId,
    secretHash: Buffer.alloc(32),
    enrollmentTokenId: tokenId,
    machineId: `posture-machine-${n}`,
    hostname: `posture-ws-${n}`,
    version: '0.1.0',
    createdAt: now,
    revokedAt: null,
  };
  if ((await store.access.enrollAgent(tokenId, agent)) !== 'enrolled') {
    throw new Error(`enrolling agent ${seed}: the enrollment token refused it`);
  }
  const report = sampleReport({
    agentId: agent.id,
    machineId: agent.machineId,
    hostname: agent.hostname,
    seed,
    collectedAt: now,
    sections: ['system', 'performance'],
  });
  report.sections.patches = patchesSection(now);
  report.sections.software = software;
  report.sections.security = securitySection();
  report.sections.outbox = { queued: 0, dropped: 0 };
  const outcome = await store.reports.ingest({
    report,
    agent,
    receivedAt: now,
    sections: Object.keys(report.sections) as SectionName[],
  });
  if (outcome.status !== 'stored') {
    throw new Error(`storing host ${seed}'s report: ${outcome.status}, expected stored`);
  }
  return outcome.hostId;
}
