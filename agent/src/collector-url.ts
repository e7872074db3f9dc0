// Collector URLs compared as the agent stores them (enroll.ts): parsed, without a trailing
// slash. Used where a command given --url must tell "the same collector" from "another one".

/** Whether two collector URLs name the same collector; text that is no URL compares as is. */
export function sameCollectorUrl(a: string, b: string): boolean {
  const normal = (u: string): string => {
    try {
      return new URL(u).toString().replace(/\/+$/, '');
    } catch {
      return u;
    }
  };
  return normal(a) === normal(b);
}
