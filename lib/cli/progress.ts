/**
 * Showing a run as it happens: the plain view and the listr2 view of the
 * scheduler (schedule.ts), and the Logger every layer writes to.
 *
 * Output:
 * - On a terminal (not CI, not -q/-v/--dry-run/--json): listr2 draws every
 *   host of the run side by side (concurrent), each with its commands and the
 *   running command's last steps.
 * - Otherwise plain lines: progress on stdout (like the original's `Hostout:`
 *   lines), warnings and errors on stderr; -q keeps only warnings and errors,
 *   -v adds debug lines. With more than one host every line starts with its
 *   host (`[web1] …`), and each line is written whole, in one write.
 * Every line, whatever the verbosity, also goes to `tap` (the run log).
 */
import type { HostResult } from '../events';
import { DEFAULT_POLICY, PlanRunner, deferred, messageOf, type HostOutcome, type PlanHooks, type PlannedHost, type RunPolicy } from './schedule';

// The scheduler's names, for the modules that imported them from here.
export { INTERRUPT_GRACE_MS, exitStatusOf, messageOf, runExitStatus } from './schedule';
export type { HostOutcome, PlanHooks, PlannedCommand, PlannedHost, RunPolicy } from './schedule';
import type { Logger, Verbosity } from '../log';
import { NO_PAINT, type Paint } from './io';

export type LineLevel = 'info' | 'debug' | 'warn' | 'error';

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
}

export interface ProgressOptions {
  verbosity: Verbosity;
  /** Draw with listr2 (a terminal); otherwise plain lines. */
  fancy: boolean;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
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
  const stdout = opts.stdout ?? ((l: string) => process.stdout.write(l + '\n'));
  const stderr = opts.stderr ?? ((l: string) => process.stderr.write(l + '\n'));
  const runner = new PlanRunner();
  const known = new Set(opts.hosts ?? []);
  const tap = opts.tap ?? (() => undefined);

