// One bounded round of load with autocannon, every request built fresh by the caller.
//
// autocannon calls setupRequest for each request just before writing it and, with
// pipelining 1, calls onResponse for that same request before building the next one on
// the connection; the per-connection `context` object links the two, so latency and the
// answer are attributed to the exact request (and report id) that was sent.
import autocannon from 'autocannon';

export interface OutgoingRequest {
  /** the caller's id for this request (the report id), handed back in onAnswer */
  id: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

export interface LoadOptions {
  url: string;
  path: string;
  durationSeconds: number;
  connections: number;
  next(): OutgoingRequest;
  onAnswer?(id: string, status: number): void;
}

export interface LoadResult {
  durationSeconds: number;
  /** 2xx answers */
  ok: number;
  /** answers by status code, e.g. { '202': 51234 } */
  statuses: Record<string, number>;
  non2xx: number;
  /** connection errors and timeouts (requests that got no answer at all) */
  errors: number;
  timeouts: number;
  okPerSecond: number;
  /** latency of the 2xx answers, in ms */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU of this process (the load generator) over the round, % of one core */
  generatorCpuPercent: number;
}

interface Context {
  id?: string;
  sentAt?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();

  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationSeconds,
    // Every connection keeps its own request objects; the one template is rebuilt per request.
    requests: [
      {
        method: 'POST',
        path: options.path,
        setupRequest(request, context) {
          const next = options.next();
          const ctx = context as Context;
          ctx.id = next.id;
          ctx.sentAt = performance.now();
          return { ...request, body: next.body, headers: { ...request.headers, ...next.headers } };
        },
        onResponse(status, _body, context) {
          const ctx = context as Context;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300 && ctx.sentAt !== undefined) {
            latencies.add(performance.now() - ctx.sentAt);
          }
          if (ctx.id !== undefined) options.onAnswer?.(ctx.id, status);
        },
      },
    ],
  });

  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const ok = latencies.count;
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    durationSeconds: result.duration,
    ok,
    statuses,
    non2xx: answered - ok,
    errors: result.errors,
    timeouts: result.timeouts,
    okPerSecond: ok / result.duration,
    p50Ms: latencies.percentile(50),
    p99Ms: latencies.percentile(99),
    maxMs: latencies.percentile(100),
    generatorCpuPercent: ((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100,
  };
}

/** A growable array of doubles: exact percentiles at sub-millisecond resolution. */
class Samples {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(value: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = value;
  }

  /** Nearest-rank percentile; NaN when there are no samples. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const sorted = this.values.subarray(0, this.count).sort();
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    return sorted[rank - 1]!;
  }
}
