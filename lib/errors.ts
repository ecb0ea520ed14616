/**
 * The error classes every layer throws. Errors are data: each class carries
 * the fields a person (or `--json`) needs — host, command, exit status, file
 * and line, `cause` — plus `reason`, what went wrong in the thrower's words.
 * `message` is built from those fields in one place (`locate` below, like
 * execa's one message builder): `[host] file, line N: reason`. The CLI's
 * formatter (lib/cli/format-error.ts) adds the hints and decides on stack
 * traces from the class, never by matching message text.
 *
 * Exit codes (documented in docs/cli.md):
 *   0  success
 *   1  a command failed on a host (CommandError), or the transport failed (TransportError)
 *   2  usage or configuration error (UsageError, ConfigError)
 *   3  several hosts ran and some failed
 *  69  a host could not be reached (TransportError of kind 'unreachable')
 *  70  internal error: a bug in hostout (anything else; printed with a stack)
 *  74  the connection was lost or went silent while a command ran (kind 'lost')
 *  75  the host is locked by another deploy (LockedError)
 *  76  the host key is unknown or changed (kind 'hostkey')
 *  77  authentication or sudo refused us (kinds 'auth', 'sudo')
 * The transport's codes follow sysexits.h (EX_UNAVAILABLE, EX_IOERR,
 * EX_PROTOCOL, EX_NOPERM), so scripts can tell the faults apart.
 * 130  interrupted (InterruptedError, Ctrl-C)
 */

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  unreachable: 69,
  internal: 70,
  lost: 74,
  locked: 75,
  hostkey: 76,
  denied: 77,
  interrupted: 130,
} as const;

export interface ErrorFields {
  /** The host (hostout part) the error happened on, when there is one. */
  host?: string;
  /** What led to this error (an ssh2 error, a plugin's own exception, …). */
  cause?: unknown;
}

/** The one message builder: `[host] file, line N: reason`, each part only when known. */
function locate(reason: string, fields: ErrorFields & { file?: string; line?: number }): string {
  const where = fields.file ? `${fields.file}${fields.line ? `, line ${fields.line}` : ''}: ` : '';
  return `${fields.host ? `[${fields.host}] ` : ''}${where}${reason}`;
}

