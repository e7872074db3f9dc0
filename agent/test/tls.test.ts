// The agent's certificate checks (tls.ts, tls-probe.ts, tls-commands.ts) against real https
// servers on loopback, with a CA and certificates made by openssl in a temporary directory:
// trust by CA file, expiry, host name, pins, unreadable CA files, and the CLI that keeps the
// settings in the state for the service.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { UsageError } from '../src/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import { httpPost } from '../src/http-client.js';
import { silentLogger } from '../src/log.js';
import { CREDENTIALS_FILE, loadCredentials, saveCredentials } from '../src/state.js';
import { formatProbe, probeCollector } from '../src/tls-probe.js';
import {
  describeTls,
  parsePin,
  readCaFile,
  spkiPin,
  tlsSettingsFrom,
  TlsVerificationError,
  type TlsSettings,
} from '../src/tls.js';
import { DEFAULT_RETRY_POLICY, postWithRetry } from '../src/transport.js';
import { runCli } from './helpers/run-cli.js';

const AGENT_ID = '6f1c5a3e-9d2b-4c8e-a7f0-1b2c3d4e5f60';

interface Pki {
  dir: string;
  caFile: string;
  ca: string;
  otherCaFile: string;
  /** [key, cert] pairs issued by the CA */
  server: { key: string; cert: string };
  expired: { key: string; cert: string };
  wrongName: { key: string; cert: string };
  /** the pins as openssl computes them (SHA-256 over the DER SubjectPublicKeyInfo) */
  serverPin: string;
  caPin: string;
}

function openssl(dir: string, args: string[], input?: string): string {
  return execFileSync('openssl', args, {
    cwd: dir,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString('utf8');
}

function opensslPin(dir: string, certFile: string): string {
  const spki = execFileSync('openssl', ['x509', '-in', certFile, '-pubkey', '-noout'], {
    cwd: dir,
  });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
    cwd: dir,
    input: spki,
  });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { cwd: dir, input: der })
    .toString('base64')
    .trim();
}

/** A CA and certificates from it, made with the openssl command (as an operator would). */
function makePki(dir: string): Pki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    openssl(dir, [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=vcio test ${name}`,
    ]);
  }
  const issue = (name: string, san: string, days: string) => {
    openssl(dir, [
      'req',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      '/CN=vcio collector',
    ]);
    const ext = `${name}.ext`;
    execFileSync(
      'sh',
      [
        '-c',
        `printf 'subjectAltName=${san}\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ${ext}`,
      ],
      { cwd: dir },
    );
    // -days -1 makes a certificate that ended yesterday: expired, with nothing to fake.
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      days,
      '-extfile',
      ext,
    ]);
    return {
      key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
      cert: readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    };
  };
  const server = issue('server', 'DNS:localhost,IP:127.0.0.1', '1');
  const expired = issue('expired', 'DNS:localhost,IP:127.0.0.1', '-1');
  const wrongName = issue('wrong-name', 'DNS:collector.example.com', '1');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    server,
    expired,
    wrongName,
    serverPin: opensslPin(dir, 'server.pem'),
    caPin: opensslPin(dir, 'ca.pem'),
  };
}

const pki = makePki(t.testdir());

/** An https server on loopback answering every POST like the collector's enroll. */
async function httpsServer(t: Test, pair: { key: string; cert: string }): Promise<URL> {
  let requests = 0;
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ agentId: AGENT_ID, secret: 'agent-secret', tenant: 'acme', requests }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.on('secureConnection', (socket) => t.teardown(() => socket.destroy()));
  t.teardown(() => new Promise((r) => server.close(r)));
  return new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

const post = (url: URL, tls?: TlsSettings) =>
  httpPost(url, {
    headers: {},
    body: '{}',
    signal: AbortSignal.timeout(5000),
    ...(tls ? { tls } : {}),
  });

t.test(
  'pins are the base64 SHA-256 of the SubjectPublicKeyInfo, as openssl computes it',
  async (t) => {
    t.equal(spkiPin(pki.server.cert), pki.serverPin, 'server certificate');
    t.equal(spkiPin(pki.ca), pki.caPin, 'CA certificate');
    t.not(pki.serverPin, pki.caPin);
    t.equal(parsePin(pki.serverPin), pki.serverPin);
    t.equal(parsePin(`sha256/${pki.serverPin}`), pki.serverPin, 'HPKP form');
    t.equal(parsePin(`sha256//${pki.serverPin}`), pki.serverPin, 'curl --pinnedpubkey form');
    // A pin may begin with '/' (one in 64 keys): the prefixes must not eat it.
    const slashPin = `/${'A'.repeat(42)}=`;
    t.equal(parsePin(`sha256/${slashPin}`), slashPin, "HPKP form of a pin beginning with '/'");
    t.equal(parsePin(`sha256//${slashPin}`), slashPin, "curl form of a pin beginning with '/'");
    t.equal(parsePin(slashPin), slashPin);
    for (const bad of ['', 'abc', pki.serverPin.slice(1), 'a'.repeat(64), `${pki.serverPin}x`]) {
      t.throws(
        () => parsePin(bad),
        { name: 'UsageError', message: /invalid --pin-sha256/ },
        `'${bad}'`,
      );
    }
  },
);

