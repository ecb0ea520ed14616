/**
 * The all-or-nothing runner's choices, with a stand-in runtime whose phase
 * commands record what they were asked (the real servers: e2e-many-hosts and
 * pushdeploy/e2e-many-deploys): which hosts are rolled back, that `finish`
 * ends the run on every host whose prepare ran (with `prune` only when every
 * flip went through), and that each phase command is told its phase.
 */
import { runAllOrNothing } from '../../lib/cli/all-or-nothing';
import { createProgress } from '../../lib/cli/progress';
import type { Runtime } from '../../lib/hostout/dispatch';
import type { DeployPhases, PhaseName } from '../../lib/hostout/types';

const PHASES: DeployPhases = { prepare: 'p', flip: 'f', activate: 'a', rollback: 'r', finish: 'end' };
const HOSTS = ['h1', 'h2', 'h3'];

interface Call { host: string; command: string; args: string[]; phase?: PhaseName }

/** Runs the phases on HOSTS; `fail` makes a command throw on a host; `interruptAt` interrupts the run when that command starts there. */
async function deploy(opts: { fail?: Record<string, string>; interruptAt?: [string, string] } = {}) {
  const calls: Call[] = [];
  const progress = createProgress({ verbosity: 'quiet', fancy: false, stdout: () => undefined, stderr: () => undefined });
  const runtime = {
    run: async (host: string, command: string, args: string[] = [], o: { phase?: PhaseName } = {}) => {
      calls.push({ host, command, args, phase: o.phase });
      if (opts.interruptAt?.[0] === host && opts.interruptAt[1] === command) progress.interrupt(130);
      if (opts.fail?.[host] === command) throw new Error(`${command} failed on ${host}`);
      if (command === 'p') return { release: 'r2', live: 'r1' };
      if (command === 'f') return { from: 'r1' };
      return undefined;
    },
  } as unknown as Runtime;
  const outcomes = await runAllOrNothing({
    runtime, progress, hosts: HOSTS, phases: new Map(HOSTS.map((h) => [h, PHASES])), args: [],
    policy: { parallel: 1, keepGoing: false }, rollback: true, log: () => undefined,
  }, {});
  const on = (command: string) => calls.filter((c) => c.command === command);
  return { calls, outcomes, on };
}

describe('all or nothing: finish and rollback', () => {
  test('every host went live: finish prune on every host, last; every command told its phase', async () => {
    const { calls, on } = await deploy();
    expect(on('end').map((c) => [c.host, c.args])).toEqual(HOSTS.map((h) => [h, ['prune']]));
    expect(calls.slice(-3).map((c) => c.command)).toEqual(['end', 'end', 'end']);
    const phaseOf: Record<string, PhaseName> = { p: 'prepare', f: 'flip', a: 'activate', r: 'rollback', end: 'finish' };
    for (const c of calls) expect(c.phase).toBe(phaseOf[c.command]);
    expect(on('r')).toEqual([]);
  });

  test('a prepare fails: finish (no prune) on every host whose prepare ran, none on a host never started', async () => {
    const { on } = await deploy({ fail: { h2: 'p' } });
    expect(on('f')).toEqual([]);
    // -P 1: h3 never started after h2 failed; h1 holds what its prepare took, h2 may too.
    expect(on('end').map((c) => [c.host, c.args])).toEqual([['h1', []], ['h2', []]]);
  });

  test('a flip fails half-way through the hosts: the live ones and the failed one are rolled back, then finish without prune', async () => {
    const { on, outcomes } = await deploy({ fail: { h2: 'f' } });
    // h2's flip may have gone through before it failed: it is rolled back too (to the release its prepare said was live).
    expect(on('r').map((c) => [c.host, c.args])).toEqual([['h1', ['r1']], ['h2', ['r1']]]);
    expect(on('end').map((c) => [c.host, c.args])).toEqual(HOSTS.map((h) => [h, []]));
    expect(outcomes.map((o) => o.releaseAfter)).toEqual(['r1', 'r1', 'r1']);
  });

  test('Ctrl-C during an activation: every host rolled back, then finish prune (every flip went through)', async () => {
    const { on, outcomes } = await deploy({ interruptAt: ['h1', 'a'] });
    expect(on('r').map((c) => c.host)).toEqual(HOSTS);
    expect(on('end').map((c) => [c.host, c.args])).toEqual(HOSTS.map((h) => [h, ['prune']]));
    expect(outcomes.map((o) => [o.releaseBefore, o.releaseAfter])).toEqual(HOSTS.map(() => ['r1', 'r1']));
  });
});
