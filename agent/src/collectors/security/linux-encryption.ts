// Disk encryption on Linux: for each mounted filesystem, whether a dm-crypt mapping (LUKS
// or plain) lies between it and the disk, read from lsblk's device tree.
//
//   lsblk --version                                    -> parseLsblkVersion (picks the form)
//   util-linux >= 2.37: lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINTS  -> parseLsblkJson
//   2.27 .. 2.36:       lsblk --json -p -o NAME,TYPE,FSTYPE,MOUNTPOINT   -> parseLsblkJson
//   older (no --json, e.g. RHEL 7's 2.23): lsblk -p -o NAME,TYPE,MOUNTPOINT -> parseLsblkTree
//
// No privileges needed: lsblk reads sysfs and udev's database. A crypt device counts as
// encryption unless its parent is a dm-verity or dm-integrity device (they use the same
// device-mapper type but do not encrypt). /boot and /boot/efi are listed as they are:
// unencrypted on a standard LUKS install by design; posture should judge the volume with
// system: true ('/'). ZFS native encryption, fscrypt and eCryptfs are not seen by lsblk.
import type { EncryptedVolume } from '@vcio/shared';
import { errorMessage } from '../../errors.js';
import { cap, bounded, failureReason, succeeded, type LinuxSecurityHost } from './linux-run.js';

export interface BlockDevice {
  name: string;
  type: string;
  /** null when lsblk did not say (the tree form has no FSTYPE column) */
  fstype: string | null;
  mountpoints: string[];
  children: BlockDevice[];
}

