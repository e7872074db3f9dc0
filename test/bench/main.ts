// `pnpm bench <name> [options]`: picks a benchmark and runs it. Benchmarks are loaded
// only when chosen, so one that needs heavy modules does not slow the others' start.
import { UsageError, type BenchmarkModule } from './support/benchmark.js';

const BENCHMARKS: Record<string, { summary: string; load(): Promise<BenchmarkModule> }> = {
  ingest: {
    summary: 'reports/s a real collector stores, against a bare Fastify endpoint',
    load: () => import('./ingest.js'),
  },
  agent: {
    summary: "the agent's CPU and RSS per collection cycle and at default cadences",
    load: () => import('./agent.js'),
  },
  live: {
    summary: 'live feed delivery latency (p50/p99) from report to 500 websocket clients',
    load: () => import('./live.js'),
  },
  metrics: {
    summary: 'time to render GET /metrics at 1k, 10k and 50k hosts, cold and cached',
    load: () => import('./metrics.js'),
  },
  posture: {
    summary: 'ms to re-assess a host, and ingest when every report carries state sections',
    load: () => import('./posture.js'),
  },
  overload: {
    summary: 'accepted/s, shed share, p50/p99 and peak RSS at many times capacity vs nominal',
    load: () => import('./overload.js'),
  },
  technology: {
    summary: "the first technology overview after a change, and the main thread's delay meanwhile",
    load: () => import('./technology.js'),
  },
};

function listing(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const lines = Object.entries(BENCHMARKS).map(
    ([name, b]) => `  ${name.padEnd(width)}  ${b.summary}`,
  );
  return [
    'usage: pnpm bench <benchmark> [options]   (pnpm bench <benchmark> --help for its options)',
    '',
    'benchmarks:',
    ...lines,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(listing());
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (!entry) {
    console.error(`bench: unknown benchmark '${name}'\n\n${listing()}`);
    return 2;
  }
  const benchmark = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(benchmark.usage);
    return 0;
  }
  try {
    return await benchmark.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench ${name}: ${error.message}\n\n${benchmark.usage}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    // process.exit runs the cleanup hook (children killed, temp dirs removed).
    process.exit(1);
  },
);
