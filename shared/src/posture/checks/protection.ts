// Protection checks (CIS 10.1, 10.2, 4.4, 4.5, 4.1): anti-malware, host firewall and
// secure boot, as the machine's own tools report them.
import type { AntimalwareProduct } from '../../report/security.js';
import {
  byShare,
  daysBetween,
  defineCheck,
  fail,
  notApplicable,
  pass,
  unknown,
} from '../evaluation.js';
import type { Check, Evaluation, HostPostureInput } from '../types.js';

const ALL = ['linux', 'windows', 'darwin'] as const;

/** The enabled anti-malware products, or the evaluation that stops the check. */
function activeProducts(input: HostPostureInput): AntimalwareProduct[] | Evaluation {
  const group = input.sections.security?.antimalware;
  if (!group) return unknown('security: section not reported');
  if (group.products.length === 0 && group.reason !== null) {
    return unknown(`security.antimalware: ${group.reason}`);
  }
  return group.products.filter((p) => p.enabled === true);
}

export const antimalwareDisabled = defineCheck(
  {
    id: 'antimalware-absent-or-disabled',
    title: 'Anti-malware absent or disabled',
    category: 'protection',
    weight: 9,
    cis: ['10.1'],
    platforms: ALL,
    severity: 'critical',
    remediation:
      'Install or re-enable anti-malware: Windows: Set-MpPreference -DisableRealtimeMonitoring $false, or check that the third-party product registered with Security Center; macOS/Linux: deploy the MSP’s EDR agent and confirm its service runs.',
  },
  (input) => {
    const group = input.sections.security?.antimalware;
    if (!group) return unknown('security: section not reported');
    const { products } = group;
    if (products.length === 0) {
      return group.reason === null
        ? fail('no anti-malware product found')
        : unknown(`security.antimalware: ${group.reason}`);
    }
    const list = products
      .map((p) => `${p.name}: ${p.enabled === null ? 'state unknown' : p.enabled ? 'on' : 'off'}`)
      .join(', ');
    if (products.some((p) => p.enabled === true)) return pass(list);
    if (products.every((p) => p.enabled === false)) return fail(list);
    return unknown(`security.antimalware: ${group.reason ?? 'product state not readable'}`, list);
  },
);

export const realTimeOff = defineCheck(
  {
    id: 'antimalware-realtime-off',
    title: 'Anti-malware real-time protection off',
    category: 'protection',
    weight: 7,
    cis: ['10.1'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Turn real-time (on-access) scanning back on: Windows Defender: Set-MpPreference -DisableRealtimeMonitoring $false and check for a policy that turns it off; other products: their console’s on-access setting.',
  },
  (input) => {
    const active = activeProducts(input);
    if (!Array.isArray(active)) return active;
    if (active.length === 0)
      return notApplicable('no enabled anti-malware product (see antimalware-absent-or-disabled)');
    const on = active.filter((p) => p.realTimeProtection === true);
    if (on.length > 0) return pass(`real-time protection on: ${on.map((p) => p.name).join(', ')}`);
    if (active.every((p) => p.realTimeProtection === false)) {
      return fail(`real-time protection off: ${active.map((p) => p.name).join(', ')}`);
    }
    return unknown('security.antimalware: real-time protection state not readable');
  },
);

export const signaturesStale = defineCheck(
  {
    id: 'antimalware-signatures-stale',
    title: 'Anti-malware signatures out of date',
    category: 'protection',
    weight: 6,
    cis: ['10.2'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Update signatures and fix what blocks automatic updates: Windows: Update-MpSignature, then check the update source (WSUS, MMPC, proxy); other products: force an update from their console and check the machine reaches the vendor.',
  },
  (input, thresholds) => {
    const active = activeProducts(input);
    if (!Array.isArray(active)) return active;
    if (active.length === 0)
      return notApplicable('no enabled anti-malware product (see antimalware-absent-or-disabled)');
    const limit = thresholds.signatureMaxAgeDays;
    const dated = active.filter((p) => p.signaturesUpdatedAt !== null);
    if (dated.length > 0) {
      const newest = Math.max(
        ...dated.map((p) => new Date(p.signaturesUpdatedAt as string).getTime()),
      );
      const days = daysBetween(new Date(newest), input.now);
      const evidence = `newest signatures ${new Date(newest).toISOString()} (${days.toFixed(1)} days old)`;
      return days > limit ? fail(evidence) : pass(evidence);
    }
    if (active.some((p) => p.upToDate === true))
      return pass('the product reports its signatures up to date');
    if (active.every((p) => p.upToDate === false))
      return fail('the product reports its signatures out of date');
    return unknown('security.antimalware: no signature date or up-to-date verdict reported');
  },
);

export const firewallOff = defineCheck(
  {
    id: 'firewall-off',
    title: 'Host firewall off',
    category: 'protection',
    weight: 8,
    cis: ['4.4', '4.5'],
    platforms: ALL,
    severity: 'high',
    remediation:
      'Turn the host firewall on. Windows (every profile): Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True; Ubuntu: ufw enable; RHEL/Fedora: systemctl enable --now firewalld; macOS: socketfilterfw --setglobalstate on.',
  },
  (input) => {
    const firewall = input.sections.security?.firewall;
    if (!firewall) return unknown('security: section not reported');
    const profiles = firewall.products.filter((p) => p.profile !== null);
    if (input.platform === 'windows' && profiles.length > 0) {
      // One profile off is enough to expose the machine on that kind of network.
      if (profiles.some((p) => p.enabled === null)) {
        return unknown(
          `security.firewall: ${firewall.reason ?? 'a profile state is not readable'}`,
        );
      }
      const on = profiles.filter((p) => p.enabled === true);
      const list = profiles.map((p) => `${p.profile}: ${p.enabled ? 'on' : 'off'}`).join(', ');
      return byShare(on.length, profiles.length, `Windows Firewall ${list}`);
    }
    if (firewall.enabled === null)
      return unknown(`security.firewall: ${firewall.reason ?? 'state not readable'}`);
    const names = firewall.products.map((p) => p.name).join(', ') || 'no product named';
    return firewall.enabled
      ? pass(`firewall filters inbound traffic (${names})`)
      : fail(`no firewall filters inbound traffic (${names})`);
  },
);

export const secureBootOff = defineCheck(
  {
    id: 'secure-boot-off',
    title: 'Secure Boot off',
    category: 'protection',
    weight: 4,
    cis: ['4.1'],
    platforms: ['linux', 'windows'],
    severity: 'medium',
    remediation:
      'Enable Secure Boot in the UEFI firmware setup (the machine must boot in UEFI mode, not legacy/CSM; Windows: Confirm-SecureBootUEFI shows the result; Linux: mokutil --sb-state; check signed kernel modules first).',
  },
  (input) => {
    const secureBoot = input.sections.security?.secureBoot;
    if (!secureBoot) return unknown('security: section not reported');
    if (secureBoot.enabled === null)
      return unknown(`security.secureBoot: ${secureBoot.reason ?? 'state not readable'}`);
    return secureBoot.enabled ? pass('Secure Boot on') : fail('Secure Boot off');
  },
);

export const protectionChecks: readonly Check[] = [
  antimalwareDisabled,
  realTimeOff,
  signaturesStale,
  firewallOff,
  secureBootOff,
];
