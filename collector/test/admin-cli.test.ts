// `vcio-collector admin ...` as a user runs it: the built command in a child process, on
// the data directory of a collector that is running (in this process) at the same time.
// What the command creates works through the API at once, what it revokes stops at once,
// secrets alone go to stdout, errors are one line, and every change is audited as the
// OS user who ran it. Needs a build (collector/dist), as `pnpm test` makes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sampleReport } from '@vcio/shared/testing';
import { testCollector, type TestCollector } from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(c: TestCollector | null, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const dataDir = c ? ['--data-dir', c.dataDir] : [];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, 'admin', ...args, ...dataDir],
      { env: { ...process.env, VCIO_DATA_DIR: '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const api = (c: TestCollector, authorization: string, url: string) =>
  c.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization } });

/** A refusal: exit code 1, nothing on stdout, one line on stderr, no stack trace. */
function oneLineError(
  assert: Pick<typeof t, 'equal' | 'match' | 'notMatch'>,
  run: Run,
  pattern: RegExp,
  what: string,
): void {
  assert.equal(run.code, 1, `${what}: exit code 1`);
  assert.equal(run.stdout, '', `${what}: nothing on stdout`);
  assert.match(run.stderr, /^vcio-collector: error: .+\n$/, `${what}: one line on stderr`);
  assert.match(run.stderr, pattern, what);
  assert.notMatch(run.stderr, /\n\s+at /, `${what}: no stack trace`);
}

t.test('help everywhere', async (t) => {
  const runs = await Promise.all([
    admin(null, ['--help']),
    admin(null, ['tenant', '--help']),
    admin(null, ['enroll-token', 'create', '--help']),
  ]);
  for (const run of runs) t.equal(run.code, 0);
  t.match(runs[0]!.stdout, /tenant[\s\S]*site[\s\S]*enroll-token[\s\S]*api-token[\s\S]*audit/);
  t.match(runs[1]!.stdout, /create[\s\S]*rename[\s\S]*archive[\s\S]*list/);
  t.match(runs[2]!.stdout, /--expires[\s\S]*--max-uses[\s\S]*--site/);
});

