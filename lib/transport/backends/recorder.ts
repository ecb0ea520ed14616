/**
 * The recorder backend: runs nothing. Every call becomes one line, in order
 * (`[host] remote(user@host:port): …`, already masked by the front), and
 * gets a canned answer: `exists` from a constant or a function, any other
 * command from the first response whose `match` is in (or matches) its line,
 * else empty output and status 0. `--dry-run --offline` prints these lines;
 * unit tests read `records`; a connecting `--dry-run` sends here every call
 * that would change something.
 */
import type { CommandResult } from '../types';
import type { Backend, Forward, LocalRun, RawResult, RemoteExec, RsyncRun, Transfer } from './backend';

/** A canned answer for commands whose record line matches. */
export interface RecordedResponse {
  match: string | RegExp;
  result: Partial<CommandResult>;
}

export interface RecorderOptions {
  /** Called with each line as it is recorded (the CLI prints the --dry-run plan with it). */
  onRecord?: (line: string) => void;
  /** What `exists` answers: a constant, or per path. Default: the call's own `assume`, else false. */
  exists?: boolean | ((path: string, hostName: string) => boolean);
  /** Per-command results; the first whose `match` is in (or matches) the record line wins. Default: empty output, code 0. */
  responses?: RecordedResponse[];
  /** Say after each answer to a question that it was assumed, not asked (the CLI's `--dry-run --offline`). */
  markAssumed?: boolean;
  /** Called with each answer assumed instead of asked (the run's end lists them). */
  onAssumed?: (hostName: string, what: string) => void;
}

export class Recorder implements Backend {
  readonly records: string[] = [];

  constructor(private readonly opts: RecorderOptions = {}) {}

  private write(hostName: string, text: string): void {
    const line = `[${hostName}] ${text}`;
    this.records.push(line);
    this.opts.onRecord?.(line);
  }

  private answer(record: string): RawResult {
    const hit = this.opts.responses?.find((r) => (typeof r.match === 'string' ? record.includes(r.match) : r.match.test(record)));
    return { stdout: '', stderr: '', code: 0, ...hit?.result };
  }

  /** Opening a connection is not recorded: it changes nothing, and a dry run's plan lists what would. */
  connect(): void {}

  async exec(call: RemoteExec): Promise<RawResult> {
    this.write(call.host.name, call.record);
    if (!call.question) return this.answer(call.record);
    const e = this.opts.exists;
    // No canned answer: the caller's assumption (the one that lets a plan go on), else "does not exist".
    const yes = e === undefined ? !!call.question.assume : typeof e === 'function' ? e(call.question.exists, call.host.name) : e;
    const what = `${call.question.shown} ${yes ? 'exists' : 'does not exist'}`;
    if (this.opts.markAssumed) this.write(call.host.name, `  (assumed, not asked: ${what})`);
    this.opts.onAssumed?.(call.host.name, what);
    return { stdout: '', stderr: '', code: yes ? 0 : 1 };
  }

  async put(call: Transfer): Promise<void> {
    this.write(call.host.name, call.record);
  }

  async get(call: Transfer): Promise<void> {
    this.write(call.host.name, call.record);
  }

  async local(call: LocalRun): Promise<RawResult> {
    this.write(call.host.name, call.record);
    return this.answer(call.record);
  }

  async rsync(call: RsyncRun): Promise<RawResult> {
    this.write(call.host.name, call.record);
    return this.answer(call.record);
  }

  /** The canned answer's stdout is what the service answers (default: nothing). */
  async forward(call: Forward): Promise<Buffer> {
    this.write(call.host.name, call.record);
    return Buffer.from(this.answer(call.record).stdout);
  }

  async close(): Promise<void> {}
}
