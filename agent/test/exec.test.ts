import t from 'tap';
import { CommandStartError, commandFailure, describeCommand, runCommand } from '../src/exec.js';

const node = process.execPath;
const limits = { timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 };

t.test('captures stdout, stderr and the exit code', async (t) => {
  const result = await runCommand(
    node,
    ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 0'],
    limits,
  );
  t.equal(result.stdout, 'out');
  t.equal(result.stderr, 'err');
  t.equal(result.exitCode, 0);
  t.equal(result.signal, null);
  t.equal(result.timedOut, false);
  t.equal(result.truncated, false);
  t.type(result.durationMs, 'number');
  t.equal(commandFailure(node, [], result), null);
});

t.test('a non-zero exit is a result, not an exception', async (t) => {
  const result = await runCommand(
    node,
    ['-e', 'console.error("ERROR: value not found"); process.exit(1)'],
    limits,
  );
  t.equal(result.exitCode, 1);
  t.equal(
    commandFailure('reg', ['query', 'X'], result),
    "command 'reg query X' failed: exit code 1: ERROR: value not found",
  );
});

t.test('arguments reach the program verbatim, with no shell in between', async (t) => {
  const tricky = ['$(echo pwned)', '; rm -rf /', '"quoted" \'single\'', 'a b', '%PATH%'];
  const result = await runCommand(
    node,
    ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...tricky],
    limits,
  );
  t.same(JSON.parse(result.stdout), tricky);
});

t.test('a missing binary fails with a clear error', async (t) => {
  const err = await runCommand('/nonexistent/reg', ['query', 'HKLM\\SOFTWARE'], limits).catch(
    (e: unknown) => e,
  );
  t.type(err, CommandStartError);
  t.equal(
    (err as Error).message,
    "command '/nonexistent/reg query HKLM\\SOFTWARE' failed: executable not found (ENOENT)",
  );
});

t.test('a command past its timeout is killed', async (t) => {
  const result = await runCommand(node, ['-e', 'setInterval(() => {}, 1000)'], {
    timeoutMs: 200,
    maxOutputBytes: 1024,
  });
  t.equal(result.timedOut, true);
  t.equal(result.signal, 'SIGTERM');
  t.equal(result.exitCode, null);
  t.ok(result.durationMs < 5000, `ended after ${result.durationMs} ms`);
  t.match(
    commandFailure(node, ['-e', 'x'], result),
    /^command '.* -e x' failed: timed out after \d+ ms$/,
  );
});

t.test('a command ignoring SIGTERM gets SIGKILL after the grace period', async (t) => {
  const script =
    'process.on("SIGTERM", () => {}); process.stdout.write("ready"); setInterval(() => {}, 1000)';
  // The timeout leaves Node time to start and install its handler even on a loaded
  // machine; a SIGTERM before that would end it without the grace period being tested.
  const result = await runCommand(node, ['-e', script], {
    timeoutMs: 3000,
    maxOutputBytes: 1024,
    killGraceMs: 200,
  });
  t.equal(result.stdout, 'ready', 'the handler was in place');
  t.equal(result.timedOut, true);
  t.equal(result.signal, 'SIGKILL');
});

t.test('output past maxOutputBytes is cut and flagged', async (t) => {
  const result = await runCommand(
    node,
    ['-e', 'process.stdout.write("x".repeat(100000)); process.stderr.write("y".repeat(10))'],
    {
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    },
  );
  t.equal(result.stdout.length, 1000);
  t.equal(result.stderr, 'y'.repeat(10));
  t.equal(result.truncated, true);
  t.equal(result.exitCode, 0);
});

t.test('a command killed by a signal is described as such', async (t) => {
  const result = await runCommand(node, ['-e', 'process.kill(process.pid, "SIGKILL")'], limits);
  t.equal(result.signal, 'SIGKILL');
  t.equal(commandFailure('x', [], result), "command 'x' failed: killed by SIGKILL");
});

t.test('describeCommand joins file and arguments', async (t) => {
  t.equal(
    describeCommand('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']),
    'ioreg -rd1 -c IOPlatformExpertDevice',
  );
});
