// The posture check catalog: every check, in a stable order. Ids are part of the
// contract (history and risk acceptances refer to them): never rename one, retire it.
import { encryptionChecks } from './checks/encryption.js';
import { exposureChecks } from './checks/exposure.js';
import { identityChecks } from './checks/identity.js';
import { lifecycleChecks } from './checks/lifecycle.js';
import { operationsChecks } from './checks/operations.js';
import { patchingChecks } from './checks/patching.js';
import { protectionChecks } from './checks/protection.js';
import type { Check } from './types.js';

export const CHECKS: readonly Check[] = Object.freeze([
  ...patchingChecks,
  ...protectionChecks,
  ...encryptionChecks,
  ...exposureChecks,
  ...identityChecks,
  ...lifecycleChecks,
  ...operationsChecks,
]);

export function findCheck(id: string): Check | undefined {
  return CHECKS.find((c) => c.id === id);
}
