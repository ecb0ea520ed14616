/**
 * The transport primitives every plugin reaches hosts through (`ctx.remote`,
 * `ctx.local`, `ctx.rsync`). Every side effect of hostout goes through these,
 * so `--dry-run` and the recording transport in tests see exactly what would run.
 *
 * A command is plain shell text or a Line made with `sh` (values quoted, a
 * `secret()` masked everywhere it could be printed). Mark with `readOnly` a
 * command that only asks (`id -u`, `cat VERSION`): a `--dry-run` runs those
 * on the real host and records every other command instead of running it.
 */
import type { HostSettings } from './host-settings';
import type { CommandText, Secret } from './secret';
export type { TransferProgress } from './rsync-progress';
import type { TransferProgress } from './rsync-progress';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when the command was killed by a signal. */
  code: number | null;
}

/** How a command runs, remote or local. */
export interface RunOptions {
  /** Directory to run in (quoted for you). */
  cwd?: string;
  /** Extra environment variables (values quoted for you; a Secret is masked in every output). */
  env?: Record<string, string | Secret>;
  /** Resolve with the result instead of rejecting when the exit status is non-zero. */
  allowFailure?: boolean;
  /** The command changes nothing: a `--dry-run` runs it for real to learn the answer. */
  readOnly?: boolean;
  /** Text fed on stdin. Never logged. */
  stdin?: string;
  /** Show the command's output lines as it runs (`[host] out: ...` at info level); otherwise only with -v. */
  echo?: boolean;
  /**
   * The command undoes or finishes what an interrupted run left in a state
   * visitors would see (an instance whose restart Ctrl-C cut short, started
   * again): like ForwardOptions.cleanup, it still runs after Ctrl-C or
   * SIGTERM, and it holds the run's exit while it runs. Bound it yourself
   * (the run waits for it until a second Ctrl-C).
   */
  cleanup?: boolean;
}

export interface RemoteRunOptions extends RunOptions {
  /** Which identity runs it: the login `user` (default) or the `buildout-user`. */
  as?: 'login' | 'buildout';
}

export interface SudoOptions extends RemoteRunOptions {
  /** Run as this user (sudo -u); default root. */
  user?: string;
}

export interface RemoteShell {
  /** Run a shell command line on the host. Rejects with CommandError on non-zero exit. */
  run(command: CommandText, options?: RemoteRunOptions): Promise<CommandResult>;
  /** Run through sudo; refuses when the host has `no-sudo = true`. The sudo password is fed on stdin. */
  sudo(command: CommandText, options?: SudoOptions): Promise<CommandResult>;
  /** Upload a local file (sftp). */
  put(localPath: string, remotePath: string, options?: { as?: 'login' | 'buildout'; mode?: number }): Promise<void>;
  /** Download a remote file (sftp). */
  get(remotePath: string, localPath: string, options?: { as?: 'login' | 'buildout' }): Promise<void>;
  /**
   * Whether a path exists on the host. `assume`: the answer a dry run that
   * cannot ask (`--dry-run --offline`) takes, marked as assumed; give the one
   * that lets the plan go on (default: it does not exist).
   */
  exists(path: string, options?: { as?: 'login' | 'buildout'; assume?: boolean }): Promise<boolean>;
  /**
   * Start the ssh handshake now, without waiting for it: a command that will
   * reach the host anyway overlaps its local work (reading staging) with the
   * handshake. The next call waits for this same attempt and reports its
   * failure. Does nothing in `--dry-run --offline` and in tests that record.
   */
  connect(options?: { as?: 'login' | 'buildout' }): void;
  /**
   * An HTTP GET made from the host itself, through a channel of the ssh
   * connection (sshd's TCP forwarding): `http://127.0.0.1:8080/` is the
   * host's own port 8080, and the host needs no curl. `http://` only.
   * Resolves with any status; rejects with a CommandError when nothing
   * answers (refused, closed, or no answer within the timeout). A GET changes
   * nothing: a `--dry-run` makes it for real.
   */
  httpGet(url: string, options?: ForwardOptions): Promise<HttpAnswer>;
  /**
   * Write `text` to a unix socket on the host (sshd's stream-local
   * forwarding) and return all the service answers before it closes, e.g.
   * haproxy's runtime API. Recorded, not sent, under `--dry-run` unless
   * `readOnly`. Rejects with a CommandError when the socket cannot be opened
   * or does not answer within the timeout.
   */
  socketExchange(path: string, text: string, options?: SocketExchangeOptions): Promise<string>;
}

