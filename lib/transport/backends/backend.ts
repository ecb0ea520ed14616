/**
 * What the transport front (front.ts) asks of a backend: run one prepared
 * command line on a host, move one file, run one local argv, run one rsync.
 * The front has already chosen the identity, built and masked the line,
 * created the sudo responder; a backend only executes (ssh.ts, local spawn)
 * or records (recorder.ts). A backend reports a non-zero exit as a result;
 * the front turns it into a CommandError. It throws only when it could not
 * run the command at all (TransportError).
 */
import type { HostSettings, Identity } from '../host-settings';
import type { LocalCommand } from '../command-line';
import type { SudoResponder } from '../responder';
import type { Line } from '../secret';
import type { RsyncOptions } from '../types';

export interface RawResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal. */
  code: number | null;
  signal?: string;
}

/** Output as it arrives, for echo and -v. */
export interface OutputSinks {
  onStdout?(chunk: Buffer): void;
  onStderr?(chunk: Buffer): void;
}

interface Call {
  host: HostSettings;
  /** The masked line logs and records show, e.g. `remote(u@h:22): /bin/bash -l -c uptime`. */
  record: string;
}

export interface RemoteExec extends Call, OutputSinks {
  identity: Identity;
  line: Line;
  stdin?: string | Buffer;
  /** Set for lines made by sudoLine(): answers sudo's prompt. */
  responder?: SudoResponder;
  /** A question the front asks (the recorder answers it from its canned `exists`). */
  question?: {
    exists: string;
    /** The path as it may be printed (masked). */
    shown: string;
    /** The answer to take when nobody can be asked and the recorder has no canned one (`--dry-run --offline`). */
    assume?: boolean;
  };
  /** Runs even while the run is stopping on a signal (RemoteRunOptions.cleanup). */
  cleanup?: boolean;
}

export interface Transfer extends Call {
  identity: Identity;
  localPath: string;
  remotePath: string;
  /** put: chmod after the upload. */
  mode?: number;
}

export interface LocalRun extends Call, OutputSinks {
  command: LocalCommand;
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** A terminal is there: su/sudo may ask for a password on it. */
  interactive: boolean;
}

export interface RsyncRun extends Call, OutputSinks {
  identity: Identity;
  options: RsyncOptions;
  /** Flags the front adds (a preview's `--dry-run --itemize-changes`). */
  extraFlags: string[];
  /** A responder for `--rsync-path="sudo rsync"`. */
  responder(): SudoResponder;
  interactive: boolean;
}

/**
 * A byte exchange with a service on the host, through a channel of the ssh
 * connection (ssh's own TCP or unix-socket forwarding): `request` is sent,
 * and the answer is everything the service writes until it closes.
 */
export interface Forward extends Call {
  identity: Identity;
  /** A TCP port on the host (its loopback unless `address`), or a unix socket path there. */
  to: { address: string; port: number } | { socket: string };
  request: Buffer;
  /** The whole exchange, opening the channel included, ends within this (a TransportError after). */
  timeoutMs: number;
  /** Runs even while the run is stopping on a signal (ForwardOptions.cleanup). */
  cleanup?: boolean;
}

export interface Backend {
  /** Begin connecting to the host as `identity` (ssh: the handshake; a recorder: nothing). Never throws. */
  connect(call: { host: HostSettings; identity: Identity }): void;
  exec(call: RemoteExec): Promise<RawResult>;
  put(call: Transfer): Promise<void>;
  get(call: Transfer): Promise<void>;
  local(call: LocalRun): Promise<RawResult>;
  rsync(call: RsyncRun): Promise<RawResult>;
  /** Send a request to a port or unix socket on the host and return its whole answer (recorder: a canned one). */
  forward(call: Forward): Promise<Buffer>;
  /** Disconnect and remove temp files. Idempotent. */
  close(): Promise<void>;
}
