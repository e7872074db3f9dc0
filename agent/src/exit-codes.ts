// Exit codes of `vcio-agent`. RMM scripts (NinjaOne, Datto, Intune, a shell script) branch
// on these, so they are part of the agent's public contract: never renumber one, only add.
//
//   0  ok
//   1  unexpected error (a bug, or something no other code describes)
//   2  usage error: unknown command or option, bad option value, unknown collector name,
//      plain http:// to a non-loopback collector without --insecure-http
//   3  not enrolled: no credentials in the state directory (run `vcio-agent enroll`)
//   4  collector unreachable: network error, timeout, 408/429/5xx, after all retries
//   5  rejected by the collector: a 4xx answer that retrying cannot fix (bad enrollment
//      token, revoked agent credentials, invalid or too large report)
//   6  state directory problem: it cannot be created, written or read (run as root/admin,
//      or pass --state-dir), or credentials.json in it is damaged
//   7  this machine's stable id (/etc/machine-id, MachineGuid, IOPlatformUUID) cannot be
//      read, so no report can be attributed to it
//   8  not elevated: install/uninstall need root (Linux, macOS) or an administrator (Windows)
//   9  unsupported: this OS or its service manager cannot run the agent as a service (e.g.
//      Linux without systemd)
//
// `vcio-agent check` ends with the worst open finding's severity, so an RMM script can
// alert on it without parsing output (findings below --fail-on do not count):
//  20  low      21  medium      22  high      23  critical
//  24  no finding counts, but the data coverage is below --min-coverage: too little was read
//      to call the machine clean (run elevated, or see the unknown checks)
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notEnrolled: 3,
  unreachable: 4,
  rejected: 5,
  stateDir: 6,
  machineId: 7,
  notElevated: 8,
  unsupported: 9,
  findingLow: 20,
  findingMedium: 21,
  findingHigh: 22,
  findingCritical: 23,
  insufficientData: 24,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
