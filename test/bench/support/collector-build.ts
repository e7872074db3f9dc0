// The collector's own modules, loaded from its build (collector/dist), for benchmarks that
// run the collector's code in their own process. The test package does not depend on
// @vcio/collector, so modules are found from the repository root: the benchmarks run both
// compiled (test/dist/bench, `pnpm bench`) and as source (test/bench, under tap), and a
// fixed relative path would be right in only one of the two.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${import.meta.url}`);
    dir = parent;
  }
  return dir;
}

/** `collector/dist/<path>`, imported; a clear error when the collector is not built. */
export async function loadCollectorModule<T>(path: string): Promise<T> {
  const file = join(repositoryRoot(), 'collector', 'dist', path);
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm --silent build)`);
  return (await import(pathToFileURL(file).href)) as T;
}
