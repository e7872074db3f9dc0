// Writing the collector's copy of the lifecycle data: atomically (temp file, fsync, rename),
// so a running collector reading it once a minute sees the old file or the new one, never
// half of one; and with the MIT licence beside it, as the licence requires.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EndOfLifeData } from '@vcio/shared';
import { EMBEDDED_LICENSE, refreshedDir, refreshedFile } from './paths.js';

function writeFileAtomic(path: string, content: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Makes the rename itself durable; not possible on every platform (e.g. Windows). */
function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/** Writes `<data-dir>/endoflife/releases.json` and its LICENSE; returns the data file's path. */
export function writeRefreshedCopy(dataDir: string, data: EndOfLifeData): string {
  const dir = refreshedDir(dataDir);
  mkdirSync(dir, { recursive: true });
  // The licence first: the data never sits there without it.
  writeFileAtomic(join(dir, 'LICENSE'), readFileSync(EMBEDDED_LICENSE, 'utf8'));
  const file = refreshedFile(dataDir);
  // One-space indentation, as the embedded snapshot: readable, and diffs line by line.
  writeFileAtomic(file, `${JSON.stringify(data, null, 1)}\n`);
  fsyncDirectory(dir);
  return file;
}
