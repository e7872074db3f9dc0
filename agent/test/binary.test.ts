// The single-executable build (agent/build/). The source rewrites it applies are checked
// always, against the real compiled files, so a change in them fails here before it fails a
// release build. Building and running the binaries themselves, against the real collector,
// is test/e2e/agent-binary.test.ts (with VCIO_TEST_BINARY=1, as CI runs it).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  ENDOFLIFE_ASSET,
  embedEndOfLifeAsset,
  wrapEntryForCommonJs,
} from '../build/bundle-transforms.mjs';

const AGENT_DIR = fileURLToPath(new URL('..', import.meta.url));

t.test('the entry is wrapped so that its top-level await works in CommonJS', async (t) => {
  const source = [
    '#!/usr/bin/env node',
    '// the executable',
    "import { main } from './cli/program.js';",
    'let stop;',
    'const code = await main(process.argv.slice(2));',
    'process.exit(code);',
  ].join('\n');
  const wrapped = wrapEntryForCommonJs(source);
  t.notMatch(wrapped, /^#!/, 'hashbang dropped');
  t.match(wrapped, /^import \{ main \} from '\.\/cli\/program\.js';\n\(async \(\) => \{\n/);
  t.match(
    wrapped,
    /const code = await main\(process\.argv\.slice\(2\)\);\nprocess\.exit\(code\);\n\}\)\(\)\.catch/,
  );
  t.throws(
    () => wrapEntryForCommonJs("import {\n  a,\n} from 'x';\nawait a();"),
    /spanning several lines/,
  );
  t.throws(
    () => wrapEntryForCommonJs("await x();\nimport { a } from 'x';"),
    /import after the first statement/,
  );
  t.throws(() => wrapEntryForCommonJs('export const a = 1;'), /exports/);
  t.doesNotThrow(
    () => wrapEntryForCommonJs("const m = await import('x');"),
    'dynamic import is fine',
  );
});

t.test('the endoflife.date snapshot is read from the SEA asset', async (t) => {
  const source = [
    "const DEFAULT_FILE = new URL('../../data/endoflife/releases.json', import.meta.url);",
    "embedded ??= validate(JSON.parse(readFileSync(DEFAULT_FILE, 'utf8')));",
    "return validate(JSON.parse(readFileSync(path, 'utf8')));",
  ].join('\n');
  const out = embedEndOfLifeAsset(source);
  t.notMatch(out, /import\.meta/);
  t.match(out, `require('node:sea').getAsset("${ENDOFLIFE_ASSET}", 'utf8')`);
  t.match(out, "readFileSync(path, 'utf8')", 'a path given by the caller is still read from disk');
  t.throws(
    () => embedEndOfLifeAsset('readFileSync(other)'),
    /update agent\/build\/bundle-transforms\.mjs/,
  );
});

t.test('the compiled files still have the shapes the rewrites expect', async (t) => {
  const cli = path.join(AGENT_DIR, 'dist/cli.js');
  const data = path.join(AGENT_DIR, '../shared/dist/lifecycle/data.js');
  t.doesNotThrow(() => wrapEntryForCommonJs(''), 'empty');
  t.match(wrapEntryForCommonJs(await readFile(cli, 'utf8'), cli), /\(async \(\) => \{/);
  t.match(embedEndOfLifeAsset(await readFile(data, 'utf8'), data), /getAsset/);
});