export class HostoutError extends Error {
  readonly exitCode: number = EXIT.failed;
  #host?: string;
  /** What went wrong, as the thrower said it (no host, file or line). */
  readonly reason: string;
  constructor(reason: string, fields: ErrorFields & { file?: string; line?: number } = {}) {
    super(locate(reason, fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.#host = fields.host;
    this.reason = reason;
  }

  get host(): string | undefined {
    return this.#host;
  }

  /**
   * Name the host an error without one happened on (a plugin threw a
   * HostoutError of its own making): dispatch knows the host, the thrower may not.
   */
  atHost(host: string): this {
    if (this.#host) return this;
    this.#host = host;
    this.message = locate(this.reason, { host, file: (this as { file?: string }).file, line: (this as { line?: number }).line });
    return this;
  }
}

export interface UsageFields extends ErrorFields {
  /** Whether the formatter should add "Try `hostout --help`." (a malformed command line, not an unknown host). */
  suggestHelp?: boolean;
  /** A correction to offer, shown as "Did you mean …?". */
  didYouMean?: string;
}

/** Bad command line: unknown host/command/option. Exit 2. */
export class UsageError extends HostoutError {
  override readonly exitCode: number = EXIT.usage;
  readonly suggestHelp: boolean;
  readonly didYouMean?: string;
  constructor(message: string, fields: UsageFields = {}) {
    super(message, fields);
    this.suggestHelp = !!fields.suggestHelp;
    this.didYouMean = fields.didYouMean;
  }
}

export interface ConfigFields extends ErrorFields {
  /** The configuration file the problem is in. */
  file?: string;
  /** Its 1-based line. */
  line?: number;
  /** The option (`buildout-user`, `path`, …) whose value is wrong. */
  option?: string;
}

/** A problem in the buildout configuration; the formatter names the file and line when known. Exit 2. */
export class ConfigError extends HostoutError {
  override readonly exitCode: number = EXIT.usage;
  readonly file?: string;
  readonly line?: number;
  readonly option?: string;
  constructor(message: string, fields: ConfigFields = {}) {
    super(message, fields);
    this.file = fields.file;
    this.line = fields.line;
    this.option = fields.option;
  }
}

export interface CommandFields extends ErrorFields {
  /** The command that failed: a hostout command name, or the (masked) command line. */
  command?: string;
  /** Its exit status; null when it was killed by a signal or never ran. */
  status?: number | null;
  signal?: string;
  /** Where it ran: `user@host:port`, or `localhost`. */
  target?: string;
  /** The last lines of its stderr (masked). */
  stderrTail?: string;
  /** The plugin whose code failed, when the failure is a plugin's own exception. */
  plugin?: string;
}

/** A command that ran on a host (or locally) and failed, or a plugin command that gave up. Exit 1. */
export class CommandError extends HostoutError {
  override readonly exitCode: number = EXIT.failed;
  readonly command?: string;
  readonly status: number | null;
  readonly signal?: string;
  readonly target?: string;
  readonly stderrTail: string;
  readonly plugin?: string;
  constructor(message: string, fields: CommandFields = {}) {
    super(message, fields);
    this.command = fields.command;
    this.status = fields.status ?? null;
    this.signal = fields.signal;
    this.target = fields.target;
    this.stderrTail = fields.stderrTail ?? '';
    this.plugin = fields.plugin;
  }
}

/**
 * What went wrong with the connection:
 * - unreachable: refused, DNS, no route, timeout (exit 69);
 * - auth: no usable credentials or they were refused;
 * - hostkey: the host key is unknown or changed;
 * - lost: the connection dropped while a command ran;
 * - sudo: sudo wanted a password we do not have, or refused it;
 * - local: a local program (rsync, the relay) could not run.
 */
export type TransportErrorKind = 'unreachable' | 'auth' | 'hostkey' | 'lost' | 'sudo' | 'local' | 'other';

export interface TransportFields extends ErrorFields {
  kind?: TransportErrorKind;
  /** `user@host:port`. */
  target?: string;
  /** The (masked) command that was running, when the connection failed under one. */
  command?: string;
}

const TRANSPORT_EXIT: Record<TransportErrorKind, number> = {
  unreachable: EXIT.unreachable,
  lost: EXIT.lost,
  hostkey: EXIT.hostkey,
  auth: EXIT.denied,
  sudo: EXIT.denied,
  local: EXIT.failed,
  other: EXIT.failed,
};

/** Could not connect, authenticate, verify a host key, or keep the connection. Exit status by kind (see the table above). */
export class TransportError extends HostoutError {
  override readonly exitCode: number;
  readonly kind: TransportErrorKind;
  readonly target?: string;
  readonly command?: string;
  constructor(message: string, fields: TransportFields = {}) {
    super(message, fields);
    this.kind = fields.kind ?? 'other';
    this.target = fields.target;
    this.command = fields.command;
    this.exitCode = TRANSPORT_EXIT[this.kind];
  }
}

export interface LockFields extends ErrorFields {
  /** Who holds the lock, as recorded in it (staging host, user, pid, command, start time). */
  holder?: string;
}

/** The host is locked by another deploy. Exit 75. */
export class LockedError extends HostoutError {
  override readonly exitCode: number = EXIT.locked;
  readonly holder?: string;
  constructor(message: string, fields: LockFields = {}) {
    super(message, fields);
    this.holder = fields.holder;
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM). Exit 130. */
export class InterruptedError extends HostoutError {
  override readonly exitCode: number = EXIT.interrupted;
}
