#!/usr/bin/env node
// The `vcio-agent` executable. Everything but process wiring is in cli/program.ts.
import { main } from './cli/program.js';

let stop: AbortController | undefined;

/**
 * The first SIGTERM/SIGINT asks the command to stop gracefully (finish the request on the
 * wire, no more retries); a second one exits at once. Installed only when a command asks
 * for it, so Ctrl-C still ends `collect` immediately.
 */
function stopSignal(): AbortSignal {
  if (!stop) {
    const controller = new AbortController();
    stop = controller;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (controller.signal.aborted) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
        controller.abort(new Error(`received ${signal}`));
      });
    }
  }
  return stop.signal;
}

/** Resolves once the text is handed to the OS: exiting earlier can cut a piped report short. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}

const code = await main(process.argv.slice(2), {
  stdout: writeStdout,
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  logFd: 2,
  stopSignal,
});
// Explicit exit: libraries may leave timers or handles behind that would keep a one-shot
// command alive; everything the agent wrote has been flushed above (logs are synchronous).
process.exit(code);
