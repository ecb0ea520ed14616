/**
 * Running a plan (hosts × commands) and showing it.
 *
 * Scheduling: up to `parallel` hosts at once; the commands of one host run in
 * order. After a failure no new host starts (the running ones finish) unless
 * `keepGoing`. `interrupt()` (Ctrl-C) stops starting hosts and commands.
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
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HostResult, HostSummary } from '../events';
import type { Logger, Verbosity } from '../log';

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

export type LineLevel = 'info' | 'debug' | 'warn' | 'error';

export interface Progress {
  /** The logger every layer writes to during the run. */
  readonly log: Logger;
  /** Run the plan; resolves with one outcome per host, in plan order (never rejects for a host's failure). */
  run(plan: PlannedHost[], policy?: RunPolicy, hooks?: PlanHooks): Promise<HostOutcome[]>;
  /** Ctrl-C (130) or SIGTERM (143): start no new host and no new command; the running steps end as they end. */
  interrupt(status?: number): void;
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
}

/** Whether this process talks to a person at a terminal. */
export function isInteractiveTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!process.stdout.isTTY && !env.CI;
}

/**
 * After Ctrl-C, how long a running command may take to end (its connection is
 * closed, a local rsync got the SIGINT too) before the run leaves it and ends.
 */
export const INTERRUPT_GRACE_MS = 5000;

const DEFAULT_POLICY: RunPolicy = { parallel: 1, keepGoing: false };

export function exitStatusOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' ? code : 70;
}

/** The message of an error, as the CLI shows it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the listr2 view adds to the hooks: it must be drawing a host's task before the host's lines flow. */
interface ViewHooks extends PlanHooks {
  beforeHost?(host: string): void;
  skipped?(outcome: HostOutcome): void;
  /** Resolves once the view shows the host's i-th command (its lines then go under it). */
  commandReady?(host: string, index: number): Promise<void>;
}

/**
 * The runner: a pool of `parallel` workers taking hosts in plan order. A
 * host's outcome is 'ok', 'failed', 'not started' (an earlier failure or an
 * interrupt kept it from starting) or 'interrupted'.
 */
class PlanRunner {
  stopped = false;
  interrupted = false;
  interruptStatus: number | undefined;
  /** Plans running with ignoreInterrupt. */
  undoing = 0;
  /** Rejects INTERRUPT_GRACE_MS after interrupt(): a command still running then is left behind. */
  private abandon = deferred();
  readonly context = new AsyncLocalStorage<{ host: string; command?: string }>();

  async run(plan: PlannedHost[], policy: RunPolicy, hooks: ViewHooks): Promise<HostOutcome[]> {
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
          hooks.skipped?.(o);
          continue;
        }
        const o = await this.context.run({ host: h.host }, () => this.runHost(h, hooks, policy));
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

  interrupt(status = 130): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.interruptStatus = status;
    setTimeout(() => this.abandon.reject(new Error('interrupted')), INTERRUPT_GRACE_MS).unref();
  }

  private async runHost(h: PlannedHost, hooks: ViewHooks, policy: RunPolicy): Promise<HostOutcome> {
    const started = Date.now();
    const o: HostOutcome = { host: h.host, commands: [], result: 'ok', exitStatus: 0, durationMs: 0 };
    hooks.beforeHost?.(h.host);
    hooks.hostStart?.(h.host);
    for (const [i, c] of h.commands.entries()) {
      await hooks.commandReady?.(h.host, i);
      if (this.interrupted && !policy.ignoreInterrupt) {
        o.result = 'interrupted';
        o.exitStatus = this.interruptStatus ?? 130;
        break;
      }
      const store = this.context.getStore();
      if (store) store.command = c.name;
      const t = Date.now();
      hooks.commandStart?.(h.host, c.name);
      try {
        o.value = await (policy.ignoreInterrupt ? c.run() : Promise.race([c.run(), this.abandon.promise]));
        o.commands.push(c.name);
        hooks.commandEnd?.(h.host, c.name, 'ok', Date.now() - t);
      } catch (err) {
        const interrupted = this.interrupted && !policy.ignoreInterrupt;
        o.result = interrupted ? 'interrupted' : 'failed';
        o.exitStatus = interrupted ? this.interruptStatus ?? 130 : exitStatusOf(err);
        o.cause = err;
        o.error = messageOf(err);
        hooks.commandEnd?.(h.host, c.name, interrupted ? 'interrupted' : 'failed', Date.now() - t, err);
        break;
      }
    }
    o.durationMs = Date.now() - started;
    hooks.hostEnd?.(o);
    return o;
  }
}

/** A deferred promise: the listr2 view waits on the runner's progress with these. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
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
  const prefixed = (host: string | undefined, message: string): string[] =>
    message.split('\n').map((l) => (prefixHosts && host && !l.startsWith(`[${host}]`) ? `[${host}] ${l}` : l));

  // Getters, not copies: `interrupted` and `prefixHosts` change during the run.
  const make = (log: Logger, run: Progress['run'], status: Progress['status'] = () => undefined): Progress => ({
    log,
    run,
    status,
    get prefixHosts() { return prefixHosts; },
    set prefixHosts(v: boolean) { prefixHosts = v; },
    interrupt: (status?: number) => runner.interrupt(status),
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
      warn: line('warn', true, stderr, 'warning: '),
      error: line('error', true, stderr, 'error: '),
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
    warn: (m) => { const h = hostOf(m); tap('warn', h, m); sinkFor(h)(`warning: ${m}`); },
    error: (m) => { tap('error', hostOf(m), m); stderr(`error: ${m}`); },
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
          title: masked(policy.parallel > 1 ? `${h.host} (waiting)` : h.host),
          task: async (_ctx, hostTask) => {
            const go = await started.get(h.host)!.promise;
            hostTask.title = masked(h.host);
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

/** `1.2 s`, `3 min 4 s`: the summary's time column. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One row of the summary table: a host's summary and, under their headings, the columns its run added. */
export type SummaryRow = HostSummary & { columns?: Readonly<Record<string, string>> };

/** The summary table printed at the end of a run of several hosts; a column some row lacks shows `?` there. */
export function formatSummary(rows: readonly SummaryRow[]): string[] {
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.columns ?? {})))];
  const header = ['host', 'commands', 'result', ...extra, 'time'];
  const body = rows.map((r) => [
    r.host,
    r.commands.join(' ') || '-',
    r.result === 'failed' || r.result === 'interrupted' ? `${r.result} (${r.exitStatus})` : r.result,
    ...extra.map((h) => r.columns?.[h] ?? '?'),
    r.result === 'not started' ? '-' : formatDuration(r.durationMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), ...body.map(fmt)];
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

export type { HostResult };
