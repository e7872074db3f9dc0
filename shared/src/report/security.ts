// The `security` section: how the machine is protected, as its own tools report it.
// Collected hourly.
//
// Every group of facts carries `reason`: null when the facts were read, otherwise why they
// are unknown ("needs root: sshd -T", "Get-BitLockerVolume: access denied", "no sshd
// installed"). A fact the agent could not read is null with a reason, never false: the
// posture checks treat unknown as unknown, not as a pass or a fail.
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { List, NonNegative, Text, Timestamp, Unknown } from './common.js';

/** Why a group of facts is unknown or incomplete; null when it was read in full. */
const Reason = Unknown(Text(512));

const Facts = <P extends TProperties>(properties: P): TObject<P & { reason: typeof Reason }> =>
  Type.Object({ ...properties, reason: Reason });

export const FirewallProduct = Type.Object({
  /** ufw, firewalld, nftables, iptables, windows-firewall, macos-application-firewall */
  name: Text(64),
  /** Windows profile (domain, private, public); null elsewhere */
  profile: Unknown(Text(32)),
  enabled: Unknown(Type.Boolean()),
  /** what happens to unsolicited inbound traffic */
  defaultInbound: Unknown(Type.Union([Type.Literal('allow'), Type.Literal('block')])),
  /** rule count, stealth mode, the active zone...: free text for the technician */
  detail: Unknown(Text(512)),
});
export type FirewallProduct = Static<typeof FirewallProduct>;

export const Firewall = Facts({
  /** true when a firewall filters inbound traffic (on every Windows profile) */
  enabled: Unknown(Type.Boolean()),
  products: List(FirewallProduct, 16),
});

export const EncryptedVolume = Type.Object({
  /** mount point or drive letter (/, /home, C:) */
  mount: Unknown(Text(256)),
  device: Unknown(Text(256)),
  /** holds the operating system */
  system: Unknown(Type.Boolean()),
  encrypted: Unknown(Type.Boolean()),
  /** LUKS2, aes-xts-plain64, XtsAes128, FileVault, APFS... */
  method: Unknown(Text(64)),
  /** BitLocker "protection on", FileVault unlocked at boot only...; null where n/a */
  protectionOn: Unknown(Type.Boolean()),
  /** 0..100 while encrypting or decrypting */
  percentEncrypted: Unknown(Type.Number({ minimum: 0, maximum: 100 })),
});
export type EncryptedVolume = Static<typeof EncryptedVolume>;

export const Encryption = Facts({ volumes: List(EncryptedVolume, 64) });

export const AntimalwareProduct = Type.Object({
  name: Text(128),
  enabled: Unknown(Type.Boolean()),
  realTimeProtection: Unknown(Type.Boolean()),
  signatureVersion: Unknown(Text(64)),
  signaturesUpdatedAt: Unknown(Timestamp),
  /** the product's own verdict (Windows Security Center "up to date") */
  upToDate: Unknown(Type.Boolean()),
});
export type AntimalwareProduct = Static<typeof AntimalwareProduct>;

export const Antimalware = Facts({ products: List(AntimalwareProduct, 16) });

export const AutomaticUpdates = Facts({
  enabled: Unknown(Type.Boolean()),
  /** unattended-upgrades, dnf-automatic, windows-update-policy, softwareupdate... */
  mechanism: Unknown(Text(64)),
  /** installs on its own (true) or only downloads/notifies (false) */
  installsAutomatically: Unknown(Type.Boolean()),
  detail: Unknown(Text(512)),
});

export const ListeningService = Type.Object({
  protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
  /** the bound address as the OS prints it: 0.0.0.0, ::, 127.0.0.1, 192.168.1.5 */
  address: Text(64),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  process: Unknown(Text(256)),
  pid: Unknown(Type.Integer({ minimum: 0 })),
  /** bound to something other than loopback: reachable from the network */
  exposed: Type.Boolean(),
  /** rdp, smb, netbios, telnet, ftp, vnc...: a well-known risky service; null otherwise */
  risk: Unknown(Text(32)),
});
export type ListeningService = Static<typeof ListeningService>;

export const Listening = Facts({ services: List(ListeningService, 1024) });

export const SshServer = Facts({
  /** an SSH server is installed (sshd binary, or Windows OpenSSH Server) */
  present: Unknown(Type.Boolean()),
  /** sshd -T's permitrootlogin: yes, no, prohibit-password, forced-commands-only */
  permitRootLogin: Unknown(Text(32)),
  passwordAuthentication: Unknown(Type.Boolean()),
});

export const LocalAdministrators = Facts({
  /** the groups read: sudo, wheel, admin, Administrators */
  groups: List(Text(64), 8),
  /** accounts and groups with administrator rights, as the OS names them */
  members: List(Text(256), 256),
});

export const GuestAccount = Facts({ enabled: Unknown(Type.Boolean()) });

export const SecureBoot = Facts({ enabled: Unknown(Type.Boolean()) });

export const TimeSync = Facts({
  synchronized: Unknown(Type.Boolean()),
  /** systemd-timesyncd, chronyd, ntpd, w32time, timed */
  service: Unknown(Text(64)),
  /** the server it follows */
  source: Unknown(Text(256)),
  /** last measured offset from the source, in seconds */
  offsetSeconds: Unknown(NonNegative),
});

export const SecuritySection = Type.Object({
  firewall: Firewall,
  encryption: Encryption,
  antimalware: Antimalware,
  automaticUpdates: AutomaticUpdates,
  listening: Listening,
  ssh: SshServer,
  administrators: LocalAdministrators,
  guest: GuestAccount,
  secureBoot: SecureBoot,
  timeSync: TimeSync,
});
export type SecuritySection = Static<typeof SecuritySection>;
