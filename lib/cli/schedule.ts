/**
 * The scheduler: a plan (hosts × commands) run under a policy. Up to
 * `parallel` hosts at once, the commands of one host in order; after a failure
 * no new host starts (the running ones finish) unless `keepGoing`;
 * `interrupt()` (Ctrl-C) stops starting hosts and commands. What happens is
 * emitted as plan events to the observers of the run: the live views
 * (views/listr.ts) and the caller's hooks (runEventHooks turns them into run
 * events, lib/events.ts, for the --json and run-log views); the exit status
 * of a run is decided here too. It writes nothing: the views (views/) show
 * the run, progress.ts wires them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventSink, HostSummary } from '../events';

export interface PlannedCommand {
  name: string;
  run: () => Promise<unknown>;
}

export interface PlannedHost {
  host: string;
  commands: PlannedCommand[];
}

export interface RunPolicy {
  /** Hosts running at once (>= 1). */
  parallel: number;
  /** Start every host even after one failed. */
  keepGoing: boolean;
  /**
   * Run even after an interrupt (an all-or-nothing deploy's rollback): such a
   * plan is not abandoned after INTERRUPT_GRACE_MS, and keeps the process
   * from its forced exit after Ctrl-C while it runs (Progress.undoing).
   */
  ignoreInterrupt?: boolean;
}

/** What happened on one host. */
export interface HostOutcome extends HostSummary {
  /** The error that ended it (failed or interrupted). */
  cause?: unknown;
  /** The last command's return value. */
  value?: unknown;
  /** More summary columns, heading → this host's cell (an all-or-nothing run's releases). */
  columns?: Readonly<Record<string, string>>;
}

/** Called as the plan runs (the events, the run log). */
export interface PlanHooks {
  hostStart?(host: string): void;
  commandStart?(host: string, command: string): void;
  commandEnd?(host: string, command: string, status: 'ok' | 'failed' | 'interrupted', durationMs: number, error?: unknown): void;
  hostEnd?(outcome: HostOutcome): void;
}

/**
 * After Ctrl-C, how long a running command may take to end (its connection is
 * closed, a local rsync got the SIGINT too) before the run leaves it and ends.
 */
export const INTERRUPT_GRACE_MS = 5000;

export const DEFAULT_POLICY: RunPolicy = { parallel: 1, keepGoing: false };

export function exitStatusOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : 70;
}

/** The message of an error, as the CLI shows it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What the scheduler tells its observers, as it happens: the run events'
 * host and command events (lib/events.ts) as one plan sees them, with the
 * command's place in its host's list and the hosts the plan did not start
 * (an earlier failure or an interrupt), told when they are passed over.
 * One run may run several plans (an all-or-nothing deploy's phases).
 */
export type PlanEvent =
  | { type: 'host-start'; host: string }
  | { type: 'host-skipped'; outcome: HostOutcome }
  | { type: 'command-start'; host: string; command: string; index: number }
  | { type: 'command-end'; host: string; command: string; index: number; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; error?: unknown }
  | { type: 'host-end'; outcome: HostOutcome };

/** Follows a plan as it runs (a view, the caller's hooks). */
export interface PlanObserver {
  event(e: PlanEvent): void;
  /**
   * Resolves once the observer shows the host's index-th command: the
   * scheduler starts the command only then (at most VIEW_READY_MS later), so
   * the lines the command logs go under it (listr2 draws its task first).
   */
  commandShown?(host: string, index: number): Promise<void>;
}

/** The longest a command waits for its views (a view that never shows the task must not stop the run). */
export const VIEW_READY_MS = 1000;

/** The caller's hooks as an observer: the events of the hosts that ran (a host passed over has no events of its own here). */
export function observeHooks(hooks: PlanHooks): PlanObserver {
  return {
    event: (e) => {
      switch (e.type) {
        case 'host-start': return hooks.hostStart?.(e.host);
        case 'command-start': return hooks.commandStart?.(e.host, e.command);
        case 'command-end': return hooks.commandEnd?.(e.host, e.command, e.status, e.durationMs, e.error);
        case 'host-end': return hooks.hostEnd?.(e.outcome);
        case 'host-skipped': return undefined;
      }
    },
  };
}

/**
 * The runner: a pool of `parallel` workers taking hosts in plan order. A
 * host's outcome is 'ok', 'failed', 'not started' (an earlier failure or an
 * interrupt kept it from starting) or 'interrupted'.
 */
export class PlanRunner {
  stopped = false;
  interrupted = false;
  interruptStatus: number | undefined;
  /** Plans running with ignoreInterrupt. */
  undoing = 0;
  /** Rejects INTERRUPT_GRACE_MS after interrupt(): a command still running then is left behind. */
  private abandon = deferred();
  readonly context = new AsyncLocalStorage<{ host: string; command?: string }>();

