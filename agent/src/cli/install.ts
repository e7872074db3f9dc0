// `vcio-agent install | uninstall | status`: the agent as a service (../service/).
//
// Made for RMM scripts: silent on success (exit 0), one line on stderr and a documented
// exit code otherwise (../exit-codes.ts). What install did is appended to install.log in
// the state directory either way; --verbose prints it too.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { sameCollectorUrl } from '../collector-url.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import {
  formatStatus,
  INSTALL_LOG,
  installService,
  managerFor,
  serviceStatus,
  uninstallService,
  type FlowContext,
} from '../service/install-flow.js';
import { exists, hostPath, liveSystem, type ServiceSystem } from '../service/system.js';
import { loadCredentialsIfEnrolled, STATE_DIR_ENV } from '../state.js';
import { addTlsOptions, isTrustChange, updateTrust, type TlsFlags } from '../tls-commands.js';
import { enrollCommand, type CommandEnv } from './commands.js';

interface InstallFlags extends TlsFlags {
  url?: string;
  token?: string;
  site?: string;
  reEnroll?: boolean;
  insecureHttp?: boolean;
  verbose?: boolean;
  root?: string;
}

/** The system the commands act on: the real machine, or the files staged under --root. */
export type SystemFor = (root: string | undefined) => ServiceSystem;

/**
 * --root from the environment: the install one-liners the collector hands out run
 * `install --url ...` with fixed arguments, so packaging scripts and the end-to-end test
 * (test/e2e/agent-binary.test.ts) stage those installs with this variable instead.
 */
export const INSTALL_ROOT_ENV = 'VCIO_AGENT_INSTALL_ROOT';

function rootOption(): Option {
  return new Option(
    '--root <dir>',
    'packaging and testing aid: put the files under <dir> (as DESTDIR does) and leave the service manager alone; needs no administrator rights',
  ).env(INSTALL_ROOT_ENV);
}

/** The staging root, if any; the variable set but empty counts as unset, as elsewhere. */
function stagingRoot(command: Command, root: string | undefined): string | undefined {
  if (root === '' && command.getOptionValueSource('root') === 'env') return undefined;
  return root === undefined ? undefined : path.resolve(root);
}

class ProgressLog {
  readonly lines: string[] = [];
  constructor(
    private readonly verbose: boolean,
    private readonly stdout: (text: string) => Promise<void>,
    private readonly now: () => Date,
  ) {}

  say = (line: string): void => {
    this.lines.push(`${this.now().toISOString()} ${line}`);
    if (this.verbose) void this.stdout(`${line}\n`);
  };

  /** Appends to install.log when the state directory exists (it may not, e.g. not elevated). */
  async save(stateDir: string, outcome: string): Promise<void> {
    this.say(outcome);
    if (!(await exists(stateDir))) return;
    try {
      await appendFile(path.join(stateDir, INSTALL_LOG), `${this.lines.join('\n')}\n`, {
        mode: 0o600,
      });
    } catch {
      // a log that cannot be written must not turn a good install into a failure
    }
  }
}

function stateDirOf(command: Command, env: NodeJS.ProcessEnv): string | undefined {
  const flag = command.optsWithGlobals<{ stateDir?: string }>().stateDir;
  return flag || env[STATE_DIR_ENV] || undefined;
}

/**
 * The commands log only warnings unless asked (--verbose, or --log-level given): an RMM
 * console shows output, and a successful install has nothing to say.
 */
function quietEnv(command: Command, env: CommandEnv, verbose: boolean): CommandEnv {
  const source = command.getOptionValueSourceWithGlobals('logLevel');
  if (verbose || (source !== 'default' && source !== undefined)) return env;
  return { ...env, logger: createLogger('warn', 2) };
}

