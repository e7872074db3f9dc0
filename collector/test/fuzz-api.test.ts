// The HTTP API under thousands of generated bad requests: mutated reports and enrollment
// bodies, strange path and query parameters, wrong content types and encodings, broken
// gzip, bad Authorization headers and methods. Every answer must be a 4xx (or a
// documented 2xx) with a JSON `{ error, message }`, never a 5xx or a hang, and the
// process's memory must stay bounded.
//
// Seeded: the seed is printed; replay a failure with VCIO_FUZZ_SEED=<seed>, and try more
// cases with VCIO_FUZZ_COUNT=<n> (default 3,600).
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import type { InjectOptions } from 'fastify';
import type { Report } from '@vcio/shared';
import { testCollector, type TestCollector } from './helpers.js';
import {
  FamilyCounts,
  Rng,
  STRANGE_STRINGS,
  fuzzCount,
  fuzzSeed,
  mutateJson,
  mutateJsonText,
  strangeValue,
} from './fuzz-support.js';
import {
  dpkg,
  patchSource,
  patches,
  pending,
  reportWith,
  security,
  send,
  software,
} from './sections.js';

const seed = fuzzSeed();
const total = fuzzCount(3_600);
const REQUEST_TIMEOUT_MS = 10_000;
const MiB = 1024 * 1024;

type Family = (rng: Rng) => InjectOptions;

// A full collection before each reading, so that what is measured is what the collector
// keeps, not garbage not yet collected (node --expose-gc, switched on from inside).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function heapAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

interface Fixture {
  c: TestCollector;
  agentAuth: string;
  report: Report;
  hostId: string;
}

/** Query parameter names the routes know, and some they do not. */
const QUERY_KEYS = [
  'limit',
  'offset',
  'tenant',
  'since',
  'name',
  'below',
  'source',
  'security',
  'severity',
  'unknown',
  '__proto__',
  '',
];

const QUERY_VALUES = [
  '-1',
  '0',
  '1',
  '1000001',
  '99999999999999999999999',
  '1e309',
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  '1.5',
  'true',
  '',
  'default',
  '2026-01-01T00:00:00Z',
  '2026-13-45T99:99:99Z',
  ...STRANGE_STRINGS.slice(0, 35),
];

const CONTENT_TYPES = [
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/jsonx',
  'application/vnd.api+json',
  'application/octet-stream',
  '*/*',
  'application/json; boundary=',
  ';;;',
  'application/json, text/plain',
];

const ENCODINGS = [
  'gzip',
  'GZIP',
  ' gzip ',
  'x-gzip',
  'deflate',
  'br',
  'zstd',
  'compress',
  'gzip, gzip',
  'gzip, identity',
  'identity',
  'unknown',
  '',
];

const AUTHORIZATIONS = [
  '',
  'Bearer',
  'Bearer ',
  'Bearer .',
  'Bearer x.',
  'Bearer .x',
  'Bearer a.b.c',
  'Bearer ..........',
  'bearer at_x.y',
  'Basic dXNlcjpwYXNz',
  'Token abc',
  'Bearer at_x.y extra',
  `Bearer ${'a'.repeat(600)}.${'b'.repeat(600)}`,
  `Bearer ${'a'.repeat(20_000)}`,
  'Bearer %00.%00',
  'Bearer \u00ff\u00fe.\u00e9',
  'Bearer null.null',
  'Bearer __proto__.x',
];

const METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'GET', 'HEAD'] as const;

/** A URL path segment: encoded, or raw where the raw form is a valid URL. */
function pathSegment(rng: Rng): string {
  const raw = rng.pick([...STRANGE_STRINGS, '%', '%zz', '%E0%A4%A', '%00', '..%2f..', '%2e%2e']);
  if (/^[%\w.]*$/.test(raw) && rng.chance(0.5)) return raw;
  return encodeURIComponent(raw.replace(/[\ud800-\udfff]/g, '\ufffd'));
}

