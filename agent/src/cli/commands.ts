// What each `vcio-agent` command does, apart from parsing its command line (program.ts).
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Report } from '@vcio/shared';
import { sameCollectorUrl } from '../collector-url.js';
import { collectorsFor, createCollectors } from '../collectors/index.js';
import { readMachineId as readMachineIdDefault } from '../collectors/machine-id/index.js';
import type { AnyCollector } from '../collectors/types.js';
import { OutboxDelivery } from '../delivery.js';
import { httpPost } from '../http-client.js';
import { enroll } from '../enroll.js';
import { AgentError, errorMessage, StateDirError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { liveHost, type HostAccess } from '../host.js';
import type { Logger } from '../log.js';
import { Outbox } from '../outbox.js';
import { isReplayHost, NOT_REPLAYED, replayHost } from '../replay.js';
import { buildReport, NIL_AGENT_ID } from '../report-builder.js';
import { CredentialKeeper, rotateSecret } from '../rotate.js';
import { DEFAULT_JITTER, runServiceLoop } from '../service-loop.js';
import { loadCredentials, loadCredentialsIfEnrolled, type Credentials } from '../state.js';
import { tlsSettingsFrom } from '../tls.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type TransportDeps } from '../transport.js';

/** Everything a command touches outside itself; tests replace parts of it. */
export interface CommandEnv {
  logger: Logger;
  stateDir: string;
  platform: NodeJS.Platform;
  stdout(text: string): Promise<void>;
  readMachineId(): Promise<string>;
  hostname(): string;
  /** the machine the collectors read: liveHost, or a recorded one (--replay, replayEnv) */
  host: HostAccess;
  transport: Omit<TransportDeps, 'logger'>;
  /**
   * Aborted by SIGTERM/SIGINT. Only commands that can stop gracefully ask for it (the
   * handlers are installed on the first call); the others keep Ctrl-C's default: exit now.
   */
  stopSignal(): AbortSignal;
}

export function defaultTransport(): Omit<TransportDeps, 'logger'> {
  return {
    post: httpPost,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }),
    random: Math.random,
    now: Date.now,
  };
}

export const defaultCommandEnv = {
  platform: process.platform,
  readMachineId: () => readMachineIdDefault(),
  hostname: () => os.hostname(),
  host: liveHost,
};

/**
 * The environment of a command given `--replay DIR`: the machine recorded in DIR replaces
 * this one everywhere a command looks at "this machine" (platform, id, hostname, what the
 * collectors read). Without DIR, env unchanged.
 */
export async function replayEnv(env: CommandEnv, dir: string | undefined): Promise<CommandEnv> {
  if (dir === undefined) return env;
  const host = await replayHost(dir);
  const skipped = Object.entries(NOT_REPLAYED).map(([name, why]) => `${name}, because ${why}`);
  env.logger.info(
    {
      replay: host.replayDir,
      platform: host.platform,
      hostname: host.hostname,
      machineId: host.machineId,
      notReplayed: Object.keys(NOT_REPLAYED),
    },
    `replaying the machine recorded in ${host.replayDir}; not collected in replay: ${skipped.join('; ')}`,
  );
  return {
    ...env,
    host,
    platform: host.platform,
    readMachineId: async () => host.machineId,
    hostname: () => host.hostname,
  };
}

/** Leaves out the collectors a replay cannot run (NOT_REPLAYED). */
function replayable(collectors: AnyCollector[], host: HostAccess): AnyCollector[] {
  if (!isReplayHost(host)) return collectors;
  return collectors.filter((c) => NOT_REPLAYED[c.name] === undefined);
}

/** The collectors a command runs by default: all that run on the (possibly replayed) host. */
function collectorsOf(env: CommandEnv): AnyCollector[] {
  return replayable(collectorsFor(env.platform), env.host);
}