t.test('a CA file: read, checked, and only its certificates kept', async (t) => {
  const read = await readCaFile(pki.caFile);
  t.equal(read.caSource, pki.caFile);
  t.equal(spkiPin(read.ca), pki.caPin);
  const careless = path.join(pki.dir, 'with-key.pem');
  await writeFile(careless, `${pki.ca}${await readFile(path.join(pki.dir, 'ca.key'), 'utf8')}`);
  t.notMatch((await readCaFile(careless)).ca, /PRIVATE KEY/, 'a key in the bundle is not kept');

  const missing = path.join(pki.dir, 'nope.pem');
  await t.rejects(readCaFile(missing), {
    name: 'UsageError',
    exitCode: ExitCode.usage,
    message: `cannot read CA file ${missing}: ENOENT`,
  });
  await t.rejects(readCaFile(pki.dir), { message: /cannot read CA file .*: EISDIR/ });
  const empty = path.join(pki.dir, 'empty.pem');
  await writeFile(empty, 'not a certificate\n');
  await t.rejects(
    readCaFile(empty),
    new UsageError(`CA file ${empty} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`),
  );
  const damaged = path.join(pki.dir, 'damaged.pem');
  await writeFile(damaged, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  await t.rejects(readCaFile(damaged), { message: /certificate 1 is not a valid certificate/ });

  t.equal(await tlsSettingsFrom({}), undefined, 'no flag: the default store');
  t.same(
    await tlsSettingsFrom({ pinSha256: [pki.serverPin, `sha256/${pki.serverPin}`] }),
    {
      pins: [pki.serverPin],
    },
    'pins normalised and deduplicated',
  );
});

t.test('the default store does not trust a private CA; --ca-file does', async (t) => {
  const url = await httpsServer(t, pki.server);
  const refused = await post(url).then(
    () => null,
    (err: unknown) => err,
  );
  t.type(refused, TlsVerificationError);
  t.match(refused, {
    exitCode: ExitCode.unreachable,
    message:
      /^certificate not trusted: 127\.0\.0\.1 presented a certificate the agent cannot verify .*pass --ca-file/,
  });
  t.equal((await post(url, await readCaFile(pki.caFile))).status, 201, 'trusted with the CA file');
  await t.rejects(
    post(url, await readCaFile(pki.otherCaFile)),
    {
      name: 'TlsVerificationError',
      message: new RegExp(`not issued by a CA in the agent's CA file \\(${pki.otherCaFile}\\)`),
    },
    'another CA file: instead of, not in addition to',
  );
});

t.test('expired certificates and host-name mismatches are refused with their reason', async (t) => {
  const trust = await readCaFile(pki.caFile);
  await t.rejects(post(await httpsServer(t, pki.expired), trust), {
    name: 'TlsVerificationError',
    code: 'CERT_HAS_EXPIRED',
    message: /^certificate expired: 127\.0\.0\.1's certificate is past its end date/,
  });
  await t.rejects(post(await httpsServer(t, pki.wrongName), trust), {
    name: 'TlsVerificationError',
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    message:
      /^certificate does not match the host name: 127\.0\.0\.1 is not a name the certificate was issued for \(DNS:collector\.example\.com\); use one of its names in --url$/,
  });
});

t.test(
  'pins: the server key or a CA key of the chain; a mismatch names the presented pin',
  async (t) => {
    const url = await httpsServer(t, pki.server);
    const trust = await readCaFile(pki.caFile);
    t.equal((await post(url, { ...trust, pins: [pki.serverPin] })).status, 201, 'server pin');
    t.equal((await post(url, { ...trust, pins: [pki.caPin] })).status, 201, 'CA pin');
    const wrong = spkiPin(readFileSync(pki.otherCaFile));
    await t.rejects(post(url, { ...trust, pins: [wrong] }), {
      name: 'TlsVerificationError',
      code: 'ERR_VCIO_PIN_MISMATCH',
      message: `certificate pin mismatch: 127.0.0.1 presented a certificate whose public key pin is ${pki.serverPin}, but the agent pins ${wrong}; if the collector's key was replaced on purpose, update the pin (vcio-agent pin --url URL prints it)`,
    });
    await t.rejects(
      post(url, { pins: [pki.serverPin] }),
      {
        message: /^certificate not trusted/,
      },
      'a right pin does not replace the chain check',
    );
  },
);

t.test('a certificate failure is not retried', async (t) => {
  const url = await httpsServer(t, pki.server);
  let sleeps = 0;
  await t.rejects(
    postWithRetry(
      url.toString(),
      {},
      {
        what: 'enrollment',
        policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4 },
        deps: {
          post: httpPost,
          sleep: async () => void sleeps++,
          random: () => 0,
          now: Date.now,
          logger: silentLogger(),
        },
        tls: { pins: [pki.serverPin] },
      },
    ),
    { name: 'TlsVerificationError' },
  );
  t.equal(sleeps, 0, 'failed at once, no backoff');
});

