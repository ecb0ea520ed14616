/**
 * All or nothing across hosts. When one command runs alone on several hosts
 * and every host's plugin declares its phases (Plugin.phases, e.g. deploy →
 * prepare, flip, activate, rollback), the run is:
 *
 *   1. prepare on every host (a new release, not live); a failure ends the
 *      run here: nothing went live anywhere;
 *   2. flip every host to its new release, only once all prepared;
 *   3. activate every host (restart, health check); when the plugin says
 *      so (oneHostAtATime), 2 and 3 go one host at a time instead: each
 *      host flips and activates (and the first one, as a canary, is watched)
 *      before the next flips;
 *   4. when a flip or an activation failed (or the run was interrupted after
 *      the first flip), flip back every host that went live, or whose flip
 *      was cut short (it may have gone through), and restart it (the
 *      plugin's rollback), unless --no-rollback;
 *   5. the plugin's `finish`, when it has one, on every host whose prepare
 *      ran: it gives back what the phases kept (pushdeploy: the deploy lock,
 *      held from prepare to here) and, when every flip went through, prunes.
 *
 * Each phase runs up to `parallel` hosts at once and starts no new host
 * after a failure. The rollback and finish phases run on every host that
 * needs them, also after Ctrl-C: a host is never left on a half-finished
 * deploy by us. Every phase command is told which phase it is (ctx.phase).
 */
import type { Runtime } from '../hostout/dispatch';
import { flipOutcome, preparedRelease } from '../hostout/phases';
import type { DeployPhases, PhaseName } from '../hostout/types';
import { messageOf, type HostOutcome, type PlanHooks, type Progress, type RunPolicy } from './progress';

/** Each host's phases for `command`, when every host has them; else undefined (the command runs as usual). */
export function phasesFor(runtime: Runtime, hosts: readonly string[], command: string): Map<string, DeployPhases> | undefined {
  const found = new Map<string, DeployPhases>();
  for (const host of hosts) {
    const def = runtime.definition(host);
    // The set whose implementation of the command runs first decides.
    const set = def.sets.find((s) => Object.prototype.hasOwnProperty.call(s.plugin.commands, command));
    const phases = set?.plugin.phases?.[command];
    if (!phases) return undefined;
    if (![phases.prepare, phases.flip, phases.activate, phases.rollback].every((c) => typeof c === 'string' && runtime.has(host, c))) return undefined;
    if (phases.finish !== undefined && !(typeof phases.finish === 'string' && runtime.has(host, phases.finish))) return undefined;
    found.set(host, phases);
  }
  return found;
}

export interface AllOrNothingOptions {
  runtime: Runtime;
  progress: Progress;
  hosts: string[];
  phases: Map<string, DeployPhases>;
  /** The arguments of the command (given to prepare). */
  args: string[];
  policy: RunPolicy;
  rollback: boolean;
  log: (host: string | undefined, message: string) => void;
}

