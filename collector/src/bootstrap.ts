// First start: a default tenant, an enrollment token for it and an admin API token. The
// secrets go to <data-dir>/bootstrap.json (mode 0600) and nowhere else: the database
// keeps hashes, and the log says only where the file is.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { hashSecret, joinCredential, newSecret, newTokenId } from './security/tokens.js';
import type { PostgresStore } from './store/postgres/index.js';
import type { Store } from './store/types.js';

export const BOOTSTRAP_FILE = 'bootstrap.json';

export interface BootstrapSecrets {
  tenant: { id: string; slug: string };
  adminToken: string;
  enrollToken: string;
  createdAt: string;
}

/** The advisory lock key on PostgreSQL: "vcio" and "boot" as two 32-bit integers. */
const BOOTSTRAP_LOCK = [0x7663696f, 0x626f6f74] as const;

/**
 * Creates the first tenant and tokens when the database has no tenant yet.
 *
 * Several collectors first started at once on one empty PostgreSQL database would each see
 * no tenant and each create 'default' (the loser failing its start on the unique slug):
 * there, the check and the creation run under an advisory lock, so the first creates it
 * and the others then find it. SQLite's database belongs to one collector.
 */
export async function bootstrapIfEmpty(
  store: Store,
  dataDir: string,
  logger: Logger,
): Promise<BootstrapSecrets | null> {
  const pool = (store as Partial<PostgresStore>).db?.pool;
  if (!pool) return bootstrapUnlocked(store, dataDir, logger);
  // A session lock on a connection of its own, held while the work uses the others.
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...BOOTSTRAP_LOCK]);
    try {
      return await bootstrapUnlocked(store, dataDir, logger);
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, $2)', [...BOOTSTRAP_LOCK])
        .catch((error: unknown) => {
          // the connection failed, and the server dropped the lock with it
          broken = error instanceof Error ? error : new Error(String(error));
        });
    }
  } finally {
    client.release(broken);
  }
}

async function bootstrapUnlocked(
  store: Store,
  dataDir: string,
  logger: Logger,
): Promise<BootstrapSecrets | null> {
  if ((await store.tenants.countTenants()) > 0) return null;
  const now = new Date();
  const tenant = { id: randomUUID(), slug: 'default', name: 'Default', createdAt: now };
  const adminId = newTokenId('at');
  const adminSecret = newSecret();
  const enrollId = newTokenId('et');
  const enrollSecret = newSecret();
  const secrets: BootstrapSecrets = {
    tenant: { id: tenant.id, slug: tenant.slug },
    adminToken: joinCredential(adminId, adminSecret),
    enrollToken: joinCredential(enrollId, enrollSecret),
    createdAt: now.toISOString(),
  };
  // The file first: a crash before the database writes leaves no tenant, so the next
  // start bootstraps again and overwrites it; never a tenant whose tokens are lost.
  const file = join(dataDir, BOOTSTRAP_FILE);
  writeFileAtomic(file, JSON.stringify(secrets, null, 2) + '\n', 0o600);

  await store.tenants.createTenant(tenant);
  await store.access.insertApiToken({
    id: adminId,
    tenantId: null,
    role: 'admin',
    name: 'bootstrap admin token',
    secretHash: hashSecret(adminSecret),
    createdAt: now,
    revokedAt: null,
  });
  await store.access.insertEnrollmentToken({
    id: enrollId,
    tenantId: tenant.id,
    name: 'bootstrap enrollment token',
    secretHash: hashSecret(enrollSecret),
    createdAt: now,
    expiresAt: null,
    maxUses: null,
    uses: 0,
    revokedAt: null,
  });
  logger.info(
    { file, tenant: tenant.slug, adminTokenId: adminId, enrollTokenId: enrollId },
    `first start: created tenant 'default'; its enrollment token and the admin API token are in ${file} (mode 0600)`,
  );
  return secrets;
}

/** Write to a temporary file, flush it, then rename: a crash leaves the old or the new file. */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
