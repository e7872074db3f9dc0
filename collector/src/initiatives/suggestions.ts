// Initiatives worth starting, from what the tenant's assessments say now: its top findings
// (ranked like the posture API's top findings: weight × hosts affected), its hosts on an
// end-of-life OS, and its machines past their replacement age. A vCIO adopts one with a
// single POST.
//
// A suggestion is scoped to the hosts affected now (an explicit host filter), so the
// adopted initiative starts at 0 of N and burns down to 0 remaining; widening it to the
// whole tenant is a PATCH of its filter. A suggestion already adopted by an active
// initiative is not offered again.
import { findCheck, type HostRole } from '@vcio/shared';
import type { InitiativeFilter, InitiativeTarget, Store } from '../store/types.js';

/** Top findings turned into suggestions (lifecycle suggestions come on top). */
export const SUGGESTED_CHECKS = 5;
/** Days from today to the suggested due date: one quarter, the next review. */
export const SUGGESTED_DAYS = 90;
const PAGE = 1000;

export interface Suggestion {
  /** stable for the same finding: check-<check id>, lifecycle-os-end-of-life, hardware-past-replacement */
  key: string;
  title: string;
  /** why it is suggested */
  reason: string;
  hosts: { hostId: string; hostname: string }[];
  filter: InitiativeFilter;
  target: InitiativeTarget;
  /** YYYY-MM-DD */
  startDate: string;
  dueDate: string;
}

/** What the title says a check's fix is, for the checks a vCIO most often runs a project on. */
const ACTIONS: Record<string, (hosts: string) => string> = {
  'encryption-os-disk': (h) => `Encrypt ${h}`,
  'encryption-all-fixed-volumes': (h) => `Encrypt every fixed volume of ${h}`,
  'encryption-bitlocker-suspended': (h) => `Resume BitLocker on ${h}`,
  'firewall-off': (h) => `Enable the firewall on ${h}`,
  'exposure-firewall-default-inbound-allow': (h) => `Block unsolicited inbound traffic on ${h}`,
  'antimalware-absent-or-disabled': (h) => `Deploy anti-malware to ${h}`,
  'antimalware-realtime-off': (h) => `Enable real-time protection on ${h}`,
  'antimalware-signatures-stale': (h) => `Bring anti-malware signatures up to date on ${h}`,
  'patch-critical-pending': (h) => `Install critical updates on ${h}`,
  'patch-security-pending': (h) => `Install security updates on ${h}`,
  'patch-security-pending-14d': (h) => `Install overdue security updates on ${h}`,
  'patch-automatic-updates-off': (h) => `Enable automatic updates on ${h}`,
  'patch-reboot-pending': (h) => `Reboot ${h} to finish updates`,
  'secure-boot-off': (h) => `Enable Secure Boot on ${h}`,
  'identity-ssh-root-login': (h) => `Stop root login over SSH on ${h}`,
  'identity-ssh-password-auth': (h) => `Move SSH to keys only on ${h}`,
  'identity-too-many-admins': (h) => `Trim local administrators on ${h}`,
  'identity-guest-enabled': (h) => `Disable the guest account on ${h}`,
};

