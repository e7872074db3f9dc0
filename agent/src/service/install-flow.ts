// install, uninstall and status, the same on every platform; what differs (paths, the
// service definition, the commands that register it) comes from the platform's
// ServiceManager. Every effect goes through the ServiceSystem seam (system.ts).
//
// install is idempotent, for RMM scripts that run it on every check-in: enrollment happens
// only when the machine has no credentials (or with --re-enroll), and before anything is
// written, so a bad token or an unreachable collector (exit 5, 4) leaves the machine as it
// was; then the service is stopped, the binary replaced (upgrade), the definition rewritten
// (repair) and the service started again.
import {
  chmod,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sameCollectorUrl } from '../collector-url.js';
import { AgentError, errorMessage, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { OUTBOX_DIR } from '../outbox.js';
import { loadCredentialsIfEnrolled, type Credentials } from '../state.js';
import { tlsSummary } from '../tls-commands.js';
import { AGENT_VERSION } from '../version.js';
import { linuxSystemd } from './linux-systemd.js';
import { macosLaunchd } from './macos-launchd.js';
import type { ServiceCommand, ServiceLayout, ServiceManager, ServiceState } from './manager.js';
import { exists, hostPath, type ServiceSystem } from './system.js';
import { windowsTask } from './windows-task.js';

export const INSTALL_FILE = 'install.json';
export const INSTALL_LOG = 'install.log';

export function managerFor(platform: NodeJS.Platform): ServiceManager | undefined {
  if (platform === 'linux') return linuxSystemd;
  if (platform === 'win32') return windowsTask;
  if (platform === 'darwin') return macosLaunchd;
  return undefined;
}

/** What install.json in the state directory records about the installation. */
export interface InstallRecord {
  version: string;
  installedAt: string;
  binary: string;
  service: string;
  site?: string;
}

export interface FlowContext {
  system: ServiceSystem;
  /**
   * false with `--root`: stage the files under the root and leave the machine's service
   * manager alone (no elevation needed, nothing started)
   */
  activate: boolean;
  /** --state-dir / VCIO_AGENT_STATE_DIR, else the platform's default */
  stateDir?: string;
  /** a progress line: kept for install.log, printed with --verbose */
  say(line: string): void;
}

export interface InstallOptions {
  url?: string;
  token?: string;
  site?: string;
  reEnroll?: boolean;
  /** enrolls this machine into stateDir (a path on this machine's file system) */
  enroll(stateDir: string, url: string, token: string): Promise<void>;
}

function platformManager(system: ServiceSystem): ServiceManager {
  const manager = managerFor(system.platform);
  if (!manager) {
    throw new AgentError(
      `vcio-agent cannot run as a service on ${system.platform}: Linux (systemd), Windows and macOS only`,
      ExitCode.unsupported,
    );
  }
  return manager;
}

async function requireElevated(ctx: FlowContext, action: string): Promise<void> {
  if (!ctx.activate || (await ctx.system.isElevated())) return;
  const how =
    ctx.system.platform === 'win32'
      ? 'run it from an elevated (Run as administrator) prompt, or as SYSTEM from your RMM'
      : 'run it as root, e.g. with sudo';
  throw new AgentError(`${action} needs administrator rights: ${how}`, ExitCode.notElevated);
}

async function runAll(ctx: FlowContext, commands: ServiceCommand[]): Promise<void> {
  for (const { command, args, mayFail } of commands) {
    const line = [command, ...args].join(' ');
    const result = await ctx.system.run(command, args);
    if (result.code === 0) {
      ctx.say(`ran: ${line}`);
      continue;
    }
    const output = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
    if (mayFail) {
      ctx.say(`ran: ${line} (exit ${result.code}, expected in this state: ${output})`);
      continue;
    }
    throw new AgentError(`'${line}' failed (exit ${result.code}): ${output || 'no output'}`);
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.ino === sb.ino && sa.dev === sb.dev && sa.ino !== 0;
  } catch {
    return false;
  }
}

/** Puts the new binary in place with a rename, so no one ever sees half a file. */
async function placeBinary(ctx: FlowContext, source: string, target: string): Promise<void> {
  const dest = hostPath(ctx.system, target);
  if (await sameFile(source, dest)) {
    ctx.say(`binary: ${target} is the program running now; kept`);
    return;
  }
  await mkdir(path.dirname(dest), { recursive: true, mode: 0o755 });
  const temp = `${dest}.new-${process.pid}`;
  try {
    await copyFile(source, temp);
    await chmod(temp, 0o755);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw new AgentError(
      `cannot install the binary as ${target}: ${errorMessage(err)}`,
      ExitCode.unexpected,
      {
        cause: err,
      },
    );
  }
  ctx.say(`binary: copied ${source} to ${target}`);
}

async function writeDefinition(
  ctx: FlowContext,
  manager: ServiceManager,
  layout: ServiceLayout,
): Promise<void> {
  const file = hostPath(ctx.system, layout.definition);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await writeFile(file, manager.definition(layout), { mode: 0o644 });
  await chmod(file, 0o644);
  ctx.say(`${manager.kind}: wrote ${layout.definition}`);
}

export interface InstallResult {
  layout: ServiceLayout;
  service: string;
  upgraded: boolean;
  enrolled: 'kept' | 'new';
  credentials: Credentials;
}

export async function installService(
  ctx: FlowContext,
  options: InstallOptions,
): Promise<InstallResult> {
  const { system } = ctx;
  const manager = platformManager(system);
  if (ctx.activate) {
    const reason = await manager.unsupportedReason(system);
    if (reason !== undefined) throw new AgentError(reason, ExitCode.unsupported);
  }
  await requireElevated(ctx, 'install');
  const exe = system.executable();
  if (!exe.singleExecutable) {
    // A service started from `node dist/cli.js` would depend on that Node and that checkout
    // staying where they are: install only the single executable, which needs nothing.
    throw new AgentError(
      `install copies the vcio-agent single executable into place, but this is Node running a script (${exe.path}). Build the binaries with \`pnpm build:agent\` and run install from one of them, or run \`vcio-agent run\` under a service manager of your own.`,
      ExitCode.unsupported,
    );
  }
  const layout = manager.layout(system.env, ctx.stateDir);
  const stateDir = hostPath(system, layout.stateDir);

  // Enrollment first: a refused token or an unreachable collector changes nothing here.
  const existing = await loadCredentialsIfEnrolled(stateDir);
  let enrolled: InstallResult['enrolled'] = 'kept';
  if (existing && !options.reEnroll) {
    if (options.url !== undefined && !sameCollectorUrl(existing.collectorUrl, options.url)) {
      throw new UsageError(
        `already enrolled with ${existing.collectorUrl} as agent ${existing.agentId}; add --re-enroll (with --token) to enroll with ${options.url} instead`,
      );
    }
    ctx.say(`enrollment: kept, agent ${existing.agentId} of tenant ${existing.tenant}`);
  } else {
    if (options.url === undefined || options.token === undefined) {
      throw new UsageError(
        options.reEnroll
          ? '--re-enroll needs --url and --token'
          : `this machine is not enrolled yet: install needs --url and --token`,
      );
    }
    await options.enroll(stateDir, options.url, options.token);
    enrolled = 'new';
  }
  const credentials = await loadCredentialsIfEnrolled(stateDir);
  if (!credentials) throw new AgentError(`enrollment left no credentials in ${layout.stateDir}`);
  if (enrolled === 'new')
    ctx.say(`enrollment: agent ${credentials.agentId} of tenant ${credentials.tenant}`);

  const upgraded =
    (await exists(hostPath(system, layout.binary))) ||
    (await exists(hostPath(system, layout.definition)));
  if (upgraded && ctx.activate) await runAll(ctx, manager.stop(layout));
  await placeBinary(ctx, exe.path, layout.binary);
  await writeDefinition(ctx, manager, layout);
  const previous = await readInstallRecord(stateDir);
  const record: InstallRecord = {
    version: AGENT_VERSION,
    installedAt: system.now().toISOString(),
    binary: layout.binary,
    service: manager.kind,
    ...((options.site ?? previous?.site) !== undefined
      ? { site: options.site ?? previous?.site }
      : {}),
  };
  await writeFile(path.join(stateDir, INSTALL_FILE), `${JSON.stringify(record, null, 2)}\n`, {
    mode: 0o600,
  });
  if (ctx.activate) await runAll(ctx, manager.start(layout));
  else
    ctx.say(
      `staged under ${system.root}: the ${manager.kind} service was not registered or started`,
    );
  ctx.say(
    `${upgraded ? 'upgraded' : 'installed'}: vcio-agent ${AGENT_VERSION} as a ${manager.kind}, state in ${layout.stateDir}`,
  );
  return { layout, service: manager.kind, upgraded, enrolled, credentials };
}

async function readInstallRecord(stateDir: string): Promise<InstallRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(stateDir, INSTALL_FILE), 'utf8')) as InstallRecord;
  } catch {
    return undefined;
  }
}

