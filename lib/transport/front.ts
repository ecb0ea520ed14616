/**
 * The transport front: ONE implementation of the primitives (`ctx.remote`,
 * `ctx.local`, `ctx.rsync`) over a backend. Everything every primitive needs
 * is done here once: choosing the identity, building the command line (cwd,
 * env, shell, su/sudo), the sudo responder, masking, echo and -v lines,
 * turning a failed command into a CommandError, and the run mode:
 *
 * - real: every call goes to the backend (ssh and local processes);
 * - preview (`--dry-run`): calls that only ask (`exists`, `readOnly`
 *   commands) run on the real host; rsync runs for real as
 *   `rsync --dry-run --itemize-changes` and reports the file delta; every
 *   other call goes to the recorder and is printed instead of run;
 * - record (`--dry-run --offline`, unit tests): everything goes to the recorder.
 *
 * A backend (backends/) only executes or records. A new primitive is a
 * method here plus, where it needs one, a backend method.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tmp from 'tmp';
import { CommandError, ConfigError, HostoutError, TransportError } from '../errors';
import { refuseSudo } from './no-sudo';
import type { Logger } from '../log';
import type { Backend, Forward, OutputSinks, RawResult } from './backends/backend';
import { localCommand, rsyncIntoEmptyArgv, sudoLine, withCwdAndEnv, wrapInShell, type Placement } from './command-line';
import type { HostSettings, Identity } from './host-settings';
import { shellJoin, shellQuote } from './quote';
import { SudoResponder } from './responder';
import { summariseItemized } from './rsync-delta';
import { ProgressSplitter, throttleProgress } from './rsync-progress';
import { ITEMIZED_OUT_FORMAT, ItemizedFilter, sourceRoots, splitItemized } from './rsync-recheck';
import { shownRsyncArgv } from './rsync';
import { maskSecrets, toLine, type CommandText, type Line } from './secret';
import type { SudoPasswords } from './sudo-password';
import type {
  CommandResult, ForwardOptions, HostTransport, HttpAnswer, LocalRunOptions, SocketExchangeOptions, LocalShell, RemoteRunOptions, RemoteShell, Rsync, RsyncOptions, SudoOptions,
} from './types';

export type RunMode = 'real' | 'preview' | 'record';

export interface FrontDeps {
  mode: RunMode;
  /** Real mode and preview: the executing backend. Record mode: the recorder. */
  backend: Backend;
  /** Preview: where every call that would change something goes. */
  recorder?: Backend;
  log: Logger;
  sudoPasswords: SudoPasswords;
  /** A terminal is there (local su/sudo may ask on it). */
  interactive: boolean;
}

const STDERR_TAIL_LINES = 10;
/** At most two progress updates a second per transfer. */
const PROGRESS_INTERVAL_MS = 500;

export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Streams output lines to the log as `[host] out: ...`, masked (info with `echo`, else debug). */
function lineSink(prefix: string, emit: (line: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let partial = '';
  return {
    push(chunk) {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) emit(`${prefix}${l}`);
    },
    flush() {
      if (partial) emit(`${prefix}${partial}`);
      partial = '';
    },
  };
}

type As = 'login' | 'buildout' | undefined;

export class HostFront implements HostTransport {
  readonly remote: RemoteShell;
  readonly local: LocalShell;
  readonly rsync: Rsync;

  constructor(readonly settings: HostSettings, private readonly deps: FrontDeps) {
    this.remote = {
      run: (command, o) => this.remoteRun(command, o),
      sudo: (command, o) => this.remoteSudo(command, o),
      put: (localPath, remotePath, o = {}) => this.transfer('put', o.as, localPath, remotePath, o.mode),
      get: (remotePath, localPath, o = {}) => this.transfer('get', o.as, localPath, remotePath),
      exists: (path, o = {}) => this.exists(path, o.as, o.assume),
      // Opening a connection changes nothing on the host: a preview may open it too.
      connect: (o = {}) => this.backendFor(true).connect({ host: this.settings, identity: this.identity(o.as) }),
      httpGet: (url, o = {}) => this.httpGet(url, o),
      socketExchange: (path, text, o = {}) => this.socketExchange(path, text, o),
    };
    this.local = { run: (command, o) => this.localRun(command, o) };
    this.rsync = (o) => this.runRsync(o);
  }

  private identity(as: As): Identity {
    return as === 'buildout' ? this.settings.buildout : this.settings.login;
  }

  private target(identity: Identity): string {
    return `${identity.user}@${this.settings.hostname}:${this.settings.port}`;
  }

