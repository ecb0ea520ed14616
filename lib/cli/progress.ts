/**
 * Progress for a run: host → command → step.
 * - On a terminal (not CI, not -q/-v/--dry-run): listr2 draws a tree of hosts
 *   and commands; each step (`Hostout: Running command …`, transport lines) is
 *   shown under the running command, and the last few stay visible.
 * - Otherwise plain lines: progress on stdout (like the original's `Hostout:`
 *   lines), warnings and errors on stderr; -q keeps only warnings and errors,
 *   -v adds debug lines.
 */
import type { Logger, Verbosity } from '../log';

export interface PlannedCommand {
  name: string;
  run: () => Promise<unknown>;
}

export interface PlannedHost {
  host: string;
  commands: PlannedCommand[];
}

export interface Progress {
  /** The logger every layer writes to during the run. */
  readonly log: Logger;
  /** Run the plan in order, hosts one after the other; rejects with the first error. */
  run(plan: PlannedHost[]): Promise<void>;
}

export interface ProgressOptions {
  verbosity: Verbosity;
  /** Draw with listr2 (a terminal); otherwise plain lines. */
  fancy: boolean;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

/** Whether this process talks to a person at a terminal. */
export function isInteractiveTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!process.stdout.isTTY && !env.CI;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stdout = opts.stdout ?? ((l: string) => process.stdout.write(l + '\n'));
  const stderr = opts.stderr ?? ((l: string) => process.stderr.write(l + '\n'));
  if (!opts.fancy) {
    const quiet = opts.verbosity === 'quiet';
    const log: Logger = {
      info: (m) => { if (!quiet) stdout(m); },
      debug: (m) => { if (opts.verbosity === 'verbose') stdout(m); },
      warn: (m) => stderr(`warning: ${m}`),
      error: (m) => stderr(`error: ${m}`),
    };
    return {
      log,
      run: async (plan) => {
        for (const host of plan) for (const c of host.commands) await c.run();
      },
    };
  }

  // listr2 owns the terminal while it runs: steps go to the running task's output.
  let sink: (line: string) => void = stdout;
  const log: Logger = {
    info: (m) => sink(m),
    debug: () => undefined,
    warn: (m) => sink(`warning: ${m}`),
    error: (m) => stderr(`error: ${m}`),
  };
  return {
    log,
    run: async (plan) => {
      // Loaded only on a terminal: pipes and CI never pay for it.
      const { Listr } = require('listr2') as typeof import('listr2');
      const tasks = new Listr(
        plan.map((h) => ({
          title: h.host,
          task: (_ctx, hostTask) =>
            hostTask.newListr(
              h.commands.map((c) => ({
                title: c.name,
                task: async (_c: unknown, t: { output: string }) => {
                  sink = (line: string) => { t.output = line; };
                  try { await c.run(); } finally { sink = stdout; }
                },
                rendererOptions: { outputBar: 5, persistentOutput: false },
              })),
              { concurrent: false, exitOnError: true },
            ),
        })),
        { concurrent: false, exitOnError: true, rendererOptions: { collapseSubtasks: false } },
      );
      await tasks.run();
    },
  };
}
