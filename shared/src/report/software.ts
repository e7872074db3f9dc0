// The `software` section: what is installed, from every package database the machine has.
// Collected hourly.
//
// Inventories are large (hundreds of entries on Windows, thousands on a Linux server) and
// rarely change, so the agent sends the whole list only when its hash differs from the
// last one the collector acknowledged; otherwise `items` is null and the hash alone says
// "unchanged". A collector that does not hold that hash asks for the whole list again
// (AcceptedReport.resend). The hash is softwareHash(items), computed the same way on both
// sides (software-hash.ts).
import { Type, type Static } from '@sinclair/typebox';
import { List, Text, Timestamp, Unknown } from './common.js';
import { MAX_SOFTWARE_ITEMS } from './constants.js';

export { MAX_SOFTWARE_ITEMS } from './constants.js';

/**
 * Where an entry came from. A pattern rather than a closed list so a newer agent can add a
 * source (snap, flatpak, winget) without an older collector rejecting the report. Values
 * this version writes: dpkg, rpm, registry-64 and registry-32 (the two Uninstall views of
 * HKLM), msi (per-machine Windows Installer products), macos-app (system_profiler
 * applications), pkgutil (macOS installer receipts), homebrew.
 */
export const SoftwareSourceName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' });

export const SoftwareItem = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  version: Unknown(Text(128)),
  /** dpkg Maintainer, rpm Vendor, the registry's Publisher, the app's signing authority */
  publisher: Unknown(Text(256)),
  installedAt: Unknown(Timestamp),
  /** amd64, x86_64, arm64, noarch...; null where the source does not say */
  arch: Unknown(Text(32)),
  source: SoftwareSourceName,
});
export type SoftwareItem = Static<typeof SoftwareItem>;

/** One package database, and whether it could be read. */
export const SoftwareSourceStatus = Type.Object({
  source: SoftwareSourceName,
  ok: Type.Boolean(),
  error: Unknown(Text(2048)),
  /** entries read from it; null when it could not be read */
  count: Unknown(Type.Integer({ minimum: 0 })),
});
export type SoftwareSourceStatus = Static<typeof SoftwareSourceStatus>;

export const SoftwareSection = Type.Object({
  /** softwareHash(items): lower-case hex SHA-256 */
  hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** number of entries the hash covers */
  count: Type.Integer({ minimum: 0 }),
  /** the whole list, or null: unchanged since the collector acknowledged `hash` */
  items: Unknown(List(SoftwareItem, MAX_SOFTWARE_ITEMS)),
  sources: List(SoftwareSourceStatus, 16),
});
export type SoftwareSection = Static<typeof SoftwareSection>;
