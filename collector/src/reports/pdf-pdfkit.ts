// The PDF without a browser: pdfkit draws a plainer document (text, and bars for the
// categories and the forecast) with the same sections as the HTML report. Used where
// Chromium is not installed or fails, so a PDF export always works.
import PDFDocument from 'pdfkit';
import { money, type Paper } from './render-html.js';
import type { TenantReport } from './tenant-report.js';

type Doc = InstanceType<typeof PDFDocument>;

const BLUE = '#1565c0';
const GREY = '#555555';

/**
 * pdfkit's built-in fonts (Helvetica) encode WinAnsi only: a character outside it would
 * print as garbage, so it becomes '?'. Typographic punctuation is kept.
 */
export function pdfSafe(value: unknown): string {
  return String(value ?? '').replace(
    /[^\t\n\r\u0020-\u007e\u00a0-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]/gu,
    '?',
  );
}

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '-');
const scoreText = (score: number | null) => (score === null ? 'n/a' : score.toFixed(1));

function heading(doc: Doc, text: string, newPage = false): void {
  if (newPage) doc.addPage();
  else doc.moveDown(1);
  doc.font('Helvetica-Bold').fontSize(15).fillColor(BLUE).text(pdfSafe(text));
  const y = doc.y + 2;
  doc
    .moveTo(doc.page.margins.left, y)
    .lineTo(doc.page.width - doc.page.margins.right, y)
    .strokeColor(BLUE)
    .lineWidth(1.5)
    .stroke();
  doc.moveDown(0.6).font('Helvetica').fontSize(10).fillColor('#222222');
}

function subheading(doc: Doc, text: string): void {
  doc.moveDown(0.5).font('Helvetica-Bold').fontSize(11.5).fillColor('#222222').text(pdfSafe(text));
  doc.font('Helvetica').fontSize(10);
}

const line = (doc: Doc, text: string, options: PDFKit.Mixins.TextOptions = {}) =>
  doc.font('Helvetica').fontSize(10).fillColor('#222222').text(pdfSafe(text), options);

const note = (doc: Doc, text: string) =>
  doc
    .font('Helvetica-Oblique')
    .fontSize(9)
    .fillColor(GREY)
    .text(pdfSafe(text))
    .fillColor('#222222');

/** Horizontal bars, label on the left and value on the right, 0..max. */
function bars(
  doc: Doc,
  items: { label: string; value: number | null; text: string }[],
  max: number,
) {
  const left = doc.page.margins.left;
  const labelWidth = 110;
  const barWidth = doc.page.width - left - doc.page.margins.right - labelWidth - 90;
  for (const item of items) {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 20) doc.addPage();
    const y = doc.y;
    doc.font('Helvetica').fontSize(9.5).fillColor('#222222');
    doc.text(pdfSafe(item.label), left, y + 2, { width: labelWidth - 8, align: 'right' });
    doc.rect(left + labelWidth, y, barWidth, 13).fill('#f1f3f4');
    const w = item.value === null || max <= 0 ? 0 : (item.value / max) * barWidth;
    if (w > 0) doc.rect(left + labelWidth, y, w, 13).fill(BLUE);
    doc.fillColor('#222222').text(pdfSafe(item.text), left + labelWidth + barWidth + 6, y + 2, {
      width: 84,
    });
    doc.x = left;
    doc.y = y + 18;
  }
}

function technology(doc: Doc, r: TenantReport): void {
  const title = 'Vendors and technology';
  heading(doc, title, true);
  if (!r.technology.available) {
    note(doc, `${title}: ${r.technology.reason}.`);
    return;
  }
  const t = r.technology.data;
  line(doc, `${t.hosts} host(s) run ${t.software.products} distinct software product(s).`);
  subheading(doc, 'Operating systems');
  for (const o of t.os) {
    line(
      doc,
      `• ${o.label ?? ([o.distro, o.release].filter(Boolean).join(' ') || 'unknown')}: ${o.hosts} host(s), support ends ${day(o.eol)}`,
    );
  }
  subheading(doc, 'Hardware by manufacturer and model');
  for (const h of t.hardware) {
    const age = h.age ? `, age ${h.age.median} years (${h.age.min}–${h.age.max})` : '';
    line(
      doc,
      `• ${[h.manufacturer, h.model].filter(Boolean).join(' ') || 'unknown'}: ${h.hosts} host(s)${age}`,
    );
  }
  subheading(doc, 'Most installed software');
  for (const p of t.software.mostInstalled.slice(0, 15)) {
    line(
      doc,
      `• ${p.name}${p.publisher ? ` (${p.publisher})` : ''}: ${p.hosts} host(s), ${p.versionCount} version(s)`,
    );
  }
  subheading(doc, 'Version sprawl');
  if (t.software.mostVersions.length === 0) note(doc, 'Every product runs one version.');
  for (const p of t.software.mostVersions.slice(0, 15)) {
    line(
      doc,
      `• ${p.name}: ${p.versions.map((v) => `${v.version ?? 'unknown'} (${v.hosts})`).join(', ')}`,
    );
  }
  subheading(doc, 'Unsupported key software');
  if (t.software.unsupported.length === 0) note(doc, 'None.');
  for (const s of t.software.unsupported) {
    line(
      doc,
      `• ${s.label}: ${s.state.replace(/_/g, ' ')}, support ends ${day(s.eol)}, ${s.hosts} host(s)`,
    );
  }
}

