// The Linux security reader on this machine, through the live host: whatever it finds,
// the section must fit the contract and every unknown fact must carry a reason.
import t from 'tap';
import { SecuritySection } from '@vcio/shared';
import { collectLinuxSecurity } from '../src/collectors/security/linux.js';
import { liveHost } from '../src/host.js';
import { captureLogger } from './helpers/capture-logger.js';
import { contractErrors } from './helpers/contract.js';

t.test(
  'live: collectLinuxSecurity on this machine fits the contract, unknowns have reasons',
  { skip: process.platform === 'linux' ? false : 'Linux only' },
  async (t) => {
    const { logger } = captureLogger();
    const started = Date.now();
    const section = await collectLinuxSecurity({
      logger,
      signal: new AbortController().signal,
      host: liveHost,
    });
    const ms = Date.now() - started;
    t.comment(`collectLinuxSecurity took ${ms} ms`);
    t.comment(JSON.stringify(section));
    t.same(contractErrors(SecuritySection, section), []);
    t.ok(ms < 60_000, 'stays well inside the collector timeout');
    if (section.firewall.enabled === null)
      t.ok(section.firewall.reason, 'firewall unknown: reason');
    if (section.timeSync.synchronized === null)
      t.ok(section.timeSync.reason, 'time unknown: reason');
    if (section.secureBoot.enabled === null)
      t.ok(section.secureBoot.reason, 'secure boot unknown: reason');
    if (section.ssh.present === true && section.ssh.permitRootLogin === null)
      t.ok(section.ssh.reason, 'ssh settings unknown: reason');
    for (const v of section.encryption.volumes) t.type(v.encrypted, 'boolean', `${v.mount} known`);
  },
);
