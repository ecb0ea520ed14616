/**
 * The run log: every run that touches a host appends a complete record to
 * `var/log/hostout.log` in the buildout directory: a header (time, command
 * line, hosts), every line any layer logged at any verbosity (each command,
 * its output, exit statuses, warnings, errors) with a timestamp and its host,
 * the summary, and the exit status. Capistrano's log/capistrano.log is the model.
 *
 * Why there: it is where a buildout keeps its logs, and pushdeploy's push
 * never sends it (its var/ rsync excludes `*.log`, see VAR_EXCLUDES).
 *
 * Lines are kept in memory until a step has reached its host (`open()`, called
 * when the step ends, unless it could not connect, log in or trust the host
 * key), so runs that only list, reach no host or --dry-run leave no file.
 * Secrets: the logger's lines are masked by the transport; the configured
 * secrets are masked here once more. The file is created 0600.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskSecrets } from '../transport/secret';

export const RUN_LOG = path.join('var', 'log', 'hostout.log');

export class RunLog {
  private fd: number | undefined;
  private pending: string[] = [];
  private failed = false;
  private opened = false;
  readonly path: string;

  private readonly secrets: string[] = [];

  constructor(buildoutDirectory: string, private readonly warn: (message: string) => void = () => undefined) {
    this.path = path.join(buildoutDirectory, RUN_LOG);
  }

  /** Values to mask (the selected hosts' secrets, known once they are loaded). */
  addSecrets(values: readonly string[]): void {
    this.secrets.push(...values.filter((v) => v.length > 0));
  }

  /** Whether the file was written this run. */
  get written(): boolean {
    return this.opened;
  }

  line(level: string, host: string | undefined, message: string): void {
    const stamp = new Date().toISOString();
    // The whole line is masked, host name included (a password may equal a part name).
    const text = maskSecrets(
      message.split('\n').map((l) => `${stamp} ${host ? `[${host}]` : '-'} ${level}: ${l}`).join('\n'),
      this.secrets,
    );
    if (this.fd !== undefined) this.write(`${text}\n`);
    else if (!this.failed) this.pending.push(text);
  }

  /** The run touches a host: create the file (and var/log) and write what was kept. */
  open(): void {
    if (this.fd !== undefined || this.failed) return;
    try {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      this.fd = fs.openSync(this.path, 'a', 0o600);
      this.opened = true;
    } catch (e) {
      this.failed = true;
      this.pending = [];
      this.warn(`cannot write the run log ${this.path}: ${(e as Error).message}`);
      return;
    }
    const kept = this.pending;
    this.pending = [];
    if (kept.length) this.write(`${kept.join('\n')}\n`);
  }

  private write(text: string): void {
    try {
      fs.writeSync(this.fd as number, text);
    } catch (e) {
      this.failed = true;
      this.close();
      this.warn(`cannot write the run log ${this.path}: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = undefined;
    this.pending = [];
    this.failed = true; // nothing more after the end of the run
  }
}
