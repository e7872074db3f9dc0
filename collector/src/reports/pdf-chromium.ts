// The PDF as Chromium prints the HTML report: the same layout, fonts and SVG charts a
// reader sees in a browser. Headless Chromium runs once per document in a temporary
// directory (its profile, the HTML and the PDF), which is removed whatever happens; a
// Chromium that hangs is killed after the timeout so an export never waits forever.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_TIMEOUT_MS = 60_000;
/** Chromium processes at once: each takes ~150 MB and a core while it prints. */
export const MAX_CONCURRENT_PRINTS = 2;

/** VCIO_CHROMIUM names another build; Debian's package otherwise. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string =>
  env.VCIO_CHROMIUM || DEFAULT_CHROMIUM;

/** No Chromium to run (as opposed to one that ran and failed). */
export class ChromiumUnavailableError extends Error {
  override name = 'ChromiumUnavailableError';
}

function run(binary: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      // the last few lines say why it failed; the rest is Chromium's usual noise
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chromium did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ChromiumUnavailableError(`cannot run ${binary}: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split('\n').at(-1) ?? '';
        reject(new Error(`chromium exited with ${code ?? signal}${last ? `: ${last}` : ''}`));
      }
    });
  });
}

let printing = 0;
const waiting: (() => void)[] = [];

/** Runs `print` when a slot is free; a finished print hands its slot to the next in line. */
async function inSlot<T>(print: () => Promise<T>): Promise<T> {
  if (printing < MAX_CONCURRENT_PRINTS) printing += 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await print();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else printing -= 1;
  }
}

export async function chromiumPdf(
  html: string,
  options: { binary?: string; timeoutMs?: number } = {},
): Promise<Buffer> {
  const binary = options.binary ?? chromiumPath();
  if (!existsSync(binary)) throw new ChromiumUnavailableError(`no chromium at ${binary}`);
  return inSlot(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vcio-report-pdf-'));
    try {
      const page = join(dir, 'report.html');
      const pdf = join(dir, 'report.pdf');
      await writeFile(page, html);
      await run(
        binary,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--disable-dev-shm-usage',
          `--user-data-dir=${join(dir, 'profile')}`,
          // no URL, date and page number banners: the report carries its own header
          '--no-pdf-header-footer',
          '--print-to-pdf-no-header',
          `--print-to-pdf=${pdf}`,
          pathToFileURL(page).href,
        ],
        options.timeoutMs ?? CHROMIUM_TIMEOUT_MS,
      );
      const bytes = await readFile(pdf).catch(() => {
        throw new Error('chromium exited without writing the PDF');
      });
      if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
        throw new Error('chromium wrote something that is not a PDF');
      }
      return bytes;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
