// The `vcio-agent` command line: commands, options, and how failures become exit codes
// (see ../exit-codes.ts for the table).
//
// Errors end as one line on stderr, `vcio-agent: error: <what>`; the stack trace follows
// only with --log-level debug or trace, because RMM consoles show the last lines of output
// and a stack buries the reason.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createCollectors } from '../collectors/index.js';
import { AgentError, errorMessage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { DEFAULT_JITTER } from '../service-loop.js';
import { resolveStateDir, STATE_DIR_ENV } from '../state.js';
import { addTlsCommands, addTlsOptions } from '../tls-commands.js';
import { DEFAULT_RETRY_POLICY } from '../transport.js';
import { AGENT_VERSION } from '../version.js';
import { addCheckCommand, FindingsExit } from './check.js';
import { addServiceCommands } from './install.js';
import {
  collectCommand,
  defaultCommandEnv,
  defaultTransport,
  enrollCommand,
  onceCommand,
  rotateCommand,
  runCommand,
  type CommandEnv,
} from './commands.js';

export const LOG_LEVEL_ENV = 'VCIO_AGENT_LOG_LEVEL';

function cadence(name: string): number | undefined {
  return createCollectors().find((c) => c.name === name)?.cadenceSeconds;
}

export interface CliIo {
  stdout(text: string): Promise<void>;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** fd the logger writes to (2 = stderr) */
  logFd: number;
  /** a signal aborted on SIGTERM/SIGINT; cli.ts installs the handlers on the first call */
  stopSignal(): AbortSignal;
}

/** Overrides of the command environment, for tests. */
export type CommandEnvOverrides = Partial<
  Omit<CommandEnv, 'logger' | 'stateDir' | 'stdout' | 'stopSignal'>
>;

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number greater than 0');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function jitterFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1)
    throw new InvalidArgumentError('must be a fraction from 0 up to (not including) 1');
  return n;
}

/**
 * --replay DIR on the commands that collect. A testing and demo aid (e.g. the Windows and
 * macOS paths end to end on Linux, or a bench of many machines): see ../replay.ts.
 */
function replayOption(): Option {
  return new Option(
    '--replay <dir>',
    'testing/demo aid: collect from the machine recorded in <dir> (host.json, commands.json, files/, system.json) instead of this one; performance is not collected in replay',
  );
}

interface GlobalOptions {
  stateDir?: string;
  logLevel: LogLevel;
}

