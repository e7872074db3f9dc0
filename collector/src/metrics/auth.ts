// Optional protection of /metrics: a bearer token and/or basic-auth credentials, as
// Prometheus's scrape config offers (authorization / basic_auth). Compared in constant
// time over hashes, so neither the length nor the content of a secret leaks.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MetricsAuth } from '../config.js';
import { HttpError } from '../http/errors.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export type MetricsAuthCheck = (authorization: string | undefined) => void;

/** Throws a 401 unless the header carries one of the configured credentials. */
export function metricsAuthCheck(auth: MetricsAuth): MetricsAuthCheck {
  const bearer = auth.bearerToken === null ? null : digest(auth.bearerToken);
  const basic =
    auth.basic === null ? null : digest(`${auth.basic.username}:${auth.basic.password}`);
  const challenge = [
    ...(bearer ? ['Bearer realm="vcio metrics"'] : []),
    ...(basic ? ['Basic realm="vcio metrics", charset="UTF-8"'] : []),
  ].join(', ');
  const refuse = (code: string, message: string) =>
    new HttpError(401, code, message, { 'www-authenticate': challenge });

  return (authorization) => {
    const match = /^(\w+)\s+(\S+)\s*$/.exec(authorization ?? '');
    if (!match) {
      throw refuse(
        'unauthenticated',
        `/metrics requires ${[bearer ? 'a bearer token' : '', basic ? 'basic auth' : ''].filter(Boolean).join(' or ')}`,
      );
    }
    const scheme = match[1]!.toLowerCase();
    let presented: Buffer | null = null;
    let expected: Buffer | null = null;
    if (scheme === 'bearer' && bearer) {
      presented = digest(match[2]!);
      expected = bearer;
    } else if (scheme === 'basic' && basic) {
      presented = digest(Buffer.from(match[2]!, 'base64').toString('utf8'));
      expected = basic;
    }
    if (!presented || !expected || !timingSafeEqual(presented, expected)) {
      throw refuse('invalid_credentials', 'the /metrics credentials are wrong');
    }
  };
}
