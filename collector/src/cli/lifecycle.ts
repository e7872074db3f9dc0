// `vcio-collector lifecycle show|refresh`: the endoflife.date data the collector judges OS
// and software lifecycle by. Results go to stdout, progress and errors to stderr; a failure
// is one line and exit code 1, never a stack trace.
import { Command, Option } from 'commander';
import type { EndOfLifeData } from '@vcio/shared';
import { DEFAULTS } from '../config.js';
import { DEFAULT_API_BASE } from '../lifecycle/api-v1.js';
import { parseApiBase } from '../lifecycle/api-client.js';
import { formatChanges } from '../lifecycle/changes.js';
import { LifecycleDataSource, type LifecycleLogger } from '../lifecycle/data-source.js';
import { applyRefresh, fetchLifecycleData, readLifecycleFile } from '../lifecycle/refresh.js';
import { oneLineErrors } from './backup.js';

const DEFAULT_TIMEOUT_SECONDS = 20;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** A refused copy is worth knowing about before refreshing over it. */
const stderrLogger: LifecycleLogger = {
  warn: (obj, msg) => {
    const reason = (obj as { reason?: string }).reason;
    err(`warning: ${msg}${reason ? `: ${reason}` : ''}`);
  },
};

/** Same flag and variable as `serve`, so both read and write the same directory. */
const dataDirOption = () =>
  new Option(
    '--data-dir <dir>',
    'the collector data directory (its copy: <dir>/endoflife/releases.json)',
  )
    .env('VCIO_DATA_DIR')
    .default(DEFAULTS.dataDir);

function show(options: { dataDir: string }): void {
  // `lifecycle show | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const source = new LifecycleDataSource({ dataDir: options.dataDir, logger: stderrLogger });
  const data = source.current();
  const about = source.describe();
  out(`origin: ${about.origin} (${about.path})`);
  out(`source: ${data.source}`);
  out(`source date: ${about.sourceDate}`);
  out(`source commit: ${about.sourceCommit || 'none (fetched from the API)'}`);
  out(`products: ${about.products}, releases: ${about.releases}`);
  const width = Math.max(...Object.keys(data.products).map((id) => id.length));
  for (const [id, product] of Object.entries(data.products)) {
    out(
      `  ${id.padEnd(width)}  ${String(product.releases.length).padStart(4)} releases  ${product.title}`,
    );
  }
}

interface RefreshOptions {
  dataDir: string;
  from?: string;
  api?: string | true;
  timeout: string;
  allowShrink?: boolean;
}

async function refresh(options: RefreshOptions): Promise<void> {
  if ((options.from === undefined) === (options.api === undefined)) {
    throw new Error('give one of --from FILE or --api [BASE_URL] (see --help)');
  }
  const timeoutSeconds = Number(options.timeout);
  if (!(timeoutSeconds >= 0.1 && timeoutSeconds <= 600)) {
    throw new Error(`--timeout '${options.timeout}' must be a number of seconds from 0.1 to 600`);
  }
  const source = new LifecycleDataSource({ dataDir: options.dataDir, logger: stderrLogger });
  const current = source.current();
  let next: EndOfLifeData;
  if (options.from !== undefined) {
    next = readLifecycleFile(options.from, current);
  } else {
    const base = parseApiBase(options.api === true ? DEFAULT_API_BASE : options.api!);
    err(`fetching from ${base} (timeout ${timeoutSeconds} s per request)`);
    next = await fetchLifecycleData(base, current, {
      timeoutMs: timeoutSeconds * 1000,
      onProgress: err,
    });
  }
  const { path, changes } = applyRefresh(options.dataDir, current, next, {
    allowShrink: options.allowShrink === true,
  });
  const releases = Object.values(next.products).reduce((n, p) => n + p.releases.length, 0);
  out(
    `wrote ${path} (source date ${next.sourceDate}: ${Object.keys(next.products).length} products, ${releases} releases)`,
  );
  for (const line of formatChanges(changes)) out(line);
  out('a running collector picks it up within a minute');
}

export function lifecycleCommand(): Command {
  const lifecycle = new Command('lifecycle')
    .description('the endoflife.date data OS and software lifecycle is judged by')
    .showHelpAfterError();

  lifecycle
    .command('show')
    .description(
      'print the lifecycle data in use: origin, source date, products and release counts',
    )
    .addOption(dataDirOption())
    .action(oneLineErrors(show));

  lifecycle
    .command('refresh')
    .description(
      "refresh the collector's copy of the lifecycle data from a file or the endoflife.date API v1; " +
        'a running collector picks it up within a minute',
    )
    .addOption(dataDirOption())
    .addOption(
      new Option(
        '--from <file>',
        'a releases.json of the embedded shape, or an endoflife.date API v1 answer (/products/full or /products/NAME)',
      ).conflicts('api'),
    )
    .addOption(
      new Option(
        '--api [base-url]',
        `fetch every known product from the endoflife.date API v1 (default ${DEFAULT_API_BASE})`,
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', 'per API request').default(String(DEFAULT_TIMEOUT_SECONDS)),
    )
    .addOption(new Option('--allow-shrink', 'write even if products or releases would be lost'))
    .addHelpText(
      'after',
      '\nExamples:\n  vcio-collector lifecycle refresh --from releases.json\n  vcio-collector lifecycle refresh --api\n',
    )
    .action(oneLineErrors(refresh));

  return lifecycle;
}
