// Secrets: enrollment tokens, API tokens and agent secrets.
//
// Every secret is 32 random bytes. A presented credential is `<id>.<secret>`: the id
// finds the stored record, then the SHA-256 of the secret is compared with the stored
// hash in constant time. A plain hash (not a password KDF) is right here because the
// secrets are random 256-bit values, not guessable passwords: there is nothing to brute
// force, and the check must stay cheap on the ingest path.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_BYTES = 32;

export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Short public ids with a kind prefix, so a leaked token is recognisable in a scan. */
export function newTokenId(kind: 'at' | 'et'): string {
  return `${kind}_${randomBytes(9).toString('base64url')}`;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

const DUMMY_HASH = hashSecret('vcio: no such credential');

/**
 * Compares in constant time. Called with `storedHash` null when the id was unknown, so
 * that an unknown id and a wrong secret take the same time.
 */
export function secretMatches(secret: string, storedHash: Buffer | null): boolean {
  const presented = hashSecret(secret);
  const equal = timingSafeEqual(presented, storedHash ?? DUMMY_HASH);
  return equal && storedHash !== null;
}

export interface PresentedCredential {
  id: string;
  secret: string;
}

/** Splits `<id>.<secret>`; null when the text is not of that form. */
export function splitCredential(text: string): PresentedCredential | null {
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1 || text.length > 512) return null;
  return { id: text.slice(0, dot), secret: text.slice(dot + 1) };
}

export function joinCredential(id: string, secret: string): string {
  return `${id}.${secret}`;
}

/** The credential from an `Authorization: Bearer ...` header, or null. */
export function bearerCredential(header: string | undefined): PresentedCredential | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? splitCredential(match[1]!) : null;
}
