// From the system section's `os` to an endoflife.date product and release cycle. Pure and
// explicit: every rule is a line below, and anything it does not recognise is unmatched
// (the caller reports unknown), never guessed.
import type { OsInfo } from '../report/system.js';

export interface ReleaseMatch {
  product: string;
  cycle: string;
  /** Apple publishes no dates: such a release is never reported supported */
  neverSupported?: boolean;
  /** further cycles to try, in order, when `cycle` is not in the data */
  fallbackCycles?: string[];
}

/** Windows 10/11 client feature updates by build number (the third part of 10.0.x). */
const WINDOWS_CLIENT_BUILDS: Record<number, string> = {
  10240: '10-1507',
  10586: '10-1511',
  14393: '10-1607',
  15063: '10-1703',
  16299: '10-1709',
  17134: '10-1803',
  17763: '10-1809',
  18362: '10-1903',
  18363: '10-1909',
  19041: '10-2004',
  19042: '10-20h2',
  19043: '10-21h1',
  19044: '10-21h2',
  19045: '10-22h2',
  22000: '11-21h2',
  22621: '11-22h2',
  22631: '11-23h2',
  26100: '11-24h2',
  26200: '11-25h2',
  28000: '11-26h1',
};

/** Windows Server long-term releases by build number. */
const WINDOWS_SERVER_BUILDS: Record<number, string> = {
  6003: '2008-sp2',
  7601: '2008-r2-sp1',
  9200: '2012',
  9600: '2012-r2',
  14393: '2016',
  17763: '2019',
  20348: '2022',
  26100: '2025',
};

/** Linux distributions by name (os.distro), first match wins; the cycle rule is by product. */
const LINUX_DISTROS: [RegExp, string][] = [
  [/ubuntu/i, 'ubuntu'],
  [/debian/i, 'debian'],
  [/red hat enterprise|^rhel\b/i, 'rhel'],
  [/rocky/i, 'rocky-linux'],
  [/alma/i, 'almalinux'],
  [/centos stream/i, 'centos-stream'],
  [/centos/i, 'centos'],
  [/oracle/i, 'oracle-linux'],
  [/suse linux enterprise|^sles\b/i, 'sles'],
  [/opensuse/i, 'opensuse'],
  [/fedora/i, 'fedora'],
  [/amazon linux/i, 'amazon-linux'],
  [/alpine/i, 'alpine-linux'],
];

/** Products whose cycle is major.minor ("22.04", "15.6", "3.19"); the rest use the major. */
const MAJOR_MINOR_PRODUCTS = new Set(['ubuntu', 'sles', 'opensuse', 'alpine-linux']);

/** The Windows build number from os.build, else the third part of os.release (10.0.x). */
export function windowsBuild(os: Pick<OsInfo, 'build' | 'release'>): number | null {
  const fromBuild = os.build?.match(/^(\d{4,5})/)?.[1];
  const fromRelease = os.release?.match(/^\d+\.\d+\.(\d{4,5})/)?.[1];
  const build = fromBuild ?? fromRelease;
  return build === undefined ? null : Number(build);
}

/** Client edition suffixes to try: Enterprise/Education get '-e' cycles, others '-w'. */
function windowsClientCycles(base: string, distro: string): string[] {
  const enterprise = /enterprise|education/i.test(distro);
  const candidates: string[] = [];
  if (/iot/i.test(distro) && /ltsc/i.test(distro)) candidates.push(`${base}-iot-lts`);
  if (enterprise && /ltsc|ltsb/i.test(distro)) candidates.push(`${base}-e-lts`);
  candidates.push(`${base}-${enterprise ? 'e' : 'w'}`, base);
  return candidates;
}

function matchWindows(os: OsInfo): ReleaseMatch | null {
  const build = windowsBuild(os);
  if (build === null) return null;
  const distro = os.distro ?? '';
  if (/server/i.test(distro)) {
    const cycle = WINDOWS_SERVER_BUILDS[build];
    return cycle === undefined ? null : { product: 'windows-server', cycle };
  }
  const base = WINDOWS_CLIENT_BUILDS[build];
  if (base === undefined) return null;
  const [cycle, ...fallbackCycles] = windowsClientCycles(base, distro);
  return { product: 'windows', cycle: cycle!, fallbackCycles };
}

function matchMacos(os: OsInfo): ReleaseMatch | null {
  const parts = os.release?.match(/^(\d+)\.(\d+)/);
  if (!parts) return null;
  // 10.x releases are cycles by minor ("10.15"); 11 and later by major ("14", "26").
  const cycle = parts[1] === '10' ? `10.${parts[2]}` : parts[1]!;
  return { product: 'macos', cycle, neverSupported: true };
}

/** "20.04.6 LTS" -> "20.04", "15-SP6" -> "15.6", "9.4" -> "9" as the product counts. */
function linuxCycle(product: string, release: string): string | null {
  const sp = release.match(/^(\d+)-SP(\d+)/i);
  const numbers = sp ? [sp[1], sp[2]] : release.match(/^(\d+)(?:\.(\d+))?/)?.slice(1);
  if (!numbers?.[0]) return null;
  if (!MAJOR_MINOR_PRODUCTS.has(product)) return numbers[0];
  if (numbers[1] === undefined) return null;
  // Ubuntu keeps its zero-padded month ("20.04"); the others are plain numbers ("15.6").
  return product === 'ubuntu'
    ? `${numbers[0]}.${numbers[1]}`
    : `${numbers[0]}.${Number(numbers[1])}`;
}

function matchLinux(os: OsInfo): ReleaseMatch | null {
  const distro = os.distro ?? '';
  const product = LINUX_DISTROS.find(([pattern]) => pattern.test(distro))?.[1];
  if (product === undefined || os.release === null) return null;
  const cycle = linuxCycle(product, os.release);
  return cycle === null ? null : { product, cycle };
}

/** The product and cycle this OS is, or null when the rules above do not recognise it. */
export function matchOs(os: OsInfo): ReleaseMatch | null {
  switch (os.platform) {
    case 'windows':
      return matchWindows(os);
    case 'darwin':
      return matchMacos(os);
    case 'linux':
      return matchLinux(os);
    default:
      return null;
  }
}
