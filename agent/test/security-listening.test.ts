// listening.ts, shared by every platform's reader: which sockets face the network, which
// are services attackers look for first, and one entry per socket.
import t from 'tap';
import { ListeningService } from '@vcio/shared';
import {
  isLoopback,
  toListeningService,
  uniqueServices,
  type ListeningSocket,
} from '../src/collectors/security/listening.js';
import { contractErrors } from './helpers/contract.js';

const socket = (over: Partial<ListeningSocket>): ListeningSocket => ({
  protocol: 'tcp',
  address: '0.0.0.0',
  port: 8080,
  process: null,
  pid: null,
  ...over,
});

t.test('loopback in every spelling the OS tools print', async (t) => {
  for (const a of [
    '127.0.0.1',
    '127.0.0.53',
    '127.0.0.53%lo',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
    'localhost',
    '0:0:0:0:0:0:0:1',
    'LOCALHOST',
  ])
    t.ok(isLoopback(a), `${a} is loopback`);
  for (const a of [
    '0.0.0.0',
    '::',
    '*',
    '0.0.0.0%virbr0',
    '192.168.122.1',
    '10.1.0.17%eth0',
    'fe80::1%eth0',
    '[::]',
    '128.0.0.1',
  ])
    t.notOk(isLoopback(a), `${a} is reachable from the network`);
});

t.test('toListeningService: exposure, risk by protocol and port, bounds', async (t) => {
  t.same(toListeningService(socket({ port: 3389, process: 'xrdp', pid: 7 })), {
    protocol: 'tcp',
    address: '0.0.0.0',
    port: 3389,
    process: 'xrdp',
    pid: 7,
    exposed: true,
    risk: 'rdp',
  });
  t.equal(toListeningService(socket({ port: 161 })).risk, null, 'snmp is UDP');
  t.equal(toListeningService(socket({ protocol: 'udp', port: 161 })).risk, 'snmp');
  t.equal(toListeningService(socket({ port: 111 })).risk, 'rpcbind');
  t.equal(toListeningService(socket({ protocol: 'udp', port: 111 })).risk, 'rpcbind');
  t.equal(toListeningService(socket({ port: 2375 })).risk, 'docker-api');
  t.equal(toListeningService(socket({ protocol: 'udp', port: 11211 })).risk, 'memcached');
  t.equal(toListeningService(socket({ port: 22 })).risk, null, 'ssh is not flagged by port');
  const local = toListeningService(socket({ address: '127.0.0.1', port: 23 }));
  t.match(local, { exposed: false, risk: 'telnet' }, 'risky but only on loopback');
  const long = toListeningService(
    socket({ address: `fe80::${'a'.repeat(80)}`, process: 'p'.repeat(300) }),
  );
  t.equal(long.address.length, 64);
  t.equal(long.process?.length, 256);
  t.same(contractErrors(ListeningService, long), []);
});

t.test('uniqueServices: one entry per protocol, address and port; capped at 1024', async (t) => {
  const services = uniqueServices([
    socket({ port: 68, protocol: 'udp', process: 'dhclient', pid: 4852 }),
    socket({ port: 68, protocol: 'udp', process: 'dhclient', pid: 4738 }),
    socket({ port: 68, protocol: 'tcp' }),
    socket({ port: 68, protocol: 'udp', address: '::' }),
  ]);
  t.same(
    services.map((s) => [s.protocol, s.address, s.port, s.pid]),
    [
      ['udp', '0.0.0.0', 68, 4852],
      ['tcp', '0.0.0.0', 68, null],
      ['udp', '::', 68, null],
    ],
    'the first socket of a repeated one is kept',
  );
  const many = Array.from({ length: 1500 }, (_, i) => socket({ port: i + 1 }));
  t.equal(uniqueServices(many).length, 1024);
});
