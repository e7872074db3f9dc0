// The ingest benchmark's servers and agents: a real collector process on a fresh data
// directory, agents enrolled through its API as real agents enroll, and the bare
// Fastify endpoint that serves as the baseline.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX } from '@vcio/shared';
import type { EnrolledAgent } from './ingest-bodies.js';
import { startService, type Service } from './support/service.js';

const COLLECTOR_MAIN = fileURLToPath(new URL('../../../collector/dist/main.js', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./bare-server.js', import.meta.url));

/** A collector process the benchmark started, and the tokens of its database. */
export interface CollectorProcess {
  service: Service;
  dataDir: string;
  /** from bootstrap.json, written on first start */
  adminToken: string;
  enrollToken: string;
}

/** A collector on SQLite in its data directory. */
export interface Collector extends CollectorProcess {
  /** the SQLite database and its write-ahead log */
  dbPath: string;
  walPath: string;
}

export async function startCollector(
  dir: string,
  synchronous: 'normal' | 'full',
): Promise<Collector> {
  const proc = await spawnCollector(dir, 'collector', ['--synchronous', synchronous]);
  const dbPath = join(proc.dataDir, 'vcio.db');
  return {
    ...proc,
    ...readSecrets(proc.dataDir, false),
    dbPath,
    walPath: `${dbPath}-wal`,
  };
}

/**
 * A collector on PostgreSQL. The first on an empty database bootstraps it; a further one
 * (`secrets` given) shares its tenant and tokens.
 */
export async function startPostgresCollector(
  dir: string,
  name: string,
  database: string,
  secrets?: { adminToken: string; enrollToken: string },
): Promise<CollectorProcess> {
  const proc = await spawnCollector(dir, name, ['--database', database]);
  const { adminToken, enrollToken } = secrets ?? readSecrets(proc.dataDir, true);
  return { ...proc, adminToken, enrollToken };
}

async function spawnCollector(
  dir: string,
  name: string,
  storeArgs: string[],
): Promise<{ service: Service; dataDir: string }> {
  const dataDir = join(dir, name === 'collector' ? 'data' : `data-${name}`);
  const service = await startService({
    name,
    args: [
      COLLECTOR_MAIN,
      ['--listen', '127.0.0.1:0'],
      ['--data-dir', dataDir],
      ['--log-level', 'info'],
      storeArgs,
    ].flat(),
    // Every flag also reads a VCIO_* variable: one left in the shell (a body limit, TLS)
    // must not quietly change what is measured.
    env: Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('VCIO_')),
    ),
    logFile: join(dir, `${name}.log`),
    findUrl: collectorUrl,
  });
  return { service, dataDir };
}

function readSecrets(
  dataDir: string,
  postgres: boolean,
): { adminToken: string; enrollToken: string } {
  const file = join(dataDir, 'bootstrap.json');
  if (!existsSync(file)) {
    // Only a first start on an empty database writes it.
    throw new Error(
      `the collector wrote no ${file}: ` +
        (postgres
          ? 'the PostgreSQL database was not empty (give --database an empty database)'
          : 'it did not bootstrap'),
    );
  }
  const { adminToken, enrollToken } = JSON.parse(readFileSync(file, 'utf8')) as {
    adminToken: string;
    enrollToken: string;
  };
  return { adminToken, enrollToken };
}

/** The collector logs `vcio collector listening on <url>` with a `url` field (pino JSON). */
function collectorUrl(line: string): string | null {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    if (typeof entry.msg === 'string' && entry.msg.startsWith('vcio collector listening on')) {
      return typeof entry.url === 'string' ? entry.url : null;
    }
  } catch {
    // Not JSON: not the line we want.
  }
  return null;
}

export function startBareServer(dir: string): Promise<Service> {
  return startService({
    name: 'bare server',
    args: [BARE_SERVER],
    logFile: join(dir, 'bare-server.log'),
    findUrl: (line) => /^listening on (http:\/\/\S+)$/.exec(line)?.[1] ?? null,
  });
}

/** Enrolls `count` agents, a few at a time: bench-machine-00001, bench-ws-00001, ... */
export async function enrollAgents(
  url: string,
  token: string,
  count: number,
): Promise<EnrolledAgent[]> {
  const agents: EnrolledAgent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      agents[i] = await enrollOne(url, token, i + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, worker));
  return agents;
}

async function enrollOne(url: string, token: string, seed: number): Promise<EnrolledAgent> {
  const n = String(seed).padStart(5, '0');
  const machineId = `bench-machine-${n}`;
  const hostname = `bench-ws-${n}`;
  const response = await fetch(`${url}${API_PREFIX}/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, machineId, hostname, agentVersion: '0.1.0' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { agentId?: string; secret?: string };
  if (response.status !== 201 || !body.agentId || !body.secret) {
    throw new Error(`enrolling agent ${seed}: ${response.status} ${JSON.stringify(body)}`);
  }
  return { agentId: body.agentId, secret: body.secret, machineId, hostname, seed };
}
