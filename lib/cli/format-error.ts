/**
 * The one place an error becomes what the user reads. Error classes carry
 * fields (lib/errors.ts); this decides, from the class and those fields only,
 * which lines to print and with which exit status:
 * - our errors: `hostout: <message>`, then a did-you-mean and a help hint
 *   when the error asks for them; with -v the stack and every `cause`;
 * - anything else is a bug in hostout: the message with its stack, exit 70.
 */
import { EXIT, HostoutError, UsageError } from '../errors';

export interface FormattedError {
  lines: string[];
  exitCode: number;
}

/** `cause` chain as indented lines (ssh2's error under a TransportError, a plugin's exception under a CommandError). */
function causeLines(err: Error): string[] {
  const out: string[] = [];
  let cause = err.cause;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const text = cause instanceof Error ? cause.stack ?? cause.message : String(cause);
    out.push(`caused by: ${text}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return out;
}

export function formatError(err: unknown, opts: { verbose: boolean }): FormattedError {
  if (!(err instanceof HostoutError)) {
    const text = err instanceof Error ? err.stack ?? err.message : String(err);
    return { lines: [`hostout: internal error (a bug in hostout, please report it): ${text}`], exitCode: EXIT.internal };
  }
  const lines = [`hostout: ${err.message}`];
  if (err instanceof UsageError) {
    if (err.didYouMean) lines.push(`Did you mean ${err.didYouMean}?`);
    if (err.suggestHelp) lines.push('Try `hostout --help`.');
  }
  if (opts.verbose) {
    if (err.stack) lines.push(err.stack);
    lines.push(...causeLines(err));
  }
  return { lines, exitCode: err.exitCode };
}
