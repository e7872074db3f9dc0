// The single-executable build (agent/build/). The source rewrites it applies are checked
// always, against the real compiled files, so a change in them fails here before it fails a
// release build. Building and running the binary itself downloads Node (~50 MB, cached in
// agent/.build-cache/) and takes minutes: only with VCIO_TEST_BINARY=1.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  ENDOFLIFE_ASSET,
  embedEndOfLifeAsset,
  wrapEntryForCommonJs,
} from '../build/bundle-transforms.mjs';
import { AGENT_VERSION } from '../src/version.js';
import { startFakeCollector } from './helpers/collector-server.js';

const AGENT_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPLAY = path.join(AGENT_DIR, 'test/fixtures/replay/windows-10-enterprise');

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

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

t.test(
  'the linux-x64 binary: built, --version, collect, check, install --root',
  {
    skip:
      process.env.VCIO_TEST_BINARY !== '1'
        ? 'set VCIO_TEST_BINARY=1 to build and run the single executable (downloads Node 22, takes minutes)'
        : process.platform !== 'linux' || process.arch !== 'x64'
          ? 'runs on linux-x64 only'
          : false,
    timeout: 900_000,
  },
  async (t) => {
    const out = t.testdir();
    const build = await run(process.execPath, [
      path.join(AGENT_DIR, 'build/build-binaries.mjs'),
      '--targets',
      'linux-x64',
      '--out',
      out,
    ]);
    t.equal(build.code, 0, `build: ${build.stderr}`);
    t.match(build.stdout, /vcio-agent-linux-x64 +[\d.]+ MiB +gzipped +[\d.]+ MiB/);
    t.match(build.stdout, /start-up \d+ ms \(median of 5\)/);
    const binary = path.join(out, 'vcio-agent-linux-x64');
    const sums = await readFile(path.join(out, 'SHA256SUMS'), 'utf8');
    t.match(sums, /^[0-9a-f]{64} {2}vcio-agent-linux-x64\n$/);

    const version = await run(binary, ['--version']);
    t.same(version, { code: 0, stdout: `${AGENT_VERSION}\n`, stderr: '' });

    const collect = await run(binary, ['collect', '--replay', REPLAY, '--log-level', 'warn']);
    t.equal(collect.code, 0, collect.stderr);
    const report = JSON.parse(collect.stdout) as { schema: string; host: { hostname: string } };
    t.equal(report.schema, 'vcio.report/v1');
    t.equal(report.host.hostname, 'DESKTOP-WIN01');

    // check reads the endoflife.date snapshot: inside the binary, from the SEA asset
    const check = await run(binary, ['check', '--replay', REPLAY, '--json', '--log-level', 'warn']);
    t.ok(check.code === 0 || check.code >= 20, `check exit code ${check.code}: ${check.stderr}`);
    t.match(check.stdout, /"lifecycle"/);

    const collector = await startFakeCollector([
      {
        status: 201,
        body: { agentId: '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60', secret: 's', tenant: 'acme' },
      },
    ]);
    t.teardown(collector.close);
    const root = path.join(out, 'root');
    const install = await run(binary, [
      'install',
      '--root',
      root,
      '--url',
      collector.url,
      '--token',
      'et_x.y',
    ]);
    t.same(install, { code: 0, stdout: '', stderr: '' }, 'install is silent');
    const installed = await stat(path.join(root, 'opt/vcio/vcio-agent'));
    t.equal(installed.size, (await stat(binary)).size, 'the binary copied itself');
    t.match(
      await readFile(path.join(root, 'etc/systemd/system/vcio-agent.service'), 'utf8'),
      /^ExecStart=\/opt\/vcio\/vcio-agent run --state-dir \/var\/lib\/vcio-agent$/m,
    );
    const status = await run(binary, ['status', '--root', root, '--json']);
    t.match(JSON.parse(status.stdout), { installed: true, enrolled: true, tenant: 'acme' });
  },
);
