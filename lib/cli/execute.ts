/**
 * Executing a run's plan: its output (progress, events, run log), the
 * scheduling policy, the messages of failed hosts, the summary table and the
 * exit status (docs/cli.md).
 */
import type { Buildout } from '../buildout';
import { ConfigError } from '../errors';
import { EVENTS_VERSION, fanOut, type EventSink, type PluginStep, type StepSink, type TransferProgress } from '../events';
import { formatTransferProgress } from './transfer-line';
import type { Runtime } from '../hostout/dispatch';
import { formatError } from './format-error';
import { formatReturnValue } from './listing';
import { parallelOption } from './options';
import { createProgress, type Progress } from './progress';
import { runEventHooks, runExitStatus, summaryOf, type HostOutcome, type PlanHooks, type PlannedHost, type RunPolicy } from './schedule';
import { RunLog } from './run-log';
import { paint } from './io';
import { DRY_RUN_BANNER, dryRunEnd, type DryRunTally } from './views/dry-run';
import { jsonView } from './views/json';
import { runLogView } from './views/run-log';
import { formatDuration, formatSummary } from './views/summary';
import type { RunRequest } from './run';

export interface RunOutput {
  progress: Progress;
  runLog: RunLog;
  events: EventSink;
  /** What the transport reports its steps to. */
  steps: StepSink;
  /** Per host, the steps that waited for the host's answer (the summary's roundTrips). */
  roundTrips: ReadonlyMap<string, number>;
}

/** Steps that are a command on the host and its answer; `rsync` and `local` are not. */
const ROUND_TRIP_KINDS = new Set(['remote', 'sudo', 'put', 'get']);

/**
 * Progress, events and the run log of one run. Every logged line goes to the
 * run log (any verbosity) and, for warnings, to the events.
 */
export function createRunOutput(req: RunRequest, buildoutDirectory: string, hostNames: readonly string[]): RunOutput {
  const runLog = new RunLog(buildoutDirectory, (m) => req.stderr(`hostout: warning: ${m}`));
  // The views that read the run's events: --json (stdout) and the run log.
  const events = fanOut(req.json ? jsonView(req.json) : undefined, runLogView(runLog, { argv: req.argv, cwd: req.cwd }));
  const fancy = !req.json && !req.dryRun && req.verbosity === 'normal' && req.isTTY && !req.env.CI;
  const progress = createProgress({
    verbosity: req.verbosity,
    fancy,
    stdout: req.stdout,
    stderr: req.stderr,
    hosts: hostNames,
    mask: req.mask ? (text) => req.mask!.apply(text) : undefined,
    paint: paint(req.colour),
    tap: (level, host, message) => {
      runLog.line(level, host, message);
      if (level === 'warn') events.emit({ type: 'warning', ...(host ? { host } : {}), message });
    },
  });
  const roundTrips = new Map<string, number>();
  const steps: StepSink = {
    step: (s) => {
      if (ROUND_TRIP_KINDS.has(s.kind)) roundTrips.set(s.host, (roundTrips.get(s.host) ?? 0) + 1);
      const command = progress.current()?.command;
      events.emit({ type: 'step', host: s.host, ...(command ? { command } : {}), kind: s.kind, line: s.line, status: s.status, durationMs: s.durationMs });
    },
    rsyncStats: (host, st) => {
      const command = progress.current()?.command;
      events.emit({ type: 'rsync', host, ...(command ? { command } : {}), ...st });
    },
    // Followed only where someone sees it: the terminal's task line, --json's events.
    ...(fancy || req.json ? {
      transferProgress: (host: string, p: TransferProgress) => {
        const command = progress.current()?.command;
        events.emit({ type: 'transfer-progress', host, ...(command ? { command } : {}), ...p });
        progress.status(host, `[${host}] ${formatTransferProgress(p)}`);
      },
    } : {}),
    pluginStep: (host, plugin, st) => {
      const command = progress.current()?.command;
      events.emit({ type: 'plugin-step', host, ...(command ? { command } : {}), plugin, ...st });
      // People see it under -v; the run log gets the line at any verbosity.
      progress.log.debug(`[${host}] ${formatPluginStep(st)}`);
    },
  };
  return { progress, runLog, events, steps, roundTrips };
}

/** `roll drain instance1 (0.2 s; server=i1 sessions=0)`: a plugin step as people read it. */
export function formatPluginStep(st: PluginStep): string {
  const facts = [
    ...(st.durationMs !== undefined ? [formatDuration(st.durationMs)] : []),
    ...Object.entries(st.fields ?? {}).map(([k, v]) => `${k}=${String(v)}`),
  ];
  return `${st.kind} ${st.step}${st.subject !== undefined ? ` ${st.subject}` : ''}${facts.length ? ` (${facts.join('; ')})` : ''}`;
}

/**
 * How many hosts run at once: -P, else the smallest `parallel` of the
 * selected host parts, else [buildout]'s `parallel`, else 1.
 */
