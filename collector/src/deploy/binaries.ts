// The agent binaries the collector hands out: whatever `pnpm build:agent` wrote to the
// configured directory, and only the files its SHA256SUMS names. SHA256SUMS is read again on
// every request (it is a few lines): a rebuild is served without a restart, and during a
// build (which deletes SHA256SUMS first and writes it last) nothing half-written is offered.
import type { ReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';

export const SUMS_FILE = 'SHA256SUMS';

/** The platforms the install commands know, and the file `pnpm build:agent` names for each. */
export const AGENT_FILES = {
  'linux-x64': 'vcio-agent-linux-x64',
  'win-x64': 'vcio-agent-win-x64.exe',
  'darwin-x64': 'vcio-agent-darwin-x64',
  'darwin-arm64': 'vcio-agent-darwin-arm64',
} as const;
export type AgentPlatform = keyof typeof AGENT_FILES;

/** A name sha256sum could have written that is also a plain file name (no path, no dot-dot). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `sha256sum` / `shasum -a 256` output: `<64 hex>  <name>` (text mode) or `<64 hex> *<name>`
 * (binary mode). Lines that are not that, or name something that is not a plain file name,
 * are ignored: they cannot be served safely.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (!match || !SAFE_NAME.test(match[2]!) || match[2] === SUMS_FILE) continue;
    sums.set(match[2]!, match[1]!.toLowerCase());
  }
  return sums;
}

export interface OpenedBinary {
  name: string;
  sha256: string;
  size: number;
  stream: ReadStream;
}

export class AgentBinaries {
  /** @param dir null: this collector serves no binaries (every file is a 404) */
  constructor(readonly dir: string | null) {}

  /** SHA256SUMS as written by the build, or null when there is none. */
  async sumsText(): Promise<string | null> {
    if (this.dir === null) return null;
    try {
      return await readFile(path.join(this.dir, SUMS_FILE), 'utf8');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** file name -> SHA-256 (lower-case hex) of every binary SHA256SUMS lists. */
  async list(): Promise<Map<string, string>> {
    const text = await this.sumsText();
    return text === null ? new Map() : parseSha256Sums(text);
  }

  /** The platforms whose binary is listed (the install commands warn about the others). */
  async platforms(): Promise<AgentPlatform[]> {
    const listed = await this.list();
    return (Object.keys(AGENT_FILES) as AgentPlatform[]).filter((p) => listed.has(AGENT_FILES[p]));
  }

  /**
   * A listed binary, opened for streaming; null when it is not listed or not there. The
   * size comes from the open descriptor, so a file swapped meanwhile cannot make the
   * Content-Length disagree with the bytes sent.
   */
  async open(name: string): Promise<OpenedBinary | null> {
    if (this.dir === null || !SAFE_NAME.test(name)) return null;
    const sha256 = (await this.list()).get(name);
    if (sha256 === undefined) return null;
    let handle;
    try {
      handle = await open(path.join(this.dir, name), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      return { name, sha256, size: stats.size, stream: handle.createReadStream() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
