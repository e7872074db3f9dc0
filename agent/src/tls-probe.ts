// A TLS handshake with the collector that sends nothing: what certificate it presents, and
// whether the agent's settings (tls.ts) would accept it. `vcio-agent pin` prints the pins
// an operator needs; `vcio-agent trust` checks new settings before it saves them.
//
// The handshake is made with rejectUnauthorized: false so that an untrusted certificate can
// still be shown, which is safe only because not one byte is written on this socket: it is
// ended as soon as the certificate has been read.
import tls, { type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { UnreachableError } from './errors.js';
import {
  chainPins,
  describeTlsFailure,
  pinningIdentityCheck,
  secureContextFor,
  type TlsSettings,
  type TlsVerificationError,
} from './tls.js';

export interface PresentedCertificate {
  pin: string;
  subject: string;
  issuer: string;
  validTo: string;
}

export interface ProbeResult {
  host: string;
  port: number;
  /** leaf first, then the issuers Node could link */
  chain: PresentedCertificate[];
  /** why the settings refuse this server; null when they accept it */
  problem: TlsVerificationError | null;
}

const nameOf = (name: PeerCertificate['subject'] | undefined): string =>
  name
    ? Object.entries(name)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ')
    : '';

function chainOf(leaf: PeerCertificate): PresentedCertificate[] {
  const pins = chainPins(leaf);
  const out: PresentedCertificate[] = [];
  let cert: PeerCertificate | undefined = leaf;
  for (const pin of pins) {
    if (!cert) break;
    out.push({
      pin,
      subject: nameOf(cert.subject),
      issuer: nameOf(cert.issuer),
      validTo: cert.valid_to,
    });
    const next = (cert as DetailedPeerCertificate).issuerCertificate as PeerCertificate | undefined;
    cert = next === cert ? undefined : next;
  }
  return out;
}

/** Connects to `url`'s host and port, reads the certificate, and hangs up. */
export function probeCollector(
  url: URL,
  settings: TlsSettings | undefined,
  timeoutMs = 10_000,
): Promise<ProbeResult> {
  if (url.protocol !== 'https:') {
    return Promise.reject(
      new UnreachableError(`${url.origin} is not https://: there is no certificate to check`),
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      // SNI is for names only (RFC 6066), never for an IP address.
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      secureContext: secureContextFor(settings?.ca),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('timeout', () =>
      socket.destroy(new Error(`no TLS handshake within ${timeoutMs / 1000} s`)),
    );
    socket.once('error', (err) =>
      reject(new UnreachableError(`cannot connect to ${host}:${port}: ${err.message}`)),
    );
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate(true);
      const chainError = socket.authorized ? null : String(socket.authorizationError);
      socket.end();
      // Node checks the name only for a verified chain, and keeps just the code of what
      // failed: the name and the pins are checked here again, for a message with reasons.
      const err: Error | undefined =
        chainError && chainError !== 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? Object.assign(new Error(chainError), { code: chainError })
          : settings?.pins?.length
            ? pinningIdentityCheck(settings.pins)(host, peer)
            : tls.checkServerIdentity(host, peer);
      const problem = err
        ? (describeTlsFailure(err, host, settings) ??
          describeTlsFailure(Object.assign(err, { code: 'CERT_UNTRUSTED' }), host, settings))
        : null;
      resolve({ host, port, chain: chainOf(peer), problem });
    });
  });
}

/** The probe as text: one certificate a line, pin first, then the verdict. */
export function formatProbe(result: ProbeResult): string {
  const lines = result.chain.map(
    (c, i) =>
      `${c.pin}  ${i === 0 ? 'server' : 'issuer'}: ${c.subject} (issued by ${c.issuer}; valid to ${c.validTo})`,
  );
  lines.push(
    result.problem
      ? `not accepted with these settings: ${result.problem.message}`
      : 'accepted with these settings: the chain is trusted, the name matches, and any pin too',
  );
  return `${lines.join('\n')}\n`;
}
