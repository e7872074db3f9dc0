// `pnpm start`: the collector on the embedded database in ./data, with this machine's own
// agent enrolled into the default tenant and reporting every minute. One command for a
// first look; production runs vcio-collector and deploys vcio-agent separately.
//
// The agent is started as its own process from the workspace's agent package (agent and
// collector never import each other), exactly as an RMM tool would run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOTSTRAP_FILE, type BootstrapSecrets } from './bootstrap.js';
import { createLogger, startCollector } from './collector.js';
import { DEFAULTS, buildConfig } from './config.js';
import { describeStartupError } from './startup-errors.js';

const agentCli = fileURLToPath(new URL('../../agent/dist/cli.js', import.meta.url));

function runAgent(args: string[]): ChildProcess {
  return spawn(process.execPath, [agentCli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((done) => child.on('exit', (code) => done(code ?? 1)));
}

async function main(): Promise<void> {
  const env = process.env;
  const config = buildConfig({
    listen: env.VCIO_LISTEN ?? DEFAULTS.listen,
    dataDir: resolve(env.VCIO_DATA_DIR ?? DEFAULTS.dataDir),
    tlsCert: env.VCIO_TLS_CERT,
    tlsKey: env.VCIO_TLS_KEY,
    logLevel: env.VCIO_LOG_LEVEL ?? DEFAULTS.logLevel,
    retentionDays: env.VCIO_RETENTION_DAYS ?? String(DEFAULTS.retentionDays),
    bodyLimit: env.VCIO_BODY_LIMIT ?? '4mb',
    synchronous: env.VCIO_SYNCHRONOUS ?? DEFAULTS.synchronous,
    offlineAfter: env.VCIO_OFFLINE_AFTER,
    heartbeat: env.VCIO_HEARTBEAT,
    metricsPerHost: env.VCIO_METRICS_PER_HOST,
    metricsCacheSeconds: env.VCIO_METRICS_CACHE_SECONDS,
    metricsOnlineSeconds: env.VCIO_METRICS_ONLINE_SECONDS,
    metricsToken: env.VCIO_METRICS_TOKEN,
    metricsBasicAuth: env.VCIO_METRICS_BASIC_AUTH,
  });
  const logger = createLogger(config.logLevel);
  const collector = await startCollector(config, logger);
  const bootstrapFile = join(config.dataDir, BOOTSTRAP_FILE);
  const secrets = JSON.parse(readFileSync(bootstrapFile, 'utf8')) as BootstrapSecrets;

  // The agent talks to the collector over loopback, whatever address it listens on.
  const agentUrl = collector.url.replace(/\/\/(0\.0\.0\.0|\[::\])/, '//127.0.0.1');
  const stateDir = join(config.dataDir, 'agent');
  if (!existsSync(join(stateDir, 'credentials.json'))) {
    const code = await exited(
      runAgent([
        'enroll',
        '--state-dir',
        stateDir,
        '--url',
        agentUrl,
        '--token',
        secrets.enrollToken,
      ]),
    );
    if (code !== 0) throw new Error(`the local agent could not enroll (exit code ${code})`);
  }
  const agent = runAgent(['run', '--state-dir', stateDir]);

  process.stdout.write(
    [
      '',
      `vcio is running: collector ${collector.url}, with this machine's agent reporting every 60 s.`,
      `Admin API token: in ${bootstrapFile} (field adminToken).`,
      `Live console: open ${collector.url}/ in a browser and sign in with that token.`,
      `Prometheus metrics: ${collector.url}/metrics`,
      'Try:',
      `  curl -s -H "Authorization: Bearer $(node -p "require('${bootstrapFile}').adminToken")" ${agentUrl}/api/v1/hosts`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    agent.kill('SIGTERM');
    void Promise.all([exited(agent), collector.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  agent.on('exit', (code) => {
    if (!stopping) logger.error({ code }, 'the local agent stopped; the collector keeps running');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`vcio: error: ${describeStartupError(error)}\n`);
  process.exit(1);
});
