// The report a client's management reads: one self-contained HTML file (inline CSS, inline
// SVG charts, no script, no external resource), laid out for A4 or Letter when printed,
// which is also how Chromium turns it into the PDF. Every value from the data is escaped:
// hostnames, evidence and acceptance reasons come from agents and people.
import type { PortfolioReport } from './portfolio.js';
import {
  categoryBars,
  escapeHtml as e,
  forecastBars,
  scoreColour,
  trendChart,
} from './svg-charts.js';
import type { TenantReport } from './tenant-report.js';

export type Paper = 'a4' | 'letter';
export const PAPERS: readonly Paper[] = ['a4', 'letter'];

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '—');

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      maximumFractionDigits: 0,
    }).format(amount);
  } catch {
    return `${currency} ${amount}`;
  }
}

const scoreText = (score: number | null) => (score === null ? 'n/a' : score.toFixed(1));

function delta(value: number | null): string {
  if (value === null) return 'n/a';
  return value > 0 ? `+${value.toFixed(1)}` : value.toFixed(1);
}

const STATE_LABEL: Record<string, string> = {
  supported: 'supported',
  ending_soon: 'ending soon',
  end_of_life: 'end of life',
  unknown: 'unknown',
};

function table(header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  return (
    `<table><thead><tr>${header.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

const CSS = (paper: Paper) => `
@page { size: ${paper === 'letter' ? 'letter' : 'A4'}; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222; font-size: 10.5pt;
  line-height: 1.4; margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 8mm 0 3mm; border-bottom: 2px solid #1565c0; padding-bottom: 1mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
/* short sections move to the next page whole rather than leave their heading behind */
#initiatives, #accepted-risks, #patch-compliance h3 + table { break-inside: avoid; page-break-inside: avoid; }
.meta { color: #555; margin: 0 0 4mm; }
.kpis { display: flex; flex-wrap: wrap; gap: 3mm; margin: 3mm 0; }
.kpi { border: 1px solid #dadce0; border-radius: 2mm; padding: 2mm 4mm; min-width: 34mm; }
.kpi .value { font-size: 18pt; font-weight: bold; }
.kpi .label { color: #555; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9pt; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 1.2mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
tr { break-inside: avoid; page-break-inside: avoid; }
.empty, .na { color: #555; font-style: italic; }
.evidence { color: #555; font-size: 8.5pt; }
.chart { max-width: 100%; height: auto; display: block; margin: 2mm 0; }
.badge { display: inline-block; padding: 0 2mm; border-radius: 1mm; color: #fff; font-size: 8.5pt; }
.sev-critical, .st-end_of_life { background: #b71c1c; } .sev-high { background: #e65100; }
.sev-medium, .st-ending_soon { background: #f9a825; color: #222; } .sev-low { background: #546e7a; }
.st-supported { background: #2e7d32; } .st-unknown { background: #9aa0a6; }
section.page { break-before: page; page-break-before: always; }
section.first { break-before: auto; page-break-before: auto; }
.progress { background: #f1f3f4; height: 3mm; width: 40mm; margin-bottom: 1mm; }
.progress div { background: #1565c0; height: 100%; }
footer { margin-top: 8mm; color: #777; font-size: 8.5pt; }
@media print { body { padding: 0; max-width: none; } }
`;

const badge = (cls: string, text: string) => `<span class="badge ${e(cls)}">${e(text)}</span>`;

function summarySection(r: TenantReport): string {
  const s = r.summary;
  const change = s.sinceLastReview;
  const kpi = (value: string, label: string, colour?: string) =>
    `<div class="kpi"><div class="value"${colour ? ` style="color:${colour}"` : ''}>${e(value)}</div><div class="label">${e(label)}</div></div>`;
  const baseline =
    change.baseline.basis === 'none'
      ? 'no score was recorded before this period'
      : `score ${scoreText(change.baseline.score)} on ${day(change.baseline.at)}`;
  return `<section class="first" id="summary">
<h2>Executive summary</h2>
<div class="kpis">
${kpi(scoreText(s.score), 'posture score (0–100)', scoreColour(s.score))}
${kpi(delta(change.scoreDelta), `change since ${day(change.since)}`)}
${kpi(String(s.hosts.total), 'hosts')}
${kpi(String(s.openFindings), 'open findings')}
${kpi(String(s.findingsBySeverity.critical + s.findingsBySeverity.high), 'critical and high')}
</div>
<p>Since the last review (${e(day(change.since))}; ${e(baseline)}): <strong>${change.openedCount}</strong> finding(s) opened and
<strong>${change.resolvedCount}</strong> resolved.</p>
<h3>Score over the last ${r.period.trendDays} days</h3>
${trendChart(s.trend, new Date(Date.parse(r.period.until) - r.period.trendDays * 86_400_000).toISOString(), r.period.until)}
</section>
<section id="categories">
<h2>Score by category</h2>
${categoryBars(s.categories)}
<p class="meta">Servers count ${e(s.serverWeight)}× a workstation in the tenant score. ${s.hosts.scored} of ${s.hosts.total} host(s) scored.</p>
</section>`;
}

function topRisksSection(r: TenantReport): string {
  const rows = r.topRisks.map((risk, i) => [
    String(i + 1),
    `<strong>${e(risk.title)}</strong><br>${badge(`sev-${risk.severity}`, risk.severity)} ${e(risk.category ?? '')}`,
    `${risk.hostsAffected}`,
    `${e(risk.remediation ?? '')}<div class="evidence">${risk.hosts
      .slice(0, 8)
      .map((h) => e(h.hostname))
      .join(', ')}${risk.hostsAffected > 8 ? ` and ${risk.hostsAffected - 8} more` : ''}</div>`,
  ]);
  return `<section class="page" id="top-risks">
<h2>Top risks</h2>
<p class="meta">Ranked by weight × hosts affected: what to fix first for the most good.</p>
${table(['#', 'Risk', 'Hosts', 'Remediation and hosts affected'], rows, 'No open findings.')}
</section>`;
}

function patchSection(r: TenantReport): string {
  const p = r.patchCompliance;
  const severityRows = Object.entries(p.bySeverity)
    .filter(([, v]) => v.updates > 0)
    .map(([k, v]) => [e(k), String(v.updates), String(v.hosts)]);
  const overdue = p.overdue.map((h) => [
    e(h.hostname),
    String(h.securityPending),
    h.oldestSecurityDays === null ? '—' : `${h.oldestSecurityDays} days`,
  ]);
  const reboot = p.rebootPending.map((h) => [
    e(h.hostname),
    `<span class="evidence">${e(h.evidence.join('; '))}</span>`,
  ]);
  return `<section id="patch-compliance">
<h2>Patch compliance</h2>
<p><strong>${p.hostsCompliant}</strong> of ${p.hostsAssessed} assessed host(s) compliant:
no security update pending longer than ${p.securityPendingDays} days and no reboot pending.
${p.securityUpdates} security update(s) pending in all.</p>
<h3>Pending security updates by severity</h3>
${table(['Severity (as the source states it)', 'Updates', 'Hosts'], severityRows, 'No security update pending.')}
<h3>Security updates pending longer than ${p.securityPendingDays} days</h3>
${table(['Host', 'Security updates pending', 'Oldest released'], overdue, 'None.')}
<h3>Reboot pending</h3>
${table(['Host', 'Detail'], reboot, 'None.')}
</section>`;
}

function lifecycleSection(r: TenantReport): string {
  const l = r.lifecycle;
  const osRows = [...l.os.endOfLife, ...l.os.endingSoon].map((h) => [
    e(h.hostname),
    e(h.label ?? 'unknown'),
    badge(`st-${h.state}`, STATE_LABEL[h.state] ?? h.state),
    e(day(h.eol)),
  ]);
  const swRows = [...l.software.endOfLife, ...l.software.endingSoon].map((s) => [
    e(s.label),
    badge(`st-${s.state}`, STATE_LABEL[s.state] ?? s.state),
    e(day(s.eol)),
    String(s.hostCount),
  ]);
  const counts = Object.entries(l.os.counts)
    .map(([k, v]) => `${e(STATE_LABEL[k] ?? k)}: ${v}`)
    .join(' · ');
  return `<section class="page" id="lifecycle">
<h2>Lifecycle</h2>
<p>Operating systems: ${counts}. “Ending soon” means support ends within ${l.endingSoonDays} days.</p>
<h3>Operating systems at or near end of life</h3>
${table(['Host', 'Operating system', 'State', 'Support ends'], osRows, 'Every operating system is supported.')}
<h3>Key software at or near end of life</h3>
${table(['Software', 'State', 'Support ends', 'Hosts'], swRows, `None of the ${l.software.tracked} tracked software releases is near its end of life.`)}
</section>`;
}

function forecastSection(r: TenantReport): string {
  const f = r.hardwareForecast;
  const cur = f.unitCost.currency;
  const bars = [
    { label: 'overdue', hosts: f.overdue.hosts.length, budget: f.overdue.budget },
    ...f.quarters.map((q) => ({ label: q.quarter, hosts: q.hosts.length, budget: q.budget })),
  ];
  const rows = [
    [
      'Overdue',
      String(f.overdue.workstations),
      String(f.overdue.servers),
      e(money(f.overdue.budget, cur)),
      e(f.overdue.hosts.map((h) => h.hostname).join(', ')),
    ],
    ...f.quarters.map((q) => [
      e(q.quarter),
      String(q.workstations),
      String(q.servers),
      e(money(q.budget, cur)),
      e(q.hosts.map((h) => h.hostname).join(', ')),
    ]),
  ];
  return `<section id="forecast">
<h2>Hardware replacement forecast</h2>
<p>Workstations are replaced after ${f.policy.workstationYears} years and servers after ${f.policy.serverYears};
estimated at ${e(money(f.unitCost.workstation, cur))} a workstation and ${e(money(f.unitCost.server, cur))} a server.
Next four quarters, overdue included: <strong>${e(money(f.budgetNextYear, cur))}</strong>; all eight: ${e(money(f.budgetTotal, cur))}.</p>
${forecastBars(bars, cur)}
${table(['Quarter', 'Workstations', 'Servers', 'Estimated budget', 'Hosts'], rows, '')}
<p class="meta">${f.later} host(s) due later, ${f.unknown.length} of unknown age, ${f.virtual} virtual.</p>
</section>`;
}

const notAvailable = (title: string, reason: string) =>
  `<p class="na">${e(title)}: ${e(reason)}.</p>`;

const versionsText = (versions: { version: string | null; hosts: number }[]) =>
  versions.map((v) => `${v.version ?? 'unknown'} (${v.hosts})`).join(', ');

function technologySection(r: TenantReport): string {
  const title = 'Vendors and technology';
  const part = r.technology;
  if (!part.available) {
    return `<section class="page" id="technology"><h2>${title}</h2>${notAvailable(title, part.reason)}</section>`;
  }
  const t = part.data;
  const installed = t.software.mostInstalled.map((p) => [
    e(p.publisher ?? '—'),
    e(p.name),
    String(p.hosts),
    String(p.versionCount),
  ]);
  const sprawl = t.software.mostVersions.map((p) => [
    e(p.name),
    String(p.versionCount),
    `<span class="evidence">${e(versionsText(p.versions))}</span>`,
  ]);
  const unsupported = t.software.unsupported.map((s) => [
    e(s.label),
    badge(`st-${s.state}`, STATE_LABEL[s.state] ?? s.state),
    e(day(s.eol)),
    String(s.hosts),
  ]);
  const hardware = t.hardware.map((h) => [
    e([h.manufacturer, h.model].filter(Boolean).join(' ') || 'unknown'),
    String(h.hosts),
    String(h.virtual),
    h.age ? `${h.age.median} (${h.age.min}–${h.age.max})` : '—',
  ]);
  const os = t.os.map((o) => [
    e(o.label ?? ([o.distro, o.release].filter(Boolean).join(' ') || o.platform || 'unknown')),
    String(o.hosts),
    e(day(o.eol)),
  ]);
  return `<section class="page" id="technology">
<h2>${title}</h2>
<p>${t.hosts} host(s) run ${t.software.products} distinct software product(s).</p>
<h3>Operating systems</h3>
${table(['Operating system', 'Hosts', 'Support ends'], os, 'No operating system reported.')}
<h3>Hardware by manufacturer and model</h3>
${table(['Model', 'Hosts', 'Virtual', 'Age in years: median (min–max)'], hardware, 'No hardware reported.')}
<h3>Most installed software</h3>
${table(['Publisher', 'Product', 'Hosts', 'Versions'], installed, 'No software reported.')}
<h3>Version sprawl</h3>
${table(['Product', 'Versions', 'In use (hosts)'], sprawl, 'Every product runs one version.')}
<h3>Unsupported key software</h3>
${table(['Release', 'State', 'Support ends', 'Hosts'], unsupported, 'None.')}
</section>`;
}

function initiativesSection(r: TenantReport): string {
  const title = 'Initiatives';
  const part = r.initiatives;
  if (!part.available) {
    return `<section id="initiatives"><h2>${title}</h2>${notAvailable(title, part.reason)}</section>`;
  }
  const rows = part.data.map((i) => {
    const ratio = i.progress.ratio ?? 0;
    return [
      `<strong>${e(i.title)}</strong><div class="evidence">${e(i.owner)} · ${e(i.status)}</div>`,
      `${e(i.startDate)} → ${e(i.dueDate)}`,
      `<div class="progress"><div style="width:${Math.round(ratio * 100)}%"></div></div>` +
        `${i.progress.met} of ${i.progress.inScope} host(s) (${Math.round(ratio * 100)}%)`,
      i.targetMetAt
        ? `${badge('st-supported', 'target met')}<div class="evidence">every host in scope ` +
          `since ${e(i.targetMetAt.slice(0, 10))}` +
          `${i.status === 'active' ? '; ready to close' : ''}</div>`
        : i.atRisk
          ? `${badge('sev-high', 'at risk')}<div class="evidence">${e(i.risk.reason)}</div>`
          : `${badge('st-supported', 'on track')}<div class="evidence">${e(i.risk.reason)}</div>`,
    ];
  });
  return `<section id="initiatives">
<h2>${title}</h2>
${table(['Initiative', 'Start → due', 'Progress', 'Outlook'], rows, 'No initiative is under way.')}
</section>`;
}

function acceptedSection(r: TenantReport): string {
  const rows = r.acceptedRisks.map((a) => [
    e(a.title),
    e(a.hostname ?? 'every host'),
    e(a.reason),
    e(a.acceptedBy),
    e(day(a.expiresAt)),
  ]);
  return `<section id="accepted-risks">
<h2>Accepted risks</h2>
${table(['Risk', 'Scope', 'Reason', 'Accepted by', 'Review by'], rows, 'No risk is accepted.')}
</section>`;
}

function hostsSection(r: TenantReport): string {
  const rows = r.hosts.map((h) => [
    e(h.hostname),
    `<span style="color:${scoreColour(h.score)}">${e(scoreText(h.score))}</span>`,
    `${e(h.os.label ?? 'unknown')} ${badge(`st-${h.os.state}`, STATE_LABEL[h.os.state] ?? h.os.state)}`,
    `${h.pendingUpdates} (${h.securityUpdates} security)${h.rebootPending ? ', reboot' : ''}`,
    String(h.openFindings),
    e(day(h.lastSeen)),
  ]);
  return `<section class="page" id="hosts">
<h2>Hosts</h2>
${table(['Host', 'Score', 'Operating system', 'Pending updates', 'Findings', 'Last seen'], rows, 'No hosts.')}
</section>`;
}

function document(title: string, paper: Paper, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${CSS(paper)}</style></head>
<body>
${body}
</body></html>
`;
}

export function tenantHtml(r: TenantReport, paper: Paper = 'a4'): string {
  const title = `${r.tenant.name}: IT posture report`;
  const body = `<header><h1>${e(title)}</h1>
<p class="meta">Generated ${e(day(r.generatedAt))} · period ${e(day(r.period.since))} to ${e(day(r.period.until))} · vcio</p></header>
${summarySection(r)}
${topRisksSection(r)}
${patchSection(r)}
${lifecycleSection(r)}
${forecastSection(r)}
${technologySection(r)}
${initiativesSection(r)}
${acceptedSection(r)}
${hostsSection(r)}
<footer>Scores and findings as assessed by vcio; lifecycle dates from endoflife.date; budgets are estimates from the unit costs configured for this client.</footer>`;
  return document(title, paper, body);
}

export function portfolioHtml(r: PortfolioReport, paper: Paper = 'a4'): string {
  const title = 'Portfolio: IT posture across clients';
  const rows = r.tenants.map((t) => [
    e(t.tenant.name),
    `<span style="color:${scoreColour(t.score)}">${e(scoreText(t.score))}</span>`,
    e(delta(t.scoreDelta)),
    String(t.hosts),
    String(t.criticalFindings),
    String(t.endOfLifeOs),
    String(t.overdueHardware),
    e(money(t.budgetNext4Quarters, t.currency)),
  ]);
  const body = `<header><h1>${e(title)}</h1>
<p class="meta">Generated ${e(day(r.generatedAt))} · ${r.totals.tenants} client(s), ${r.totals.hosts} host(s)</p></header>
<section class="first" id="portfolio">
<h2>Fleet-wide summary</h2>
${table(['Client', 'Score', 'Change', 'Hosts', 'Critical findings', 'End-of-life OS', 'Overdue hardware', 'Budget next 4 quarters'], rows, 'No clients.')}
</section>`;
  return document(title, paper, body);
}