t.test('the probe shows the chain with pins and says whether the settings accept it', async (t) => {
  const url = await httpsServer(t, pki.server);
  const trust = await readCaFile(pki.caFile);
  const accepted = await probeCollector(url, { ...trust, pins: [pki.caPin] });
  t.same(
    accepted.chain.map((c) => c.pin),
    [pki.serverPin, pki.caPin],
    'leaf, then its CA',
  );
  t.equal(accepted.problem, null);
  const lines = formatProbe(accepted).split('\n');
  t.equal(
    lines[0]?.startsWith(`${pki.serverPin}  server: CN=vcio collector (issued by CN=vcio test ca;`),
    true,
    lines[0] ?? '',
  );
  t.equal(lines[1]?.startsWith(`${pki.caPin}  issuer: CN=vcio test ca`), true, lines[1] ?? '');
  t.match(lines[2], /^accepted with these settings/);
  const untrusted = await probeCollector(url, undefined);
  t.equal(untrusted.chain[0]?.pin, pki.serverPin, 'an untrusted server still shows its pin');
  t.match(untrusted.problem?.message, /^certificate not trusted/);
  t.match(
    (await probeCollector(url, { ...trust, pins: [pki.caPin.replace(/^./, 'A')] })).problem
      ?.message,
    /^certificate pin mismatch/,
  );
  t.match(
    (await probeCollector(await httpsServer(t, pki.wrongName), trust)).problem?.message,
    /^certificate does not match the host name/,
  );
  await t.rejects(probeCollector(new URL('http://127.0.0.1:1/'), undefined), {
    message: /is not https/,
  });
});

t.test('settings are kept with the credentials; damaged ones stop the agent', async (t) => {
  const dir = t.testdir();
  const tls = { ...(await readCaFile(pki.caFile)), pins: [pki.serverPin] };
  const credentials = {
    collectorUrl: 'https://127.0.0.1:1',
    agentId: AGENT_ID,
    secret: 's',
    tenant: 'acme',
    enrolledAt: '2026-01-01T00:00:00.000Z',
    tls,
  };
  await saveCredentials(dir, credentials);
  t.same(await loadCredentials(dir), credentials);
  t.match(
    describeTls(tls),
    `CA file ${pki.caFile} (1 certificate(s), stored in the state); pinned: ${pki.serverPin}`,
  );
  t.match(describeTls(undefined), /bundled roots/);
  for (const [damage, why] of [
    [{ pins: ['nope'] }, /tls\.pins are not base64 SHA-256 pins/],
    [{ ca: 'nothing' }, /tls\.ca holds no PEM certificate/],
    ['yes', /tls is not an object/],
  ] as const) {
    await writeFile(
      path.join(dir, CREDENTIALS_FILE),
      JSON.stringify({ ...credentials, tls: damage }),
    );
    await t.rejects(loadCredentials(dir), { name: 'StateDirError', message: why });
  }
});

