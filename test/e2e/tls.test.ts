// TLS end to end: the real collector serving HTTPS with a certificate from a private CA
// that openssl makes in a temporary directory, and the real agent process checking it.
// The agent refuses the collector without the CA, works with --ca-file (and keeps the CA
// for `once`, as the service would), refuses a wrong pin and says which pin it got, works
// with the right one, and refuses plain http:// to a non-loopback address.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAgent, startCollectorProcess, tempDir, type RunResult } from '../lib/processes.js';

const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 4;

/** A CA and a server certificate for 127.0.0.1 and localhost, made by the openssl command. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=e2e CA',
  ]);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=e2e collector']);
  execFileSync(
    'sh',
    [
      '-c',
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > server.ext",
    ],
    { cwd: dir },
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ]);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

t.test('the agent checks the collector’s certificate: CA file, pins, plain http', async (t) => {
  const pkiDir = tempDir('tls-pki');
  const pki = makeCertificates(pkiDir);
  const collector = await startCollectorProcess(['--tls-cert', pki.cert, '--tls-key', pki.key]);
  const states: string[] = [];
  const stateDir = () => {
    const dir = tempDir('tls-agent');
    states.push(dir);
    return dir;
  };
  t.teardown(async () => {
    await collector.stop();
    for (const dir of [pkiDir, ...states]) rmSync(dir, { recursive: true, force: true });
  });
  t.match(collector.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the collector serves https');
  const enroll = (dir: string, ...extra: string[]): Promise<RunResult> =>
    runAgent([
      'enroll',
      '--state-dir',
      dir,
      '--log-level',
      'warn',
      '--url',
      collector.url,
      '--token',
      collector.bootstrap.enrollToken,
      '--max-attempts',
      '2',
      ...extra,
    ]);

  const noCa = stateDir();
  const refused = await enroll(noCa);
  t.equal(refused.code, EXIT_UNREACHABLE, 'refused without the CA');
  t.match(
    refused.stderr,
    /vcio-agent: error: certificate not trusted: 127\.0\.0\.1 .*pass --ca-file/,
  );
  t.notMatch(refused.stderr, /will retry/, 'not retried: it cannot pass on a second try');

  const withCa = stateDir();
  const enrolled = await enroll(withCa, '--ca-file', pki.ca);
  t.equal(enrolled.code, 0, `enroll with --ca-file: ${enrolled.stderr}`);
  const once = await runAgent(['once', '--state-dir', withCa, '--log-level', 'warn']);
  t.equal(once.code, 0, `once uses the CA kept at enrollment: ${once.stderr}`);

  // The pin as the operator gets it, then a wrong one and the right one.
  const pin = await runAgent(['pin', '--url', collector.url, '--ca-file', pki.ca]);
  t.equal(pin.code, 0, pin.stderr);
  const serverPin = pin.stdout.split(/\s/)[0]!;
  t.match(serverPin, /^[A-Za-z0-9+/]{43}=$/);
  t.match(pin.stdout, /accepted with these settings/);

  const wrongPin = 'A'.repeat(43) + '=';
  const mismatch = await enroll(stateDir(), '--ca-file', pki.ca, '--pin-sha256', wrongPin);
  t.equal(mismatch.code, EXIT_UNREACHABLE, 'refused with a wrong pin');
  t.match(
    mismatch.stderr,
    `certificate pin mismatch: 127.0.0.1 presented a certificate whose public key pin is ${serverPin}, but the agent pins ${wrongPin}`,
    'the message names the pin the server presented',
  );

  const pinned = stateDir();
  const right = await enroll(pinned, '--ca-file', pki.ca, '--pin-sha256', `sha256//${serverPin}`);
  t.equal(right.code, 0, `enroll with the right pin: ${right.stderr}`);
  const credentials = JSON.parse(readFileSync(join(pinned, 'credentials.json'), 'utf8')) as {
    tls?: { pins?: string[] };
  };
  t.same(credentials.tls?.pins, [serverPin], 'the pin is kept for the service');
  const pinnedOnce = await runAgent(['once', '--state-dir', pinned, '--log-level', 'warn']);
  t.equal(pinnedOnce.code, 0, `once with the pin: ${pinnedOnce.stderr}`);

  // A pin changed under the running agent's feet (a replaced key): once refuses and keeps
  // its report queued.
  const edited = JSON.parse(readFileSync(join(pinned, 'credentials.json'), 'utf8')) as {
    tls: { pins: string[] };
  };
  edited.tls.pins = [wrongPin];
  execFileSync('sh', ['-c', `cat > credentials.json`], {
    cwd: pinned,
    input: JSON.stringify(edited),
  });
  const stale = await runAgent(['once', '--state-dir', pinned, '--log-level', 'warn']);
  t.equal(stale.code, EXIT_UNREACHABLE);
  t.match(stale.stderr, /certificate pin mismatch/);
  t.match(stale.stderr, /"outbox":\{"queued":1,.*"msg":"report queued"/, 'the report stays queued');

  // Refused before any connection is tried: nothing leaves this machine.
  const plain = await runAgent([
    'enroll',
    '--state-dir',
    stateDir(),
    '--url',
    'http://vcio-collector.invalid:8080',
    '--token',
    collector.bootstrap.enrollToken,
  ]);
  t.equal(plain.code, EXIT_USAGE, 'plain http:// to a non-loopback address');
  t.match(plain.stderr, /refusing plain http:\/\/ to vcio-collector\.invalid: .*--insecure-http/);
});
