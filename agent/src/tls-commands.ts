// The command line of the agent's TLS settings (tls.ts): --ca-file and --pin-sha256 on
// enroll and install, `vcio-agent pin` to print a collector's pins, and `vcio-agent trust`
// to change the settings of an enrolled agent without enrolling it again (a new CA or a
// new key on the collector must not cost every machine its agent id).
import { type Command, Option } from 'commander';
import type { CommandEnv } from './cli/commands.js';
import { UsageError } from './errors.js';
import { loadCredentials, loadCredentialsIfEnrolled, saveCredentials } from './state.js';
import { formatProbe, probeCollector } from './tls-probe.js';
import { describeTls, tlsSettingsFrom, TlsVerificationError, type TlsSettings } from './tls.js';
import { checkCollectorUrl } from './transport.js';

export interface TlsFlags {
  caFile?: string;
  pinSha256?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** Adds --ca-file and --pin-sha256 to a command. */
export function addTlsOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--ca-file <file>',
        "PEM bundle of the CA(s) to trust for the collector's certificate, instead of the system store; kept in the state for the service",
      ),
    )
    .addOption(
      new Option(
        '--pin-sha256 <pin>',
        "also require this base64 SHA-256 of the public key of the collector's certificate or of a CA in its chain (repeatable; vcio-agent pin prints it)",
      ).argParser(collect),
    );
}

/** What the settings are, for humans and `status --json`. */
export function tlsSummary(settings: TlsSettings | undefined): {
  trust: 'ca-file' | 'default';
  caSource: string | null;
  pins: string[];
  description: string;
} {
  return {
    trust: settings?.ca ? 'ca-file' : 'default',
    caSource: settings?.ca ? (settings.caSource ?? null) : null,
    pins: settings?.pins ?? [],
    description: describeTls(settings),
  };
}

/** Checks `settings` against the collector; throws with the reason when it would refuse. */
async function requireAccepted(url: URL, settings: TlsSettings | undefined): Promise<void> {
  const probe = await probeCollector(url, settings);
  if (probe.problem) {
    throw new TlsVerificationError(
      `${probe.problem.message} (settings not saved; --no-check saves them anyway)`,
      probe.problem.code,
    );
  }
}

export interface TrustChange extends TlsFlags {
  /** forget the CA file: the default store again */
  systemCa?: boolean;
  /** require no pin */
  clearPins?: boolean;
}

export const isTrustChange = (change: TrustChange): boolean =>
  change.caFile !== undefined ||
  change.pinSha256 !== undefined ||
  change.systemCa === true ||
  change.clearPins === true;

/**
 * Changes the TLS settings kept with the credentials in `stateDir`: a CA file or pins given
 * replace the stored ones, the rest is kept. With `check`, the collector must accept the
 * new settings first, so a typo cannot cut the agent off. Returns what was saved.
 */
export async function updateTrust(
  stateDir: string,
  change: TrustChange,
  check: boolean,
): Promise<TlsSettings | undefined> {
  const credentials = await loadCredentials(stateDir);
  const given = (await tlsSettingsFrom(change)) ?? {};
  const current = credentials.tls ?? {};
  const ca = change.systemCa ? undefined : given.ca ? given : current;
  const pins = change.clearPins ? undefined : (given.pins ?? current.pins);
  const next: TlsSettings = {
    ...(ca?.ca ? { ca: ca.ca, ...(ca.caSource ? { caSource: ca.caSource } : {}) } : {}),
    ...(pins?.length ? { pins } : {}),
  };
  const stored = Object.keys(next).length > 0 ? next : undefined;
  if (check) {
    await requireAccepted(
      checkCollectorUrl(credentials.collectorUrl, credentials.insecureHttp === true),
      stored,
    );
  }
  const { tls: _previous, ...rest } = credentials;
  await saveCredentials(stateDir, stored ? { ...rest, tls: stored } : rest);
  return stored;
}

export function addTlsCommands(program: Command, envFor: (command: Command) => CommandEnv): void {
  addTlsOptions(
    program
      .command('pin')
      .description(
        "print the public-key pins (--pin-sha256) of the certificates a collector presents, and whether the agent's TLS settings accept them; sends nothing",
      )
      .option('--url <url>', 'collector base URL (default: the one this agent is enrolled with)')
      .option('--json', 'print one JSON object'),
  ).action(async (flags: TlsFlags & { url?: string; json?: boolean }, command: Command) => {
    const env = envFor(command);
    const given = await tlsSettingsFrom(flags);
    let url = flags.url;
    let settings = given;
    if (url === undefined || given === undefined) {
      const credentials = await loadCredentialsIfEnrolled(env.stateDir);
      if (url === undefined) {
        if (!credentials) throw new UsageError('not enrolled: pass --url');
        url = credentials.collectorUrl;
      }
      // The stored settings apply when checking the enrolled collector itself.
      if (given === undefined && credentials && url === credentials.collectorUrl)
        settings = credentials.tls;
    }
    const probe = await probeCollector(checkCollectorUrl(url, true), settings);
    await env.stdout(
      flags.json
        ? `${JSON.stringify(
            {
              host: probe.host,
              port: probe.port,
              chain: probe.chain,
              accepted: probe.problem === null,
              problem: probe.problem?.message ?? null,
            },
            null,
            2,
          )}\n`
        : formatProbe(probe),
    );
  });

  addTlsOptions(
    program
      .command('trust')
      .description(
        "show or change how this enrolled agent checks the collector's certificate; changes are checked against the collector first, and the service uses them from its next start",
      ),
  )
    .addOption(
      new Option('--system-ca', 'trust the system store again (forget the CA file)').conflicts(
        'caFile',
      ),
    )
    .addOption(new Option('--clear-pins', 'require no pin any more').conflicts('pinSha256'))
    .option('--no-check', 'save the settings without connecting to the collector')
    .action(async (flags: TrustChange & { check: boolean }, command: Command) => {
      const env = envFor(command);
      if (!isTrustChange(flags)) {
        const credentials = await loadCredentials(env.stateDir);
        await env.stdout(`${describeTls(credentials.tls)}\n`);
        return;
      }
      const stored = await updateTrust(env.stateDir, flags, flags.check);
      env.logger.info({ stateDir: env.stateDir, tls: tlsSummary(stored) }, 'TLS settings saved');
      await env.stdout(
        `saved: ${describeTls(stored)}\nthe running service uses them from its next start (vcio-agent install restarts it)\n`,
      );
    });
}
