/**
 * retryUntil: the shared "again every N ms until it passes or the time runs out" of the
 * health check after a restart and of an instance's health URL in a rolling restart.
 * Real timers, short pauses, generous bounds (the machine may be loaded).
 */
import { retryUntil } from '../../plugins/pushdeploy/retry';

test('tries again after each pause until the attempt passes, and says on which attempt', async () => {
  let n = 0;
  const started = Date.now();
  const r = await retryUntil(async () => ++n, (v) => v === 3, { timeoutMs: 30_000, intervalMs: 50 });
  expect(r).toEqual({ passed: true, last: 3, attempts: 3 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 50 - 5); // two pauses between three attempts
});

test('a first attempt that passes is the only one, without any pause', async () => {
  const attempt = jest.fn(async () => 'ok');
  const beforePause = jest.fn();
  expect(await retryUntil(attempt, () => true, { timeoutMs: 30_000, intervalMs: 10_000, beforePause })).toEqual({ passed: true, last: 'ok', attempts: 1 });
  expect(attempt).toHaveBeenCalledTimes(1);
  expect(beforePause).not.toHaveBeenCalled();
});

test('gives up when the next pause would reach the deadline, with the last result and the number of attempts', async () => {
  let n = 0;
  const started = Date.now();
  const r = await retryUntil(async () => ++n, () => false, { timeoutMs: 300, intervalMs: 100 });
  expect(r.passed).toBe(false);
  expect(r.last).toBe(r.attempts);
  // At most 3 attempts fit in 300 ms with 100 ms pauses (0, 100, 200 ms; no pause would end at or past 300 ms).
  expect(r.attempts).toBeGreaterThanOrEqual(1);
  expect(r.attempts).toBeLessThanOrEqual(3);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('at least one attempt even when the time has run out already (a timeout of 0)', async () => {
  const r = await retryUntil(async () => 'no', () => false, { timeoutMs: 0, intervalMs: 1000 });
  expect(r).toEqual({ passed: false, last: 'no', attempts: 1 });
});

test('each attempt is given the deadline, counted from `start`', async () => {
  const start = Date.now() - 1000;
  const deadlines: number[] = [];
  await retryUntil(async (deadline) => deadlines.push(deadline), (len) => len === 2, { start, timeoutMs: 60_000, intervalMs: 10 });
  expect(deadlines).toEqual([start + 60_000, start + 60_000]);
});

test('beforePause runs before each pause, and what it throws ends the retrying (Ctrl-C during a roll)', async () => {
  let pauses = 0;
  const stop = new Error('interrupted');
  const attempt = jest.fn(async () => false);
  await expect(retryUntil(attempt, (v) => v, {
    timeoutMs: 60_000, intervalMs: 10, beforePause: () => { if (++pauses === 2) throw stop; },
  })).rejects.toBe(stop);
  expect(attempt).toHaveBeenCalledTimes(2);
});

test('an exception of the attempt is not retried: it ends the retrying', async () => {
  const boom = new Error('not a failed attempt: a bug');
  const attempt = jest.fn(async () => { throw boom; });
  await expect(retryUntil(attempt, () => false, { timeoutMs: 60_000, intervalMs: 10 })).rejects.toBe(boom);
  expect(attempt).toHaveBeenCalledTimes(1);
});
