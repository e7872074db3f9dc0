// Source rewrites the single-executable build applies while esbuild bundles the agent.
//
// A Node single executable application (SEA) runs one CommonJS script, so two things in the
// ESM sources cannot go in as they are:
//   - top-level await in the entry (dist/cli.js awaits main()): CommonJS has none, and
//     esbuild refuses it with --format=cjs;
//   - files found relative to a module with `new URL(rel, import.meta.url)`: in a CommonJS
//     bundle import.meta is empty, and inside the binary there is no file beside the module
//     anyway. shared/src/lifecycle/data.ts reads the endoflife.date snapshot that way; the
//     build embeds the JSON as a SEA asset and reads it with `sea.getAsset`.
//
// Each rewrite checks that the source still has the shape it expects and throws otherwise,
// so a change in those files fails the build with the reason instead of producing a binary
// that fails on a client machine.

/** The SEA asset key the endoflife.date snapshot is embedded under. */
export const ENDOFLIFE_ASSET = 'endoflife/releases.json';

const IMPORT_LINE = /^import\s[^;]*;\s*$/;

/**
 * The entry module with its body moved into an async function, so that its top-level
 * awaits become ordinary awaits. Import declarations stay at the top (esbuild turns them
 * into requires); a leading `#!` line is dropped (a SEA's main script is wrapped in a
 * function, where a hashbang is a syntax error). The entry must export nothing: nothing
 * imports it.
 */
export function wrapEntryForCommonJs(source, file = 'the entry') {
  const lines = source.split('\n');
  if (lines[0]?.startsWith('#!')) lines.shift();
  const imports = [];
  const body = [];
  let inBody = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (!inBody && (trimmed === '' || trimmed.startsWith('//') || IMPORT_LINE.test(trimmed))) {
      (IMPORT_LINE.test(trimmed) ? imports : body).push(line);
      continue;
    }
    if (!inBody && trimmed.startsWith('import ')) {
      throw new Error(
        `${file}: an import spanning several lines (${trimmed}); the SEA build expects one line per import`,
      );
    }
    inBody = true;
    if (/^\s*import[\s{]/.test(line) && !/^\s*import\(/.test(line)) {
      throw new Error(`${file}: an import after the first statement; move it to the top`);
    }
    if (/^\s*export\s/.test(line)) {
      throw new Error(`${file}: the entry exports '${trimmed}'; the SEA build expects none`);
    }
    body.push(line);
  }
  return [
    ...imports,
    '(async () => {',
    ...body,
    '})().catch((err) => {',
    // main() never throws; this is for a failure while loading, which must still end with
    // a line on stderr and a non-zero code rather than an unhandled rejection's stack.
    '  process.stderr.write(`vcio-agent: error: ${err && err.message ? err.message : String(err)}\\n`);',
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

const ENDOFLIFE_URL =
  /new URL\(\s*['"]\.\.\/\.\.\/data\/endoflife\/releases\.json['"]\s*,\s*import\.meta\.url\s*\)/g;
const ENDOFLIFE_READ = /readFileSync\(\s*DEFAULT_FILE\s*,\s*['"]utf8['"]\s*\)/g;

/**
 * shared/dist/lifecycle/data.js reading its snapshot from the SEA asset instead of a file:
 * `new URL('../../data/endoflife/releases.json', import.meta.url)` becomes a label (it is
 * only ever passed to the read below), and `readFileSync(DEFAULT_FILE, 'utf8')` becomes
 * `require('node:sea').getAsset(key, 'utf8')`. A path given by the caller (a newer
 * snapshot) is still read from disk.
 */
export function embedEndOfLifeAsset(source, file = 'shared/dist/lifecycle/data.js') {
  const urls = source.match(ENDOFLIFE_URL)?.length ?? 0;
  const reads = source.match(ENDOFLIFE_READ)?.length ?? 0;
  if (urls !== 1 || reads !== 1) {
    throw new Error(
      `${file}: expected one new URL('../../data/endoflife/releases.json', import.meta.url) and one readFileSync(DEFAULT_FILE, 'utf8') (found ${urls} and ${reads}); update agent/build/bundle-transforms.mjs to how the snapshot is read now`,
    );
  }
  return source
    .replace(ENDOFLIFE_URL, JSON.stringify(`sea-asset:${ENDOFLIFE_ASSET}`))
    .replace(
      ENDOFLIFE_READ,
      `require('node:sea').getAsset(${JSON.stringify(ENDOFLIFE_ASSET)}, 'utf8')`,
    );
}
