// GET /: the live console, a static page (plain ES modules, no build step) that talks to
// the REST API and the live feed with the token the user signs in with. The files live in
// collector/console/ (outside src, so tsc leaves them alone and they are found the same
// way from src and from dist); uPlot is served from the installed package.
//
// The files are read once at start-up: a few tens of KB, and a missing file fails the
// start with its path rather than the first page load.
import type { FastifyPluginAsync } from 'fastify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The page may load only its own scripts and styles and talk only to this collector
 * (connect-src 'self' covers the same-origin websocket).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console's own ES modules, served under /console/ by name. app.js is the entry the
 * page loads; it imports the others (a module missing here is a 404 in the browser).
 */
export const CONSOLE_MODULES = [
  'app.js',
  'state.js',
  'api.js',
  'dom.js',
  'format.js',
  'views.js',
  'session.js',
  'live.js',
  'tenant-scores.js',
  'hosts.js',
  'sites.js',
  'host-view.js',
  'host-posture.js',
  'host-chart.js',
  'technology.js',
  'deploy.js',
] as const;

interface StaticFile {
  body: Buffer;
  type: string;
}

function consoleFiles(): Map<string, StaticFile> {
  const require = createRequire(import.meta.url);
  const ownFile = (name: string, type: string): StaticFile => ({
    body: readFileSync(CONSOLE_DIR + name),
    type,
  });
  const vendorFile = (specifier: string, type: string): StaticFile => ({
    body: readFileSync(require.resolve(specifier)),
    type,
  });
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map([
    ['/', ownFile('index.html', 'text/html; charset=utf-8')],
    ...CONSOLE_MODULES.map((name): [string, StaticFile] => [`/console/${name}`, ownFile(name, js)]),
    ['/console/style.css', ownFile('style.css', css)],
    ['/console/vendor/uPlot.esm.js', vendorFile('uplot/dist/uPlot.esm.js', js)],
    ['/console/vendor/uPlot.min.css', vendorFile('uplot/dist/uPlot.min.css', css)],
  ]);
}

export const consoleRoutes = (): FastifyPluginAsync => async (app) => {
  const files = consoleFiles();
  for (const [url, file] of files) {
    app.get(url, async (_request, reply) =>
      reply
        .header('content-type', file.type)
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        // The page changes with the collector's version; always revalidate.
        .header('cache-control', 'no-cache')
        .send(file.body),
    );
  }
};