t.test('administering a running collector', async (t) => {
  const c = await testCollector(t);

  // tenants and sites: results on stderr, nothing on stdout
  const created = await admin(c, ['tenant', 'create', 'acme', 'Acme Inc']);
  t.equal(created.code, 0, created.stderr);
  t.equal(created.stdout, '', 'no secret, nothing on stdout');
  t.match(created.stderr, /created tenant acme/);

  // refusals change nothing, so they run side by side: one line each, exit code 1
  const bootstrapId = c.secrets.adminToken.split('.')[0]!;
  const refusals: [string[], RegExp, string][] = [
    [['tenant', 'create', 'acme', 'Again'], /already exists/, 'a duplicate'],
    [['tenant', 'create', 'Bad Slug', 'X'], /slug/, 'a bad slug'],
    [
      ['enroll-token', 'create', 'acme', '--name', 'x', '--max-uses', '0'],
      /--max-uses/,
      'max uses 0',
    ],
    [
      ['enroll-token', 'create', 'acme', '--name', 'x', '--expires', 'soon'],
      /--expires/,
      'a bad expiry',
    ],
    [['enroll-token', 'list', 'nope'], /no tenant nope/, 'an unknown tenant'],
    [['api-token', 'create', '--name', 'x', '--role', 'read'], /tenant/, 'read without a tenant'],
    [['api-token', 'revoke', bootstrapId], /last admin token/, 'the last admin token'],
  ];
  const refused = await Promise.all(refusals.map(([args]) => admin(c, args)));
  refusals.forEach(([, pattern, what], i) => oneLineError(t, refused[i]!, pattern, what));
  t.equal((await admin(c, ['site', 'create', 'acme', 'hq', 'Head office'])).code, 0);
  t.equal((await admin(c, ['tenant', 'rename', 'acme', 'Acme Corporation'])).code, 0);

  // the collector sees the changes at once (same database, WAL)
  const tenants = await api(c, c.admin.authorization, '/tenants');
  t.match(tenants.json(), {
    tenants: [{ slug: 'acme', name: 'Acme Corporation' }, { slug: 'default' }],
  });

  // an enrollment token: the token alone on stdout, working, limited to its uses
  const et = await admin(c, [
    'enroll-token',
    'create',
    'acme',
    '--name',
    'rollout',
    '--site',
    'hq',
    '--max-uses',
    '1',
    '--expires',
    '7d',
  ]);
  t.equal(et.code, 0, et.stderr);
  t.match(et.stdout, /^et_[\w-]+\.[\w-]+\n$/, 'exactly the token on stdout');
  t.match(et.stderr, /shown only now/);
  const token = et.stdout.trim();
  const enroll = (machineId: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/enroll',
      payload: { token, machineId, hostname: machineId, agentVersion: '0.1.0' },
    });
  t.equal((await enroll('m1')).statusCode, 201, 'the token enrolls');
  t.equal((await enroll('m2')).statusCode, 401, 'once only (--max-uses 1)');
  const listed = await admin(c, ['enroll-token', 'list', 'acme', '--json']);
  const tokens = JSON.parse(listed.stdout) as {
    enrollmentTokens: { id: string; site: string; uses: number; state: string }[];
  };
  t.match(tokens.enrollmentTokens, [
    { id: token.split('.')[0], site: 'hq', uses: 1, state: 'used_up' },
  ]);
  t.notOk(listed.stdout.includes(token.split('.')[1]!), 'a list never shows a secret');

  const et2 = (
    await admin(c, ['enroll-token', 'create', 'acme', '--name', 'second'])
  ).stdout.trim();
  t.equal((await admin(c, ['enroll-token', 'revoke', 'acme', et2.split('.')[0]!])).code, 0);
  const afterRevoke = await c.app.inject({
    method: 'POST',
    url: '/api/v1/enroll',
    payload: { token: et2, machineId: 'm3', hostname: 'm3', agentVersion: '0.1.0' },
  });
  t.equal(afterRevoke.statusCode, 401, 'revoked by the command: refused at once by the collector');

  // API tokens, as JSON for scripts
  const at = await admin(c, [
    '--json',
    'api-token',
    'create',
    '--name',
    'acme portal',
    '--role',
    'read',
    '--tenant',
    'acme',
  ]);
  t.equal(at.code, 0, at.stderr);
  const read = JSON.parse(at.stdout) as { id: string; token: string; role: string; tenant: string };
  t.match(read, { role: 'read', tenant: 'acme' });
  const readAuth = `Bearer ${read.token}`;
  t.equal((await api(c, readAuth, '/tenants/acme/sites')).statusCode, 200, 'the read token works');
  t.equal((await api(c, readAuth, '/tenants/default/sites')).statusCode, 404, 'in its tenant only');
  t.equal((await admin(c, ['api-token', 'revoke', read.id])).code, 0);
  t.equal((await api(c, readAuth, '/tenants/acme/sites')).statusCode, 401, 'revoked at once');
  const list = await admin(c, ['api-token', 'list']);
  t.match(
    list.stdout,
    new RegExp(`${bootstrapId}\\s+bootstrap admin token\\s+admin\\s+\\*\\s+active`),
  );

  // archiving through the command
  t.equal((await admin(c, ['tenant', 'archive', 'acme'])).code, 0);
  const hidden = JSON.parse((await admin(c, ['tenant', 'list', '--json'])).stdout) as {
    tenants: { slug: string }[];
  };
  t.same(
    hidden.tenants.map((x) => x.slug),
    ['default'],
  );
  const shown = JSON.parse((await admin(c, ['tenant', 'list', '--archived', '--json'])).stdout) as {
    tenants: { slug: string; archivedAt: string | null }[];
  };
  t.match(shown.tenants, [
    { slug: 'acme', archivedAt: String },
    { slug: 'default', archivedAt: null },
  ]);

  // the audit: every change, as the OS user who ran the command
  const audit = await admin(c, ['audit', '--tenant', 'acme', '--json']);
  const entries = (
    JSON.parse(audit.stdout) as {
      entries: { action: string; actor: { tokenId: string | null; name: string }; at: string }[];
    }
  ).entries;
  t.same(entries.map((e) => e.action).reverse(), [
    'tenant.create',
    'site.create',
    'tenant.rename',
    'enrollment_token.create',
    'enrollment_token.create',
    'enrollment_token.revoke',
    'api_token.create',
    'api_token.revoke',
    'tenant.archive',
  ]);
  const user = userInfo().username;
  t.ok(
    entries.every((e) => e.actor.name === `cli (${user})` && e.actor.tokenId === null),
    'who',
  );
  t.ok(
    entries.every((e) => Date.now() - Date.parse(e.at) < 120_000),
    'when',
  );
  const text = await admin(c, ['audit', '--action', 'tenant.archive']);
  t.match(text.stdout, new RegExp(`tenant\\.archive\\s+acme`));
  // and the API shows the same entries
  const viaApi = await api(c, c.admin.authorization, '/audit?tenant=acme');
  t.equal(viaApi.json<{ total: number }>().total, entries.length);
});

