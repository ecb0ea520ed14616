/**
 * After Ctrl-C the scheduler leaves a running command behind once
 * INTERRUPT_GRACE_MS passed, but not while `hold()` says it still cleans up
 * (its calls marked `cleanup` run: an instance whose restart the signal cut,
 * started again). Fake timers: the grace is seconds long.
 */
import { INTERRUPT_GRACE_MS, PlanRunner } from '../../lib/cli/schedule';

/** A command that ends `ms` after it started (on the fake clock), once it started; and the runner's outcome for it. */
async function runOne(runner: PlanRunner, ms: number) {
  let started = false;
  let ended = false;
  const outcome = runner.run([{ host: 'web1', commands: [{ name: 'deploy', run: () => {
    started = true;
    return new Promise((r) => setTimeout(() => { ended = true; r('done'); }, ms));
  } }] }], { parallel: 1, keepGoing: false }, []);
  while (!started) await Promise.resolve();
  return { outcome, ended: () => ended };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('without a hold, a command still running after the grace is left behind (interrupted)', async () => {
  const runner = new PlanRunner();
  const { outcome, ended } = await runOne(runner, INTERRUPT_GRACE_MS * 3);
  runner.interrupt(130);
  await jest.advanceTimersByTimeAsync(INTERRUPT_GRACE_MS + 100);
  const [o] = await outcome;
  expect({ result: o.result, exitStatus: o.exitStatus, ended: ended() }).toEqual({ result: 'interrupted', exitStatus: 130, ended: false });
});

it('while hold() is true the command is waited for, and its result kept; once it turns false, left behind', async () => {
  const runner = new PlanRunner();
  let holding = true;
  const { outcome, ended } = await runOne(runner, INTERRUPT_GRACE_MS * 2);
  runner.interrupt(130, () => holding);
  await jest.advanceTimersByTimeAsync(INTERRUPT_GRACE_MS * 2 + 100);
  const [o] = await outcome;
  expect({ result: o.result, value: o.value, ended: ended() }).toEqual({ result: 'ok', value: 'done', ended: true });

  const again = new PlanRunner();
  const late = await runOne(again, INTERRUPT_GRACE_MS * 10);
  again.interrupt(130, () => holding);
  await jest.advanceTimersByTimeAsync(INTERRUPT_GRACE_MS * 2);
  holding = false;
  await jest.advanceTimersByTimeAsync(1000);
  const [o2] = await late.outcome;
  expect({ result: o2.result, ended: late.ended() }).toEqual({ result: 'interrupted', ended: false });
});
