// macOS: a LaunchDaemon (/Library/LaunchDaemons/com.vcio.agent.plist), started by launchd at
// boot as root, restarted whenever it exits (KeepAlive), loaded and unloaded with
// `launchctl bootstrap` / `bootout` (the forms Apple documents since macOS 10.10; `load`
// and `unload` are deprecated).
import { defaultStateDir } from '../state.js';
import { runArguments, type ServiceLayout, type ServiceManager } from './manager.js';
import type { ServiceSystem } from './system.js';

export const LAUNCHD_LABEL = 'com.vcio.agent';
const DOMAIN = 'system';

function plistString(text: string): string {
  return `<string>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</string>`;
}

export function launchdPlist(layout: ServiceLayout): string {
  const args = [layout.binary, ...runArguments(layout)].map((a) => `    ${plistString(a)}`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- vcio-agent: written by vcio-agent install; running install again rewrites it. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  ${plistString(LAUNCHD_LABEL)}
  <key>ProgramArguments</key>
  <array>
${args.join('\n')}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <!-- Restarted whenever it exits; launchd waits ThrottleInterval seconds between starts. -->
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>30</integer>
  <!-- Background: lower CPU and I/O priority, the user's work comes first. -->
  <key>ProcessType</key>
  ${plistString('Background')}
  <key>WorkingDirectory</key>
  ${plistString(layout.stateDir)}
  <!-- 077: what the agent creates is for root only (its credentials are). What it prints
       is discarded, as no log file here would be rotated: \`vcio-agent once --log-level
       debug\` shows the same lines on demand. -->
  <key>Umask</key>
  <integer>63</integer>
</dict>
</plist>
`;
}

export const macosLaunchd: ServiceManager = {
  kind: 'launchd',
  layout: (env, stateDir) => ({
    binary: '/usr/local/vcio/vcio-agent',
    stateDir: stateDir ?? defaultStateDir('darwin', env),
    definition: `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`,
  }),
  unsupportedReason: async () => undefined,
  definition: launchdPlist,
  // bootout fails when the daemon is not loaded (first install): expected.
  stop: () => [
    { command: 'launchctl', args: ['bootout', `${DOMAIN}/${LAUNCHD_LABEL}`], mayFail: true },
  ],
  start: (layout) => [
    // A daemon once disabled (`launchctl disable`) would refuse to bootstrap.
    { command: 'launchctl', args: ['enable', `${DOMAIN}/${LAUNCHD_LABEL}`] },
    { command: 'launchctl', args: ['bootstrap', DOMAIN, layout.definition] },
  ],
  remove: () => [],
  async state(system: ServiceSystem) {
    const result = await system.run('launchctl', ['print', `${DOMAIN}/${LAUNCHD_LABEL}`]);
    if (result.code === 127) return { running: null, detail: 'launchctl not available' };
    if (result.code !== 0) return { running: false, detail: 'launchd: not loaded' };
    const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim() ?? 'unknown';
    return { running: state === 'running', detail: `launchd: ${state}` };
  },
};