  private mask(text: string, extra: readonly string[] = []): string {
    return maskSecrets(text, [...this.settings.secrets, ...extra]);
  }

  /**
   * A plugin's command and env as they enter the front: the host's secrets are
   * masked in `shown` here, before any quoting or wrapping could change how
   * they are spelled.
   */
  private entry(command: CommandText, o: Placement): { line: Line; placement: Placement } {
    const line = toLine(command);
    const env = o.env && Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, typeof v === 'string' ? { actual: v, shown: this.mask(v), secrets: [] } : v]));
    return { line: { ...line, shown: this.mask(line.shown) }, placement: { cwd: o.cwd, env } };
  }

  /** The backend for a call: a preview runs only what asks, and records what would change. */
  private backendFor(readOnly: boolean): Backend {
    const { mode, backend, recorder } = this.deps;
    return mode === 'preview' && !readOnly ? (recorder as Backend) : backend;
  }

  /** Whether the call runs for real (then -v shows it; recorded calls are printed by the recorder). */
  private executes(readOnly: boolean): boolean {
    return this.deps.mode === 'real' || (this.deps.mode === 'preview' && readOnly);
  }

  private sinks(prefix: string, echo: boolean | undefined, secrets: readonly string[]): OutputSinks & { flush(): void } {
    const { log } = this.deps;
    const emit = (l: string) => (echo ? log.info(this.mask(l, secrets)) : log.debug(this.mask(l, secrets)));
    const out = lineSink(`${prefix} out: `, emit);
    const err = lineSink(`${prefix} err: `, emit);
    return { onStdout: (c) => out.push(c), onStderr: (c) => err.push(c), flush: () => { out.flush(); err.flush(); } };
  }

  /** One CommandError for every failed command, whichever primitive ran it. */
  private failure(target: string, shown: string, r: RawResult, secrets: readonly string[]): CommandError {
    const tail = this.mask(stderrTail(r.stderr), secrets);
    const status = r.code === null ? `signal ${r.signal ?? 'unknown'}` : `exit status ${r.code}`;
    const indented = tail ? `\n${tail.split('\n').map((l) => `  ${l}`).join('\n')}` : '';
    return new CommandError(`command failed on ${target} with ${status}: ${shown}${indented}`, {
      host: this.settings.name, command: shown, status: r.code, signal: r.signal, target, stderrTail: tail,
    });
  }

  private async remoteExec(
    as: As, line: Line, o: RemoteRunOptions, extra: { responder?: SudoResponder; record?: string; question?: { exists: string; shown: string; assume?: boolean } } = {},
  ): Promise<CommandResult> {
    const identity = this.identity(as);
    const target = this.target(identity);
    const shown = this.mask(line.shown);
    const record = extra.record ?? `remote(${target}): ${shown}`;
    const readOnly = !!o.readOnly || !!extra.question;
    if (this.executes(readOnly)) this.deps.log.debug(`[${this.settings.name}] ${record}`);
    const sinks = this.sinks(`[${this.settings.name}]`, o.echo, line.secrets);
    let r: RawResult;
    try {
      r = await this.backendFor(readOnly).exec({
        host: this.settings, identity, line, record, stdin: o.stdin, responder: extra.responder, question: extra.question, cleanup: o.cleanup, ...sinks,
      });
    } finally {
      sinks.flush();
    }
    if (r.code !== 0 && !o.allowFailure) throw this.failure(target, shown, r, line.secrets);
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  }

  private remoteRun(command: CommandText, o: RemoteRunOptions = {}): Promise<CommandResult> {
    const { line, placement } = this.entry(command, o);
    return this.remoteExec(o.as, wrapInShell(withCwdAndEnv(line, placement), this.settings.shell), o);
  }

  private async remoteSudo(command: CommandText, o: SudoOptions = {}): Promise<CommandResult> {
    const entered = this.entry(command, o);
    const line = withCwdAndEnv(entered.line, entered.placement);
    refuseSudo(this.settings, `run '${line.shown}' with sudo`);
    const identity = this.identity(o.as);
    const responder = new SudoResponder(this.deps.sudoPasswords.forHost(this.settings, identity.user));
    return this.remoteExec(o.as, sudoLine(line, { user: o.user, shell: this.settings.shell }), o, { responder });
  }

  private async exists(path: string, as: As, assume?: boolean): Promise<boolean> {
    const line = toLine(`test -e ${shellQuote(path)}`);
    const target = this.target(this.identity(as));
    const shownPath = this.mask(path);
    const r = await this.remoteExec(as, line, { allowFailure: true }, { record: `exists(${target}): ${shownPath}`, question: { exists: path, shown: shownPath, assume } });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new CommandError(`cannot tell whether ${shownPath} exists on ${target} (exit status ${r.code}): ${this.mask(r.stderr.trim())}`, {
      host: this.settings.name, command: line.shown, status: r.code, target, stderrTail: this.mask(stderrTail(r.stderr)),
    });
  }

  private async transfer(kind: 'put' | 'get', as: As, localPath: string, remotePath: string, mode?: number): Promise<void> {
    const identity = this.identity(as);
    const target = this.target(identity);
    const what = this.mask(kind === 'put' ? `${localPath} -> ${remotePath}` : `${remotePath} -> ${localPath}`);
    const record = `${kind}(${target}): ${what}${mode !== undefined ? ` (mode ${mode.toString(8).padStart(4, '0')})` : ''}`;
    if (this.executes(false)) this.deps.log.debug(`[${this.settings.name}] ${record}`);
    const backend = this.backendFor(false);
    const call = { host: this.settings, identity, record, localPath, remotePath, mode };
    try {
      await (kind === 'put' ? backend.put(call) : backend.get(call));
    } catch (e) {
      if (e instanceof HostoutError) throw e;
      const message = this.mask((e as Error).message);
      const detail = message.replace(/^.*?:\s*/, '') || message;
      throw new CommandError(`${kind} ${what} on ${target} failed: ${detail}`, {
        host: this.settings.name, command: `${kind} ${what}`, target, stderrTail: message,
      });
    }
  }

  /**
   * One exchange with a service on the host over the ssh connection. A failure
   * of the exchange itself (refused, no answer) is the service's, a
   * CommandError naming it; a failure of the connection stays a TransportError.
   */
  private async forward(as: As, to: Forward['to'], request: Buffer, what: string, o: { readOnly: boolean; timeoutMs?: number; cleanup?: boolean }): Promise<Buffer | undefined> {
    const identity = this.identity(as);
    const target = this.target(identity);
    const record = this.mask(what.replace(/^(\S+) /, `$1(${target}): `));
    if (this.executes(o.readOnly)) this.deps.log.debug(`[${this.settings.name}] ${record}`);
    const backend = this.backendFor(o.readOnly);
    try {
      const answer = await backend.forward({ host: this.settings, identity, record, to, request, timeoutMs: o.timeoutMs ?? 10_000, cleanup: o.cleanup });
      // A recorder that was given no answer: the caller says what it assumes.
      return answer.length === 0 && !this.executes(o.readOnly) ? undefined : answer;
    } catch (e) {
      if (e instanceof TransportError && e.kind !== 'other') throw e;
      if (e instanceof HostoutError && !(e instanceof TransportError)) throw e;
      // The backend's own words, without its host prefix and target (said here once).
      const reason = e instanceof HostoutError ? e.reason : (e as Error).message;
      const detail = this.mask(reason.replace(` on ${target}`, ''));
      throw new CommandError(`${this.mask(what)} on ${target} failed: ${detail}`, { host: this.settings.name, command: this.mask(what), target, cause: e });
    }
  }

  private async httpGet(url: string, o: ForwardOptions): Promise<HttpAnswer> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`'${this.mask(url)}' is not a URL (e.g. http://127.0.0.1:8080/)`, { host: this.settings.name });
    }
    if (parsed.protocol !== 'http:' || parsed.username || parsed.password) {
      throw new ConfigError(`'${this.mask(url)}': only plain http:// URLs without a user can be asked on the host`, { host: this.settings.name });
    }
    const address = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = parsed.port ? Number(parsed.port) : 80;
    const request = `GET ${parsed.pathname}${parsed.search} HTTP/1.0\r\nHost: ${parsed.host}\r\nUser-Agent: hostout\r\nConnection: close\r\n\r\n`;
    const shown = this.mask(url);
    const raw = await this.forward(o.as, { address, port }, Buffer.from(request), `http-get ${url}`, { readOnly: true, timeoutMs: o.timeoutMs, cleanup: o.cleanup });
    if (raw === undefined) return { status: 200, body: '' };
    const text = raw.toString('utf8');
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
    if (!status) {
      const target = this.target(this.identity(o.as));
      throw new CommandError(`GET ${shown} on ${target}: not an HTTP answer (${JSON.stringify(this.mask(text.slice(0, 60)))})`, { host: this.settings.name, command: `GET ${shown}`, target });
    }
    const split = text.indexOf('\r\n\r\n');
    return { status: Number(status[1]), body: split < 0 ? '' : text.slice(split + 4) };
  }

  private async socketExchange(path: string, text: string, o: SocketExchangeOptions): Promise<string> {
    const first = text.split('\n')[0];
    const raw = await this.forward(o.as, { socket: path }, Buffer.from(text), `socket ${path} <- ${first}`, { readOnly: !!o.readOnly, timeoutMs: o.timeoutMs, cleanup: o.cleanup });
    return raw === undefined ? '' : raw.toString('utf8');
  }

  private async localRun(command: CommandText, o: LocalRunOptions = {}): Promise<CommandResult> {
    const { line, placement } = this.entry(command, o);
    const cmd = localCommand(line, { ...o, ...placement }, os.userInfo().username, process.getuid?.() === 0);
    const shown = this.mask(cmd.shown);
    const record = `local: ${shown}`;
    const readOnly = !!o.readOnly;
    if (this.executes(readOnly)) this.deps.log.debug(`[${this.settings.name}] ${record}`);
    const sinks = this.sinks('[localhost]', o.echo, cmd.secrets);
    const env = o.env ? Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, typeof v === 'string' ? v : v.reveal()])) : undefined;
    let r: RawResult;
    try {
      r = await this.backendFor(readOnly).local({
        host: this.settings, record, command: cmd, cwd: o.cwd, env, stdin: o.stdin, interactive: this.deps.interactive, ...sinks,
      });
    } finally {
      sinks.flush();
    }
    if (r.code !== 0 && !o.allowFailure) throw this.failure('localhost', shown, r, cmd.secrets);
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  }

  private async runRsync(o: RsyncOptions): Promise<CommandResult> {
    const identity = this.identity(o.as);
    const preview = this.deps.mode === 'preview';
    // Progress only for a real transfer someone follows: a preview's stdout is its itemized delta.
    const progress = this.deps.mode === 'real' && o.onProgress ? throttleProgress(o.onProgress, PROGRESS_INTERVAL_MS) : undefined;
    // A real push names what it changed, to find the files whose content it took as unchanged (rsync-recheck.ts).
    // (Not for a caller's own --dry-run, whose itemized output is what it asked for.)
    const recheck = this.deps.mode === 'real' && o.direction === 'push' && !(o.extra ?? []).some((a) => a === '--dry-run' || a === '-n');
    const extraFlags = preview ? ['--dry-run', '--itemize-changes'] : [...(progress ? ['--info=progress2'] : []), ...(recheck ? [ITEMIZED_OUT_FORMAT] : [])];
    const shownArgv = shownRsyncArgv({ host: this.settings, identity, options: o, extraFlags: [] });
    const shown = this.mask(shellJoin(shownArgv));
    const record = `rsync: ${shown}`;
    const { log } = this.deps;
    if (preview) await this.deps.recorder?.rsync({ host: this.settings, identity, record, options: o, extraFlags, responder: () => this.rsyncResponder(identity), interactive: false });
    else if (this.executes(false)) log.debug(`[${this.settings.name}] ${record}`);
    if (preview && o.direction === 'push' && !(await this.exists(o.to, o.as))) return this.previewIntoNothing(o);
    const output = this.sinks('[localhost] rsync:', preview ? false : o.echo, []);
    // The itemized lines are hostout's own: the caller and the log see rsync's output without them.
    const itemized = recheck ? new ItemizedFilter(output.onStdout) : undefined;
    const lines = itemized ? { ...output, onStdout: (c: Buffer) => itemized.push(c), flush: () => { itemized.flush(); output.flush(); } } : output;
    // Progress updates (carriage-return lines) become progress; the rest of stdout stays lines.
    const split = progress && new ProgressSplitter((p) => progress.update(p), (text) => lines.onStdout?.(Buffer.from(text)));
    const sinks = split ? { ...lines, onStdout: (c: Buffer) => split.push(c) } : lines;
    let r: RawResult;
    try {
      // A preview runs rsync itself, read-only: --dry-run changes nothing and tells what would change.
      r = await this.deps.backend.rsync({
        host: this.settings, identity, record, options: o, extraFlags, responder: () => this.rsyncResponder(identity), interactive: this.deps.interactive, ...sinks,
      });
    } finally {
      split?.flush();
      progress?.end();
      lines.flush();
    }
    if (r.code !== 0) throw this.failure(this.target(identity), shown, r, []);
    // The itemized lines themselves went to -v as rsync's output; the summary is for everyone.
    if (preview) log.info(`[${this.settings.name}] rsync would ${summariseItemized(r.stdout).summary}`);
    if (!recheck) return { stdout: r.stdout, stderr: r.stderr, code: r.code };
    const { recheck: names, rest } = splitItemized(r.stdout);
    let stdout = rest;
    let stderr = r.stderr;
    if (names.length) {
      log.debug(`[${this.settings.name}] rsync took ${names.length} file(s) of the same size and time but other attributes as unchanged: pushing them again, compared by checksum`);
      for (const pass of this.recheckPasses(o, names)) {
        const second = await this.recheckPass(o, identity, pass.root, pass.names);
        stdout += second.stdout;
        stderr += second.stderr;
      }
    }
    return { stdout, stderr, code: r.code };
  }

  /** The files of a push to check again, grouped by the source directory their names are relative to. */
  private recheckPasses(o: RsyncOptions, names: Buffer[]): { root: string; names: Buffer[] }[] {
    const roots = sourceRoots(o.from, o.relative);
    const byRoot = new Map<string, Buffer[]>();
    for (const name of names) {
      const n = name.toString('utf8');
      const candidates = roots.filter((r) => r.prefix === '' || n === r.prefix || n.startsWith(`${r.prefix}/`));
      // Several sources may hold a name: rsync sent the first that has it.
      const from = candidates.length > 1 ? (candidates.find((r) => fs.existsSync(path.join(r.root, n))) ?? candidates[0]) : candidates[0];
      if (!from) continue;
      byRoot.set(from.root, [...(byRoot.get(from.root) ?? []), name]);
    }
    return [...byRoot].map(([root, list]) => ({ root, names: list }));
  }

  /**
   * The second pass: exactly those files, by checksum, over the same
   * connection, into the same destination (`--files-from` keeps each name's
   * path under it). The list goes in a private file: names may hold any byte
   * but NUL, hence `--from0`.
   */
  private async recheckPass(o: RsyncOptions, identity: Identity, root: string, names: Buffer[]): Promise<RawResult> {
    const list = tmp.fileSync({ prefix: 'hostout-recheck-', mode: 0o600 });
    try {
      fs.writeFileSync(list.fd, Buffer.concat(names.flatMap((n) => [n, Buffer.from([0])])));
      const options: RsyncOptions = {
        ...o, from: root.endsWith('/') ? root : `${root}/`, relative: false, delete: false, onProgress: undefined,
        extra: [...(o.extra ?? []), '--checksum', `--files-from=${list.name}`, '--from0'],
      };
      const shown = this.mask(shellJoin(shownRsyncArgv({ host: this.settings, identity, options, extraFlags: [] })));
      const record = `rsync: ${shown}`;
      this.deps.log.debug(`[${this.settings.name}] ${record}`);
      const sinks = this.sinks('[localhost] rsync:', o.echo, []);
      let r: RawResult;
      try {
        r = await this.deps.backend.rsync({
          host: this.settings, identity, record, options, extraFlags: [], responder: () => this.rsyncResponder(identity), interactive: this.deps.interactive, ...sinks,
        });
      } finally {
        sinks.flush();
      }
      if (r.code !== 0) throw this.failure(this.target(identity), shown, r, []);
      return r;
    } finally {
      list.removeCallback();
    }
  }

  /** A preview of a push whose destination the host does not have yet: everything would be created. */
  private async previewIntoNothing(o: RsyncOptions): Promise<CommandResult> {
    const empty = tmp.dirSync({ prefix: 'hostout-preview-', unsafeCleanup: true });
    try {
      const argv = rsyncIntoEmptyArgv(o, empty.name);
      const command = { argv, shown: this.mask(shellJoin(argv)), secrets: [], plain: true };
      const sinks = this.sinks('[localhost] rsync:', false, []);
      let r: RawResult;
      try {
        r = await this.deps.backend.local({ host: this.settings, record: `local: ${command.shown}`, command, interactive: false, ...sinks });
      } finally {
        sinks.flush();
      }
      if (r.code !== 0) throw this.failure('localhost', command.shown, r, []);
      this.deps.log.info(`[${this.settings.name}] rsync would ${summariseItemized(r.stdout).summary} (the host has no ${this.mask(o.to)} yet)`);
      return { stdout: r.stdout, stderr: r.stderr, code: r.code };
    } finally {
      empty.removeCallback();
    }
  }

  private rsyncResponder(identity: Identity): SudoResponder {
    return new SudoResponder(this.deps.sudoPasswords.forHost(this.settings, identity.user));
  }
}