/** The collectors named by --only (comma-separated), or all that run on this platform. */
export function selectCollectors(
  only: string | undefined,
  platform: NodeJS.Platform,
  host: HostAccess = liveHost,
): AnyCollector[] {
  const available = replayable(collectorsFor(platform, createCollectors()), host);
  if (only === undefined) return available;
  const valid = createCollectors().map((c) => c.name);
  const names = only
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0)
    throw new UsageError(
      `--only needs at least one collector name; valid collectors: ${valid.join(', ')}`,
    );
  for (const name of names) {
    if (!valid.includes(name as AnyCollector['name'])) {
      throw new UsageError(
        `unknown collector '${name}' in --only; valid collectors: ${valid.join(', ')}`,
      );
    }
    const notReplayed = isReplayHost(host) ? NOT_REPLAYED[name as AnyCollector['name']] : undefined;
    if (notReplayed !== undefined)
      throw new UsageError(`collector '${name}' is not run in replay: ${notReplayed}`);
    if (!available.some((c) => c.name === name))
      throw new UsageError(`collector '${name}' does not run on ${platform}`);
  }
  return available.filter((c) => names.includes(c.name));
}

function policyWith(maxAttempts: number | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, maxAttempts: maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts };
}

// No stop signal goes to the collectors: a collection under way is allowed to finish (each
// is bounded by its timeout) so that stopping never sends a report with made-up failures.
async function report(
  env: CommandEnv,
  collectors: readonly AnyCollector[],
  agentId: string,
  machineId: string,
): Promise<Report> {
  return buildReport({
    collectors,
    agentId,
    machineId,
    hostname: env.hostname(),
    logger: env.logger,
    host: env.host,
  });
}

export async function collectCommand(
  baseEnv: CommandEnv,
  options: { only?: string; pretty?: boolean; replay?: string },
): Promise<void> {
  const env = await replayEnv(baseEnv, options.replay);
  const collectors = selectCollectors(options.only, env.platform, env.host);
  const machineId = await env.readMachineId();
  let credentials: Credentials | null = null;
  try {
    credentials = await loadCredentialsIfEnrolled(env.stateDir);
  } catch (err) {
    // `collect` needs no credentials; a state directory this user cannot read (collect run
    // without root) only means the report carries the nil agent id.
    if (!(err instanceof StateDirError)) throw err;
    env.logger.debug(
      { err: errorMessage(err) },
      'credentials not readable; using the nil agent id',
    );
  }
  const built = await report(env, collectors, credentials?.agentId ?? NIL_AGENT_ID, machineId);
  await env.stdout(`${JSON.stringify(built, null, options.pretty ? 2 : undefined)}\n`);
}

export async function enrollCommand(
  baseEnv: CommandEnv,
  options: {
    url: string;
    token: string;
    insecureHttp?: boolean;
    force?: boolean;
    maxAttempts?: number;
    /** enroll the machine recorded in this directory (each replayed machine enrolls as itself) */
    replay?: string;
    /** --ca-file, --pin-sha256 (tls.ts) */
    caFile?: string;
    pinSha256?: string[];
  },
): Promise<void> {
  const env = await replayEnv(baseEnv, options.replay);
  // Read and checked first: a bad CA file or pin is a usage error whatever the state.
  const tls = await tlsSettingsFrom(options);
  const existing = await loadCredentialsIfEnrolled(env.stateDir).catch((err: unknown) => {
    if (options.force) return null; // a damaged file is exactly what --force is for
    throw err;
  });
  if (existing && !options.force) {
    const sameCollector = sameCollectorUrl(existing.collectorUrl, options.url);
    if (!sameCollector) {
      throw new UsageError(
        `already enrolled with ${existing.collectorUrl} as agent ${existing.agentId}; pass --force to enroll with ${options.url} instead`,
      );
    }
    // Re-running an RMM install script must not mint a second agent for the same machine.
    await env.stdout(
      `already enrolled: agent ${existing.agentId}, tenant ${existing.tenant} (pass --force to enroll again)\n`,
    );
    return;
  }
  const machineId = await env.readMachineId();
  const { credentials, file } = await enroll({
    url: options.url,
    token: options.token,
    insecureHttp: options.insecureHttp === true,
    ...(tls ? { tls } : {}),
    machineId,
    hostname: env.hostname(),
    stateDir: env.stateDir,
    policy: policyWith(options.maxAttempts),
    deps: { ...env.transport, logger: env.logger },
    logger: env.logger,
  });
  await env.stdout(
    `enrolled: agent ${credentials.agentId}, tenant ${credentials.tenant}, credentials in ${file}\n`,
  );
}