async function removeIfEmpty(dir: string): Promise<void> {
  try {
    if ((await readdir(dir)).length === 0) await rmdir(dir);
  } catch {
    // not there, or not empty: nothing to tidy
  }
}

export interface UninstallResult {
  layout: ServiceLayout;
  purged: boolean;
}

export async function uninstallService(
  ctx: FlowContext,
  options: { purge?: boolean },
): Promise<UninstallResult> {
  const { system } = ctx;
  const manager = platformManager(system);
  await requireElevated(ctx, 'uninstall');
  const layout = manager.layout(system.env, ctx.stateDir);
  if (ctx.activate) {
    await runAll(ctx, manager.stop(layout));
    await runAll(
      ctx,
      manager.remove(layout).map((c) => ({ ...c, mayFail: true })),
    );
  }
  await rm(hostPath(system, layout.definition), { force: true });
  ctx.say(`${manager.kind}: removed ${layout.definition}`);
  const binary = hostPath(system, layout.binary);
  if (system.platform === 'win32' && (await sameFile(system.executable().path, binary))) {
    // Windows cannot delete a program while it runs, but can move it: out of the way to the
    // temporary directory, where disk clean-up removes it.
    const aside = path.join(os.tmpdir(), `vcio-agent-uninstalled-${system.now().getTime()}.exe`);
    await rename(binary, aside);
    ctx.say(`binary: ${layout.binary} is running this uninstall; moved to ${aside}`);
  } else {
    await rm(binary, { force: true });
    ctx.say(`binary: removed ${layout.binary}`);
  }
  await removeIfEmpty(path.dirname(binary));
  const stateDir = hostPath(system, layout.stateDir);
  if (options.purge) {
    await rm(stateDir, { recursive: true, force: true });
    ctx.say(`state: removed ${layout.stateDir} (credentials and queued reports)`);
  } else {
    ctx.say(
      `state: kept ${layout.stateDir} (credentials and queued reports; --purge removes them)`,
    );
  }
  return { layout, purged: options.purge === true };
}