/** "14 workstations", "1 server", "3 hosts" (mixed or unknown roles). */
export function hostsPhrase(roles: readonly (HostRole | undefined)[]): string {
  const n = roles.length;
  const role = roles.every((r) => r === roles[0]) ? roles[0] : undefined;
  const noun = role ?? 'host';
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

async function openFindingHosts(store: Store, tenantId: string, checkId: string) {
  const hosts: { hostId: string; hostname: string }[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.posture.findings({
      tenantId,
      checkId,
      status: 'open',
      limit: PAGE,
      offset,
    });
    hosts.push(...page.findings.map((f) => ({ hostId: f.hostId, hostname: f.hostname })));
    if (offset + PAGE >= page.total) break;
  }
  return hosts.sort((a, b) => a.hostname.localeCompare(b.hostname));
}

export async function suggestInitiatives(
  store: Store,
  tenantId: string,
  now: Date,
): Promise<Suggestion[]> {
  const dates = {
    startDate: isoDay(now),
    dueDate: isoDay(new Date(now.getTime() + SUGGESTED_DAYS * 86_400_000)),
  };
  const [byCheck, scoreInputs, active] = await Promise.all([
    store.posture.openFindingsByCheck(tenantId),
    store.posture.tenantScoreInputs(tenantId),
    store.initiatives.list(tenantId, 'active'),
  ]);
  const adopted = new Set(active.map((i) => i.suggestionKey));
  const roles = new Map(scoreInputs.map((h) => [h.hostId, h.role]));
  const suggestions: Suggestion[] = [];

  // Lifecycle findings are suggested as lifecycle targets below, with their own titles.
  const top = byCheck
    .filter((row) => !row.checkId.startsWith('lifecycle-') && row.hosts > 0)
    .sort((a, b) => b.weight * b.hosts - a.weight * a.hosts || a.checkId.localeCompare(b.checkId))
    .slice(0, SUGGESTED_CHECKS);
  for (const row of top) {
    const key = `check-${row.checkId}`;
    if (adopted.has(key)) continue;
    const hosts = await openFindingHosts(store, tenantId, row.checkId);
    if (hosts.length === 0) continue;
    const phrase = hostsPhrase(hosts.map((h) => roles.get(h.hostId)));
    const check = findCheck(row.checkId);
    const action = ACTIONS[row.checkId];
    suggestions.push({
      key,
      title: action ? action(phrase) : `Fix "${check?.title ?? row.checkId}" on ${phrase}`,
      reason: `${check?.title ?? row.checkId}: open on ${phrase} (${row.severity}, weight ${row.weight})`,
      hosts,
      filter: { hostIds: hosts.map((h) => h.hostId) },
      target: { type: 'checks', checkIds: [row.checkId] },
      ...dates,
    });
  }

  const lifecycle: InitiativeTarget = { type: 'lifecycle', os: 'not_end_of_life' };
  const osKey = 'lifecycle-os-end-of-life';
  if (!adopted.has(osKey)) {
    const rows = await store.initiatives.evaluate(tenantId, {}, lifecycle, now);
    const eol = rows.filter((r) => r.reason === 'end_of_life');
    if (eol.length > 0) {
      suggestions.push({
        key: osKey,
        title: `Upgrade ${eol.length} end-of-life OS`,
        reason: `${hostsPhrase(eol.map((h) => roles.get(h.hostId)))} ${eol.length === 1 ? 'runs' : 'run'} an operating system past its end of support`,
        hosts: eol.map(({ hostId, hostname }) => ({ hostId, hostname })),
        filter: { hostIds: eol.map((h) => h.hostId) },
        target: lifecycle,
        ...dates,
      });
    }
  }

  const hardware: InitiativeTarget = { type: 'hardware', notPastReplacement: true };
  const hardwareKey = 'hardware-past-replacement';
  if (!adopted.has(hardwareKey)) {
    const rows = await store.initiatives.evaluate(tenantId, {}, hardware, now);
    const old = rows.filter((r) => r.reason === 'past_replacement');
    if (old.length > 0) {
      suggestions.push({
        key: hardwareKey,
        title: `Replace ${old.length} machine${old.length === 1 ? ' past its' : 's past their'} age`,
        reason: `${hostsPhrase(old.map((h) => roles.get(h.hostId)))} ${old.length === 1 ? 'is' : 'are'} past the replacement age of the tenant's policy`,
        hosts: old.map(({ hostId, hostname }) => ({ hostId, hostname })),
        filter: { hostIds: old.map((h) => h.hostId) },
        target: hardware,
        ...dates,
      });
    }
  }
  return suggestions;
}