function initiatives(doc: Doc, r: TenantReport): void {
  heading(doc, 'Initiatives');
  if (!r.initiatives.available) {
    note(doc, `Initiatives: ${r.initiatives.reason}.`);
    return;
  }
  if (r.initiatives.data.length === 0) note(doc, 'No initiative is under way.');
  for (const i of r.initiatives.data) {
    const ratio = Math.round((i.progress.ratio ?? 0) * 100);
    doc
      .moveDown(0.3)
      .font('Helvetica-Bold')
      .fontSize(10.5)
      .text(pdfSafe(`${i.title} (${i.owner})`));
    const outlook = i.targetMetAt
      ? `target met by every host in scope since ${day(i.targetMetAt)}${i.status === 'active' ? ', ready to close' : ''}`
      : `${i.atRisk ? 'AT RISK' : 'on track'}: ${i.risk.reason}`;
    line(
      doc,
      `${i.startDate} to ${i.dueDate}: ${i.progress.met} of ${i.progress.inScope} host(s) (${ratio}%), ${outlook}`,
    );
  }
}

function draw(doc: Doc, r: TenantReport): void {
  const s = r.summary;
  const change = s.sinceLastReview;
  doc.font('Helvetica-Bold').fontSize(20).fillColor('#222222');
  doc.text(pdfSafe(`${r.tenant.name}: IT posture report`));
  note(
    doc,
    `Generated ${day(r.generatedAt)} · period ${day(r.period.since)} to ${day(r.period.until)} · vcio`,
  );

  heading(doc, 'Executive summary');
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(pdfSafe(`Score ${scoreText(s.score)} / 100`));
  const deltaText =
    change.scoreDelta === null
      ? 'no earlier score to compare'
      : `${change.scoreDelta > 0 ? '+' : ''}${change.scoreDelta.toFixed(1)} since ${day(change.since)}`;
  line(doc, `Change since the last review: ${deltaText}.`);
  line(
    doc,
    `${s.hosts.total} host(s); ${s.openFindings} open finding(s) (${s.findingsBySeverity.critical} critical, ${s.findingsBySeverity.high} high). Since ${day(change.since)}: ${change.openedCount} opened, ${change.resolvedCount} resolved.`,
  );
  subheading(doc, `Score trend, last ${r.period.trendDays} days`);
  const points = s.trend.filter((p) => p.score !== null);
  bars(
    doc,
    points.slice(-12).map((p) => ({ label: day(p.at), value: p.score, text: scoreText(p.score) })),
    100,
  );
  if (points.length === 0) note(doc, 'No score recorded in this period.');
  subheading(doc, 'Score by category');
  bars(
    doc,
    Object.entries(s.categories).map(([k, v]) => ({ label: k, value: v, text: scoreText(v) })),
    100,
  );

  heading(doc, 'Top risks', true);
  note(doc, 'Ranked by weight × hosts affected.');
  if (r.topRisks.length === 0) note(doc, 'No open findings.');
  r.topRisks.forEach((risk, i) => {
    doc.moveDown(0.4).font('Helvetica-Bold').fontSize(10.5);
    doc.text(pdfSafe(`${i + 1}. ${risk.title} (${risk.severity}, ${risk.hostsAffected} host(s))`));
    line(doc, risk.remediation ?? '');
    note(doc, `Hosts: ${risk.hosts.map((h) => h.hostname).join(', ')}`);
  });

  const p = r.patchCompliance;
  heading(doc, 'Patch compliance');
  line(
    doc,
    `${p.hostsCompliant} of ${p.hostsAssessed} assessed host(s) compliant (no security update pending longer than ${p.securityPendingDays} days, no reboot pending). ${p.securityUpdates} security update(s) pending.`,
  );
  for (const [severity, v] of Object.entries(p.bySeverity)) {
    if (v.updates > 0) line(doc, `• ${severity}: ${v.updates} update(s) on ${v.hosts} host(s)`);
  }
  subheading(doc, `Pending longer than ${p.securityPendingDays} days`);
  if (p.overdue.length === 0) note(doc, 'None.');
  for (const h of p.overdue) {
    line(
      doc,
      `• ${h.hostname}: ${h.securityPending} security update(s), oldest ${h.oldestSecurityDays ?? '?'} days`,
    );
  }
  subheading(doc, 'Reboot pending');
  if (p.rebootPending.length === 0) note(doc, 'None.');
  for (const h of p.rebootPending) line(doc, `• ${h.hostname}`);

  const l = r.lifecycle;
  heading(doc, 'Lifecycle', true);
  line(
    doc,
    `Operating systems: ${Object.entries(l.os.counts)
      .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
      .join(', ')}.`,
  );
  subheading(doc, 'Operating systems at or near end of life');
  const os = [...l.os.endOfLife, ...l.os.endingSoon];
  if (os.length === 0) note(doc, 'Every operating system is supported.');
  for (const h of os) {
    line(
      doc,
      `• ${h.hostname}: ${h.label ?? 'unknown'}, ${h.state.replace(/_/g, ' ')}, support ends ${day(h.eol)}`,
    );
  }
  subheading(doc, 'Key software at or near end of life');
  const sw = [...l.software.endOfLife, ...l.software.endingSoon];
  if (sw.length === 0) note(doc, 'None.');
  for (const item of sw) {
    line(
      doc,
      `• ${item.label}: ${item.state.replace(/_/g, ' ')}, support ends ${day(item.eol)}, ${item.hostCount} host(s)`,
    );
  }

  const f = r.hardwareForecast;
  const cur = f.unitCost.currency;
  heading(doc, 'Hardware replacement forecast');
  line(
    doc,
    `Next four quarters, overdue included: ${money(f.budgetNextYear, cur)}; all eight: ${money(f.budgetTotal, cur)}. Unit costs: ${money(f.unitCost.workstation, cur)} a workstation, ${money(f.unitCost.server, cur)} a server.`,
  );
  const buckets = [
    { label: 'overdue', hosts: f.overdue.hosts.length, budget: f.overdue.budget },
    ...f.quarters.map((q) => ({ label: q.quarter, hosts: q.hosts.length, budget: q.budget })),
  ];
  bars(
    doc,
    buckets.map((b) => ({
      label: b.label,
      value: b.budget,
      text: `${b.hosts} · ${money(b.budget, cur)}`,
    })),
    Math.max(1, ...buckets.map((b) => b.budget)),
  );

  technology(doc, r);
  initiatives(doc, r);

  heading(doc, 'Accepted risks');
  if (r.acceptedRisks.length === 0) note(doc, 'No risk is accepted.');
  for (const a of r.acceptedRisks) {
    line(
      doc,
      `• ${a.title} (${a.hostname ?? 'every host'}): ${a.reason}, by ${a.acceptedBy}, review by ${day(a.expiresAt)}`,
    );
  }

  heading(doc, 'Hosts', true);
  for (const h of r.hosts) {
    line(
      doc,
      `${h.hostname}: score ${scoreText(h.score)}, ${h.os.label ?? 'unknown OS'} (${h.os.state.replace(/_/g, ' ')}), ${h.pendingUpdates} pending (${h.securityUpdates} security)${h.rebootPending ? ', reboot pending' : ''}, last seen ${day(h.lastSeen)}`,
    );
  }
}

export function pdfkitPdf(report: TenantReport, paper: Paper = 'a4'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: paper === 'letter' ? 'LETTER' : 'A4',
      margin: 48,
      info: {
        Title: pdfSafe(`${report.tenant.name}: IT posture report`),
        Creator: 'vcio',
        // the report's own time, so the same data gives the same document
        CreationDate: new Date(report.generatedAt),
      },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    try {
      draw(doc, report);
      doc.end();
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
