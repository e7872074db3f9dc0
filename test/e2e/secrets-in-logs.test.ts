// Secrets never reach the logs, and the files that hold them are owner-only. The real
// collector at log level trace and the real agent at trace go through everything that
// handles a secret: bootstrap, enrollment, reports, API tokens and enrollment tokens
// created and revoked through the API, and failed authentications that present
// near-misses of the real secrets (a log line quoting what a client sent would show
// them). Then every line either process printed is searched for every secret.
import t from 'tap';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentAuthorization } from '@vcio/shared';
import { sampleReport } from '@vcio/shared/testing';
import {
  REPLAY_FIXTURES,
  runAgent,
  startCollectorProcess,
  tempDir,
  type RunResult,
} from '../lib/processes.js';

// Tests read the API's JSON loosely: the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response): Promise<any> => res.json();

/** The permission bits of a file or directory, as 0o... text. */
const modeOf = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

/** The secret part of `<id>.<secret>`. */
const secretOf = (credential: string) => credential.slice(credential.lastIndexOf('.') + 1);

const ownerOnly = process.platform !== 'win32';

t.test('no secret in any log line; secret files and directories owner-only', async (t) => {
  const collector = await startCollectorProcess(['--log-level', 'trace']);
  const parent = tempDir('agent-secrets');
  // A directory the agent creates itself, so its mode is the agent's doing.
  const stateDir = join(parent, 'state');
  t.teardown(async () => {
    await collector.stop();
    rmSync(parent, { recursive: true, force: true });
  });
  const { adminToken, enrollToken, tenant } = collector.bootstrap;
  const agentRuns: RunResult[] = [];
  const agent = async (args: string[]) => {
    const run = await runAgent(['--log-level', 'trace', ...args]);
    agentRuns.push(run);
    return run;
  };
  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const token = init.token === undefined ? adminToken : init.token;
    return fetch(`${collector.url}/api/v1${path}`, {
      ...init,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...init.headers,
      },
    });
  };

  if (ownerOnly) {
    t.equal(modeOf(collector.dataDir), '0700', 'the data directory is owner-only');
    t.equal(modeOf(join(collector.dataDir, 'bootstrap.json')), '0600', 'bootstrap.json is 0600');
  }

  // The agent: enrollment and two reports (replaying a recorded machine keeps it quick).
  const replay = join(REPLAY_FIXTURES, 'windows-10-enterprise');
  const enrolled = await agent([
    'enroll',
    '--state-dir',
    stateDir,
    '--url',
    collector.url,
    '--token',
    enrollToken,
    '--replay',
    replay,
  ]);
  t.equal(enrolled.code, 0, `enroll: ${enrolled.stderr}`);
  for (let i = 0; i < 2; i++) {
    const once = await agent(['once', '--state-dir', stateDir, '--replay', replay]);
    t.equal(once.code, 0, `once: ${once.stderr}`);
  }
  const credentialsFile = join(stateDir, 'credentials.json');
  const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as {
    agentId: string;
    secret: string;
  };
  if (ownerOnly) {
    t.equal(modeOf(stateDir), '0700', 'the state directory is owner-only');
    t.equal(modeOf(credentialsFile), '0600', 'credentials.json is 0600');
  }

  // Tokens made through the API, used, and revoked.
  const created = await api('/api-tokens', {
    method: 'POST',
    body: JSON.stringify({ name: 'secrets e2e', role: 'read', tenant: tenant.slug }),
  });
  t.equal(created.status, 201);
  const readToken = (await json(created)) as { id: string; token: string };
  t.equal((await api('/hosts', { token: readToken.token })).status, 200);

  const createdEnroll = await api(`/tenants/${tenant.slug}/enrollment-tokens`, {
    method: 'POST',
    body: JSON.stringify({ name: 'secrets e2e', maxUses: 2 }),
  });
  t.equal(createdEnroll.status, 201);
  const enrollment = (await json(createdEnroll)) as { id: string; token: string };
  const second = await api('/enroll', {
    method: 'POST',
    token: null,
    body: JSON.stringify({
      token: enrollment.token,
      machineId: 'secrets-second-machine',
      hostname: 'secrets-second',
      agentVersion: '0.1.0',
    }),
  });
  t.equal(second.status, 201);
  const secondAgent = (await json(second)) as { agentId: string; secret: string };
  const reported = await fetch(`${collector.url}/api/v1/reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: agentAuthorization(secondAgent.agentId, secondAgent.secret),
    },
    body: JSON.stringify(
      sampleReport({ agentId: secondAgent.agentId, machineId: 'secrets-second-machine' }),
    ),
  });
  t.equal(reported.status, 202);

  // Failed authentications, each presenting something that contains a real secret.
  const near = (credential: string) => `${credential}x`;
  const failures = [
    await api('/hosts', { token: near(adminToken) }),
    await api('/hosts', { token: near(readToken.token) }),
    await api('/hosts', { token: `at_unknown.${secretOf(adminToken)}` }),
    await api('/hosts', {
      token: null,
      headers: { authorization: `Basic ${secretOf(adminToken)}` },
    }),
    // A secret in the query string: the request is refused and logged, the query is not.
    await api(`/hosts?access_token=${encodeURIComponent(adminToken)}`, { token: null }),
    await fetch(`${collector.url}/api/v1/reports`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: near(agentAuthorization(credentials.agentId, credentials.secret)),
      },
      body: JSON.stringify(sampleReport({ agentId: credentials.agentId })),
    }),
    await api('/enroll', {
      method: 'POST',
      token: null,
      body: JSON.stringify({
        token: near(enrollment.token),
        machineId: 'secrets-refused',
        hostname: 'secrets-refused',
        agentVersion: '0.1.0',
      }),
    }),
  ];
  t.same(
    failures.map((r) => r.status),
    new Array(failures.length).fill(401),
  );

  t.equal((await api(`/api-tokens/${readToken.id}`, { method: 'DELETE' })).status, 204);
  t.equal((await api('/hosts', { token: readToken.token })).status, 401, 'revoked token refused');
  const revokeEnroll = await api(`/tenants/${tenant.slug}/enrollment-tokens/${enrollment.id}`, {
    method: 'DELETE',
  });
  t.equal(revokeEnroll.status, 204);

  // An agent whose secret is wrong logs its failure: that path must not print it either.
  const credentialsText = readFileSync(credentialsFile, 'utf8');
  const tampered = credentialsText.replace(credentials.secret, `${credentials.secret}x`);
  t.not(tampered, credentialsText);
  writeFileSync(credentialsFile, tampered);
  const refused = await agent(['once', '--state-dir', stateDir, '--replay', replay]);
  t.not(refused.code, 0, 'the agent with a wrong secret is refused');

  t.equal(await collector.stop(), 0, 'the collector stops cleanly (its logs are complete)');

  const secrets = {
    'admin token secret': secretOf(adminToken),
    'bootstrap enrollment token secret': secretOf(enrollToken),
    'agent secret': credentials.secret,
    'second agent secret': secondAgent.secret,
    'created API token secret': secretOf(readToken.token),
    'created enrollment token secret': secretOf(enrollment.token),
  };
  const logs = {
    collector: collector.logs.join('\n'),
    agent: agentRuns.map((run) => `${run.stdout}\n${run.stderr}`).join('\n'),
  };
  // Not vacuous: the logs hold the events the secrets took part in.
  t.match(logs.collector, /agent enrolled/);
  t.match(logs.collector, /request rejected/);
  t.match(
    logs.collector,
    new RegExp(credentials.agentId),
    'the agent id is logged, its secret not',
  );
  t.ok(logs.agent.length > 0, `the agent printed ${logs.agent.length} characters`);
  t.match(logs.agent, /"level":"?(10|20|trace|debug)/, 'the agent logged at trace/debug');

  for (const [what, secret] of Object.entries(secrets)) {
    t.ok(secret.length >= 32, `${what} is a real secret`);
    for (const [who, text] of Object.entries(logs)) {
      t.notOk(text.includes(secret), `${what} is not in the ${who}'s logs`);
    }
  }
});