t.test('CLI: enroll, trust, pin and status keep and show the settings', async (t) => {
  const url = await httpsServer(t, pki.server);
  const root = t.testdir();
  const stateDir = path.join(root, 'state');
  const base = ['--state-dir', stateDir, '--log-level', 'silent'];
  const enroll = (...extra: string[]) =>
    runCli(['enroll', ...base, '--url', url.toString(), '--token', 'tok', '--force', ...extra]);

  const untrusted = await enroll();
  t.equal(untrusted.code, ExitCode.unreachable);
  t.match(
    untrusted.stderr,
    /^vcio-agent: error: certificate not trusted: .*pass --ca-file with the CA that issued it\n$/,
  );
  const badPin = await enroll('--pin-sha256', 'abc');
  t.equal(badPin.code, ExitCode.usage);
  t.match(badPin.stderr, /invalid --pin-sha256 'abc'/);
  const noFile = await enroll('--ca-file', path.join(root, 'missing.pem'));
  t.equal(noFile.code, ExitCode.usage);
  t.match(noFile.stderr, /^vcio-agent: error: cannot read CA file .*missing\.pem: ENOENT\n$/);

  const other = spkiPin(readFileSync(pki.otherCaFile));
  const ok = await enroll(
    '--ca-file',
    pki.caFile,
    '--pin-sha256',
    other,
    '--pin-sha256',
    `sha256//${pki.caPin}`,
  );
  t.equal(ok.code, 0, ok.stderr);
  const stored = JSON.parse(await readFile(path.join(stateDir, CREDENTIALS_FILE), 'utf8')) as {
    tls: TlsSettings;
  };
  t.same(stored.tls.pins, [other, pki.caPin], 'both pins kept, normalised');
  t.equal(stored.tls.caSource, pki.caFile);
  t.equal(spkiPin(stored.tls.ca!), pki.caPin, 'the CA itself is kept, not only its path');

  const shown = await runCli(['trust', ...base]);
  t.equal(shown.code, 0);
  t.match(shown.stdout, `pinned: ${other}, ${pki.caPin}`);

  const refused = await runCli(['trust', ...base, '--pin-sha256', other]);
  t.equal(refused.code, ExitCode.unreachable);
  t.match(refused.stderr, /certificate pin mismatch: .*settings not saved/);
  t.same((await loadCredentials(stateDir)).tls?.pins, [other, pki.caPin], 'unchanged');
  const cleared = await runCli(['trust', ...base, '--clear-pins']);
  t.equal(cleared.code, 0, cleared.stderr);
  t.same((await loadCredentials(stateDir)).tls, { ca: stored.tls.ca, caSource: pki.caFile });
  const system = await runCli(['trust', ...base, '--system-ca']);
  t.equal(system.code, ExitCode.unreachable, 'the system store does not trust this collector');
  const forced = await runCli(['trust', ...base, '--system-ca', '--no-check']);
  t.equal(forced.code, 0);
  t.equal((await loadCredentials(stateDir)).tls, undefined);
  t.equal(
    (await runCli(['trust', ...base, '--ca-file', pki.caFile, '--system-ca'])).code,
    ExitCode.usage,
    'conflicting flags',
  );

  const pin = await runCli(['pin', ...base, '--url', url.toString(), '--ca-file', pki.caFile]);
  t.equal(pin.code, 0, pin.stderr);
  t.equal(pin.stdout.split(/\s/)[0], pki.serverPin, 'the first word is the server pin');
  t.match(pin.stdout, /accepted with these settings/);
  const pinJson = JSON.parse(
    (await runCli(['pin', ...base, '--url', url.toString(), '--json'])).stdout,
  ) as { accepted: boolean; chain: { pin: string }[] };
  t.equal(pinJson.accepted, false);
  t.equal(pinJson.chain[0]?.pin, pki.serverPin);

  await runCli(['trust', ...base, '--ca-file', pki.caFile, '--pin-sha256', pki.serverPin]);
  const status = await runCli([
    'status',
    '--json',
    '--root',
    root,
    '--state-dir',
    '/state',
    '--log-level',
    'silent',
  ]);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout), {
    tls: { trust: 'ca-file', caSource: pki.caFile, pins: [pki.serverPin] },
  });
  const text = await runCli(['status', '--root', root, '--state-dir', '/state']);
  t.match(text.stdout, new RegExp(`tls: +CA file ${pki.caFile.replace(/[.]/g, '\\.')} .*pinned: `));
  // install on an enrolled machine takes new settings (checked first); the install itself
  // then stops here, as it needs the single executable (exit 9), with the settings saved.
  const install = await runCli(
    ['install', '--root', root, '--state-dir', '/state', '--pin-sha256', pki.caPin],
    { VCIO_AGENT_LOG_LEVEL: 'silent' },
  );
  t.equal(install.code, ExitCode.unsupported, install.stderr);
  t.same((await loadCredentials(stateDir)).tls?.pins, [pki.caPin], 'install --pin-sha256 kept');
  t.equal((await loadCredentials(stateDir)).tls?.caSource, pki.caFile, 'the CA file too');
  for (const command of ['enroll', 'install', 'pin', 'trust']) {
    const help = await runCli([command, '--help']);
    t.match(help.stdout, '--ca-file <file>', `${command} --help`);
    t.match(help.stdout, '--pin-sha256 <pin>');
  }
});
