import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A logger at trace level whose JSON lines are kept in `lines` for assertions. */
export function captureLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines, text: () => lines.join('') };
}