function families(f: Fixture, routes: { method: string; url: string }[]): Record<string, Family> {
  const validText = JSON.stringify(f.report);
  const enrollBody = {
    token: f.c.secrets.enrollToken,
    machineId: 'fuzz-enroll',
    hostname: 'fuzz-enroll',
    agentVersion: '0.1.0',
  };
  const agentHeaders = { authorization: f.agentAuth, 'content-type': 'application/json' };
  const getRoutes = routes.filter((r) => r.method === 'GET');
  const paramRoutes = routes.filter((r) => r.url.includes(':'));
  const fillParams = (url: string, rng: Rng, valid: boolean) =>
    url.replace(/:\w+/g, (name) =>
      valid && name === ':id' ? f.hostId : valid ? 'default' : pathSegment(rng),
    );
  const auth = (rng: Rng) => (rng.chance(0.8) ? f.c.admin.authorization : rng.pick(AUTHORIZATIONS));

  return {
    'report-body': (rng) => ({
      method: 'POST',
      url: '/api/v1/reports',
      headers: agentHeaders,
      payload: JSON.stringify(mutateJson(f.report, rng)),
    }),
    'report-text': (rng) => ({
      method: 'POST',
      url: '/api/v1/reports',
      headers: agentHeaders,
      payload: mutateJsonText(validText, rng),
    }),
    'enroll-body': (rng) => ({
      method: 'POST',
      url: '/api/v1/enroll',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(mutateJson(enrollBody, rng)),
    }),
    'enroll-text': (rng) => ({
      method: 'POST',
      url: '/api/v1/enroll',
      headers: { 'content-type': 'application/json' },
      payload: mutateJsonText(JSON.stringify(enrollBody), rng),
    }),
    'path-param': (rng) => {
      const route = rng.pick(paramRoutes);
      return {
        method: 'GET',
        url: fillParams(route.url, rng, false),
        headers: { authorization: auth(rng) },
      };
    },
    'query-param': (rng) => {
      const route = rng.pick(getRoutes);
      const parts: string[] = [];
      for (let n = rng.int(5); n >= 0; n--) {
        const key = rng.pick(QUERY_KEYS);
        const suffix = rng.pick(['', '', '', '[]', '[0]', '.x']);
        const value = rng.chance(0.2)
          ? rng.pick(QUERY_VALUES)
          : rng.pick(QUERY_VALUES.slice(0, 16));
        const encodedValue = encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
        parts.push(`${key}${suffix}=${encodedValue}`);
        // the same key again: the query string arrives as an array
        if (rng.chance(0.15)) parts.push(`${key}=${encodedValue}`);
      }
      if (rng.chance(0.05)) parts.push(rng.pick(['%', '%zz', '&&&', '=', 'a=%E0%A4%A']));
      return {
        method: 'GET',
        url: `${fillParams(route.url, rng, true)}?${parts.join('&')}`,
        headers: { authorization: auth(rng) },
      };
    },
    'content-type': (rng) => {
      const enroll = rng.chance(0.3);
      return {
        method: 'POST',
        url: enroll ? '/api/v1/enroll' : '/api/v1/reports',
        headers: {
          authorization: f.agentAuth,
          'content-type': rng.pick(CONTENT_TYPES),
        },
        payload: rng.chance(0.5) ? validText : rng.pick(['a=1&b=2', '--xyz--', 'plain words']),
      };
    },
    gzip: (rng) => {
      const body = rng.chance(0.5) ? validText : mutateJsonText(validText, rng);
      let compressed = gzipSync(body);
      switch (rng.int(5)) {
        case 0: // truncated
          compressed = compressed.subarray(0, rng.int(compressed.length));
          break;
        case 1: // a flipped byte
          compressed = Buffer.from(compressed);
          {
            const at = rng.int(compressed.length);
            compressed.writeUInt8(compressed.readUInt8(at) ^ (1 << rng.int(8)), at);
          }
          break;
        case 2: // two members, as `cat a.gz b.gz` makes
          compressed = Buffer.concat([compressed, gzipSync(body)]);
          break;
        case 3: // not gzip at all
          compressed = Buffer.from(body);
          break;
        default:
      }
      return {
        method: 'POST',
        url: '/api/v1/reports',
        headers: { ...agentHeaders, 'content-encoding': rng.pick(ENCODINGS) },
        payload: compressed,
      };
    },
    authorization: (rng) => {
      const route = rng.pick(routes);
      const post = route.method === 'POST';
      return {
        method: route.method as InjectOptions['method'],
        url: fillParams(route.url, rng, true),
        headers: {
          authorization: rng.pick(AUTHORIZATIONS),
          ...(post ? { 'content-type': 'application/json' } : {}),
        },
        ...(post ? { payload: validText } : {}),
      };
    },
    method: (rng) => {
      const known = rng.chance(0.7);
      const url = known
        ? fillParams(rng.pick(routes).url, rng, true)
        : `/${pathSegment(rng)}/${pathSegment(rng)}`;
      const method = rng.pick(METHODS);
      const payload =
        method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(strangeValue(rng));
      return {
        method,
        url,
        headers: {
          authorization: auth(rng),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload !== undefined ? { payload } : {}),
      };
    },
  };
}

