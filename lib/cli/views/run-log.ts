/**
 * The run log's view of the events (run-log.ts keeps the file): the header
 * with the command line, each host's and command's start and end, each step
 * and rsync's figures, then the summary and the exit status. Warnings and the
 * other logged lines reach the log as lines (progress.ts's `tap`), not here.
 */
import type { EventSink } from '../../events';
import type { RunLog } from '../run-log';
import { formatSummary } from './summary';

export interface RunLogViewOptions {
  /** The command line as typed and where it ran: the header names them. */
  argv: readonly string[];
  cwd: string;
}

export function runLogView(runLog: RunLog, opts: RunLogViewOptions): EventSink {
  return {
    emit: (e) => {
      switch (e.type) {
        case 'run-start':
          runLog.line('run', undefined, `hostout ${opts.argv.join(' ')} (in ${opts.cwd}; hosts ${e.hosts.join(' ')}; ${e.options.parallel} at once${e.options.keepGoing ? ', keep going' : ''})`);
          return;
        case 'host-start':
          runLog.line('host', e.host, 'start');
          return;
        case 'command-start':
          runLog.line('command', e.host, `${e.command}: start`);
          return;
        case 'command-end':
          runLog.line('command', e.host, `${e.command}: ${e.status} in ${e.durationMs} ms${e.error !== undefined ? `: ${e.error}` : ''}`);
          return;
        case 'host-end':
          // A host that never started has no lines of its own: the summary says so.
          if (e.result !== 'not started') runLog.line('host', e.host, `end: ${e.result} (exit status ${e.exitStatus}) in ${e.durationMs} ms`);
          return;
        case 'step':
          runLog.line('step', e.host, `${e.kind} ${e.status === null ? 'no exit status' : `exit ${e.status}`} in ${e.durationMs} ms: ${e.line}`);
          return;
        case 'rsync':
          runLog.line('rsync', e.host, `${e.filesSent} files sent, ${e.bytesSent} bytes sent, ${e.deleted} deleted`);
          return;
        case 'run-end':
          for (const l of formatSummary(e.summary)) runLog.line('summary', undefined, l);
          runLog.line('run', undefined, `exit status ${e.exitStatus}`);
          runLog.close();
          return;
        default:
          // Events this view has no line for (new kinds, warnings) leave the log as it is.
          return;
      }
    },
  };
}