export interface OutboxStatus {
  queued: number;
  /** when the oldest report still queued was made */
  oldestQueuedAt: string | null;
}

export interface ServiceStatus {
  platform: NodeJS.Platform;
  service: string;
  installed: boolean;
  binary: string;
  definition: string;
  stateDir: string;
  version: string | null;
  site: string | null;
  running: boolean | null;
  serviceDetail: string;
  enrolled: boolean | null;
  agentId: string | null;
  tenant: string | null;
  collectorUrl: string | null;
  /** how the agent checks the collector's certificate (tls.ts); null when not enrolled */
  tls: ReturnType<typeof tlsSummary> | null;
  /**
   * When the agent last had the collector acknowledge a report, read from the outbox: a
   * report's file is deleted on acknowledgement, so an empty outbox's last change is the
   * last delivery. null while reports wait (see outbox.oldestQueuedAt) or when unknown.
   */
  lastReportAt: string | null;
  outbox: OutboxStatus | null;
  problems: string[];
}

const QUEUED = /^(\d{16})-[0-9a-f-]{36}\.json$/;

async function outboxStatus(
  stateDir: string,
): Promise<{ status: OutboxStatus; lastReportAt: string | null } | null> {
  const dir = path.join(stateDir, OUTBOX_DIR);
  let names: string[];
  let modified: Date;
  try {
    names = await readdir(dir);
    modified = (await stat(dir)).mtime;
  } catch {
    return null;
  }
  const seqs = names.flatMap((n) => {
    const m = QUEUED.exec(n);
    return m?.[1] ? [Number(m[1])] : [];
  });
  const oldest = seqs.length > 0 ? Math.min(...seqs) : null;
  return {
    status: {
      queued: seqs.length,
      oldestQueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
    },
    lastReportAt: seqs.length === 0 ? modified.toISOString() : null,
  };
}

