/**
 * The listr2 view (a terminal, not CI, not -q/-v/--dry-run/--json): every
 * host of a plan side by side (concurrent), each with its commands and the
 * running command's last steps; a transfer's progress is the task's output
 * line. listr2 owns the terminal while it draws: logged lines, and the
 * question of a prompt (a sudo password, a key's passphrase), go to the
 * running command's task output (errors to stderr).
 *
 * It follows the plan's events (schedule.ts): a host's task starts drawing
 * at host-start (or is skipped at host-skipped), a command's task ends at
 * command-end, and the scheduler holds each command until its task is drawn
 * (commandShown), so the command's first lines land under it.
 */
import type { Logger } from '../../log';
import { NO_PAINT, type Paint } from '../io';
import { deferred, messageOf, type PlanObserver, type PlannedHost, type RunPolicy } from '../schedule';
import type { LiveView, LiveViewOptions } from './live';

export function listrView(opts: LiveViewOptions & {
  /** The run's secret mask (output-mask.ts), for what listr2 draws itself: titles and a task's output line. */
  mask?: (text: string) => string;
  paint?: Paint;
}): LiveView {
  const p = opts.paint ?? NO_PAINT;
  const masked = opts.mask ?? ((t: string) => t);
  /** The running command's task output of each host. */
  const outputs = new Map<string, (line: string) => void>();
  const sinkFor = (host: string | undefined): ((line: string) => void) => (host && outputs.get(host)) || opts.stdout;
  const log: Logger = {
    info: (m) => { const h = opts.hostOf(m); opts.tap('info', h, m); sinkFor(h)(m); },
    debug: (m) => opts.tap('debug', opts.hostOf(m), m),
    warn: (m) => { const h = opts.hostOf(m); opts.tap('warn', h, m); sinkFor(h)(`${p.warning('warning:')} ${m}`); },
    error: (m) => { opts.tap('error', opts.hostOf(m), m); opts.stderr(`${p.error('error:')} ${m}`); },
  };

  const follow = (plan: readonly PlannedHost[], policy: RunPolicy): PlanObserver & { drawn: Promise<void> } => {
    // Loaded only on a terminal: pipes and CI never pay for it.
    const { Listr } = require('listr2') as typeof import('listr2');
    const started = new Map(plan.map((h) => [h.host, deferred<boolean>()]));
    const commandDone = new Map(plan.map((h) => [h.host, h.commands.map(() => deferred())]));
    const commandShown = new Map(plan.map((h) => [h.host, h.commands.map(() => deferred())]));
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
    const drawn = tasks.run().then(() => undefined, () => undefined);
    return {
      drawn,
      commandShown: (host, index) => commandShown.get(host)![index].promise,
      event: (e) => {
        switch (e.type) {
          case 'host-start':
            started.get(e.host)!.resolve(true);
            break;
          case 'host-skipped':
            started.get(e.outcome.host)!.resolve(false);
            break;
          case 'command-end': {
            const d = commandDone.get(e.host)![e.index];
            if (e.status === 'ok') d.resolve();
            // listr2 prints the reason under the task: masked like every other line.
            else d.reject(new Error(masked(messageOf(e.error))));
            break;
          }
          case 'host-end':
            outputs.delete(e.outcome.host);
            // Commands after a failure never ran: end their tasks so listr2 finishes.
            for (const d of commandDone.get(e.outcome.host)!) d.reject(new Error('not run'));
            break;
          case 'command-start':
            break;
        }
      },
    };
  };

  return {
    log,
    status: (host, line) => outputs.get(host)?.(line),
    // listr2 holds stderr's writes until it ends: the question goes under its host's running task.
    showPrompt: (question) => sinkFor(opts.hostOf(question))(question.trimEnd()),
    prefixHosts: false,
    follow,
  };
}
