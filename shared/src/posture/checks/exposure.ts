// Exposure checks (CIS 4.4, 4.5, 4.8): remote-access and file-sharing
// services reachable from the network, and a firewall that lets unsolicited traffic in.
// One check per risk class, so a finding names the service a technician must close.
import type { ListeningService } from '../../report/security.js';
import { byShare, defineCheck, fail, pass, unknown } from '../evaluation.js';
import type { Check, CheckPlatform, HostPostureInput, Severity } from '../types.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

/** The risk classes that have their own check; anything else the agent flags is "other". */
export const NAMED_RISKS = ['rdp', 'smb', 'telnet', 'ftp', 'vnc'] as const;

const describe = (s: ListeningService): string =>
  `${s.protocol}/${s.port} on ${s.address}${s.process ? ` (${s.process})` : ''}`;

function exposedWhere(input: HostPostureInput, matches: (risk: string) => boolean, what: string) {
  const listening = input.sections.security?.listening;
  if (!listening) return unknown('security: section not reported');
  const found = listening.services.filter(
    (s) => s.exposed && s.risk !== null && matches(s.risk.toLowerCase()),
  );
  if (found.length > 0)
    return fail(`${what} reachable from the network: ${found.map(describe).join(', ')}`);
  // A partial read cannot prove absence.
  if (listening.reason !== null) return unknown(`security.listening: ${listening.reason}`);
  return pass(
    `no ${what} listening on a non-loopback address (${listening.services.length} sockets read)`,
  );
}

interface RiskCheck {
  risk: (typeof NAMED_RISKS)[number];
  title: string;
  weight: number;
  severity: Severity;
  platforms: readonly CheckPlatform[];
  remediation: string;
}

const riskChecks: RiskCheck[] = [
  {
    risk: 'rdp',
    title: 'Remote Desktop (RDP) exposed',
    weight: 8,
    severity: 'high',
    platforms: ALL,
    remediation:
      'Do not expose RDP (3389): restrict it to the VPN/management subnet in the firewall (New-NetFirewallRule ... -RemoteAddress <mgmt subnet>), require Network Level Authentication, or turn it off (Settings > System > Remote Desktop). Linux xrdp: systemctl disable --now xrdp.',
  },
  {
    risk: 'smb',
    title: 'File sharing (SMB) exposed',
    weight: 6,
    severity: 'high',
    platforms: ALL,
    remediation:
      'Limit SMB (445) to the networks that need it: Windows: scope the "File and Printer Sharing" firewall rules to the LAN, disable SMBv1 (Set-SmbServerConfiguration -EnableSMB1Protocol $false); Linux: bind Samba to internal interfaces (interfaces/bind interfaces only) or stop smbd; macOS: turn off File Sharing.',
  },
  {
    risk: 'telnet',
    title: 'Telnet exposed',
    weight: 9,
    severity: 'critical',
    platforms: ALL,
    remediation:
      'Remove the telnet server (apt purge telnetd inetutils-telnetd / dnf remove telnet-server; Windows: Disable-WindowsOptionalFeature -FeatureName TelnetServer) and use SSH.',
  },
  {
    risk: 'ftp',
    title: 'FTP exposed',
    weight: 6,
    severity: 'high',
    platforms: ALL,
    remediation:
      'Replace plain FTP with SFTP or FTPS; stop and disable the FTP service (vsftpd, proftpd, IIS FTP) or restrict it to the networks that need it.',
  },
  {
    risk: 'vnc',
    title: 'VNC / screen sharing exposed',
    weight: 7,
    severity: 'high',
    platforms: ALL,
    remediation:
      'Do not expose VNC (5900+): bind it to localhost and tunnel over SSH/VPN, or turn it off (macOS: System Settings > General > Sharing > Screen Sharing off; Linux: stop the x11vnc/tigervnc service; Windows: uninstall or restrict the VNC server).',
  },
];

export const namedExposureChecks: readonly Check[] = riskChecks.map((r) =>
  defineCheck(
    {
      id: `exposure-${r.risk}`,
      title: r.title,
      category: 'exposure',
      weight: r.weight,
      cis: ['4.4', '4.8'],
      platforms: r.platforms,
      severity: r.severity,
      remediation: r.remediation,
    },
    (input) => exposedWhere(input, (risk) => risk === r.risk, r.risk.toUpperCase()),
  ),
);

export const otherRiskyExposed = defineCheck(
  {
    id: 'exposure-other-risky-service',
    title: 'Other risky service exposed',
    category: 'exposure',
    weight: 5,
    cis: ['4.8'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'A service the agent flags as risky (NetBIOS, rsh, SNMP...) listens on the network: disable it or restrict it to the management network in the host firewall.',
  },
  (input) =>
    exposedWhere(
      input,
      (risk) => !(NAMED_RISKS as readonly string[]).includes(risk),
      'other risky service',
    ),
);

export const defaultInboundAllow = defineCheck(
  {
    id: 'exposure-firewall-default-inbound-allow',
    title: 'Firewall lets unsolicited inbound traffic in by default',
    category: 'exposure',
    weight: 6,
    cis: ['4.4', '4.5'],
    platforms: ALL,
    severity: 'medium',
    remediation:
      'Set the default inbound policy to block and allow only what is needed: Windows: Set-NetFirewallProfile -All -DefaultInboundAction Block; ufw default deny incoming; firewalld: a zone with target DROP/default; macOS: socketfilterfw --setblockall on or stealth mode.',
  },
  (input) => {
    const firewall = input.sections.security?.firewall;
    if (!firewall) return unknown('security: section not reported');
    const known = firewall.products.filter((p) => p.enabled === true && p.defaultInbound !== null);
    if (known.length === 0)
      return unknown(
        `security.firewall: ${firewall.reason ?? 'no enabled firewall reports its default inbound policy'}`,
      );
    const blocking = known.filter((p) => p.defaultInbound === 'block');
    const list = known.map((p) => `${p.profile ?? p.name}: ${p.defaultInbound}`).join(', ');
    return byShare(blocking.length, known.length, `default inbound ${list}`);
  },
);

export const exposureChecks: readonly Check[] = [
  ...namedExposureChecks,
  otherRiskyExposed,
  defaultInboundAllow,
];
