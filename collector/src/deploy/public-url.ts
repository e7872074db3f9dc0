// The URL agents reach this collector at, as the install commands will use it.
//
// Configured (--public-url / VCIO_PUBLIC_URL) it is what the operator says. Otherwise it is
// taken from the request that asked for the commands (its Host header and scheme): right
// when the admin reaches the collector the way the agents will, wrong behind a TLS proxy
// (the collector sees http) or through a tunnel or an internal name. The answer says
// which it was, so the console can show where the URL came from.
import { hasControlCharacters } from './quoting.js';

export class PublicUrlError extends Error {}

/** Loopback hosts, as the agent judges them (agent/src/transport.ts): plain http is allowed. */
export function isLoopbackUrlHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * A collector base URL fit for the install commands: http or https, no credentials, query
 * or fragment; a path prefix (a collector served under /vcio) is kept, without a trailing
 * slash. Plain http to anything but loopback is refused unless `insecureHttp`, which is
 * exactly when the agent would refuse it without --insecure-http.
 */
export function checkPublicUrl(text: string, insecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PublicUrlError(`'${text}' is not a URL (e.g. https://vcio.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PublicUrlError(`the collector URL must start with https:// (got '${url.protocol}')`);
  }
  if (url.username || url.password) {
    throw new PublicUrlError('the collector URL must not contain a user name or password');
  }
  if (url.search || url.hash) {
    throw new PublicUrlError('the collector URL must not have a query (?...) or fragment (#...)');
  }
  const base = url.href.replace(/\/+$/, '');
  if (hasControlCharacters(base)) {
    throw new PublicUrlError('the collector URL must not contain control characters');
  }
  if (url.protocol === 'http:' && !insecureHttp && !isLoopbackUrlHost(url.hostname)) {
    throw new PublicUrlError(
      `refusing plain http:// to ${url.hostname}: the agent would refuse it too, as the enrollment token and the agent's credentials would cross the network in clear; serve the collector over https (--tls-cert, or a TLS proxy with --public-url https://...), or ask with insecureHttp: true to pass --insecure-http to the agent`,
    );
  }
  return base;
}

/** The request's view of this collector: scheme and Host header. */
export function urlFromRequest(request: { protocol: string; host: string }): string {
  return `${request.protocol}://${request.host}`;
}