async function deliveryFor(
  env: CommandEnv,
  credentials: Credentials,
  maxAttempts: number | undefined,
): Promise<OutboxDelivery> {
  const outbox = await Outbox.open(env.stateDir, { logger: env.logger });
  const policy = policyWith(maxAttempts);
  const deps = { ...env.transport, logger: env.logger };
  // The keeper: credentials changed on disk are picked up, refused ones held back, and a
  // rotation the collector asks for is made (rotate.ts).
  const keeper = new CredentialKeeper(env.stateDir, credentials, {
    policy,
    deps,
    logger: env.logger,
  });
  return new OutboxDelivery(outbox, keeper, policy, deps, env.logger);
}

/** `vcio-agent rotate`: a new secret for this agent, written before it is used (rotate.ts). */
export async function rotateCommand(
  env: CommandEnv,
  options: { maxAttempts?: number },
): Promise<void> {
  const credentials = await loadCredentials(env.stateDir);
  const { credentials: rotated, confirmed } = await rotateSecret({
    stateDir: env.stateDir,
    credentials,
    policy: policyWith(options.maxAttempts),
    deps: { ...env.transport, logger: env.logger },
    logger: env.logger,
  });
  await env.stdout(
    confirmed
      ? `rotated: agent ${rotated.agentId} has a new secret; the old one no longer works\n`
      : `rotated: agent ${rotated.agentId} has a new secret, written to disk; the collector drops the old one at the next report\n`,
  );
}

/**
 * Queues this run's report, then sends everything queued. Exit 0 only when the queue is
 * empty and nothing was rejected; an unreachable collector leaves the reports queued for the
 * next run (exit 4), refused credentials keep them too (exit 5), a report the collector
 * rejects is set aside (exit 5) after the others are sent.
 */
export async function onceCommand(
  baseEnv: CommandEnv,
  options: { maxAttempts?: number; replay?: string },
): Promise<void> {
  const env = await replayEnv(baseEnv, options.replay);
  const credentials = await loadCredentials(env.stateDir);
  const machineId = await env.readMachineId();
  const delivery = await deliveryFor(env, credentials, options.maxAttempts);
  const built = await report(env, collectorsOf(env), credentials.agentId, machineId);
  await delivery.enqueue(built);
  const result = await delivery.drain(env.stopSignal());
  if (result.error) throw result.error;
  if (result.queued > 0) {
    throw new AgentError(
      `stopping: ${result.queued} report${result.queued === 1 ? '' : 's'} still queued for the next run`,
      ExitCode.unreachable,
    );
  }
  if (result.rejection) throw result.rejection;
}

export interface RunOptions {
  performanceEvery?: number;
  systemEvery?: number;
  patchesEvery?: number;
  softwareEvery?: number;
  securityEvery?: number;
  jitter?: number;
  maxAttempts?: number;
  replay?: string;
}

export async function runCommand(baseEnv: CommandEnv, options: RunOptions): Promise<void> {
  const env = await replayEnv(baseEnv, options.replay);
  const stop = env.stopSignal();
  const credentials = await loadCredentials(env.stateDir);
  const machineId = await env.readMachineId();
  // One set of collector instances for the whole run: the performance collector measures
  // each interval from the counters it kept at the previous report.
  const collectors = collectorsOf(env);
  const delivery = await deliveryFor(env, credentials, options.maxAttempts);
  env.logger.info(
    {
      agentId: credentials.agentId,
      collector: credentials.collectorUrl,
      collectors: collectors.map((c) => c.name),
      outbox: delivery.outbox.stats(),
    },
    'agent started',
  );
  // Reports left queued by an earlier run start going out while the first tick collects.
  if (delivery.outbox.queued > 0) void delivery.drain(stop);
  const { ticks } = await runServiceLoop(
    {
      collectors,
      intervals: {
        performance: options.performanceEvery,
        system: options.systemEvery,
        patches: options.patchesEvery,
        software: options.softwareEvery,
        security: options.securityEvery,
      },
      jitter: options.jitter ?? DEFAULT_JITTER,
      build: (due) => report(env, due, credentials.agentId, machineId),
      delivery,
      logger: env.logger,
      random: env.transport.random,
      now: () => performance.now(),
      sleep: (ms, signal) => env.transport.sleep(ms, signal),
    },
    stop,
  );
  // The drain in progress finishes the request on the wire; the rest stays queued.
  await delivery.settled();
  env.logger.info({ ticks, outbox: delivery.outbox.stats() }, 'agent stopped');
}
