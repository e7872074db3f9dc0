// Builders for the conformance suite: tenants, tokens and agents written through the Store
// itself, and reports as agents send them.
import { randomUUID } from 'node:crypto';
import type { Report } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import type {
  AgentRecord,
  ApiTokenRecord,
  EnrollmentTokenRecord,
  IngestOutcome,
  Tenant,
} from '../../src/store/types.js';
import type { ConformanceStore } from './harness.js';

/** A fixed clock: rows compare the same in both stores (milliseconds, UTC). */
export const T0 = new Date('2026-11-27T09:00:00.000Z');
export const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

const hash = (text: string) => Buffer.from(text.padEnd(32, '.'));

export async function tenant(store: ConformanceStore, slug: string): Promise<Tenant> {
  const t: Tenant = {
    id: `t-${slug}`,
    slug,
    name: `Tenant ${slug}`,
    createdAt: T0,
    archivedAt: null,
  };
  await store.tenants.createTenant(t);
  return t;
}

export function apiToken(overrides: Partial<ApiTokenRecord> & { id: string }): ApiTokenRecord {
  return {
    tenantId: null,
    role: 'admin',
    name: overrides.id,
    secretHash: hash(overrides.id),
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  };
}

export function enrollmentToken(
  overrides: Partial<EnrollmentTokenRecord> & { id: string; tenantId: string },
): EnrollmentTokenRecord {
  return {
    name: overrides.id,
    secretHash: hash(overrides.id),
    createdAt: T0,
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
    siteId: null,
    ...overrides,
  };
}

export function agentRecord(tenantId: string, tokenId: string, machineId: string): AgentRecord {
  return {
    id: `agent-${randomUUID()}`,
    tenantId,
    secretHash: hash(machineId),
    enrollmentTokenId: tokenId,
    machineId,
    hostname: `host-${machineId}`,
    version: '0.1.0',
    createdAt: T0,
    revokedAt: null,
  };
}

/** An agent enrolled in the tenant through a token of its own (optionally in a site). */
export async function enrolledAgent(
  store: ConformanceStore,
  tenantId: string,
  machineId: string,
  siteId: string | null = null,
): Promise<AgentRecord> {
  const token = enrollmentToken({ id: `et-${randomUUID()}`, tenantId, siteId });
  await store.access.insertEnrollmentToken(token);
  const agent = agentRecord(tenantId, token.id, machineId);
  const outcome = await store.access.enrollAgent(token.id, agent);
  if (outcome !== 'enrolled') throw new Error(`enrollment failed: ${outcome}`);
  return agent;
}

/** A report from the agent about its machine, with exactly the given sections. */
export function report(
  agent: AgentRecord,
  sections: Report['sections'],
  options: { collectedAt?: Date; reportId?: string; hostname?: string } = {},
): Report {
  const base = sampleReport({
    agentId: agent.id,
    machineId: agent.machineId,
    hostname: options.hostname ?? agent.hostname,
    collectedAt: options.collectedAt ?? T0,
    reportId: options.reportId,
    sections: [],
  });
  return { ...base, sections };
}

/** Ingests as the route does: every section the report has is one the collector knows. */
export function ingest(
  store: ConformanceStore,
  agent: AgentRecord,
  r: Report,
  receivedAt: Date = new Date(Date.parse(r.collectedAt) + 1000),
): Promise<IngestOutcome> {
  const sections = Object.keys(r.sections) as (keyof Report['sections'])[];
  return store.reports.ingest({ report: r, agent, receivedAt, sections });
}

/** The stored host's id, from an outcome that must be 'stored'. */
export function storedHost(outcome: IngestOutcome): string {
  if (outcome.status !== 'stored') throw new Error(`expected stored, got ${outcome.status}`);
  return outcome.hostId;
}
