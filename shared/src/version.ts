// Version strings as sortable keys: versionKey(a) < versionKey(b), compared byte by byte
// (SQLite's default BINARY collation, PostgreSQL's "C" collation, Buffer.compare), when a
// is an older version than b. The collector stores the key next to each installed version
// so "hosts with openssl below 3.0.13-1~deb12u1" is an index range scan, not a comparison
// function run over every row.
//
// The order is dpkg's (deb-version(7)), which also covers rpm, Windows and macOS versions
// in the common cases:
//   [epoch:]upstream[-revision]; epoch compared as a number, then upstream, then revision
//   (split at the last hyphen). Each part is compared as alternating runs of non-digits
//   and digits: digit runs as numbers (1.10 > 1.9, 007 = 7), non-digit runs character by
//   character where '~' sorts before everything, even the end of the part (1.0~rc1 < 1.0),
//   then the end of the part, then letters (A-Z before a-z), then every other character by
//   its ASCII code (1.0 < 1.0a < 1.0+b1 < 1.0.1).
//
// Two additions for versions that are not dpkg's:
//   - a leading "v" before a digit is dropped (v1.2.3 = 1.2.3);
//   - semver pre-releases: without an epoch, "<digits and dots>-<letter>..." is read as a
//     pre-release of the version before the hyphen (1.0.0-rc.1 < 1.0.0, as semver says),
//     where dpkg would read "rc.1" as a revision and sort it after 1.0.0.
//
// Where it differs from the tools' own order (documented, and tested as such):
//   - dpkg: a revision that starts with a letter and has no epoch (1.2-beta1) is read as a
//     semver pre-release (above); a non-numeric "epoch" (a:1) is ordinary text.
//   - rpm (rpmvercmp): rpm treats every run of separators as equal (1.0_1 = 1.0.1) where
//     this key, like dpkg, orders them by character; rpm puts a number segment above a
//     letter segment (1.a < 1.1) where dpkg puts letters first after a separator
//     (1.a > 1.1); rpm's caret (1.0^git1: after 1.0, before 1.0.1) sorts after 1.0.1 here.
//   - semver: build metadata (+build.5) is compared as text instead of being ignored.
//   - Numbers longer than 999 digits are cut to 999 digits.
//
// Key layout (ASCII, readable in a database browser):
//   <epoch> ' ' <upstream> ' ' <revision>, each part as <run><number><run><number>...
//   a non-digit run: '~' -> '!', letters as themselves, any other character c -> '{' c,
//   then '#' to end the run; a number: 10 digits zero-padded, or ':' + 3-digit length +
//   digits when longer (':' sorts after every digit, so longer numbers sort higher).
//   '!' < '#' < letters < '{' is dpkg's "~ < end < letters < other" in byte order.
//   An empty part is read as "0", as dpkg does (1.0 = 1.0-0).

const TILDE = '!';
const END_OF_RUN = '#';
const OTHER = '{';
const PART_SEPARATOR = ' ';
const LONG_NUMBER = ':';
const NUMBER_WIDTH = 10;
const MAX_DIGITS = 999;

const EPOCH = /^(\d+):(.*)$/s;
const SEMVER_PRERELEASE = /^(\d+(?:\.\d+)*)-([A-Za-z][^+]*)(\+.*)?$/s;

const isDigitCode = (c: number) => c >= 0x30 && c <= 0x39;
const isLetterCode = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const TILDE_CODE = 0x7e;

const ZEROS = '0'.repeat(NUMBER_WIDTH);

/** The digits text[start, end) as a fixed-width (or length-prefixed) number. */
function encodeNumber(text: string, start: number, end: number): string {
  while (start < end - 1 && text.charCodeAt(start) === 0x30) start++;
  const length = Math.min(end - start, MAX_DIGITS);
  if (length <= NUMBER_WIDTH) return ZEROS.slice(length) + text.slice(start, end);
  return LONG_NUMBER + String(length).padStart(3, '0') + text.slice(start, start + length);
}

function encodePart(part: string): string {
  const text = part === '' ? '0' : part;
  let key = '';
  let i = 0;
  while (i < text.length) {
    let run = i;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isDigitCode(c)) break;
      if (isLetterCode(c)) continue;
      key += text.slice(run, i);
      // A character beyond U+FFFF (two UTF-16 units) stays whole behind its '{'.
      const width = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      key += c === TILDE_CODE ? TILDE : OTHER + text.slice(i, i + width);
      i += width - 1;
      run = i + 1;
    }
    key += text.slice(run, i) + END_OF_RUN;
    const start = i;
    while (i < text.length && isDigitCode(text.charCodeAt(i))) i++;
    // An empty digit run counts as 0, as in dpkg: 1.0a = 1.0a0.
    key += i > start ? encodeNumber(text, start, i) : ZEROS;
  }
  return key + END_OF_RUN;
}

/** The parts dpkg compares, after the two non-dpkg readings (leading v, semver). */
export function splitVersion(version: string): {
  epoch: string;
  upstream: string;
  revision: string;
} {
  let text = version.trim();
  if ((text[0] === 'v' || text[0] === 'V') && isDigitCode(text.charCodeAt(1))) text = text.slice(1);
  const epoch = EPOCH.exec(text);
  if (epoch) text = epoch[2]!;
  else {
    const semver = SEMVER_PRERELEASE.exec(text);
    if (semver) {
      return {
        epoch: '0',
        upstream: `${semver[1]}~${semver[2]}${semver[3] ?? ''}`,
        revision: '',
      };
    }
  }
  const hyphen = text.lastIndexOf('-');
  return {
    epoch: epoch ? epoch[1]! : '0',
    upstream: hyphen < 0 ? text : text.slice(0, hyphen),
    revision: hyphen < 0 ? '' : text.slice(hyphen + 1),
  };
}

/**
 * A string whose byte order is the order of the versions (see the header for the rules and
 * the cases where it differs from dpkg, rpm or semver).
 */
export function versionKey(version: string): string {
  const { epoch, upstream, revision } = splitVersion(version);
  return (
    encodeNumber(epoch, 0, epoch.length) +
    PART_SEPARATOR +
    encodePart(upstream) +
    PART_SEPARATOR +
    encodePart(revision)
  );
}

/**
 * Compares two versions by their keys in the order a database compares them: UTF-8 bytes,
 * which is code point order (JavaScript's < compares UTF-16 units, which differs for
 * characters beyond U+FFFF). Negative, 0 or positive.
 */
export function compareVersions(a: string, b: string): number {
  return compareCodePoints(versionKey(a), versionKey(b));
}

export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