export function parallelFor(req: RunRequest, bo: Buildout, selected: readonly string[], runtime: Runtime): number {
  if (req.parallel !== undefined) return parallelOption(req.parallel, '-P/--parallel');
  const fromParts = selected
    .map((h) => runtime.definition(h))
    .filter((h) => h.options.parallel !== undefined)
    .map((h) => configParallel(h.options.parallel, h.name));
  if (fromParts.length) return Math.min(...fromParts);
  const main = bo.hasSection('buildout') ? bo.section('buildout') : {};
  return main.parallel !== undefined ? configParallel(main.parallel, 'buildout') : 1;
}

function configParallel(value: string, section: string): number {
  try {
    return parallelOption(value, `[${section}] parallel`);
  } catch (e) {
    throw new ConfigError((e as Error).message, { option: 'parallel', ...(section === 'buildout' ? {} : { host: section }) });
  }
}

export interface PlanContext {
  progress: Progress;
  runLog: RunLog;
  events: EventSink;
  commands: string[];
  args: string[];
  /** createRunOutput's count per host, for the summary. */
  roundTrips?: ReadonlyMap<string, number>;
  /** Runs the plan instead of progress.run (an all-or-nothing deploy's phases). */
  runPlan?: (hooks: PlanHooks) => Promise<HostOutcome[]>;
  /** What an offline dry run assumed so far (filled while the plan runs). */
  assumed?: readonly Assumption[];
  /** A dry run: its plan lines counted, for the banner at its end. */
  dryRun?: DryRunTally;
}

/** One answer an offline dry run assumed instead of asking a host or reading staging. */
export interface Assumption {
  host: string;
  what: string;
}

/** The end of an offline dry run: every answer its plan rests on that was assumed, not asked or read. */
export function formatAssumed(assumed: readonly Assumption[]): string[] {
  if (!assumed.length) return [];
  return [`The plan assumed ${assumed.length === 1 ? 'this answer' : `these ${assumed.length} answers`} (not asked, not read; --dry-run without --offline asks the hosts):`,
    ...assumed.map((a) => `  [${a.host}] ${a.what}`)];
}

export async function executePlan(req: RunRequest, plan: PlannedHost[], policy: RunPolicy, c: PlanContext): Promise<number> {
  const { progress, runLog, events } = c;
  const several = plan.length > 1;
  const started = Date.now();
  const p = paint(req.colour);
  if (c.dryRun) req.stdout(p.strong(DRY_RUN_BANNER));
  events.emit({
    type: 'run-start', version: EVENTS_VERSION, hosts: plan.map((h) => h.host), commands: c.commands, args: c.args,
    options: { parallel: policy.parallel, keepGoing: policy.keepGoing, rollback: req.rollback, dryRun: req.dryRun },
  });
  // A --dry-run prints the plan as it would run: its command lines name their host already.
  if (several && !req.dryRun) progress.prefixHosts = true;
  const hooks: PlanHooks = runEventHooks(events);
  const outcomes = c.runPlan ? await c.runPlan(hooks) : await progress.run(plan, policy, hooks);
  for (const o of outcomes.filter((x) => x.result === 'not started')) {
    events.emit({ type: 'host-end', host: o.host, result: o.result, exitStatus: o.exitStatus, durationMs: 0 });
  }

  // Each failed host's error, through the CLI's one formatter (a bug of ours: exit 70 with its stack).
  for (const o of outcomes) {
    if (o.result !== 'failed') continue;
    for (const line of formatError(o.cause, { verbose: req.verbosity === 'verbose' }).lines) req.stderr(line);
  }

  let status = runExitStatus(outcomes, progress.interruptStatus);
  // The original printed the last command's result of the last host, and exited 1 when it was false.
  const last = outcomes[outcomes.length - 1];
  const shown = status === 0 ? formatReturnValue(last.value) : undefined;
  const assumed = c.assumed ?? [];
  // A value computed from assumed answers says so: it is not what the host holds.
  if (shown !== undefined) req.stdout(`Return value${assumed.length ? ' (from assumed answers)' : ''}: ${shown}`);
  if (status === 0 && last.value === false) status = 1;
  const summary = summaryOf(outcomes).map((row) => ({ ...row, ...(c.roundTrips?.get(row.host) ? { roundTrips: c.roundTrips.get(row.host) } : {}) }));
  const showSummary = (several || progress.interrupted) && !(req.verbosity === 'quiet' && status === 0);
  if (showSummary) for (const l of formatSummary(summary.map((row, i) => ({ ...row, columns: outcomes[i].columns })), { paint: p })) req.stdout(l);
  for (const l of formatAssumed(assumed)) req.stdout(l);
  if (c.dryRun) for (const l of dryRunEnd(c.dryRun, req.argv, !!req.offline, p)) req.stdout(l);
  // The run log's view writes the summary and closes the log on this event.
  events.emit({ type: 'run-end', exitStatus: status, durationMs: Date.now() - started, interrupted: progress.interrupted, summary, ...(runLog.written ? { log: runLog.path } : {}) });
  // With the progress (stdout; stderr under --json): stderr keeps the error messages alone.
  if (status !== 0 && runLog.written) req.stdout(`hostout: the log of this run is in ${runLog.path}`);
  return status;
}

