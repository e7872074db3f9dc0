// The one-line install commands an MSP pastes into its RMM (or a terminal): download the
// agent for this machine from the collector, check its SHA-256 against the collector's
// SHA256SUMS, and run `install` with the tenant's enrollment token, ending with the exit
// code of `install` (agent/src/exit-codes.ts), or one of the codes below when it never ran.
//
// The token goes to the agent in VCIO_AGENT_ENROLL_TOKEN, not on its command line, so it
// does not show in the process list; `install` reads that variable as --token.
import { AGENT_FILES, SUMS_FILE } from './binaries.js';
import { powershellQuote, shellQuote } from './quoting.js';

/** Exit codes of the commands themselves; the rest are `install`'s own. */
export const SCRIPT_EXIT = {
  /** as the agent's "unsupported": no binary for this OS or CPU */
  unsupported: 9,
  /** as the agent's "collector unreachable": a download failed */
  downloadFailed: 4,
  /** as the agent's "not elevated" (PowerShell checks before downloading 85 MB) */
  notElevated: 8,
  /** the download does not match SHA256SUMS: nothing was run */
  checksumMismatch: 10,
} as const;

export interface InstallCommandInput {
  /** checked base URL of the collector (checkPublicUrl) */
  url: string;
  /** the enrollment token, `et_....<secret>` */
  token: string;
  /** passed as --site */
  site?: string;
  /** passes --insecure-http (plain http to a non-loopback collector, asked for explicitly) */
  insecureHttp?: boolean;
}

function installArguments(
  input: InstallCommandInput,
  quote: (value: string) => string,
  url: string,
): string {
  return [
    'install --url',
    url,
    ...(input.site !== undefined ? ['--site', quote(input.site)] : []),
    ...(input.insecureHttp ? ['--insecure-http'] : []),
  ].join(' ');
}

/**
 * bash (Linux, macOS). A subshell, so `set -eu` and `exit` end the command, not the
 * terminal it was pasted into; not root, it runs install through sudo, keeping the token
 * variable (--preserve-env) rather than putting it on sudo's command line.
 */
export function bashInstallCommand(input: InstallCommandInput): string {
  const https = input.url.startsWith('https:');
  // Never follow a redirect from https down to http.
  const curl = `curl -fsSL --retry 3${https ? " --proto '=https'" : ''}`;
  const agent = `"$d/$f" ${installArguments(input, shellQuote, '"$u"')}`;
  const fail = (message: string, code: number) => `{ echo "${message}" >&2; exit ${code}; }`;
  const lines = [
    'set -eu',
    `u=${shellQuote(input.url)}`,
    `t=${shellQuote(input.token)}`,
    'case "$(uname -s)-$(uname -m)" in' +
      ` Linux-x86_64|Linux-amd64) f=${AGENT_FILES['linux-x64']} ;;` +
      ` Darwin-x86_64) f=${AGENT_FILES['darwin-x64']} ;;` +
      ` Darwin-arm64) f=${AGENT_FILES['darwin-arm64']} ;;` +
      ` *) ${fail('vcio: no agent binary for $(uname -s) $(uname -m)', SCRIPT_EXIT.unsupported)} ;;` +
      ' esac',
    'd=$(mktemp -d)',
    `trap 'rm -rf "$d"' EXIT`,
    `${curl} -o "$d/$f" "$u/downloads/agent/$f" || ${fail('vcio: cannot download $u/downloads/agent/$f', SCRIPT_EXIT.downloadFailed)}`,
    `${curl} -o "$d/${SUMS_FILE}" "$u/downloads/agent/${SUMS_FILE}" || ${fail(`vcio: cannot download $u/downloads/agent/${SUMS_FILE}`, SCRIPT_EXIT.downloadFailed)}`,
    `w=$(awk -v f="$f" '$2 == f || $2 == "*" f { print $1 }' "$d/${SUMS_FILE}")`,
    'if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum "$d/$f" | cut -d " " -f 1); else h=$(shasum -a 256 "$d/$f" | cut -d " " -f 1); fi',
    `[ -n "$w" ] && [ "$w" = "$h" ] || ${fail(`vcio: SHA-256 check failed for $f: ${SUMS_FILE} lists \${w:-nothing}, the download is $h; not installing`, SCRIPT_EXIT.checksumMismatch)}`,
    'chmod +x "$d/$f"',
    'export VCIO_AGENT_ENROLL_TOKEN="$t"',
    `if [ "$(id -u)" -eq 0 ]; then ${agent}; else sudo --preserve-env=VCIO_AGENT_ENROLL_TOKEN ${agent}; fi`,
  ];
  return `( ${lines.join('; ')} )`;
}

