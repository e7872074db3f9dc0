// The report's charts as inline SVG strings: no script, no external file, so they print,
// survive being e-mailed as one HTML file, and render the same in Chromium's PDF. Every
// label goes through escapeHtml: tenant and host names come from agents and users.

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** A score's colour band: the same thresholds in every chart and table of the report. */
export function scoreColour(score: number | null): string {
  if (score === null) return '#9aa0a6';
  if (score >= 80) return '#2e7d32';
  if (score >= 60) return '#f9a825';
  return '#c62828';
}

export interface TrendPoint {
  at: string;
  score: number | null;
}

/** The tenant score over the period, 0–100 on the y axis, time on the x axis. */
export function trendChart(points: TrendPoint[], from: string, to: string): string {
  const width = 640;
  const height = 200;
  const left = 36;
  const right = 12;
  const top = 12;
  const bottom = 28;
  const t0 = Date.parse(from);
  const t1 = Math.max(Date.parse(to), t0 + 1);
  const x = (at: string) => left + ((Date.parse(at) - t0) / (t1 - t0)) * (width - left - right);
  const y = (score: number) => top + (1 - score / 100) * (height - top - bottom);
  const grid = [0, 25, 50, 75, 100]
    .map(
      (v) =>
        `<line x1="${left}" x2="${width - right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e0e0e0"/>` +
        `<text x="${left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" font-size="10" fill="#555">${v}</text>`,
    )
    .join('');
  const scored = points.filter((p) => p.score !== null && Date.parse(p.at) >= t0);
  const axis =
    `<text x="${left}" y="${height - 8}" font-size="10" fill="#555">${escapeHtml(from.slice(0, 10))}</text>` +
    `<text x="${width - right}" y="${height - 8}" font-size="10" fill="#555" text-anchor="end">${escapeHtml(to.slice(0, 10))}</text>`;
  let body: string;
  if (scored.length === 0) {
    body = `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#555">no score recorded in this period</text>`;
  } else {
    // a step line: a score holds until the next assessment changes it
    const last = scored.at(-1)!;
    const coords = scored.map((p) => [x(p.at), y(p.score!)] as const);
    coords.push([x(to), y(last.score!)]);
    const path = coords
      .map(([px, py], i) => (i === 0 ? `M${fmt(px)},${fmt(py)}` : `H${fmt(px)}V${fmt(py)}`))
      .join('');
    const dots = scored
      .map(
        (p) =>
          `<circle cx="${fmt(x(p.at))}" cy="${fmt(y(p.score!))}" r="3" fill="${scoreColour(p.score)}"><title>${escapeHtml(p.at.slice(0, 10))}: ${escapeHtml(p.score)}</title></circle>`,
      )
      .join('');
    body = `<path d="${path}" fill="none" stroke="#1565c0" stroke-width="2"/>${dots}`;
  }
  return (
    `<svg class="chart" role="img" aria-label="score trend" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${grid}${axis}${body}</svg>`
  );
}

/** One horizontal bar per category, its score written beside it. */
export function categoryBars(categories: Record<string, number | null>): string {
  const entries = Object.entries(categories);
  const width = 640;
  const row = 24;
  const label = 110;
  const scale = width - label - 60;
  const height = entries.length * row + 8;
  const bars = entries
    .map(([name, score], i) => {
      const yPos = 4 + i * row;
      const w = score === null ? 0 : (score / 100) * scale;
      return (
        `<text x="${label - 8}" y="${yPos + 15}" text-anchor="end" font-size="12" fill="#222">${escapeHtml(name)}</text>` +
        `<rect x="${label}" y="${yPos + 3}" width="${scale}" height="16" fill="#f1f3f4"/>` +
        `<rect x="${label}" y="${yPos + 3}" width="${fmt(w)}" height="16" fill="${scoreColour(score)}"/>` +
        `<text x="${label + scale + 8}" y="${yPos + 15}" font-size="12" fill="#222">${score === null ? 'n/a' : escapeHtml(score)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart" role="img" aria-label="category scores" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`
  );
}

export interface ForecastBar {
  label: string;
  hosts: number;
  budget: number;
}

/** Vertical bars, one per quarter (and "overdue" first): budget height, host count above. */
export function forecastBars(bars: ForecastBar[], currency: string): string {
  const width = 640;
  const height = 200;
  const bottom = 36;
  const top = 18;
  const slot = width / Math.max(bars.length, 1);
  const max = Math.max(1, ...bars.map((b) => b.budget));
  const body = bars
    .map((b, i) => {
      const h = (b.budget / max) * (height - top - bottom);
      const x0 = i * slot + slot * 0.15;
      const yTop = height - bottom - h;
      return (
        `<rect x="${fmt(x0)}" y="${fmt(yTop)}" width="${fmt(slot * 0.7)}" height="${fmt(h)}" fill="${i === 0 && b.label === 'overdue' ? '#c62828' : '#1565c0'}">` +
        `<title>${escapeHtml(b.label)}: ${b.hosts} host(s), ${escapeHtml(currency)} ${b.budget}</title></rect>` +
        `<text x="${fmt(x0 + slot * 0.35)}" y="${fmt(yTop - 4)}" text-anchor="middle" font-size="10" fill="#222">${b.hosts}</text>` +
        `<text x="${fmt(x0 + slot * 0.35)}" y="${height - bottom + 14}" text-anchor="middle" font-size="10" fill="#555">${escapeHtml(b.label)}</text>`
      );
    })
    .join('');
  return (
    `<svg class="chart" role="img" aria-label="replacement forecast" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<line x1="0" x2="${width}" y1="${height - bottom}" y2="${height - bottom}" stroke="#9aa0a6"/>${body}` +
    `<text x="0" y="${height - 4}" font-size="10" fill="#555">bar height: estimated budget; number: hosts</text></svg>`
  );
}
