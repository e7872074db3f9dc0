// Windows: a Scheduled Task that starts the agent at boot as SYSTEM, registered from a task
// XML with schtasks.
//
// Why not a Windows service: the Service Control Manager starts a service's program and
// then waits for it to report SERVICE_RUNNING through the service API, and to answer
// stop/shutdown controls. A Node program (and so the single executable) does not speak
// that API: the SCM kills it after 30 s as "did not respond to the start request". The
// usual fixes ship a second program as a wrapper (WinSW, which node-windows uses, or NSSM,
// unmaintained since 2017), a second binary to sign, update and explain to anti-malware.
// Task Scheduler runs any program as SYSTEM at boot with nothing extra and is on every
// Windows since Vista; what a service would add is restart on failure, which the task
// gets two ways below. Visible with `schtasks /Query /TN vcio-agent` or in Task Scheduler
// (not in services.msc); stopped with `schtasks /End /TN vcio-agent`.
import path from 'node:path';
import { defaultStateDir } from '../state.js';
import { runArguments, type ServiceLayout, type ServiceManager } from './manager.js';
import type { ServiceSystem } from './system.js';

export const TASK_NAME = 'vcio-agent';

function xmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * One argument for a Windows command line as CommandLineToArgvW (the C runtime, and so
 * Node) splits it: quoted when it has spaces or quotes, backslashes doubled before a quote.
 */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  const escaped = arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1');
  return `"${escaped}"`;
}

/** The task definition (Task Scheduler schema 1.2, Windows 7 / Server 2008 R2 and later). */
export function taskXml(layout: ServiceLayout): string {
  const args = runArguments(layout).map(windowsArg).join(' ');
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Author>vcio</Author>
    <Description>vcio agent: inventory, patches, security settings and performance for a vcio collector. Written by vcio-agent install.</Description>
    <URI>\\${TASK_NAME}</URI>
  </RegistrationInfo>
  <Triggers>
    <!-- At boot, before anyone logs on. -->
    <BootTrigger>
      <Enabled>true</Enabled>
    </BootTrigger>
    <!-- Every 5 minutes, for ever: a watchdog. While the agent runs, the new instance is
         ignored (MultipleInstancesPolicy); if it ended, for any reason, it starts again. -->
    <TimeTrigger>
      <StartBoundary>2000-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
      <Repetition>
        <Interval>PT5M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <!-- LocalSystem (S-1-5-18): the facts the agent reports need administrator rights. -->
    <Principal id="System">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <!-- No time limit: the default (3 days) would stop a long-running agent. -->
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <!-- Below normal CPU and I/O priority: the agent must not slow the user's work. -->
    <Priority>7</Priority>
    <!-- A failed start is retried every minute (the watchdog trigger covers a crash later). -->
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="System">
    <Exec>
      <Command>${xmlText(layout.binary)}</Command>
      <Arguments>${xmlText(args)}</Arguments>
      <WorkingDirectory>${xmlText(layout.stateDir)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
}

/** The XML as schtasks reads it: UTF-16 LE with a byte-order mark, as the declaration says. */
export function taskXmlFile(layout: ServiceLayout): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(taskXml(layout), 'utf16le')]);
}

export const windowsTask: ServiceManager = {
  kind: 'scheduled task',
  layout: (env, stateDir) => {
    const programFiles = env.ProgramFiles || 'C:\\Program Files';
    const state = stateDir ?? defaultStateDir('win32', env);
    return {
      binary: path.win32.join(programFiles, 'vcio', 'vcio-agent.exe'),
      stateDir: state,
      // schtasks registers the task from this file; kept so an administrator can see what
      // was registered.
      definition: path.win32.join(state, 'vcio-agent-task.xml'),
    };
  },
  unsupportedReason: async () => undefined,
  definition: taskXmlFile,
  // /End stops the running instance: Windows cannot replace or delete a running program.
  stop: () => [{ command: 'schtasks', args: ['/End', '/TN', TASK_NAME], mayFail: true }],
  start: (layout) => [
    { command: 'schtasks', args: ['/Create', '/TN', TASK_NAME, '/XML', layout.definition, '/F'] },
    { command: 'schtasks', args: ['/Run', '/TN', TASK_NAME] },
  ],
  remove: () => [{ command: 'schtasks', args: ['/Delete', '/TN', TASK_NAME, '/F'], mayFail: true }],
  async state(system: ServiceSystem) {
    // CSV without header: "\vcio-agent","N/A","Running"
    const result = await system.run('schtasks', ['/Query', '/TN', TASK_NAME, '/FO', 'CSV', '/NH']);
    if (result.code !== 0) return { running: null, detail: 'schtasks could not query the task' };
    const status = parseSchtasksStatus(result.stdout);
    return {
      running: status === null ? null : status === 'Running',
      detail: `task: ${status ?? 'unknown'}`,
    };
  },
};

/** The status column of `schtasks /Query /FO CSV /NH` (Ready, Running, Disabled...). */
export function parseSchtasksStatus(csv: string): string | null {
  const line = csv.split(/\r?\n/).find((l) => l.trim() !== '');
  if (!line) return null;
  const fields = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  return fields.length >= 3 ? (fields[2] ?? null) : null;
}