/** Why an answer breaks the contract, or null when it keeps it. */
function problemWith(
  request: InjectOptions,
  status: number,
  contentType: string | undefined,
  body: string,
): string | null {
  if (status >= 500) return `answered ${status}`;
  if (status < 400 || request.method === 'HEAD') return null;
  if (!contentType?.startsWith('application/json'))
    return `${status} with content-type ${contentType}`;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error !== 'string' || typeof parsed.message !== 'string') {
      return `${status} without { error, message }: ${body.slice(0, 200)}`;
    }
  } catch {
    return `${status} with a body that is not JSON: ${body.slice(0, 200)}`;
  }
  return null;
}

function describe(request: InjectOptions): string {
  const payload = request.payload;
  const size = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.length : 0;
  return `${request.method} ${String(request.url).slice(0, 160)} headers=${JSON.stringify(request.headers).slice(0, 200)} body=${size}B`;
}

t.test('fuzzed requests: never a 5xx, a hang or a non-JSON error; memory bounded', async (t) => {
  t.comment(`seed ${seed}, ${total} requests (replay: VCIO_FUZZ_SEED=${seed})`);
  const c = await testCollector(t);
  const agent = await c.enroll('fuzz-machine');
  const report = reportWith(agent, 'fuzz-machine', {
    patches: patches([
      patchSource('apt', [pending('openssl', '3.0.11-1', '3.0.13-1', { security: true })]),
    ]),
    security: security(),
    software: software([dpkg('openssl', '3.0.11-1~deb12u2'), dpkg('curl', '7.88.1-10')]),
  });
  const first = await send(c, agent, report);
  t.equal(first.statusCode, 202, first.body);
  const hostId = (
    await c.app.inject({ method: 'GET', url: '/api/v1/hosts', headers: c.admin })
  ).json<{ hosts: { id: string }[] }>().hosts[0]!.id;
  const fixture: Fixture = { c, agentAuth: agent.authorization, report, hostId };
  const generators = Object.entries(
    families(
      fixture,
      c.routes.filter((r) => !r.websocket || r.method === 'GET'),
    ),
  );

  const rng = new Rng(seed);
  const counts = new FamilyCounts();
  const statuses = new FamilyCounts();
  const failures: string[] = [];
  const heapBefore = heapAfterGc();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const [family, generate] = generators[i % generators.length]!;
    const request = generate(rng);
    counts.add(family);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), REQUEST_TIMEOUT_MS);
    });
    const res = await Promise.race([c.app.inject(request), timeout]);
    clearTimeout(timer);
    if (!res) {
      failures.push(`#${i} ${family}: no answer in ${REQUEST_TIMEOUT_MS} ms: ${describe(request)}`);
      continue;
    }
    statuses.add(String(res.statusCode));
    const problem = problemWith(
      request,
      res.statusCode,
      res.headers['content-type'] as string,
      res.body,
    );
    if (problem) failures.push(`#${i} ${family}: ${problem}: ${describe(request)}`);
    if (i % 200 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssAfter = process.memoryUsage().rss;
  rssPeak = Math.max(rssPeak, rssAfter);
  const heapAfter = heapAfterGc();

  t.comment(`tried ${counts.total} in ${seconds.toFixed(1)} s: ${counts}`);
  t.comment(`statuses: ${statuses}`);
  t.comment(
    `rss ${(rssBefore / MiB).toFixed(0)} → ${(rssAfter / MiB).toFixed(0)} MiB (peak ${(rssPeak / MiB).toFixed(0)}); ` +
      `heap after gc ${(heapBefore / MiB).toFixed(0)} → ${(heapAfter / MiB).toFixed(0)} MiB`,
  );
  t.same(
    failures.slice(0, 20),
    [],
    `${failures.length} requests broke the contract (seed ${seed})`,
  );
  t.ok(counts.total >= total, 'every case was tried');
  // Bodies are capped at 1 MiB, one request at a time: the peak is a few bodies' worth of
  // parsing (V8 keeps freed pages for a while, so RSS does not fall back at once), and
  // what stays allocated once garbage is collected must not grow with the requests. The
  // peak also holds the worker threads the fuzzed routes start (the /metrics fleet reader,
  // the technology grouping), each with its own heap: 576 MiB was seen on a loaded machine.
  t.ok(
    rssPeak - rssBefore < 768 * MiB,
    `rss peak grew ${((rssPeak - rssBefore) / MiB).toFixed(0)} MiB`,
  );
  t.ok(
    heapAfter - heapBefore < 32 * MiB,
    `heap kept ${((heapAfter - heapBefore) / MiB).toFixed(1)} MiB`,
  );

  // Still up and still correct after all that.
  const health = await c.app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);
  const again = await send(c, agent, reportWith(agent, 'fuzz-machine', { security: security() }));
  t.equal(again.statusCode, 202, 'a valid report is still accepted');
});
