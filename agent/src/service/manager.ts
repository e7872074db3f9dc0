// What the install flow (install-flow.ts) needs from a platform's service manager; one
// module per platform implements it: linux-systemd.ts, windows-task.ts, macos-launchd.ts.
import type { ServiceSystem } from './system.js';

/** Where the agent lives once installed, as paths of the target OS. */
export interface ServiceLayout {
  /** the installed executable */
  binary: string;
  /** credentials, outbox, install.json and install.log */
  stateDir: string;
  /** the unit file, task definition or plist */
  definition: string;
}

/** A service-manager command the flow runs, e.g. `systemctl restart vcio-agent.service`. */
export interface ServiceCommand {
  command: string;
  args: string[];
  /** a failure is expected in some states (stopping what is not running): log it and go on */
  mayFail?: boolean;
}

export interface ServiceState {
  /** null when the service manager could not say */
  running: boolean | null;
  /** what the service manager said, for `status` */
  detail: string;
}

export interface ServiceManager {
  /** e.g. "systemd" */
  readonly kind: string;
  layout(env: NodeJS.ProcessEnv, stateDir: string | undefined): ServiceLayout;
  /** Why this machine cannot run the service (exit 9), or undefined when it can. */
  unsupportedReason(system: ServiceSystem): Promise<string | undefined>;
  /** the service definition's content (unit, XML, plist) */
  definition(layout: ServiceLayout): string | Buffer;
  /** stop the running agent, if any, before its binary is replaced or removed */
  stop(layout: ServiceLayout): ServiceCommand[];
  /** register the (new) definition and start the service */
  start(layout: ServiceLayout): ServiceCommand[];
  /** unregister the service (after stop) */
  remove(layout: ServiceLayout): ServiceCommand[];
  state(system: ServiceSystem, layout: ServiceLayout): Promise<ServiceState>;
}

/** The command line the service runs: the agent's service loop on the installed state. */
export function runArguments(layout: ServiceLayout): string[] {
  return ['run', '--state-dir', layout.stateDir];
}