t.test('the data directory: from VCIO_DATA_DIR, and a wrong one says so', async (t) => {
  const c = await testCollector(t);
  const run = await admin(null, ['tenant', 'list'], { VCIO_DATA_DIR: c.dataDir });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^SLUG\s+NAME\s+HOSTS[\s\S]*default\s+Default\s+0/);
  oneLineError(
    t,
    await admin(null, ['tenant', 'list', '--data-dir', `${c.dataDir}/missing`]),
    /no collector database/,
    'a directory without a database',
  );
});

t.test('agents: list, ask to rotate, revoke', async (t) => {
  const c = await testCollector(t);
  const help = await admin(null, ['agents', '--help']);
  t.match(help.stdout, /list[\s\S]*revoke[\s\S]*rotate/);
  const agent = await c.enroll('m-cli');
  const report = (authorization: string) =>
    c.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { authorization },
      payload: sampleReport({ agentId: agent.agentId, machineId: 'm-cli', sections: ['system'] }),
    });

  const listed = await admin(c, ['agents', 'list', 'default']);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, /^ID\s+HOSTNAME\s+STATE[\s\S]*host-m-cli\s+active/);
  t.notOk(listed.stdout.includes(agent.secret), 'no secret listed');

  // Nothing of this agent is cached by the running collector yet, so the change made by
  // this other process shows at once (with a cached record: within 60 s).
  const asked = await admin(c, ['agents', 'rotate', agent.agentId]);
  t.equal(asked.code, 0, asked.stderr);
  t.match(asked.stderr, /will rotate its secret/);
  const answer = await report(agent.authorization);
  t.equal(answer.statusCode, 202);
  t.equal(answer.json<{ rotateSecret?: boolean }>().rotateSecret, true, 'the agent is told');

  const revoked = await admin(c, ['--json', 'agents', 'revoke', agent.agentId]);
  t.equal(revoked.code, 0, revoked.stderr);
  t.same(JSON.parse(revoked.stdout), { id: agent.agentId, revoked: true });
  oneLineError(
    t,
    await admin(c, ['agents', 'revoke', agent.agentId]),
    /no live agent/,
    'revoking twice',
  );
  const json = JSON.parse(
    (await admin(c, ['--json', 'agents', 'list', 'default', '--revoked'])).stdout,
  );
  t.match(json, { tenant: 'default', agents: [{ id: agent.agentId, state: 'revoked' }] });
  const active = await admin(c, ['agents', 'list', 'default']);
  t.notOk(active.stdout.includes(agent.agentId), 'revoked ones hidden');

  const audit = await c.store.audit.query({ action: 'agent.revoke', limit: 5, offset: 0 });
  t.equal(audit.entries[0]?.actorName, `cli (${userInfo().username})`);
});
