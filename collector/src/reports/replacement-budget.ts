// The hardware replacement forecast with money on it: the lifecycle view's quarters (which
// hosts reach their replacement age when) priced at the tenant's unit cost per role. The
// numbers are estimates for planning a budget, not quotes: the unit costs are settings.
import type { HostRole, PostureSettings } from '@vcio/shared';
import type { tenantLifecycleView } from '../posture/views.js';

type HardwareView = ReturnType<typeof tenantLifecycleView>['hardware'];

export interface PricedHost {
  hostId: string;
  hostname: string;
  role: HostRole;
}

export interface PricedBucket {
  hosts: PricedHost[];
  workstations: number;
  servers: number;
  budget: number;
}

export interface ReplacementBudget {
  policy: PostureSettings['replacement'];
  unitCost: PostureSettings['replacementCost'];
  /** past their replacement age already: replace now */
  overdue: PricedBucket;
  /** the next 8 calendar quarters, the current one first */
  quarters: (PricedBucket & { quarter: string; start: string })[];
  /** due after the forecast window */
  later: number;
  /** no purchase or firmware date: age unknown */
  unknown: { hostId: string; hostname: string }[];
  /** virtual machines have no hardware to replace */
  virtual: number;
  /** overdue plus the next four quarters */
  budgetNextYear: number;
  /** overdue plus all eight quarters */
  budgetTotal: number;
}

function price(
  hosts: { hostId: string; hostname: string }[],
  roles: Map<string, HostRole>,
  cost: PostureSettings['replacementCost'],
): PricedBucket {
  const priced = hosts.map((h) => ({ ...h, role: roles.get(h.hostId) ?? 'workstation' }));
  const servers = priced.filter((h) => h.role === 'server').length;
  const workstations = priced.length - servers;
  return {
    hosts: priced,
    workstations,
    servers,
    budget: workstations * cost.workstation + servers * cost.server,
  };
}

export function replacementBudget(
  hardware: HardwareView,
  roles: Map<string, HostRole>,
  settings: PostureSettings,
): ReplacementBudget {
  const cost = settings.replacementCost;
  const overdue = price(hardware.overdue, roles, cost);
  const quarters = hardware.quarters.map((q) => ({
    quarter: q.quarter,
    start: q.start,
    ...price(q.hosts, roles, cost),
  }));
  const sum = (buckets: PricedBucket[]) => buckets.reduce((n, b) => n + b.budget, 0);
  return {
    policy: settings.replacement,
    unitCost: cost,
    overdue,
    quarters,
    later: hardware.later,
    unknown: hardware.unknown,
    virtual: hardware.virtual,
    budgetNextYear: overdue.budget + sum(quarters.slice(0, 4)),
    budgetTotal: overdue.budget + sum(quarters),
  };
}
