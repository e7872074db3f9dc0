// How the agent checks the collector's certificate: the CA it trusts and the keys it pins.
//
// Trust, by default: Node's bundled Mozilla roots plus the operating system's store
// (Windows certificate store, macOS keychain, /etc/ssl on Linux), so a collector whose
// certificate comes from an MSP's internal CA deployed by group policy or MDM is trusted
// as browsers on the machine trust it. Reading the OS store needs tls.getCACertificates
// ('system'), in Node 22.15 and later: the agent's single executable embeds Node 22, so
// the shipped agent always does this. Run from source on Node 20, which cannot read the OS
// store, the agent trusts the bundled roots and NODE_EXTRA_CA_CERTS only.
//
// With --ca-file the agent trusts the CAs in that PEM bundle INSTEAD of the defaults (as
// curl --cacert does): an MSP that runs its own CA for the collector then accepts only
// certificates from that CA, and a certificate for the collector's name misissued by any
// public CA cannot intercept the agents' secrets. To trust both, put both in the bundle.
// The bundle's content is stored in the agent's state (not its path): the service runs with
// its own /tmp and a read-only file system, where the file given at enrollment may not be.
//
// Pins (--pin-sha256, repeatable) are checked on every connection after the usual checks
// (chain, expiry, host name), never instead of them: base64 SHA-256 of a certificate's
// SubjectPublicKeyInfo, the format of HPKP and curl --pinnedpubkey. A pin may name the
// collector's own key or the key of a CA in its verified chain (pinning the CA survives
// certificate renewals); a connection whose chain contains none of the pinned keys is
// refused, and the message prints the key the server presented.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls, { type PeerCertificate } from 'node:tls';
import { UnreachableError, UsageError } from './errors.js';

/** The TLS settings an enrolled agent keeps in credentials.json (state.ts). */
export interface TlsSettings {
  /** PEM bundle trusted instead of the default store */
  ca?: string;
  /** where the bundle was read from at enrollment, for status and messages */
  caSource?: string;
  /** base64 SHA-256 of SubjectPublicKeyInfo; any one of them must be in the chain */
  pins?: string[];
}

/** A TLS check that failed: retrying the same connection cannot fix it (exit 4). */
export class TlsVerificationError extends UnreachableError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const HAS_PEM_CERTIFICATE = new RegExp(PEM_CERTIFICATE.source);

/** The pin of a SubjectPublicKeyInfo in DER: base64 of its SHA-256. */
export function spkiPinOfDer(spki: Buffer): string {
  return createHash('sha256').update(spki).digest('base64');
}

/** The pin of a certificate (PEM, DER or parsed). */
export function spkiPin(certificate: string | Buffer | X509Certificate): string {
  const cert =
    certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  return spkiPinOfDer(cert.publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * A --pin-sha256 value, normalised to bare base64. Accepts the "sha256/" and "sha256//"
 * prefixes of HPKP and curl, so a pin copied from either works as is.
 */
export function parsePin(value: string): string {
  const text = value.trim();
  // A pin may itself begin with '/', so "sha256//…" is either curl's prefix or HPKP's
  // before such a pin: only the reading that leaves a whole pin is right.
  for (const prefix of ['sha256//', 'sha256/', '']) {
    if (!text.toLowerCase().startsWith(prefix)) continue;
    const bare = text.slice(prefix.length);
    if (isBase64Sha256(bare)) return bare;
  }
  throw new UsageError(
    `invalid --pin-sha256 '${value}': expected the base64 SHA-256 of the certificate's public key (44 characters ending in '='), as printed by vcio-agent pin --url URL`,
  );
}

function isBase64Sha256(text: string): boolean {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return false;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === text;
}

/** The certificates of a PEM bundle; a UsageError naming `source` when it holds none. */
export function parseCaBundle(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(
      `CA file ${source} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new UsageError(`CA file ${source}: certificate ${i + 1} is not a valid certificate`);
    }
  });
}

/** Reads and checks --ca-file; a clear one-line UsageError when it cannot be used. */
export async function readCaFile(file: string): Promise<{ ca: string; caSource: string }> {
  const caSource = path.resolve(file);
  let pem: string;
  try {
    pem = await readFile(caSource, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read CA file ${caSource}: ${code}`);
  }
  const certificates = parseCaBundle(pem, caSource);
  // Only the certificates go into the state: not any key a careless bundle might carry.
  return { ca: `${certificates.map((c) => c.toString().trim()).join('\n')}\n`, caSource };
}

/** The settings given by --ca-file and --pin-sha256; undefined when neither was given. */
export async function tlsSettingsFrom(options: {
  caFile?: string;
  pinSha256?: string[];
}): Promise<TlsSettings | undefined> {
  const pins = [...new Set((options.pinSha256 ?? []).map(parsePin))];
  const ca = options.caFile === undefined ? undefined : await readCaFile(options.caFile);
  if (!ca && pins.length === 0) return undefined;
  return { ...ca, ...(pins.length > 0 ? { pins } : {}) };
}

/** TLS settings as read back from the state: well-formed, or a reason why not. */
export function checkStoredTls(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null) return 'tls is not an object';
  const v = value as Record<string, unknown>;
  if (v.ca !== undefined && (typeof v.ca !== 'string' || !HAS_PEM_CERTIFICATE.test(v.ca)))
    return 'tls.ca holds no PEM certificate';
  if (v.caSource !== undefined && typeof v.caSource !== 'string')
    return 'tls.caSource is not a string';
  if (
    v.pins !== undefined &&
    (!Array.isArray(v.pins) ||
      !v.pins.every((p) => typeof p === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(p)))
  )
    return 'tls.pins are not base64 SHA-256 pins';
  return null;
}

