/**
 * Executing a run's plan: its output (progress, events, run log), the
 * scheduling policy, the messages of failed hosts, the summary table and the
 * exit status (docs/cli.md).
 */
import type { Buildout } from '../buildout';
import { ConfigError } from '../errors';
import { EVENTS_VERSION, fanOut, type EventSink, type StepSink } from '../events';
import type { Runtime } from '../hostout/dispatch';
import { formatError } from './format-error';
import { formatReturnValue } from './listing';
import { secretsOf } from './instrument';
import { parallelOption } from './options';
import { createProgress, type Progress } from './progress';
import { runEventHooks, runExitStatus, summaryOf, type HostOutcome, type PlanHooks, type PlannedHost, type RunPolicy } from './schedule';
import { RunLog } from './run-log';
import { paint } from './io';
import { DRY_RUN_BANNER, dryRunEnd, type DryRunTally } from './views/dry-run';
import { jsonView } from './views/json';
import { runLogView } from './views/run-log';
import { formatSummary } from './views/summary';
import type { RunRequest } from './run';

export interface RunOutput {
  progress: Progress;
  runLog: RunLog;
  events: EventSink;
  /** What the transport reports its steps to. */
  steps: StepSink;
}

/**
 * Progress, events and the run log of one run. Every logged line goes to the
 * run log (any verbosity) and, for warnings, to the events.
 */
export function createRunOutput(req: RunRequest, buildoutDirectory: string, hostNames: readonly string[]): RunOutput {
  const runLog = new RunLog(buildoutDirectory, (m) => req.stderr(`hostout: warning: ${m}`));
  // The views that read the run's events: --json (stdout) and the run log.
  const events = fanOut(req.json ? jsonView(req.json) : undefined, runLogView(runLog, { argv: req.argv, cwd: req.cwd }));
  const progress = createProgress({
    verbosity: req.verbosity,
    fancy: !req.json && !req.dryRun && req.verbosity === 'normal' && req.isTTY && !req.env.CI,
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
  const steps: StepSink = {
    step: (s) => {
      const command = progress.current()?.command;
      events.emit({ type: 'step', host: s.host, ...(command ? { command } : {}), kind: s.kind, line: s.line, status: s.status, durationMs: s.durationMs });
    },
    rsyncStats: (host, st) => {
      const command = progress.current()?.command;
      events.emit({ type: 'rsync', host, ...(command ? { command } : {}), ...st });
    },
  };
  return { progress, runLog, events, steps };
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
  /** Runs the plan instead of progress.run (an all-or-nothing deploy's phases). */
  runPlan?: (hooks: PlanHooks) => Promise<HostOutcome[]>;
  /** A dry run: its plan lines counted, for the banner at its end. */
  dryRun?: DryRunTally;
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
  if (shown !== undefined) req.stdout(`Return value: ${shown}`);
  if (status === 0 && last.value === false) status = 1;
  const summary = summaryOf(outcomes);
  const showSummary = (several || progress.interrupted) && !(req.verbosity === 'quiet' && status === 0);
  if (showSummary) for (const l of formatSummary(summary, { paint: p })) req.stdout(l);
  if (c.dryRun) for (const l of dryRunEnd(c.dryRun, req.argv, !!req.offline, p)) req.stdout(l);
  // The run log's view writes the summary and closes the log on this event.
  events.emit({ type: 'run-end', exitStatus: status, durationMs: Date.now() - started, interrupted: progress.interrupted, summary, ...(runLog.written ? { log: runLog.path } : {}) });
  // With the progress (stdout; stderr under --json): stderr keeps the error messages alone.
  if (status !== 0 && runLog.written) req.stdout(`hostout: the log of this run is in ${runLog.path}`);
  return status;
}


/** The values a host's output must never show: its settings' secrets, else its secret-named options. */
export function hostSecrets(runtime: Runtime, host: string): string[] {
  const def = runtime.definition(host);
  return [...(def.settings?.secrets ?? []), ...secretsOf(def.options)];
}
