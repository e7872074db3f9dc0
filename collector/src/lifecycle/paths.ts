// Where lifecycle data lives: the snapshot embedded in @vcio/shared, and the collector's own
// refreshed copy under its data directory (which wins when present and valid).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The shared package exports no path to its data, so find it from its entry point:
// <shared>/dist/index.js -> <shared>/data/endoflife/. createRequire rather than
// import.meta.resolve, because the latter goes through tap's TypeScript loader in tests.
const sharedEntry = createRequire(import.meta.url).resolve('@vcio/shared');

/** The snapshot copied into the repository, with its MIT licence beside it. */
export const EMBEDDED_DIR = join(dirname(sharedEntry), '..', 'data', 'endoflife');
export const EMBEDDED_FILE = join(EMBEDDED_DIR, 'releases.json');
export const EMBEDDED_LICENSE = join(EMBEDDED_DIR, 'LICENSE');

/** `<data-dir>/endoflife/`: the refreshed copy and its licence. */
export function refreshedDir(dataDir: string): string {
  return join(dataDir, 'endoflife');
}

export function refreshedFile(dataDir: string): string {
  return join(refreshedDir(dataDir), 'releases.json');
}
