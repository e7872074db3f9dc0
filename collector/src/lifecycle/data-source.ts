// The lifecycle data the collector judges by: its refreshed copy at
// <data-dir>/endoflife/releases.json when there is a valid one, else the embedded snapshot.
//
// current() is called on every assessment, so it only stats the file, and at most once a
// minute: a `vcio-collector lifecycle refresh` is picked up by a running collector within
// that minute, with no restart. A file that does not validate is refused once, with one
// warning, and the data in use is kept (a half-edited file must not blank every verdict).
import { statSync } from 'node:fs';
import { loadEndOfLife, type EndOfLifeData } from '@vcio/shared';
import { EMBEDDED_FILE, refreshedFile } from './paths.js';

/** The part of a pino logger this uses. */
export interface LifecycleLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface LifecycleDataSourceOptions {
  dataDir: string;
  logger?: LifecycleLogger;
  /** milliseconds since the epoch; injectable so tests need not wait a minute */
  now?: () => number;
  /** how often current() looks at the file again */
  recheckMs?: number;
}

export interface LifecycleDataDescription {
  origin: 'embedded' | 'refreshed';
  /** the file the data in use was read from */
  path: string;
  sourceDate: string;
  sourceCommit: string;
  /** number of products */
  products: number;
  /** number of release cycles over all products */
  releases: number;
}

export const RECHECK_MS = 60_000;

/** What identifies one version of the file: an atomic rename changes the inode. */
function fileSignature(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export class LifecycleDataSource {
  /** the refreshed copy's path (it may not exist) */
  readonly path: string;
  readonly #logger: LifecycleLogger | undefined;
  readonly #now: () => number;
  readonly #recheckMs: number;
  #data: EndOfLifeData | null = null;
  #origin: 'embedded' | 'refreshed' = 'embedded';
  /** signature of the refreshed file in use, or null when the embedded data is */
  #loaded: string | null = null;
  /** signature of the last file refused, so one bad file gives one warning */
  #refused: string | null = null;
  #checkedAt = 0;

  constructor(options: LifecycleDataSourceOptions) {
    this.path = refreshedFile(options.dataDir);
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#recheckMs = options.recheckMs ?? RECHECK_MS;
    this.#check();
  }

  /** The data to judge by; cheap (a stat at most once per recheck interval). */
  current(): EndOfLifeData {
    if (this.#now() - this.#checkedAt >= this.#recheckMs) this.#check();
    return this.#data ?? this.#useEmbedded();
  }

  describe(): LifecycleDataDescription {
    const data = this.current();
    return {
      origin: this.#origin,
      path: this.#origin === 'refreshed' ? this.path : EMBEDDED_FILE,
      sourceDate: data.sourceDate,
      sourceCommit: data.sourceCommit,
      products: Object.keys(data.products).length,
      releases: Object.values(data.products).reduce((n, p) => n + p.releases.length, 0),
    };
  }

  #useEmbedded(): EndOfLifeData {
    this.#data = loadEndOfLife();
    this.#origin = 'embedded';
    this.#loaded = null;
    return this.#data;
  }

  #check(): void {
    this.#checkedAt = this.#now();
    let signature: string | null;
    try {
      signature = fileSignature(this.path);
    } catch (error) {
      this.#refuse(`cannot stat: ${(error as Error).message}`, `stat-error:${this.path}`);
      return;
    }
    if (signature === null) {
      // Deleting the refreshed copy is how one goes back to the embedded snapshot.
      if (this.#origin === 'refreshed') {
        this.#logger?.info?.(
          { path: this.path },
          'lifecycle data: refreshed copy removed, using the embedded snapshot',
        );
      }
      if (this.#origin === 'refreshed' || this.#data === null) this.#useEmbedded();
      this.#refused = null;
      return;
    }
    if (signature === this.#loaded || signature === this.#refused) return;
    let data: EndOfLifeData;
    try {
      data = loadEndOfLife(this.path);
    } catch (error) {
      this.#refuse((error as Error).message, signature);
      return;
    }
    const reloaded = this.#loaded !== null;
    this.#data = data;
    this.#origin = 'refreshed';
    this.#loaded = signature;
    this.#refused = null;
    this.#logger?.info?.(
      { path: this.path, sourceDate: data.sourceDate },
      reloaded
        ? 'lifecycle data: refreshed copy reloaded'
        : 'lifecycle data: using the refreshed copy',
    );
  }

  #refuse(reason: string, signature: string): void {
    if (signature !== this.#refused) {
      this.#logger?.warn(
        { path: this.path, reason },
        `lifecycle data: refused ${this.path}, keeping the ${this.#data === null || this.#origin === 'embedded' ? 'embedded snapshot' : 'previously loaded copy'}`,
      );
    }
    this.#refused = signature;
    if (this.#data === null) this.#useEmbedded();
  }
}
