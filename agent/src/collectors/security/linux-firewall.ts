// Firewall on Linux: whichever of ufw, firewalld, nftables and iptables are installed, each
// as the contract's FirewallProduct, and whether anything filters unsolicited inbound traffic.
//
//   ufw status verbose        -> parseUfwStatus
//   firewall-cmd --state      -> "running" (exit 0) / "not running" (exit 252)
//   firewall-cmd --list-all   -> parseFirewallCmdListAll (the default zone and its target)
//   nft list ruleset          -> parseNftRuleset (base chains on the input hook)
//   iptables -S               -> parseIptablesS (the filter table's INPUT chain)
//
// All but `firewall-cmd --state` need root: a non-root agent gets "Permission denied" or
// "you must be root", which is reported as "needs root", never as "no firewall".
// ufw and firewalld write their rules through nftables or iptables, so one machine often
// shows the same protection under two names; each tool's own view is kept.
import type { FirewallProduct } from '@vcio/shared';
import {
  cap,
  bounded,
  failureReason,
  joinReasons,
  succeeded,
  textLines,
  type LinuxSecurityHost,
  plural,
} from './linux-run.js';

type Inbound = 'allow' | 'block';

export interface UfwStatus {
  active: boolean;
  defaultInbound: Inbound | null;
  rules: number;
}

/** `ufw status verbose`. null when the text has no "Status:" line (not ufw's answer). */
export function parseUfwStatus(text: string): UfwStatus | null {
  let active: boolean | null = null;
  let defaultInbound: Inbound | null = null;
  let rules = 0;
  let inTable = false;
  for (const line of textLines(text)) {
    const status = /^Status:\s*(\S+)/.exec(line);
    if (status) {
      active = status[1] === 'active';
      continue;
    }
    const def = /^Default:.*?\b(\w+) \(incoming\)/.exec(line);
    if (def) {
      const verdict = cap(def, 1).toLowerCase();
      defaultInbound =
        verdict === 'allow' ? 'allow' : verdict === 'deny' || verdict === 'reject' ? 'block' : null;
      continue;
    }
    // the rule table starts after its "--  ------  ----" underline
    if (/^--\s+-+\s+-+/.test(line)) {
      inTable = true;
      continue;
    }
    if (inTable) rules++;
  }
  return active === null ? null : { active, defaultInbound, rules };
}

export interface FirewalldZone {
  zone: string | null;
  target: string | null;
  services: string[];
  ports: string[];
}

