/**
 * Run events: what happened during a run, as data. `hostout --json` writes
 * them to stdout as newline-delimited JSON (docs/events.schema.json is their
 * schema, versioned by EVENTS_VERSION); the run log and the summary are built
 * from the same calls.
 *
 * The transport reports the steps it runs through a StepSink (one call per
 * remote command, local command, rsync or sftp transfer, after it ended), so
 * it needs to know nothing about hostout commands, JSON or files: the run
 * adds the hostout command and the time.
 */

import type { TransferProgress } from './transport/rsync-progress';

export type { TransferProgress };

/** Bump when an event changes shape; additions of optional fields keep it. */
export const EVENTS_VERSION = 1;

/**
 * How a host ended: ok; failed; not started (an earlier failure or an
 * interrupt); interrupted; and in an all-or-nothing deploy, rolled back
 * (it went live, another host failed, it is back on its release before) or
 * stopped (it prepared, another host failed before it went live).
 */
export type HostResult = 'ok' | 'failed' | 'not started' | 'interrupted' | 'rolled back' | 'stopped';

/** One row of the summary table (and of the run-end event). */
export interface HostSummary {
  host: string;
  /** The commands that ended, in order. */
  commands: string[];
  result: HostResult;
  /** The exit status this host alone would give (0 ok, 1 command, 69 unreachable, 75 locked, 130 interrupted). */
  exitStatus: number;
  /** Why it failed, when it did (the message the CLI prints). */
  error?: string;
  /** The release live before and after the run, when the commands report it. */
  releaseBefore?: string;
  releaseAfter?: string;
  /**
   * Commands this host's connection ran besides the rsync transfers (its
   * `remote`, `sudo`, `put` and `get` steps): each one waits for production's
   * answer, a round trip the login and the transfers do not include. Absent
   * when the host ran none.
   */
  roundTrips?: number;
  durationMs: number;
}

/** A step as the transport reports it. */
export interface StepReport {
  /** The hostout host (part) the step ran for. */
  host: string;
  /** What ran: `remote`, `sudo`, `local`, `rsync`, `put`, `get`, `http` (remote.httpGet), `socket` (remote.socketExchange). */
  kind: string;
  /** The command line, secrets masked. */
  line: string;
  /** Exit status; null when killed by a signal or when the step could not start. */
  status: number | null;
  durationMs: number;
}

/** rsync's own figures for one transfer (from --stats). */
export interface RsyncStats {
  filesSent: number;
  bytesSent: number;
  deleted: number;
  /** Files rsync looked at (the file list). */
  files?: number;
}

/**
 * A named step of a plugin's own (`ctx.report`): pushdeploy's roll reports
 * drain, drained, restart, healthy and ready for each instance. Names are
 * lower-case words (`[a-z][a-z0-9-]*`); `fields` holds plain values only.
 */
export interface PluginStep {
  /** What the step belongs to, e.g. `roll`. */
  kind: string;
  /** The step, e.g. `drain`. */
  step: string;
  /** What it acted on, e.g. an instance's name. */
  subject?: string;
  /** How long the step took, when it took time. */
  durationMs?: number;
  /** More facts about the step (the haproxy server, a session count…). */
  fields?: Record<string, string | number | boolean>;
}

interface Timed { time: string }

export type HostoutEvent = Timed & (
  | { type: 'run-start'; version: number; hosts: string[]; commands: string[]; args: string[]; options: { parallel: number; keepGoing: boolean; rollback: boolean; dryRun: boolean } }
  | { type: 'host-start'; host: string }
  | { type: 'command-start'; host: string; command: string }
  | { type: 'command-end'; host: string; command: string; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; error?: string }
  | { type: 'step'; host: string; command?: string; kind: string; line: string; status: number | null; durationMs: number }
  | ({ type: 'plugin-step'; host: string; command?: string; plugin: string } & PluginStep)
  | { type: 'rsync'; host: string; command?: string; filesSent: number; bytesSent: number; deleted: number; files?: number }
  | ({ type: 'transfer-progress'; host: string; command?: string } & TransferProgress)
  | { type: 'warning'; host?: string; message: string }
  | { type: 'assumed'; host: string; what: string }
  | { type: 'host-end'; host: string; result: HostResult; exitStatus: number; durationMs: number; error?: string }
  | { type: 'run-end'; exitStatus: number; durationMs: number; interrupted: boolean; summary: HostSummary[]; log?: string }
);

/** Distributes an event's fields without `time`: the sink stamps it. */
export type EventInput = HostoutEvent extends infer E ? (E extends Timed ? Omit<E, 'time'> : never) : never;

/** Where the transport reports each step and each rsync's statistics. */
export interface StepSink {
  step(report: StepReport): void;
  rsyncStats(host: string, stats: RsyncStats): void;
  /** A running rsync's progress; when absent, rsync runs without --info=progress2 (nobody follows it). */
  transferProgress?(host: string, progress: TransferProgress): void;
  /** A plugin's own step (ctx.report), already checked; `plugin` is its name. */
  pluginStep?(host: string, plugin: string, step: PluginStep): void;
}

/** Where events go. */
export interface EventSink {
  emit(event: EventInput): void;
}

/** Newline-delimited JSON, one write per event, so events never interleave. */
export function jsonLinesSink(write: (text: string) => void): EventSink {
  return { emit: (event) => write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`) };
}

export function fanOut(...sinks: (EventSink | undefined)[]): EventSink {
  const live = sinks.filter((s): s is EventSink => !!s);
  return { emit: (event) => { for (const s of live) s.emit(event); } };
}

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** `9,252`, `9.252` (locales), `9252`, or with -h `821.43K` (units of 1000): a whole number. */
const number = (text: string | undefined): number => {
  const m = /^([\d,.]+)([KMGT]?)$/.exec(text ?? '0');
  if (!m) return 0;
  if (m[2]) return Math.round(Number(m[1].replace(/,/g, '')) * UNITS[m[2]]);
  return Number(m[1].replace(/[,.]/g, ''));
};

/**
 * rsync's `--stats` block (rsync 3.x, any locale that groups digits with , or .):
 * files transferred ("Number of regular files transferred", older rsyncs
 * "Number of files transferred"), "Total bytes sent", "Number of deleted files".
 * Undefined when the output has no statistics.
 */
export function parseRsyncStats(stdout: string): RsyncStats | undefined {
  const sent = /^Total bytes sent: ([\d,.]+[KMGT]?)/m.exec(stdout);
  if (!sent) return undefined;
  const transferred = /^Number of (?:regular )?files transferred: ([\d,.]+[KMGT]?)/m.exec(stdout);
  const deleted = /^Number of deleted files: ([\d,.]+[KMGT]?)/m.exec(stdout);
  const files = /^Number of files: ([\d,.]+[KMGT]?)/m.exec(stdout);
  return {
    filesSent: number(transferred?.[1]),
    bytesSent: number(sent[1]),
    deleted: number(deleted?.[1]),
    ...(files ? { files: number(files[1]) } : {}),
  };
}
