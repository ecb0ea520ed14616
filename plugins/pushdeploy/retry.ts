/**
 * Try something again and again, a fixed pause apart, until it passes or a
 * time runs out: the health check after a restart (commands.ts) and an
 * instance's health URL during a rolling restart (roll.ts).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RetryOptions {
  /** How long to keep trying, from `start`. */
  timeoutMs: number;
  /** The pause between two attempts. */
  intervalMs: number;
  /** When the time started (default: now). */
  start?: number;
  /** Called before each pause (it may throw, e.g. to stop on Ctrl-C). */
  beforePause?: () => void;
}

export interface Retried<T> {
  passed: boolean;
  /** The last attempt's result (the passing one when `passed`). */
  last: T;
  /** How many attempts were made (at least one). */
  attempts: number;
}

/**
 * Run `attempt` (given the deadline, in Date.now() milliseconds, to bound
 * itself by) until `passes` says its result passed. At least one attempt is
 * made; no attempt starts when the pause before it would reach the deadline.
 * An exception of `attempt` is not retried: it ends the retrying.
 */
export async function retryUntil<T>(attempt: (deadline: number) => Promise<T>, passes: (result: T) => boolean, opts: RetryOptions): Promise<Retried<T>> {
  const deadline = (opts.start ?? Date.now()) + opts.timeoutMs;
  for (let attempts = 1; ; attempts++) {
    const last = await attempt(deadline);
    if (passes(last)) return { passed: true, last, attempts };
    if (Date.now() + opts.intervalMs >= deadline) return { passed: false, last, attempts };
    opts.beforePause?.();
    await sleep(opts.intervalMs);
  }
}