export function addServiceCommands(
  program: Command,
  envFor: (command: Command) => CommandEnv,
  systemFor: SystemFor = liveSystem,
): void {
  const context = (
    command: Command,
    flags: { root?: string; verbose?: boolean },
    env: CommandEnv,
  ) => {
    const root = stagingRoot(command, flags.root);
    const system = systemFor(root);
    const log = new ProgressLog(flags.verbose === true, env.stdout, () => system.now());
    const ctx: FlowContext = {
      system,
      activate: root === undefined,
      stateDir: stateDirOf(command, system.env),
      say: log.say,
    };
    const manager = managerFor(system.platform);
    const stateDir = manager
      ? hostPath(system, manager.layout(system.env, ctx.stateDir).stateDir)
      : undefined;
    return { ctx, log, stateDir };
  };

  const install = program
    .command('install')
    .description(
      'enroll (unless enrolled), copy this executable to the standard place and run it as a service (systemd, a Windows scheduled task, a macOS LaunchDaemon); again to upgrade or repair',
    )
    .option('--url <url>', 'collector base URL, e.g. https://vcio.example.com (needed to enroll)')
    .addOption(
      new Option('--token <token>', 'enrollment token of the tenant (needed to enroll)').env(
        'VCIO_AGENT_ENROLL_TOKEN',
      ),
    )
    .option(
      '--site <site>',
      'a site label (e.g. the client office), kept in install.json and shown by status',
    )
    .option(
      '--re-enroll',
      'enroll again even though this machine has credentials (with --url and --token)',
    )
    .option('--insecure-http', 'allow plain http:// to a collector that is not on this machine')
    .option('--verbose', 'print each step (they always go to install.log in the state directory)')
    .addOption(rootOption());
  addTlsOptions(install).action(async (flags: InstallFlags, command: Command) => {
    const env = quietEnv(command, envFor(command), flags.verbose === true);
    const { ctx, log, stateDir } = context(command, flags, env);
    try {
      // --ca-file/--pin-sha256 on a machine that keeps its enrollment change its TLS
      // settings (checked against the collector first), before the service restarts.
      const kept = stateDir && !flags.reEnroll ? await loadCredentialsIfEnrolled(stateDir) : null;
      if (
        kept &&
        isTrustChange(flags) &&
        (flags.url === undefined || sameCollectorUrl(kept.collectorUrl, flags.url))
      ) {
        await updateTrust(stateDir!, flags, true);
        log.say('tls: settings updated from --ca-file/--pin-sha256');
      }
      await installService(ctx, {
        ...(flags.url !== undefined ? { url: flags.url } : {}),
        ...(flags.token !== undefined ? { token: flags.token } : {}),
        ...(flags.site !== undefined ? { site: flags.site } : {}),
        reEnroll: flags.reEnroll === true,
        enroll: (dir, url, token) =>
          enrollCommand(
            { ...env, stateDir: dir, stdout: async (text) => log.say(text.trim()) },
            {
              url,
              token,
              insecureHttp: flags.insecureHttp === true,
              force: true,
              ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
              ...(flags.pinSha256 !== undefined ? { pinSha256: flags.pinSha256 } : {}),
            },
          ),
      });
    } catch (err) {
      if (stateDir) await log.save(stateDir, `install failed: ${errorMessage(err)}`);
      throw err;
    }
    if (stateDir) await log.save(stateDir, 'install done');
  });

  program
    .command('uninstall')
    .description(
      'stop and remove the service and the installed binary; the state directory stays unless --purge',
    )
    .option('--purge', 'also delete the state directory: credentials, queued reports, logs')
    .option('--verbose', 'print each step')
    .addOption(rootOption())
    .action(
      async (flags: { purge?: boolean; verbose?: boolean; root?: string }, command: Command) => {
        const env = quietEnv(command, envFor(command), flags.verbose === true);
        const { ctx, log, stateDir } = context(command, flags, env);
        try {
          await uninstallService(ctx, { purge: flags.purge === true });
        } catch (err) {
          if (stateDir) await log.save(stateDir, `uninstall failed: ${errorMessage(err)}`);
          throw err;
        }
        if (stateDir && !flags.purge) await log.save(stateDir, 'uninstall done');
      },
    );

  program
    .command('status')
    .description(
      'whether the service is installed and running, the enrollment, and when the agent last reported',
    )
    .option('--json', 'print one JSON object')
    .addOption(rootOption())
    .action(async (flags: { json?: boolean; root?: string }, command: Command) => {
      const env = envFor(command);
      const { ctx } = context(command, flags, env);
      const status = await serviceStatus(ctx);
      await env.stdout(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
}
