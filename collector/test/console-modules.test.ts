// The console is plain ES modules served from a fixed list: a module that app.js (or any
// module) imports but the list leaves out is a 404 that only a browser would notice, and a
// module missing from the page's modulepreload hints is fetched one import level late.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CONSOLE_MODULES } from '../src/routes/console.js';

const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));
const served = new Set<string>(CONSOLE_MODULES);
const filesOnDisk = readdirSync(CONSOLE_DIR).filter((name) => name.endsWith('.js'));

/** '/console/x.js' specifiers in static imports, re-exports and dynamic imports. */
function importedModules(source: string): string[] {
  const found = source.matchAll(/(?:from\s+|import\s*\(\s*)['"]\/console\/([^'"]+)['"]/g);
  return [...found].map((m) => m[1]!);
}

t.test('every console file on disk is served, and nothing served is missing', async (t) => {
  t.same([...filesOnDisk].sort(), [...served].sort());
});

t.test('every module a console file imports is served', async (t) => {
  let imports = 0;
  for (const name of filesOnDisk) {
    for (const target of importedModules(readFileSync(CONSOLE_DIR + name, 'utf8'))) {
      imports++;
      if (target.startsWith('vendor/')) continue; // served from the installed package
      t.ok(served.has(target), `${name} imports /console/${target}, which is served`);
    }
  }
  t.ok(imports > 20, `the imports were found (${imports})`);
});

t.test('the page preloads every module app.js reaches', async (t) => {
  const page = readFileSync(CONSOLE_DIR + 'index.html', 'utf8');
  const preloaded = new Set(
    [...page.matchAll(/<link rel="modulepreload" href="\/console\/([^"]+)"/g)].map((m) => m[1]),
  );
  for (const name of CONSOLE_MODULES) {
    if (name === 'app.js') continue; // the page's own script
    t.ok(preloaded.has(name), `${name} is preloaded`);
  }
});