  /** The host a line belongs to: named at its start (`[web1] …`), else the async context's. */
  const hostOf = (message: string): string | undefined => {
    const m = /^\[([^\]]+)\]/.exec(message);
    if (m && known.has(m[1])) return m[1];
    return runner.context.getStore()?.host;
  };
  /** Each line of a message, with its host in front when several hosts share the output. */
  let prefixHosts = false;
  const p = opts.paint ?? NO_PAINT;
  const prefixed = (host: string | undefined, message: string): string[] =>
    message.split('\n').map((l) => {
      if (!host || !(prefixHosts || l.startsWith(`[${host}]`))) return l;
      // The host's name in colour (a line that names its host already keeps its words).
      const rest = l.startsWith(`[${host}]`) ? l.slice(host.length + 2) : ` ${l}`;
      return `${p.host(`[${host}]`)}${rest}`;
    });

  // Getters, not copies: `interrupted` and `prefixHosts` change during the run.
  const make = (log: Logger, run: Progress['run'], status: Progress['status'] = () => undefined): Progress => ({
    log,
    run,
    status,
    get prefixHosts() { return prefixHosts; },
    set prefixHosts(v: boolean) { prefixHosts = v; },
    interrupt: (status?: number, hold?: () => boolean) => runner.interrupt(status, hold),
    get interrupted() { return runner.interrupted; },
    get interruptStatus() { return runner.interruptStatus; },
    get undoing() { return runner.undoing > 0; },
    current: () => {
      const s = runner.context.getStore();
      return s ? { ...s } : undefined;
    },
  });

  if (!opts.fancy) {
    const quiet = opts.verbosity === 'quiet';
    const line = (level: LineLevel, show: boolean, write: (l: string) => void, label: string) => (m: string) => {
      const host = hostOf(m);
      tap(level, host, m);
      if (!show) return;
      for (const l of prefixed(host, `${label}${m}`)) write(l);
    };
    const log: Logger = {
      info: line('info', !quiet, stdout, ''),
      debug: line('debug', opts.verbosity === 'verbose', stdout, ''),
      warn: line('warn', true, stderr, p.warning('warning: ')),
      error: line('error', true, stderr, p.error('error: ')),
    };
    return make(log, (plan, policy = DEFAULT_POLICY, hooks = {}) => runner.run(plan, policy, hooks));
  }

  // listr2 owns the terminal while it runs: steps go to the running command's task output.
  const outputs = new Map<string, (line: string) => void>();
  const masked = opts.mask ?? ((t: string) => t);
  const sinkFor = (host: string | undefined): ((line: string) => void) => (host && outputs.get(host)) || stdout;
  const log: Logger = {
    info: (m) => { const h = hostOf(m); tap('info', h, m); sinkFor(h)(m); },
    debug: (m) => tap('debug', hostOf(m), m),
    warn: (m) => { const h = hostOf(m); tap('warn', h, m); sinkFor(h)(`${p.warning('warning:')} ${m}`); },
    error: (m) => { tap('error', hostOf(m), m); stderr(`${p.error('error:')} ${m}`); },
  };
  const status = (host: string, line: string) => outputs.get(host)?.(line);
  return make(log, async (plan, policy = DEFAULT_POLICY, hooks = {}) => {
      // Loaded only on a terminal: pipes and CI never pay for it.
      const { Listr } = require('listr2') as typeof import('listr2');
      const started = new Map(plan.map((h) => [h.host, deferred<boolean>()]));
      const commandDone = new Map(plan.map((h) => [h.host, h.commands.map(() => deferred())]));
      const commandShown = new Map(plan.map((h) => [h.host, h.commands.map(() => deferred())]));
      const position = new Map<string, number>();
      const tasks = new Listr(
        plan.map((h) => ({
          title: policy.parallel > 1 ? `${p.host(masked(h.host))} (waiting)` : p.host(masked(h.host)),
          task: async (_ctx, hostTask) => {
            const go = await started.get(h.host)!.promise;
            hostTask.title = p.host(masked(h.host));
            if (!go) return hostTask.skip(masked(`${h.host} (not started)`));
            return hostTask.newListr(
              h.commands.map((c, i) => ({
                title: masked(c.name),
                task: (_c, t) => {
                  outputs.set(h.host, (line: string) => { t.output = masked(line); });
                  commandShown.get(h.host)![i].resolve();
                  return commandDone.get(h.host)![i].promise;
                },
                rendererOptions: { outputBar: 5, persistentOutput: false },
              })),
              { concurrent: false, exitOnError: true },
            );
          },
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseSkips: false } },
      );
      const drawn = tasks.run().catch(() => undefined);
      const outcomes = await runner.run(plan, policy, {
        ...hooks,
        beforeHost: (host) => started.get(host)!.resolve(true),
        // Bounded: a view that never shows the task must not stop the run.
        commandReady: (host, i) => Promise.race([commandShown.get(host)![i].promise, new Promise<void>((r) => setTimeout(r, 1000).unref())]),
        skipped: (o) => started.get(o.host)!.resolve(false),
        commandStart: (host, command) => {
          position.set(host, (position.get(host) ?? -1) + 1);
          hooks.commandStart?.(host, command);
        },
        commandEnd: (host, command, status, ms, err) => {
          const d = commandDone.get(host)![position.get(host) ?? 0];
          if (status === 'ok') d.resolve();
          // listr2 prints the reason under the task: masked like every other line.
          else d.reject(new Error(masked(messageOf(err))));
          hooks.commandEnd?.(host, command, status, ms, err);
        },
        hostEnd: (o) => {
          outputs.delete(o.host);
          // Commands after a failure never ran: end their tasks so listr2 finishes.
          for (const d of commandDone.get(o.host)!) d.reject(new Error('not run'));
          hooks.hostEnd?.(o);
        },
      });
      await drawn;
      return outcomes;
  }, status);
}

// The summary table lives with the views; re-exported for the modules that imported it from here.
export { formatDuration, formatSummary } from './views/summary';

export type { HostResult };