/** One line for `status`: what the agent trusts and pins. */
export function describeTls(settings: TlsSettings | undefined): string {
  const trust = settings?.ca
    ? `CA file ${settings.caSource ?? '(stored)'} (${(settings.ca.match(PEM_CERTIFICATE) ?? []).length} certificate(s), stored in the state)`
    : defaultTrustDescription();
  const pins = settings?.pins?.length ? `; pinned: ${settings.pins.join(', ')}` : '';
  return `${trust}${pins}`;
}

type CaSource = 'default' | 'system' | 'bundled' | 'extra';
type GetCa = (type?: CaSource) => string[];
const getCACertificates = (tls as unknown as { getCACertificates?: GetCa }).getCACertificates;

/** Whether this Node reads the operating system's certificate store. */
export const readsSystemStore = typeof getCACertificates === 'function';

function defaultTrustDescription(): string {
  return readsSystemStore
    ? 'the system certificate store and Node’s bundled roots'
    : 'Node’s bundled roots (this Node cannot read the system store; NODE_EXTRA_CA_CERTS adds CAs)';
}

// Building a context parses every CA (about 300 here, 30 ms): once per process, not per
// report. The default context is made on the first https request, never for http://.
let defaultContext: tls.SecureContext | undefined;
const caContexts = new Map<string, tls.SecureContext>();

/** The secure context a connection trusts with: the CA bundle's, or the default one. */
export function secureContextFor(ca: string | undefined): tls.SecureContext | undefined {
  if (ca !== undefined) {
    let context = caContexts.get(ca);
    if (!context) {
      context = tls.createSecureContext({ ca });
      caContexts.clear(); // one agent, one collector: only the current bundle is kept
      caContexts.set(ca, context);
    }
    return context;
  }
  if (!getCACertificates) return undefined; // Node's own default: the bundled roots
  defaultContext ??= tls.createSecureContext({
    ca: [...new Set([...getCACertificates('default'), ...getCACertificates('system')])],
  });
  return defaultContext;
}

/** The pins of a verified chain, leaf first (getPeerCertificate(true) links the issuers). */
export function chainPins(leaf: PeerCertificate): string[] {
  const pins: string[] = [];
  const seen = new Set<PeerCertificate>();
  let cert: PeerCertificate | undefined = leaf;
  // From the certificate's DER, not PeerCertificate.pubkey: that is the bare key (an EC
  // point for EC keys), not the SubjectPublicKeyInfo a pin is taken over.
  while (cert?.raw && !seen.has(cert)) {
    seen.add(cert);
    pins.push(spkiPin(cert.raw));
    const issuer = (cert as tls.DetailedPeerCertificate).issuerCertificate as
      PeerCertificate | undefined;
    cert = issuer;
  }
  return pins;
}

/**
 * checkServerIdentity for a connection with pins: Node's host-name check first, then the
 * pins against the chain. Node calls it only for a chain it has verified.
 */
export function pinningIdentityCheck(
  pins: readonly string[],
): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const mismatch = tls.checkServerIdentity(host, cert);
    if (mismatch) return mismatch;
    const presented = chainPins(cert);
    if (presented.some((pin) => pins.includes(pin))) return undefined;
    const error = new Error(
      `certificate pin mismatch: ${host} presented a certificate whose public key pin is ${presented[0] ?? '(none)'}, but the agent pins ${pins.join(' or ')}; if the collector's key was replaced on purpose, update the pin (vcio-agent pin --url URL prints it)`,
    ) as NodeJS.ErrnoException;
    error.code = 'ERR_VCIO_PIN_MISMATCH';
    return error;
  };
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
]);

/**
 * A certificate check's failure as one line that says what to do; null for any other
 * error (a network error stays retryable).
 */
export function describeTlsFailure(
  err: unknown,
  host: string,
  settings: TlsSettings | undefined,
): TlsVerificationError | null {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string') return null;
  if (UNTRUSTED.has(code)) {
    const hint = settings?.ca
      ? `it is not issued by a CA in the agent's CA file (${settings.caSource ?? 'stored at enrollment'}); pass --ca-file with the CA that issued it`
      : `it is not issued by a CA in ${defaultTrustDescription()}; pass --ca-file with the CA that issued it`;
    return new TlsVerificationError(
      `certificate not trusted: ${host} presented a certificate the agent cannot verify (${reason}): ${hint}`,
      code,
    );
  }
  if (code === 'CERT_HAS_EXPIRED')
    return new TlsVerificationError(
      `certificate expired: ${host}'s certificate is past its end date (or this machine's clock is wrong); renew the collector's certificate`,
      code,
    );
  if (code === 'CERT_NOT_YET_VALID')
    return new TlsVerificationError(
      `certificate not yet valid: ${host}'s certificate starts in the future; check this machine's clock`,
      code,
    );
  if (code === 'CERT_REVOKED')
    return new TlsVerificationError(`certificate revoked: ${host}'s certificate`, code);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Node's own message leaves out the DNS names when the URL names an IP address.
    const names = (err as { cert?: PeerCertificate }).cert?.subjectaltname;
    return new TlsVerificationError(
      `certificate does not match the host name: ${host} is not a name the certificate was issued for${names ? ` (${names})` : ` (${reason})`}; use one of its names in --url`,
      code,
    );
  }
  if (code === 'ERR_VCIO_PIN_MISMATCH') return new TlsVerificationError(reason, code);
  return null;
}