export async function runAllOrNothing(o: AllOrNothingOptions, hooks: PlanHooks): Promise<HostOutcome[]> {
  const { runtime, progress, hosts, phases } = o;
  const startedAt = Date.now();
  const state = new Map(hosts.map((host) => [host, {
    host, commands: [] as string[], result: 'not started', exitStatus: 0, durationMs: 0,
  } as HostOutcome]));
  const policy: RunPolicy = { ...o.policy, keepGoing: false };
  const phaseHooks: PlanHooks = { commandStart: hooks.commandStart, commandEnd: hooks.commandEnd };
  const release = new Map<string, string>();
  const live = new Map<string, string | undefined>();

  /** The command a phase runs on a host. */
  const commandOf = (host: string, name: PhaseName): string => (name === 'canary' ? phases.get(host)!.canary!.command : phases.get(host)![name]!);
  /** Run one phase on some hosts (each told which phase it is). */
  const runPhase = (name: PhaseName, on: string[], args: (host: string) => string[], p: RunPolicy): Promise<HostOutcome[]> => {
    o.log(undefined, `all or nothing: ${name} on ${on.join(' ')}`);
    return progress.run(on.map((host) => {
      const command = commandOf(host, name);
      return { host, commands: [{ name: command, run: () => runtime.run(host, command, args(host), { phase: name }) }] };
    }), p, phaseHooks);
  };
  /** Hosts on which a phase started (ok, failed or interrupted), over every time it ran. */
  const started = new Map<PhaseName, string[]>();

  /** One phase on some hosts; records who failed. Returns the hosts it succeeded on. */
  const phase = async (name: Exclude<PhaseName, 'finish'>, on: string[], args: (host: string) => string[], p: RunPolicy): Promise<string[]> => {
    if (on.length === 0) return [];
    const results = await runPhase(name, on, args, p);
    started.set(name, [...(started.get(name) ?? []), ...results.filter((r) => r.result !== 'not started').map((r) => r.host)]);
    const ok: string[] = [];
    for (const r of results) {
      const s = state.get(r.host)!;
      s.commands.push(...r.commands);
      if (r.result === 'ok') {
        ok.push(r.host);
        s.value = r.value;
      } else if (r.result !== 'not started') {
        s.result = r.result;
        s.exitStatus = r.exitStatus;
        s.cause = r.cause;
        s.error = r.error;
      }
    }
    return ok;
  };

  for (const host of hosts) hooks.hostStart?.(host);
  const prepared = await phase('prepare', hosts, () => o.args, policy);
  for (const host of prepared) {
    const r = preparedRelease(state.get(host)!.value);
    if (r) release.set(host, r.release);
    if (r?.live) live.set(host, r.live);
  }
  const everyone = prepared.length === hosts.length && !progress.interrupted;
  let flipped: string[] = [];
  let activated: string[] = [];
  const flip = async (on: string[]): Promise<string[]> => {
    const done = await phase('flip', on.filter((h) => release.has(h)), (h) => [release.get(h)!], policy);
    for (const host of done) {
      const { from } = flipOutcome(state.get(host)!.value);
      if (from !== undefined) live.set(host, from);
    }
    return done;
  };
  // What the host's commands see: `--canary` (a plugin's command-line option) is there, not in the definition.
  const options = (host: string) => runtime.options(host);
  const oneAtATime = hosts.every((h) => phases.get(h)!.oneHostAtATime?.(options(h)));
  if (everyone && oneAtATime) {
    // Each host goes live and is restarted before the next flips: the others serve meanwhile.
    const canary = phases.get(hosts[0])!.canary;
    for (const [k, host] of hosts.entries()) {
      if (progress.interrupted) break;
      const f = await flip([host]);
      flipped.push(...f);
      if (!f.length || progress.interrupted) break;
      const a = await phase('activate', [host], () => [], policy);
      if (!a.length) break;
      if (k === 0 && hosts.length > 1 && canary?.wanted(options(host)) && !(await phase('canary', [host], () => [], policy)).length) break;
      activated.push(host);
    }
  } else if (everyone) {
    flipped = await flip(hosts);
    if (flipped.length === hosts.length && !progress.interrupted) activated = await phase('activate', flipped, () => [], policy);
  }
  const failedSomewhere = activated.length !== hosts.length;
  let rolledBack: string[] = [];
  const always: RunPolicy = { ...o.policy, keepGoing: true, ignoreInterrupt: true };
  if (failedSomewhere && o.rollback) {
    // Every host that went live, the failed one included, back to the release before; also after Ctrl-C.
    // A flip that failed or was cut short (Ctrl-C) may have gone through: that host too, when its live release is known.
    const tried = started.get('flip') ?? [];
    const back = hosts.filter((h) => (flipped.includes(h) || tried.includes(h)) && live.get(h) !== undefined);
    rolledBack = await phase('rollback', back, (h) => [live.get(h)!], always);
  }
  // The end of the run on every host whose prepare ran (the deploy lock goes back), whatever happened.
  const finishing = (started.get('prepare') ?? []).filter((h) => phases.get(h)!.finish !== undefined);
  if (finishing.length) {
    const everyFlip = flipped.length === hosts.length;
    for (const r of await runPhase('finish', finishing, () => (everyFlip ? ['prune'] : []), always)) {
      if (r.result === 'failed') progress.log.warn(`[${r.host}] ${phases.get(r.host)!.finish} (the end of the deploy) failed: ${messageOf(r.error)}`);
    }
  }

  for (const host of hosts) {
    const s = state.get(host)!;
    s.releaseBefore = live.get(host);
    const wentLive = flipped.includes(host);
    const ownFailure = s.result === 'failed' || s.result === 'interrupted';
    if (!failedSomewhere) {
      s.result = 'ok';
      s.releaseAfter = release.get(host);
    } else if (rolledBack.includes(host)) {
      s.releaseAfter = live.get(host);
      if (!ownFailure) s.result = 'rolled back';
      s.error = s.error ? `${s.error} (rolled back to ${live.get(host)})` : undefined;
    } else if (wentLive && !ownFailure && !o.rollback) {
      s.result = 'ok'; // --no-rollback: it stays live on the new release
      s.releaseAfter = release.get(host);
    } else if (wentLive) {
      s.releaseAfter = o.rollback ? undefined : release.get(host); // a rollback that failed: unknown
      if (!ownFailure) s.result = 'failed';
    } else {
      s.releaseAfter = live.get(host);
      if (!ownFailure && prepared.includes(host)) s.result = 'stopped';
    }
    if (s.result === 'failed' && s.exitStatus === 0) {
      s.exitStatus = 1;
      s.error ??= `${host}: its rollback failed; it may be live on ${release.get(host)}`;
    }
    // The summary's columns (and the run-end event's fields): where each host was before the run and is now.
    if (s.releaseBefore || s.releaseAfter) s.columns = { 'release before': s.releaseBefore ?? '?', 'release after': s.releaseAfter ?? '?' };
    s.durationMs = Date.now() - startedAt;
    hooks.hostEnd?.(s);
  }
  if (failedSomewhere) {
    const failed = hosts.filter((h) => state.get(h)!.error).map((h) => `${h}: ${messageOf(state.get(h)!.error)}`);
    o.log(undefined, `all or nothing: not every host went live (${failed.join('; ') || 'interrupted'}); ${o.rollback ? `rolled back ${rolledBack.join(' ') || 'none'}` : 'no rollback (--no-rollback)'}`);
  }
  return hosts.map((h) => state.get(h)!);
}

/**
 * The runner for executePlan when the run is one phased command on several
 * hosts (and not a --dry-run); undefined otherwise.
 */
export function allOrNothingRunner(
  opts: Omit<AllOrNothingOptions, 'phases'> & { command: string; dryRun: boolean },
): ((hooks: PlanHooks) => Promise<HostOutcome[]>) | undefined {
  if (opts.dryRun || opts.hosts.length < 2) return undefined;
  const phases = phasesFor(opts.runtime, opts.hosts, opts.command);
  if (!phases) return undefined;
  return (hooks) => runAllOrNothing({ ...opts, phases }, hooks);
}