export function buildProgram(
  io: CliIo,
  overrides: CommandEnvOverrides,
  setLevel: (level: LogLevel) => void,
): Command {
  const program = new Command('vcio-agent');
  // Before any .command(): subcommands copy these settings when they are created.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`vcio-agent: ${text}`),
    })
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true });

  program
    .description(
      'vcio agent: collects inventory and performance and sends them to a vcio collector',
    )
    .version(AGENT_VERSION, '-V, --version', 'print the agent version')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(
      new Option(
        '--state-dir <dir>',
        'state directory holding the credentials and the outbox (default: per OS)',
      ).env(STATE_DIR_ENV),
    )
    .addOption(
      new Option('--log-level <level>', 'log level of the JSON logs on stderr')
        .choices(LOG_LEVELS)
        .default('info')
        .env(LOG_LEVEL_ENV),
    );

  const envFor = (command: Command): CommandEnv => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    setLevel(globals.logLevel);
    return {
      ...defaultCommandEnv,
      transport: defaultTransport(),
      ...overrides,
      logger: createLogger(globals.logLevel, io.logFd),
      stateDir: resolveStateDir(globals.stateDir, io.env),
      stdout: io.stdout,
      stopSignal: io.stopSignal,
    };
  };

  program
    .command('collect')
    .description('collect now and print the report as JSON on stdout; sends nothing')
    .option('--only <names>', 'comma-separated collectors to run (default: all)')
    .option('--pretty', 'indent the JSON')
    .addOption(replayOption())
    .action(async (options: Parameters<typeof collectCommand>[1], command: Command) => {
      await collectCommand(envFor(command), options);
    });

  const enrollCommandLine = program
    .command('enroll')
    .description("exchange a tenant's enrollment token for this agent's credentials")
    .requiredOption('--url <url>', 'collector base URL, e.g. https://vcio.example.com')
    .addOption(
      new Option('--token <token>', 'enrollment token of the tenant')
        .env('VCIO_AGENT_ENROLL_TOKEN')
        .makeOptionMandatory(),
    )
    .option('--insecure-http', 'allow plain http:// to a collector that is not on this machine')
    .option('--force', 'enroll again even if this machine is already enrolled');
  addTlsOptions(enrollCommandLine)
    .addOption(
      new Option(
        '--max-attempts <n>',
        `attempts per report before leaving it queued for the next run (default: ${DEFAULT_RETRY_POLICY.maxAttempts})`,
      ).argParser(positiveInteger),
    )
    .addOption(replayOption())
    .action(async (options: Parameters<typeof enrollCommand>[1], command: Command) => {
      await enrollCommand(envFor(command), options);
    });

  program
    .command('rotate')
    .description(
      "replace this agent's secret: the new one is written to the state directory before it is used; the old one stops working once the collector has seen the new one",
    )
    .addOption(
      new Option(
        '--max-attempts <n>',
        `attempts per request before giving up (default: ${DEFAULT_RETRY_POLICY.maxAttempts})`,
      ).argParser(positiveInteger),
    )
    .action(async (options: Parameters<typeof rotateCommand>[1], command: Command) => {
      await rotateCommand(envFor(command), options);
    });

  program
    .command('once')
    .description(
      'collect everything, queue the report, send all queued reports; exit 0 when the collector stored them all',
    )
    .addOption(
      new Option(
        '--max-attempts <n>',
        `attempts per report before leaving it queued for the next run (default: ${DEFAULT_RETRY_POLICY.maxAttempts})`,
      ).argParser(positiveInteger),
    )
    .addOption(replayOption())
    .action(async (options: Parameters<typeof onceCommand>[1], command: Command) => {
      await onceCommand(envFor(command), options);
    });

  program
    .command('run')
    .description(
      'run as a service: performance every 60 s, system, software and security hourly, patches every 6 h, until SIGTERM/SIGINT',
    )
    .addOption(
      new Option(
        '--performance-every <seconds>',
        `seconds between performance reports (default: ${cadence('performance')})`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--system-every <seconds>',
        `seconds between system inventories (default: ${cadence('system')})`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--patches-every <seconds>',
        `seconds between patch checks (default: ${cadence('patches')})`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--software-every <seconds>',
        `seconds between software inventories (default: ${cadence('software')})`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--security-every <seconds>',
        `seconds between security checks (default: ${cadence('security')})`,
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--jitter <fraction>',
        `random shift of each interval, ±fraction (default: ${DEFAULT_JITTER})`,
      ).argParser(jitterFraction),
    )
    .addOption(
      new Option(
        '--max-attempts <n>',
        `attempts per report before leaving it queued for the next tick (default: ${DEFAULT_RETRY_POLICY.maxAttempts})`,
      ).argParser(positiveInteger),
    )
    .addOption(replayOption())
    .action(async (options: Parameters<typeof runCommand>[1], command: Command) => {
      await runCommand(envFor(command), options);
    });

  addCheckCommand(program, envFor, replayOption);
  addServiceCommands(program, envFor);
  addTlsCommands(program, envFor);

  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(
  argv: readonly string[],
  io: CliIo,
  overrides: CommandEnvOverrides = {},
): Promise<number> {
  let level = 'info' as LogLevel;
  // Commander writes help and version synchronously; keep those writes to await them, so
  // that the caller's exit cannot cut them short where stdout is asynchronous (pipes on
  // macOS and Windows).
  const writes: Promise<void>[] = [];
  const trackedIo: CliIo = { ...io, stdout: (text) => track(writes, io.stdout(text)) };
  const program = buildProgram(trackedIo, overrides, (l) => (level = l));
  let code: number;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    code = ExitCode.ok;
  } catch (err) {
    code = exitCodeFor(err, io, level);
  }
  await Promise.allSettled(writes);
  return code;
}

function track(writes: Promise<void>[], write: Promise<void>): Promise<void> {
  writes.push(write);
  return write;
}

function exitCodeFor(err: unknown, io: CliIo, level: LogLevel): number {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help/version) already.
    const shown = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
    return shown ? ExitCode.ok : ExitCode.usage;
  }
  // A check that ends with findings did its job: its verdict is not an error.
  io.stderr(
    err instanceof FindingsExit
      ? `vcio-agent: ${errorMessage(err)}\n`
      : `vcio-agent: error: ${errorMessage(err)}\n`,
  );
  if ((level === 'debug' || level === 'trace') && err instanceof Error && err.stack) {
    io.stderr(`${err.stack}\n`);
  }
  return err instanceof AgentError ? err.exitCode : ExitCode.unexpected;
}