/**
 * PowerShell (Windows PowerShell 5.1 and PowerShell 7), run elevated: an RMM runs scripts
 * as SYSTEM; by hand, an administrator's PowerShell. A script block, so its variables stay
 * inside; it ends with `exit`, which is what an RMM reads (pasted into an interactive
 * console, that closes the window after the install).
 */
export function powershellInstallCommand(input: InstallCommandInput): string {
  const err = (message: string) => `[Console]::Error.WriteLine(${message})`;
  const cleanup = 'Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue';
  const statements = [
    "$ErrorActionPreference = 'Stop'",
    // Invoke-WebRequest's progress bar slows downloads by an order of magnitude in 5.1.
    "$ProgressPreference = 'SilentlyContinue'",
    // Windows PowerShell 5.1 may default to TLS 1.0, which no current server accepts.
    'try { [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12 } catch { }',
    `$u = ${powershellQuote(input.url)}`,
    `$t = ${powershellQuote(input.token)}`,
    `$f = '${AGENT_FILES['win-x64']}'`,
    `if (-not [Environment]::Is64BitOperatingSystem) { ${err("'vcio: the agent needs 64-bit Windows'")}; exit ${SCRIPT_EXIT.unsupported} }`,
    `if (-not ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { ${err("'vcio: run this in an elevated PowerShell (as administrator, or as SYSTEM from the RMM)'")}; exit ${SCRIPT_EXIT.notElevated} }`,
    "$d = Join-Path ([IO.Path]::GetTempPath()) ('vcio-' + [guid]::NewGuid())",
    'New-Item -ItemType Directory -Path $d | Out-Null',
    '$exe = Join-Path $d $f',
    `$sums = Join-Path $d '${SUMS_FILE}'`,
    `try { Invoke-WebRequest -UseBasicParsing -Uri "$u/downloads/agent/$f" -OutFile $exe; Invoke-WebRequest -UseBasicParsing -Uri "$u/downloads/agent/${SUMS_FILE}" -OutFile $sums } catch { ${err('"vcio: cannot download from $u/downloads/agent/: $($_.Exception.Message)"')}; ${cleanup}; exit ${SCRIPT_EXIT.downloadFailed} }`,
    "$w = ''",
    "foreach ($l in Get-Content -LiteralPath $sums) { $p = $l.Trim() -split '\\s+\\*?', 2; if ($p.Count -eq 2 -and $p[1] -eq $f) { $w = $p[0].ToLowerInvariant() } }",
    '$h = (Get-FileHash -Algorithm SHA256 -LiteralPath $exe).Hash.ToLowerInvariant()',
    `if (-not $w -or $w -ne $h) { ${err(`"vcio: SHA-256 check failed for $($f): ${SUMS_FILE} lists $(if ($w) { $w } else { 'nothing' }), the download is $h; not installing"`)}; ${cleanup}; exit ${SCRIPT_EXIT.checksumMismatch} }`,
    // From here a native program's stderr must not turn into a terminating error (5.1).
    "$ErrorActionPreference = 'Continue'",
    '$env:VCIO_AGENT_ENROLL_TOKEN = $t',
    `& $exe ${installArguments(input, powershellQuote, '$u')}`,
    '$c = $LASTEXITCODE',
    'Remove-Item Env:VCIO_AGENT_ENROLL_TOKEN -ErrorAction SilentlyContinue',
    cleanup,
    'exit $c',
  ];
  return `& { ${statements.join('; ')} }`;
}
