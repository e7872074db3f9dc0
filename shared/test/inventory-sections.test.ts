// The sections added after the foundation: software (and its hash), security, outbox.
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import {
  isDateTime,
  OutboxSection,
  SecuritySection,
  SoftwareSection,
  softwareHash,
  type SoftwareItem,
} from '../src/index.js';

const item = (name: string, version: string | null, source = 'dpkg'): SoftwareItem => ({
  name,
  version,
  publisher: null,
  installedAt: null,
  arch: 'amd64',
  source,
});

t.test('softwareHash: order does not matter, every field does', async (t) => {
  const a = [item('openssl', '3.0.11-1~deb12u2'), item('curl', '7.88.1-10+deb12u5')];
  const hash = softwareHash(a);
  t.match(hash, /^[0-9a-f]{64}$/);
  t.equal(softwareHash([...a].reverse()), hash, 'order-independent');
  t.not(softwareHash([item('openssl', '3.0.13-1~deb12u1'), a[1]!]), hash, 'a version');
  t.not(softwareHash([{ ...a[0]!, source: 'rpm' }, a[1]!]), hash, 'a source');
  t.not(softwareHash([{ ...a[0]!, version: null }, a[1]!]), hash, 'unknown is not ""');
  t.not(softwareHash([...a, a[0]!]), hash, 'a duplicate counts');
  t.not(softwareHash([]), hash);
  // No field may bleed into the next: ["a b", "c"] is not ["a", "b c"].
  t.not(softwareHash([item('a b', 'c')]), softwareHash([item('a', 'b c')]));
});

t.test('software: whole, hash-only, and what is refused', async (t) => {
  const items = [item('openssl', '3.0.11-1~deb12u2')];
  const whole = {
    hash: softwareHash(items),
    count: 1,
    items,
    sources: [{ source: 'dpkg', ok: true, error: null, count: 1 }],
  };
  t.ok(Value.Check(SoftwareSection, whole));
  t.ok(Value.Check(SoftwareSection, { ...whole, items: null }), 'hash only');
  t.notOk(Value.Check(SoftwareSection, { ...whole, hash: 'ABC' }), 'not a sha-256 hex');
  t.notOk(
    Value.Check(SoftwareSection, { ...whole, items: [item('x', '1', 'Not A Source')] }),
    'sources are lower-case names',
  );
  t.ok(
    Value.Check(SoftwareSection, { ...whole, items: [item('x', '1', 'winget')] }),
    'a source a newer agent adds is accepted',
  );
  t.notOk(Value.Check(SoftwareSection, { ...whole, items: [item('', '1')] }), 'empty name');
});

t.test('security: unknown facts carry a reason; outbox counts', async (t) => {
  const why = 'needs root';
  const unknown = {
    firewall: { enabled: null, products: [], reason: why },
    encryption: { volumes: [], reason: why },
    antimalware: { products: [], reason: why },
    automaticUpdates: {
      enabled: null,
      mechanism: null,
      installsAutomatically: null,
      detail: null,
      reason: why,
    },
    listening: { services: [], reason: why },
    ssh: { present: null, permitRootLogin: null, passwordAuthentication: null, reason: why },
    administrators: { groups: [], members: [], reason: why },
    guest: { enabled: null, reason: why },
    secureBoot: { enabled: null, reason: why },
    timeSync: { synchronized: null, service: null, source: null, offsetSeconds: null, reason: why },
  };
  t.ok(Value.Check(SecuritySection, unknown));
  const exposed = {
    ...unknown,
    listening: {
      services: [
        {
          protocol: 'tcp',
          address: '0.0.0.0',
          port: 3389,
          process: null,
          pid: null,
          exposed: true,
          risk: 'rdp',
        },
      ],
      reason: null,
    },
  };
  t.ok(Value.Check(SecuritySection, exposed));
  const { reason: _dropped, ...noReason } = unknown.guest;
  t.notOk(Value.Check(SecuritySection, { ...unknown, guest: noReason }), 'reason is required');
  t.ok(Value.Check(OutboxSection, { queued: 0, dropped: 12 }));
  t.notOk(Value.Check(OutboxSection, { queued: -1, dropped: 0 }));
});

t.test('date-time: RFC 3339 that JavaScript can read (no leap seconds)', async (t) => {
  t.ok(isDateTime('2016-12-31T23:59:59Z'));
  t.ok(isDateTime('2026-11-27T10:00:00.123+01:00'));
  t.notOk(isDateTime('2016-12-31T23:59:60Z'), 'a leap second would fail every Date.parse later');
  t.notOk(isDateTime('2026-02-30T10:00:00Z'), 'not a calendar date');
  t.notOk(isDateTime('yesterday'));
});
