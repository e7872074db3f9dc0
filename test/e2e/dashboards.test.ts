// Every Grafana dashboard in dashboards/ queries only what a running collector exports:
// the real collector process, a real agent report from this machine and a replayed
// Windows machine, then GET /metrics. Each panel's PromQL is tokenised enough to find the
// metric names it selects (not functions, keywords, label names, durations or template
// variables) and the labels it matches on; each must have samples in the scrape. Each
// template variable's label_values(metric, label) must name an exported metric and
// label, and resolve to at least one value.
//
// Posture is assessed shortly after a report is stored, and the tenant score recorded
// right after the hosts' scores: the collector runs with no metrics cache, and the test
// scrapes until the tenant score is there, so the posture dashboards are checked against
// real posture series rather than a scrape taken too early.
import t from 'tap';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  enrollAgent,
  REPLAY_FIXTURES,
  runAgent,
  startCollectorProcess,
  tempDir,
} from '../lib/processes.js';

const DASHBOARDS = fileURLToPath(new URL('../../dashboards', import.meta.url));
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__range_s']);
/** How long posture may take to appear after the reports (it takes well under a second). */
const POSTURE_TIMEOUT_MS = 20_000;
/** The last posture series the collector writes after a report: the tenant's score. */
const POSTURE_METRIC = 'vcio_tenant_posture_score';
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
  // aggregation operators may be followed by `by (...)` rather than `(`
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

interface Selector {
  metric: string;
  labels: string[];
}

/** The metric selectors of a PromQL expression: names, and the labels they match on. */
export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  let i = 0;
  const n = expr.length;
  const skipString = () => {
    const quote = expr[i]!;
    i++;
    while (i < n && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipSpace = () => {
    while (i < n && /\s/.test(expr[i]!)) i++;
  };
  /** `{a="x", b=~"y"}`: the label names. */
  const labelMatchers = (): string[] => {
    const labels: string[] = [];
    i++; // {
    while (i < n && expr[i] !== '}') {
      skipSpace();
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(expr.slice(i));
      if (m) {
        labels.push(m[0]);
        i += m[0].length;
      }
      skipSpace();
      while (i < n && /[=!~]/.test(expr[i]!)) i++;
      skipSpace();
      if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') skipString();
      skipSpace();
      if (expr[i] === ',') i++;
      else if (expr[i] !== '}') throw new Error(`cannot read label matchers in: ${expr}`);
    }
    i++; // }
    return labels;
  };
  let grouping = false; // inside by (...), on (...) etc.
  let depth = 0;
  let groupingDepth = -1;
  while (i < n) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      skipString();
      continue;
    }
    if (c === '[') {
      // a range or subquery duration: [5m], [$__rate_interval], [1h:5m]
      i = expr.indexOf(']', i) + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$\{?([a-zA-Z0-9_]+)\}?/.exec(expr.slice(i))!;
      i += m[0].length;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      // a number or a duration: 0.99, 1e3, 5m, 1h30m
      i += /^[0-9.][0-9a-zA-Z_.]*/.exec(expr.slice(i))![0].length;
      continue;
    }
    if (c === '(') {
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      if (grouping && depth === groupingDepth) grouping = false;
      depth--;
      i++;
      continue;
    }
    if (c === '{') {
      // a selector with no metric name: {__name__=...} is not used by vcio's dashboards
      const labels = labelMatchers();
      if (labels.includes('__name__')) throw new Error(`__name__ selectors unsupported: ${expr}`);
      found.push({ metric: '', labels });
      continue;
    }
    const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    if (word) {
      i += word[0].length;
      const name = word[0];
      const save = i;
      skipSpace();
      const next = expr[i];
      if (['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'].includes(name)) {
        if (next === '(') {
          grouping = true;
          groupingDepth = depth + 1;
        }
        continue;
      }
      if (grouping || KEYWORDS.has(name)) continue;
      if (next === '(') continue; // a function call
      i = save;
      skipSpace();
      const labels = expr[i] === '{' ? labelMatchers() : [];
      found.push({ metric: name, labels });
      continue;
    }
    i++;
  }
  return found;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
}

function parseScrape(text: string): { types: Set<string>; samples: Sample[] } {
  const types = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) types.add(type[1]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!m) throw new Error(`unreadable sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!;
    }
    samples.push({ name: m[1]!, labels });
  }
  return { types, samples };
}

/**
 * Scrapes until `metric` has a sample, or gives up after timeoutMs; the last scrape
 * either way, and whether the metric was found.
 */
async function scrapeUntil(
  url: string,
  metric: string,
  timeoutMs: number,
): Promise<{ status: number; text: string; found: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/metrics`);
    const text = await response.text();
    const found =
      response.status === 200 && parseScrape(text).samples.some((s) => s.name === metric);
    if (found || Date.now() >= deadline) return { status: response.status, text, found };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: {
    list: { name: string; type: string; query: unknown; definition?: string }[];
  };
}

function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard,
    }));
}