/** `firewall-cmd --list-all`: the default zone's name, target, services and ports. */
export function parseFirewallCmdListAll(text: string): FirewalldZone {
  const zone: FirewalldZone = { zone: null, target: null, services: [], ports: [] };
  for (const line of textLines(text)) {
    if (!/^\s/.test(line)) {
      zone.zone ??= line.trim().split(/\s+/)[0] ?? null;
      continue;
    }
    const m = /^\s+([\w -]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = cap(m, 1).trim();
    const value = cap(m, 2).trim();
    if (key === 'target') zone.target = value || null;
    else if (key === 'services') zone.services = value.split(/\s+/).filter(Boolean);
    else if (key === 'ports') zone.ports = value.split(/\s+/).filter(Boolean);
  }
  return zone;
}

/**
 * What unsolicited inbound traffic meets in a firewalld zone. The zone target "default"
 * rejects it (ICMP aside), as do REJECT, %%REJECT%% and DROP; only ACCEPT lets it in.
 */
export function firewalldInbound(target: string | null): Inbound | null {
  if (target === null) return null;
  return target.toUpperCase() === 'ACCEPT' ? 'allow' : 'block';
}

export interface NftInputChain {
  family: string;
  table: string;
  chain: string;
  policy: string;
  rules: number;
  /** rules that drop, reject or hand the packet to another chain that may */
  filteringRules: number;
}

/** `nft list ruleset`: every base chain on the input hook, with its policy and rule counts. */
export function parseNftRuleset(text: string): NftInputChain[] {
  const chains: NftInputChain[] = [];
  let family = '';
  let table = '';
  let current: (NftInputChain & { input: boolean }) | null = null;
  for (const raw of textLines(text)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const t = /^table\s+(\S+)\s+(\S+)\s*\{/.exec(line);
    if (t) {
      family = cap(t, 1);
      table = cap(t, 2);
      continue;
    }
    const c = /^chain\s+(\S+)\s*\{/.exec(line);
    if (c) {
      current = {
        family,
        table,
        chain: cap(c, 1),
        policy: 'accept',
        rules: 0,
        filteringRules: 0,
        input: false,
      };
      continue;
    }
    // sets, maps, flowtables and other objects sit at table level, outside any chain
    if (current === null) continue;
    if (line === '}') {
      if (current.input) {
        const { input: _input, ...chain } = current;
        chains.push(chain);
      }
      current = null;
      continue;
    }
    const base = /^type\s+\w+\s+hook\s+(\w+)\b/.exec(line);
    if (base) {
      current.input = base[1] === 'input';
      const policy = /policy\s+(\w+)/.exec(line);
      if (policy) current.policy = cap(policy, 1);
      continue;
    }
    current.rules++;
    if (/\b(drop|reject|jump|goto)\b/.test(line)) current.filteringRules++;
  }
  return chains;
}

export interface IptablesInput {
  policy: string | null;
  rules: number;
  filteringRules: number;
}

/** `iptables -S` (filter table): the INPUT chain's policy and rules. */
export function parseIptablesS(text: string): IptablesInput {
  const userChains = new Set<string>();
  const inputTargets: string[] = [];
  let policy: string | null = null;
  for (const line of textLines(text)) {
    const p = /^-P INPUT (\S+)/.exec(line);
    if (p) policy = p[1] ?? null;
    const n = /^-N (\S+)/.exec(line);
    if (n) userChains.add(cap(n, 1));
    if (/^-A INPUT\b/.test(line)) inputTargets.push(/\s-[jg] (\S+)/.exec(line)?.[1] ?? '');
  }
  const filtering = inputTargets.filter(
    (target) => target === 'DROP' || target === 'REJECT' || userChains.has(target),
  ).length;
  return { policy, rules: inputTargets.length, filteringRules: filtering };
}

const product = (name: string, fields: Partial<FirewallProduct> = {}): FirewallProduct => ({
  name,
  profile: null,
  enabled: null,
  defaultInbound: null,
  detail: null,
  ...fields,
});

interface ProductRead {
  product: FirewallProduct;
  /** why part of this product's facts are unknown */
  reason: string | null;
}

async function readUfw(h: LinuxSecurityHost, bin: string): Promise<ProductRead> {
  const ran = await h.run(bin, ['status', 'verbose']);
  const status = succeeded(ran) ? parseUfwStatus(ran.result.stdout) : null;
  if (status === null)
    return {
      product: product('ufw'),
      reason: succeeded(ran) ? `'${ran.command}' printed no status` : failureReason(ran),
    };
  if (!status.active)
    return { product: product('ufw', { enabled: false, detail: 'inactive' }), reason: null };
  return {
    product: product('ufw', {
      enabled: true,
      defaultInbound: status.defaultInbound,
      detail: `active, ${plural(status.rules, 'rule')}`,
    }),
    reason: null,
  };
}

async function readFirewalld(h: LinuxSecurityHost, bin: string): Promise<ProductRead> {
  const state = await h.run(bin, ['--state']);
  if (state.kind !== 'done' || state.result.timedOut)
    return { product: product('firewalld'), reason: failureReason(state) };
  const answer = state.result.stdout.trim() || state.result.stderr.trim();
  if (state.result.exitCode !== 0) {
    // 252 and "not running": the daemon is stopped, so it filters nothing
    if (/not running/i.test(answer) || state.result.exitCode === 252)
      return {
        product: product('firewalld', { enabled: false, detail: 'not running' }),
        reason: null,
      };
    return { product: product('firewalld'), reason: failureReason(state) };
  }
  const list = await h.run(bin, ['--list-all']);
  if (!succeeded(list))
    return {
      product: product('firewalld', { enabled: true, detail: 'running' }),
      reason: failureReason(list),
    };
  const zone = parseFirewallCmdListAll(list.result.stdout);
  const inbound = firewalldInbound(zone.target);
  const detail = [
    `zone ${zone.zone ?? '?'} (target ${zone.target ?? '?'})`,
    `services: ${zone.services.join(' ') || 'none'}`,
    `ports: ${zone.ports.join(' ') || 'none'}`,
  ].join('; ');
  return {
    product: product('firewalld', {
      enabled: inbound === null ? true : inbound === 'block',
      defaultInbound: inbound,
      detail: bounded(detail, 512),
    }),
    reason: null,
  };
}

async function readNft(h: LinuxSecurityHost, bin: string): Promise<ProductRead> {
  const ran = await h.run(bin, ['list', 'ruleset']);
  if (!succeeded(ran)) return { product: product('nftables'), reason: failureReason(ran) };
  const chains = parseNftRuleset(ran.result.stdout);
  const drops = chains.some((c) => c.policy === 'drop');
  const filters = drops || chains.some((c) => c.filteringRules > 0);
  const detail =
    chains.length === 0
      ? 'no input chains'
      : chains
          .map(
            (c) =>
              `${c.family} ${c.table} ${c.chain}: policy ${c.policy}, ${plural(c.rules, 'rule')}`,
          )
          .join('; ');
  return {
    product: product('nftables', {
      enabled: filters,
      defaultInbound: drops ? 'block' : 'allow',
      detail: bounded(detail, 512),
    }),
    reason: null,
  };
}

async function readIptables(h: LinuxSecurityHost, bin: string): Promise<ProductRead> {
  const ran = await h.run(bin, ['-S']);
  if (!succeeded(ran)) return { product: product('iptables'), reason: failureReason(ran) };
  const input = parseIptablesS(ran.result.stdout);
  if (input.policy === null)
    return { product: product('iptables'), reason: `'${ran.command}' printed no INPUT policy` };
  const drops = input.policy === 'DROP';
  const legacy = /iptables-legacy tables present/.test(ran.result.stderr)
    ? ' (iptables-legacy tables also present, not read)'
    : '';
  return {
    product: product('iptables', {
      enabled: drops || input.filteringRules > 0,
      defaultInbound: drops ? 'block' : 'allow',
      detail: `INPUT policy ${input.policy}, ${plural(input.rules, 'rule')}${legacy}`,
    }),
    reason: null,
  };
}

export interface FirewallGroup {
  enabled: boolean | null;
  products: FirewallProduct[];
  reason: string | null;
}

/**
 * true when any installed tool filters inbound traffic; false only when every installed
 * tool answered and none does (no tool installed at all: nothing can be filtering); null
 * when some could not be read and none of the others filters.
 */
export function combineFirewall(reads: readonly ProductRead[]): FirewallGroup {
  const products = reads.map((r) => r.product);
  const reason = joinReasons(reads.map((r) => r.reason));
  if (products.some((p) => p.enabled === true)) return { enabled: true, products, reason };
  if (products.every((p) => p.enabled === false)) return { enabled: false, products, reason };
  return { enabled: null, products, reason };
}

const READERS: readonly [string, (h: LinuxSecurityHost, bin: string) => Promise<ProductRead>][] = [
  ['ufw', readUfw],
  ['firewall-cmd', readFirewalld],
  ['nft', readNft],
  ['iptables', readIptables],
];

export async function readLinuxFirewall(h: LinuxSecurityHost): Promise<FirewallGroup> {
  const reads: ProductRead[] = [];
  for (const [tool, read] of READERS) {
    const bin = await h.locate(tool);
    if (bin !== null) reads.push(await read(h, bin));
  }
  return combineFirewall(reads);
}
