/**
 * The error classes every layer throws. The CLI maps them to exit codes and
 * prints `message` only (no stack trace) for anything that is the user's to fix.
 *
 * Exit codes (documented in docs/cli.md):
 *   0  success
 *   1  a command failed on a host (CommandError, TransportError)
 *   2  usage or configuration error (UsageError, ConfigError)
 *  70  internal error: a bug in hostout (anything else; printed with a stack)
 */
export class HostoutError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line: unknown host/command/option. Exit 2. */
export class UsageError extends HostoutError {
  override readonly exitCode = 2;
}

/** A problem in the buildout configuration; names the file and line when known. Exit 2. */
export class ConfigError extends HostoutError {
  override readonly exitCode = 2;
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(file ? `${file}${line ? `, line ${line}` : ''}: ${message}` : message);
  }
}

/** A command that ran on a host (or locally) and failed. Exit 1. */
export class CommandError extends HostoutError {
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly host: string,
    readonly command: string,
    readonly status: number | null,
    readonly stderrTail = '',
  ) {
    super(message);
  }
}

/** Could not connect, authenticate, or verify a host key. Exit 1. */
export class TransportError extends HostoutError {
  override readonly exitCode = 1;
  constructor(message: string, readonly host?: string) {
    super(message);
  }
}
