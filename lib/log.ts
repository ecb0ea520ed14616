/**
 * The logger every layer writes progress to. The CLI supplies one that renders
 * with listr2 on a terminal and plain lines in a pipe; tests supply one that
 * records. Levels follow -q / -v: quiet shows warnings and errors only,
 * verbose adds `debug` (for example every command the transport runs).
 */
import { maskSecrets } from './transport/secret';
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** Plain-lines logger for pipes, CI and tests. */
export function createPlainLogger(
  verbosity: Verbosity = 'normal',
  out: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Logger {
  return {
    info: (m) => { if (verbosity !== 'quiet') out(m); },
    warn: (m) => out(`warning: ${m}`),
    error: (m) => out(`error: ${m}`),
    debug: (m) => { if (verbosity === 'verbose') out(m); },
  };
}

/** A logger that keeps every line, for tests. */
export function createRecordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}

/**
 * The logger a host's commands get: every line masks the host's secrets
 * (passwords, passphrases), so a plugin's own progress line that mentions a
 * value containing one prints ******** like the transport's lines do.
 */
export function maskingLogger(log: Logger, secrets: readonly string[]): Logger {
  if (secrets.length === 0) return log;
  const mask = (m: string) => maskSecrets(m, secrets);
  return {
    info: (m) => log.info(mask(m)),
    warn: (m) => log.warn(mask(m)),
    error: (m) => log.error(mask(m)),
    debug: (m) => log.debug(mask(m)),
  };
}
