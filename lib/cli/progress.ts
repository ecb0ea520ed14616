/**
 * Wiring a run's live output: the scheduler (schedule.ts) runs the plan and
 * emits its events; the live view (views/plain.ts in a pipe, views/listr.ts
 * on a terminal) shows them and the lines every layer logs. This module
 * picks the view, routes each logged line to the host it belongs to (named
 * at its start, else the host running in the caller's async context) and
 * subscribes the view and the caller's hooks (the run events) to each plan.
 * It writes nothing itself. Every line, whatever the verbosity, also goes
 * to `tap` (the run log).
 */
import type { HostResult } from '../events';
import type { Logger, Verbosity } from '../log';
import { DEFAULT_POLICY, PlanRunner, observeHooks, type HostOutcome, type PlanHooks, type PlannedHost, type RunPolicy } from './schedule';
import type { Paint } from './io';
import type { LineLevel, LiveView } from './views/live';
import { listrView } from './views/listr';
import { plainView } from './views/plain';

// The scheduler's names, for the modules that imported them from here.
export { INTERRUPT_GRACE_MS, exitStatusOf, messageOf, runExitStatus } from './schedule';
export type { HostOutcome, PlanHooks, PlannedCommand, PlannedHost, RunPolicy } from './schedule';
export type { LineLevel } from './views/live';

export interface Progress {
  /** The logger every layer writes to during the run. */
  readonly log: Logger;
  /** Run the plan; resolves with one outcome per host, in plan order (never rejects for a host's failure). */
  run(plan: PlannedHost[], policy?: RunPolicy, hooks?: PlanHooks): Promise<HostOutcome[]>;
  /**
   * Ctrl-C (130) or SIGTERM (143): start no new host and no new command; the
   * running steps end as they end (left behind after a grace period, but
   * while `hold()` says they still clean up).
   */
  interrupt(status?: number, hold?: () => boolean): void;
  readonly interrupted: boolean;
  /** The exit status the interrupt asked for. */
  readonly interruptStatus: number | undefined;
  /** A plan that runs despite an interrupt (a rollback after Ctrl-C) is running. */
  readonly undoing: boolean;
  /** Start every plain line with its host (set for runs of several hosts). */
  prefixHosts: boolean;
  /** The host and command running in the caller's async context, if any. */
  current(): { host: string; command?: string } | undefined;
  /**
   * A passing state of a host's running command (a transfer's progress): the
   * task's output line on a terminal (listr2); plain output and the run log
   * skip it, since the next one replaces it at once.
   */
  status(host: string, line: string): void;
  /** Where a prompt shows its question, when not on stderr (the listr2 view draws the terminal). */
  readonly showPrompt?: (question: string) => void;
}

export interface ProgressOptions {
  verbosity: Verbosity;
  /** Draw with listr2 (a terminal); otherwise plain lines. */
  fancy: boolean;
  /** One whole line to the CLI's stdout and stderr (CliIo's writers). */
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Every line, whatever the verbosity, with the host it belongs to. */
  tap?: (level: LineLevel, host: string | undefined, message: string) => void;
  /** Names of the hosts of the run: a line starting with `[name]` belongs to that host. */
  hosts?: readonly string[];
  /**
   * The run's secret mask (output-mask.ts), for what listr2 draws itself
   * (titles and a task's output line); plain lines are masked by `stdout`/`stderr`.
   */
  mask?: (text: string) => string;
  /** Colours (io.ts): host names, `warning:`, `error:`. None by default. */
  paint?: Paint;
}

export function createProgress(opts: ProgressOptions): Progress {
  const runner = new PlanRunner();
  const known = new Set(opts.hosts ?? []);
  const hostOf = (message: string): string | undefined => {
    const m = /^\[([^\]]+)\]/.exec(message);
    if (m && known.has(m[1])) return m[1];
    return runner.context.getStore()?.host;
  };
  const common = { stdout: opts.stdout, stderr: opts.stderr, tap: opts.tap ?? (() => undefined), hostOf, paint: opts.paint };
  const view: LiveView = opts.fancy ? listrView({ ...common, mask: opts.mask }) : plainView({ ...common, verbosity: opts.verbosity });

  // Getters, not copies: `interrupted` and `prefixHosts` change during the run.
  return {
    log: view.log,
    status: (host, line) => view.status(host, line),
    ...(view.showPrompt ? { showPrompt: (question: string) => view.showPrompt!(question) } : {}),
    async run(plan, policy = DEFAULT_POLICY, hooks = {}) {
      const drawing = view.follow?.(plan, policy);
      const outcomes = await runner.run(plan, policy, [...(drawing ? [drawing] : []), observeHooks(hooks)]);
      await drawing?.drawn;
      return outcomes;
    },
    get prefixHosts() { return view.prefixHosts; },
    set prefixHosts(v: boolean) { view.prefixHosts = v; },
    interrupt: (status?: number, hold?: () => boolean) => runner.interrupt(status, hold),
    get interrupted() { return runner.interrupted; },
    get interruptStatus() { return runner.interruptStatus; },
    get undoing() { return runner.undoing > 0; },
    current: () => {
      const s = runner.context.getStore();
      return s ? { ...s } : undefined;
    },
  };
}

// The summary table lives with the views; re-exported for the modules that imported it from here.
export { formatDuration, formatSummary } from './views/summary';

export type { HostResult };
