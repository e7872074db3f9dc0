// First start: a default tenant, an enrollment token for it and an admin API token. The
// secrets go to <data-dir>/bootstrap.json (mode 0600) and nowhere else: the database
// keeps hashes, and the log says only where the file is.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { hashSecret, joinCredential, newSecret, newTokenId } from './security/tokens.js';
import type { Store } from './store/types.js';

export const BOOTSTRAP_FILE = 'bootstrap.json';

export interface BootstrapSecrets {
  tenant: { id: string; slug: string };
  adminToken: string;
  enrollToken: string;
  createdAt: string;
}

/** Creates the first tenant and tokens when the database has no tenant yet. */
export async function bootstrapIfEmpty(
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