  async run(plan: PlannedHost[], policy: RunPolicy, observers: readonly PlanObserver[]): Promise<HostOutcome[]> {
    const emit = (e: PlanEvent) => { for (const o of observers) o.event(e); };
    const outcomes = new Map<string, HostOutcome>();
    this.stopped = false;
    const halted = () => this.stopped || (this.interrupted && !policy.ignoreInterrupt);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < plan.length) {
        const h = plan[next++];
        if (halted()) {
          const o: HostOutcome = { host: h.host, commands: [], result: 'not started', exitStatus: 0, durationMs: 0 };
          outcomes.set(h.host, o);
          emit({ type: 'host-skipped', outcome: o });
          continue;
        }
        const o = await this.context.run({ host: h.host }, () => this.runHost(h, policy, observers, emit));
        outcomes.set(h.host, o);
        if (o.result !== 'ok' && !policy.keepGoing) this.stopped = true;
      }
    };
    const width = Math.max(1, Math.min(policy.parallel, plan.length));
    if (policy.ignoreInterrupt) this.undoing++;
    try {
      await Promise.all(Array.from({ length: width }, worker));
    } finally {
      if (policy.ignoreInterrupt) this.undoing--;
    }
    return plan.map((h) => outcomes.get(h.host) as HostOutcome);
  }

  /** `hold()`: a running command still cleans up (calls marked `cleanup`): it is not left behind yet. */
  interrupt(status = 130, hold: () => boolean = () => false): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.interruptStatus = status;
    const abandon = (): void => {
      if (hold()) setTimeout(abandon, 500).unref();
      else this.abandon.reject(new Error('interrupted'));
    };
    setTimeout(abandon, INTERRUPT_GRACE_MS).unref();
  }

  private async runHost(h: PlannedHost, policy: RunPolicy, observers: readonly PlanObserver[], emit: (e: PlanEvent) => void): Promise<HostOutcome> {
    const started = Date.now();
    const o: HostOutcome = { host: h.host, commands: [], result: 'ok', exitStatus: 0, durationMs: 0 };
    emit({ type: 'host-start', host: h.host });
    for (const [i, c] of h.commands.entries()) {
      await shownByAll(observers, h.host, i);
      if (this.interrupted && !policy.ignoreInterrupt) {
        o.result = 'interrupted';
        o.exitStatus = this.interruptStatus ?? 130;
        break;
      }
      const store = this.context.getStore();
      if (store) store.command = c.name;
      const t = Date.now();
      emit({ type: 'command-start', host: h.host, command: c.name, index: i });
      try {
        o.value = await (policy.ignoreInterrupt ? c.run() : Promise.race([c.run(), this.abandon.promise]));
        o.commands.push(c.name);
        emit({ type: 'command-end', host: h.host, command: c.name, index: i, status: 'ok', durationMs: Date.now() - t });
      } catch (err) {
        const interrupted = this.interrupted && !policy.ignoreInterrupt;
        o.result = interrupted ? 'interrupted' : 'failed';
        o.exitStatus = interrupted ? this.interruptStatus ?? 130 : exitStatusOf(err);
        o.cause = err;
        o.error = messageOf(err);
        emit({ type: 'command-end', host: h.host, command: c.name, index: i, status: interrupted ? 'interrupted' : 'failed', durationMs: Date.now() - t, error: err });
        break;
      }
    }
    o.durationMs = Date.now() - started;
    emit({ type: 'host-end', outcome: o });
    return o;
  }
}

/** Waits until every observer that asks for it shows the host's index-th command, VIEW_READY_MS at most. */
async function shownByAll(observers: readonly PlanObserver[], host: string, index: number): Promise<void> {
  const waits = observers.flatMap((o) => (o.commandShown ? [o.commandShown(host, index)] : []));
  if (!waits.length) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((r) => { timer = setTimeout(r, VIEW_READY_MS).unref(); });
  await Promise.race([Promise.all(waits), bound]);
  clearTimeout(timer);
}

/** A deferred promise: the listr2 view waits on the plan's events with these. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * The exit status of a run (docs/cli.md): 130 interrupted (143 by SIGTERM);
 * 0 every host ok; 3 some hosts ok and some failed; otherwise the failed
 * hosts' status when they agree (1 a command failed, 69 unreachable, 75
 * locked), else 1.
 */
export function runExitStatus(outcomes: readonly HostSummary[], interruptStatus: number | undefined): number {
  if (interruptStatus !== undefined) return interruptStatus;
  if (outcomes.some((o) => o.result === 'interrupted')) return 130;
  const failed = outcomes.filter((o) => o.result === 'failed');
  const undone = outcomes.some((o) => o.result === 'rolled back' || o.result === 'stopped');
  if (failed.length === 0 && !undone) return 0;
  if (outcomes.some((o) => o.result === 'ok')) return 3;
  const codes = new Set(failed.map((o) => o.exitStatus));
  return codes.size === 1 ? [...codes][0] : 1;
}

/** The hooks that turn what the scheduler does into run events. */
export function runEventHooks(events: EventSink): PlanHooks {
  return {
    hostStart: (host) => events.emit({ type: 'host-start', host }),
    commandStart: (host, command) => events.emit({ type: 'command-start', host, command }),
    commandEnd: (host, command, status, durationMs, err) =>
      events.emit({ type: 'command-end', host, command, status, durationMs, ...(err ? { error: messageOf(err) } : {}) }),
    hostEnd: (o) =>
      events.emit({ type: 'host-end', host: o.host, result: o.result, exitStatus: o.exitStatus, durationMs: o.durationMs, ...(o.error ? { error: o.error } : {}) }),
  };
}

/** The summary rows of a run's outcomes. */
export function summaryOf(outcomes: readonly HostOutcome[]): HostSummary[] {
  return outcomes.map((o) => ({
    host: o.host, commands: o.commands, result: o.result, exitStatus: o.exitStatus, durationMs: o.durationMs,
    ...(o.error ? { error: o.error } : {}),
    ...(o.releaseBefore ? { releaseBefore: o.releaseBefore } : {}),
    ...(o.releaseAfter ? { releaseAfter: o.releaseAfter } : {}),
  }));
}