t.test('the PromQL tokeniser finds metrics, not functions, keywords or labels', async (t) => {
  t.same(
    selectors(
      'histogram_quantile(0.99, sum by (le) (rate(vcio_x_bucket{a="b\\"}", c=~"$t"}[$__rate_interval])))',
    ),
    [{ metric: 'vcio_x_bucket', labels: ['a', 'c'] }],
  );
  t.same(
    selectors('sum(a{tenant=~"$tenant"}) - sum without (host) (b) and on (host) (c == 0) / time()'),
    [
      { metric: 'a', labels: ['tenant'] },
      { metric: 'b', labels: [] },
      { metric: 'c', labels: [] },
    ],
  );
  t.same(selectors('topk(10, m offset 5m) > bool 1'), [{ metric: 'm', labels: [] }]);
});

t.test('every dashboard query and variable names what a running collector exports', async (t) => {
  // No cache: each scrape re-reads the database, so polling sees posture as soon as it is stored.
  const collector = await startCollectorProcess(['--metrics-cache-seconds', '0']);
  const linuxState = tempDir('dash-agent');
  const windowsState = tempDir('dash-agent-win');
  t.teardown(async () => {
    await collector.stop();
    rmSync(linuxState, { recursive: true, force: true });
    rmSync(windowsState, { recursive: true, force: true });
  });
  const windowsReplay = join(REPLAY_FIXTURES, 'windows-10-enterprise');
  for (const [stateDir, replay] of [
    [linuxState, undefined],
    [windowsState, windowsReplay],
  ] as const) {
    const enroll = await enrollAgent(collector, stateDir, { replay });
    t.equal(enroll.code, 0, `enroll: ${enroll.stderr}`);
  }
  const linux = await runAgent(['once', '--state-dir', linuxState]);
  t.equal(linux.code, 0, `once: ${linux.stderr}`);
  const windows = await runAgent(['once', '--state-dir', windowsState, '--replay', windowsReplay]);
  t.equal(windows.code, 0, `once --replay: ${windows.stderr}`);
  // A refused report, so that the rejection counter has a sample.
  const refused = await fetch(`${collector.url}/api/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(refused.status, 401);

  const response = await scrapeUntil(collector.url, POSTURE_METRIC, POSTURE_TIMEOUT_MS);
  t.equal(response.status, 200);
  if (!response.found) {
    t.fail(
      `${POSTURE_METRIC} did not appear in /metrics within ${POSTURE_TIMEOUT_MS / 1000} s ` +
        `of the reports (posture is assessed after a report is stored); collector log:\n` +
        collector.logs.slice(-20).join('\n'),
    );
    return;
  }
  const scrape = parseScrape(response.text);
  const withSamples = new Map<string, Sample[]>();
  for (const s of scrape.samples) {
    withSamples.set(s.name, [...(withSamples.get(s.name) ?? []), s]);
  }

  const dashboards = loadDashboards();
  t.ok(dashboards.length >= 6, `${dashboards.length} dashboards`);
  for (const { file, dashboard } of dashboards) {
    t.ok(dashboard.schemaVersion >= 39, `${file}: schemaVersion ${dashboard.schemaVersion}`);
    t.match(dashboard.uid, /^vcio-/, `${file}: uid`);
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    t.equal(variables.get('datasource')?.type, 'datasource', `${file}: datasource variable`);
    t.equal(variables.get('datasource')?.query, 'prometheus');

    for (const v of dashboard.templating.list) {
      if (v.type !== 'query') continue;
      const q = (v.query as { query?: string }).query ?? String(v.query);
      const m =
        /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s*,\s*([a-zA-Z_]\w*)\s*\)$/.exec(
          q,
        );
      t.ok(m, `${file}: variable ${v.name} is label_values(metric, label): ${q}`);
      if (!m) continue;
      const values = new Set((withSamples.get(m[1]!) ?? []).map((s) => s.labels[m[2]!]));
      values.delete(undefined);
      t.ok(values.size > 0, `${file}: $${v.name} resolves (${[...values].join(', ')})`);
    }

    const panels: Panel[] = [];
    const walk = (list: Panel[]) => {
      for (const p of list) {
        panels.push(p);
        walk(p.panels ?? []);
      }
    };
    walk(dashboard.panels);
    let queries = 0;
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (!target.expr) continue;
        queries++;
        for (const used of target.expr.matchAll(/\$\{?([a-zA-Z0-9_]+)/g)) {
          t.ok(
            variables.has(used[1]!) || BUILTIN_VARIABLES.has(used[1]!),
            `${file} / ${panel.title}: $${used[1]} is defined`,
          );
        }
        const found = selectors(target.expr);
        t.ok(found.length > 0, `${file} / ${panel.title}: selects a metric`);
        for (const { metric, labels } of found) {
          t.ok(metric, `${file} / ${panel.title}: every selector names a metric`);
          const samples = withSamples.get(metric) ?? [];
          t.ok(
            samples.length > 0,
            `${file} / ${panel.title}: ${metric} is exported with samples` +
              (scrape.types.has(metric) ? '' : ' (not even declared)'),
          );
          for (const label of labels) {
            t.ok(
              samples.some((s) => label in s.labels),
              `${file} / ${panel.title}: ${metric} has label ${label}`,
            );
          }
        }
      }
    }
    t.ok(queries > 5, `${file}: ${queries} queries checked`);
  }
});