export async function serviceStatus(ctx: FlowContext): Promise<ServiceStatus> {
  const { system } = ctx;
  const manager = platformManager(system);
  const layout = manager.layout(system.env, ctx.stateDir);
  const stateDir = hostPath(system, layout.stateDir);
  const problems: string[] = [];
  const installed =
    (await exists(hostPath(system, layout.binary))) &&
    (await exists(hostPath(system, layout.definition)));
  let state: ServiceState = { running: null, detail: 'not queried (--root)' };
  if (ctx.activate)
    state = installed
      ? await manager.state(system, layout)
      : { running: false, detail: 'not installed' };
  let credentials: Credentials | null | undefined;
  try {
    credentials = await loadCredentialsIfEnrolled(stateDir);
  } catch (err) {
    problems.push(errorMessage(err));
  }
  const record = await readInstallRecord(stateDir);
  const outbox = await outboxStatus(stateDir);
  return {
    platform: system.platform,
    service: manager.kind,
    installed,
    binary: layout.binary,
    definition: layout.definition,
    stateDir: layout.stateDir,
    version: record?.version ?? null,
    site: record?.site ?? null,
    running: state.running,
    serviceDetail: state.detail,
    enrolled: credentials === undefined ? null : credentials !== null,
    agentId: credentials?.agentId ?? null,
    tenant: credentials?.tenant ?? null,
    collectorUrl: credentials?.collectorUrl ?? null,
    tls: credentials ? tlsSummary(credentials.tls) : null,
    lastReportAt: outbox?.lastReportAt ?? null,
    outbox: outbox?.status ?? null,
    problems,
  };
}

const yesNo = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'no');

export function formatStatus(s: ServiceStatus): string {
  const lines = [
    `installed:    ${yesNo(s.installed)}${s.installed ? ` (${s.binary}${s.version ? `, version ${s.version}` : ''})` : ''}`,
    `running:      ${yesNo(s.running)} (${s.serviceDetail})`,
    `enrolled:     ${yesNo(s.enrolled)}${s.enrolled ? ` (agent ${s.agentId}, tenant ${s.tenant}, ${s.collectorUrl})` : ''}`,
    ...(s.tls ? [`tls:          ${s.tls.description}`] : []),
    `last report:  ${s.lastReportAt ?? (s.outbox && s.outbox.queued > 0 ? 'waiting' : 'unknown')}`,
    `outbox:       ${s.outbox ? `${s.outbox.queued} queued${s.outbox.oldestQueuedAt ? `, oldest from ${s.outbox.oldestQueuedAt}` : ''}` : 'none'}`,
    `state:        ${s.stateDir}`,
    ...(s.site ? [`site:         ${s.site}`] : []),
    ...s.problems.map((p) => `problem:      ${p}`),
  ];
  return `${lines.join('\n')}\n`;
}