/** "lsblk from util-linux 2.38.1" -> [2, 38]; null when the text names no version. */
export function parseLsblkVersion(text: string): [number, number] | null {
  const m = /util-linux\s+(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

interface LsblkJsonDevice {
  name?: unknown;
  path?: unknown;
  type?: unknown;
  fstype?: unknown;
  mountpoint?: unknown;
  mountpoints?: unknown;
  children?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function fromJson(raw: LsblkJsonDevice): BlockDevice {
  const mounts = Array.isArray(raw.mountpoints) ? raw.mountpoints : [raw.mountpoint];
  return {
    name: str(raw.path) ?? str(raw.name) ?? '?',
    type: str(raw.type) ?? '',
    fstype: str(raw.fstype),
    mountpoints: mounts.map(str).filter((m): m is string => m !== null),
    children: Array.isArray(raw.children)
      ? raw.children.map((c) => fromJson(c as LsblkJsonDevice))
      : [],
  };
}

/** `lsblk --json`: the device forest. Throws when the text is not lsblk's JSON. */
export function parseLsblkJson(text: string): BlockDevice[] {
  const doc = JSON.parse(text) as { blockdevices?: unknown };
  if (!Array.isArray(doc.blockdevices)) throw new Error('no "blockdevices" list');
  return doc.blockdevices.map((d) => fromJson(d as LsblkJsonDevice));
}

const TREE_PREFIX = /^[\s│├└─|`-]*/;

/**
 * lsblk's tree output ("├─sda1 ... part /boot", or "|-" and "`-" in the C locale). Each
 * level of nesting is two glyph columns. Values are cut at the header's column starts:
 * lsblk left-aligns NAME, TYPE, FSTYPE and MOUNTPOINT, so a blank FSTYPE or mount point
 * leaves its column empty rather than shifting the next one. A row with only a mount
 * point continues the device above (MOUNTPOINTS prints one per line).
 */
export function parseLsblkTree(text: string): BlockDevice[] {
  const [header, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (header === undefined) return [];
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
  const column = (names: readonly string[]): number =>
    starts.findIndex((c) => names.includes(c.name));
  const nameAt = column(['NAME']);
  const typeAt = column(['TYPE']);
  const fstypeAt = column(['FSTYPE']);
  const mountAt = column(['MOUNTPOINT', 'MOUNTPOINTS']);
  if (nameAt < 0 || typeAt < 0) return [];
  const cell = (row: string, i: number): string =>
    i < 0 ? '' : row.slice(starts[i]?.at, starts[i + 1]?.at ?? row.length).trim();
  const roots: BlockDevice[] = [];
  const stack: BlockDevice[] = [];
  let last: BlockDevice | null = null;
  for (const row of rows) {
    const prefix = cap(TREE_PREFIX.exec(row) ?? [], 0);
    const name = cell(row, nameAt).replace(TREE_PREFIX, '');
    const mount = cell(row, mountAt);
    if (name === '') {
      if (last !== null && mount !== '') last.mountpoints.push(mount);
      continue;
    }
    const depth = Math.floor(prefix.length / 2);
    const device: BlockDevice = {
      name,
      type: cell(row, typeAt),
      fstype: cell(row, fstypeAt) || null,
      mountpoints: mount === '' ? [] : [mount],
      children: [],
    };
    stack.length = depth;
    const parent = [...stack].reverse().find((d) => d !== undefined);
    if (parent) parent.children.push(device);
    else roots.push(device);
    stack[depth] = device;
    last = device;
  }
  return roots;
}

const IMAGE_FILESYSTEMS = new Set(['squashfs', 'erofs', 'iso9660']);

function isEncryptionLayer(device: BlockDevice, parent: BlockDevice | undefined): boolean {
  if (device.type !== 'crypt') return false;
  // dm-verity and dm-integrity show as 'crypt' too, over their hash/integrity device
  return !/verity|integrity/i.test(parent?.fstype ?? '');
}

function methodOf(parent: BlockDevice | undefined): string {
  return parent?.fstype === 'crypto_LUKS' ? 'LUKS' : 'dm-crypt';
}

/**
 * One entry per mounted filesystem (swap, read-only images and optical discs left out):
 * encrypted when a crypt device is the filesystem's device or one of its ancestors.
 */
export function encryptedVolumes(roots: readonly BlockDevice[]): EncryptedVolume[] {
  const volumes = new Map<string, EncryptedVolume>();
  const walk = (device: BlockDevice, ancestors: BlockDevice[]): void => {
    const chain = [...ancestors, device];
    const layer = chain.findIndex((d, i) => isEncryptionLayer(d, chain[i - 1]));
    const skip =
      device.type === 'rom' || (device.fstype !== null && IMAGE_FILESYSTEMS.has(device.fstype));
    for (const mount of device.mountpoints) {
      if (skip || !mount.startsWith('/') || mount.startsWith('/snap/') || volumes.has(mount))
        continue;
      volumes.set(mount, {
        mount: bounded(mount, 256),
        device: bounded(device.name, 256),
        system: mount === '/',
        encrypted: layer >= 0,
        method: layer >= 0 ? methodOf(chain[layer - 1]) : null,
        protectionOn: null,
        percentEncrypted: null,
      });
    }
    for (const child of device.children) walk(child, chain);
  };
  for (const root of roots) walk(root, []);
  return [...volumes.values()].slice(0, 64);
}

export interface EncryptionGroup {
  volumes: EncryptedVolume[];
  reason: string | null;
}

/** The lsblk command line for this util-linux version (null: unknown, try JSON). */
export function lsblkArgs(version: [number, number] | null): { args: string[]; json: boolean } {
  const atLeast = (major: number, minor: number): boolean =>
    version === null || version[0] > major || (version[0] === major && version[1] >= minor);
  if (version !== null && atLeast(2, 37))
    return { args: ['--json', '-p', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINTS'], json: true };
  if (atLeast(2, 27))
    return { args: ['--json', '-p', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT'], json: true };
  return { args: ['-p', '-o', 'NAME,TYPE,MOUNTPOINT'], json: false };
}

export function encryptionFromDevices(roots: readonly BlockDevice[]): EncryptionGroup {
  if (roots.length === 0) return { volumes: [], reason: 'no block devices visible (container?)' };
  const volumes = encryptedVolumes(roots);
  if (volumes.length === 0)
    return { volumes, reason: 'no mounted block device visible (container?)' };
  if (!volumes.some((v) => v.system === true))
    return {
      volumes,
      reason:
        "'/' is not on a block device lsblk shows (ZFS, overlay or network root?): the system volume's encryption is unknown",
    };
  return { volumes, reason: null };
}

export async function readLinuxEncryption(h: LinuxSecurityHost): Promise<EncryptionGroup> {
  const lsblk = await h.locate('lsblk');
  if (lsblk === null) return { volumes: [], reason: 'lsblk is not installed: volumes unknown' };
  const versionRun = await h.run(lsblk, ['--version']);
  const version = succeeded(versionRun) ? parseLsblkVersion(versionRun.result.stdout) : null;
  let { args, json } = lsblkArgs(version);
  let ran = await h.run(lsblk, args);
  if (!succeeded(ran) && json && version === null) {
    // no version to go by: an lsblk too old for --json says "unrecognized option"
    ({ args, json } = lsblkArgs([2, 0]));
    ran = await h.run(lsblk, args);
  }
  if (!succeeded(ran)) return { volumes: [], reason: failureReason(ran) };
  let roots: BlockDevice[];
  try {
    roots = json ? parseLsblkJson(ran.result.stdout) : parseLsblkTree(ran.result.stdout);
  } catch (err) {
    return {
      volumes: [],
      reason: `'${ran.command}' printed no device list (${errorMessage(err)})`,
    };
  }
  return encryptionFromDevices(roots);
}