/** An HTTP answer: its status and body (headers are not kept). */
export interface HttpAnswer {
  status: number;
  body: string;
}

export interface ForwardOptions {
  as?: 'login' | 'buildout';
  /** The whole exchange, opening the channel included, ends within this (default 10 s): then a CommandError. */
  timeoutMs?: number;
  /**
   * The exchange undoes a state visitors would see (a server set back to
   * `ready` in the balancer): it still runs after Ctrl-C or SIGTERM, when the
   * run refuses every other new remote call, and the run's exit waits for it
   * (and for a moment after it, so that a sequence of them, such as health
   * checks a second apart, is not cut between two).
   */
  cleanup?: boolean;
}

export interface SocketExchangeOptions extends ForwardOptions {
  /** The text only asks (haproxy's `show stat`): a `--dry-run` sends it for real to learn the answer. */
  readOnly?: boolean;
}

export interface LocalRunOptions extends RunOptions {
  /** Run as another local user (su USER -c / sudo -u USER). */
  as?: string;
  /** Prefix with sudo. */
  sudo?: boolean;
}

export interface LocalShell {
  run(command: CommandText, options?: LocalRunOptions): Promise<CommandResult>;
}

export interface RsyncOptions {
  /**
   * Source path: local for push, remote for pull. Several sources (push only)
   * go to `to` in one rsync run, one connection round and one file list.
   */
  from: string | readonly string[];
  /** rsync -R: each source's path after a `/./` marker is kept under `to`. */
  relative?: boolean;
  /** Destination path: remote for push, local for pull. */
  to: string;
  /**
   * The destination is a scratch directory that is thrown away unless the
   * transfer ends well (pushdeploy's `.hostout/next`). rsync then keeps its
   * temp files beside the files, as it does by default, instead of in
   * hostout's `--temp-dir` (which exists so that a killed rsync leaves none in
   * a live tree): rsync 3.4+ opens every component of the temp-dir path once
   * per file, which tripled the receiver's CPU on a first push.
   */
  scratch?: boolean;
  direction: 'push' | 'pull';
  delete?: boolean;
  exclude?: string[];
  /** Extra rsync arguments, passed as separate argv words (not through a shell). */
  extra?: string[];
  /** `--rsync-path="sudo rsync"` on the remote side. */
  remoteSudo?: boolean;
  /** Run the local rsync through sudo. */
  localSudo?: boolean;
  as?: 'login' | 'buildout';
  /** Show rsync's output lines as it runs; otherwise only with -v. */
  echo?: boolean;
  /**
   * Told how the transfer goes (files and bytes done, rate, time left), at
   * most twice a second: rsync then runs with `--info=progress2`. Only a real
   * transfer reports it (a --dry-run's rsync keeps its itemized output alone).
   */
  onProgress?: (progress: TransferProgress) => void;
}

export type Rsync = (options: RsyncOptions) => Promise<CommandResult>;

/** Everything one host's commands can do. One ssh connection per host and identity, reused. */
export interface HostTransport {
  readonly remote: RemoteShell;
  readonly local: LocalShell;
  readonly rsync: Rsync;
}

/**
 * Makes a HostTransport per host and closes every connection at the end of a
 * run. The runtime hands it each host's settings, computed once
 * (host-settings.ts); a host name and its options work too (tests, scripts).
 */
export interface TransportFactory {
  forHost(host: HostSettings): HostTransport;
  forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport;
  closeAll(): Promise<void>;
}
