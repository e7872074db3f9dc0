// Preloaded into every server the benchmarks start (`node --import <this file> ...`).
//
// If the benchmark dies without stopping its children (SIGKILL, an OOM kill), nothing
// else would stop them: the collector is a daemon and happily idles forever. The parent
// holds the write end of our stdin pipe, and the kernel closes it however the parent
// dies, so stdin's end means "the benchmark is gone": stop as if sent SIGTERM, which the
// servers already handle gracefully.
//
// Only on the main thread: --import also runs in a server's worker threads, whose stdin
// is an empty stream that ends at once.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  // Never keep a server alive just for this.
  (process.stdin as { unref?: () => void }).unref?.();
}
