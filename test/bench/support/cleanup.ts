// Cleanup that happens however a benchmark ends: normal return, thrown error, Ctrl-C,
// SIGTERM, or the watchdog. A benchmark must never leave a collector running or a temp
// directory full of SQLite files behind.
//
// Each action has an async form (graceful: SIGTERM and wait) and a sync form (brutal:
// SIGKILL, rmSync) for the `exit` event, where nothing asynchronous can run any more.
export interface CleanupAction {
  name: string;
  graceful(): Promise<void>;
  immediate(): void;
}

const pending: CleanupAction[] = [];
let running: Promise<void> | null = null;

/** Registers an action; returns a function that unregisters it (once it is done by hand). */
export function onCleanup(action: CleanupAction): () => void {
  pending.push(action);
  return () => {
    const i = pending.indexOf(action);
    if (i >= 0) pending.splice(i, 1);
  };
}

/** Runs every pending action, newest first (a child before the directory it writes to). */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (pending.length > 0) {
      const action = pending.pop()!;
      try {
        await action.graceful();
      } catch (error) {
        console.error(`cleanup: ${action.name} failed: ${String(error)}`);
        action.immediate();
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

let installed = false;

/**
 * Ctrl-C and SIGTERM clean up and exit (130/143); a second signal skips the graceful
 * part. The `exit` hook is the last resort for paths that call process.exit directly.
 */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (signalled) process.exit(code);
    signalled = true;
    console.error(`\n${signal}: stopping the benchmark and cleaning up...`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const action of pending.splice(0).reverse()) {
      try {
        action.immediate();
      } catch {
        // Exiting anyway: nothing better to do with the error here.
      }
    }
  });
}

/**
 * Ends the process if the benchmark runs past `ms`: a hung child or a stalled load
 * generator must not keep a CI job (or a terminal) busy forever.
 */
export function startWatchdog(ms: number, what: string): () => void {
  const timer = setTimeout(() => {
    console.error(`\nwatchdog: ${what} did not finish within ${Math.round(ms / 1000)} s; aborting`);
    void cleanupAll().finally(() => process.exit(1));
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
