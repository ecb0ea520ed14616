/**
 * The engine's internal error: carries zc.buildout's exact UserError text
 * (the differential tests compare it) plus, separately, where the offending
 * text was written. The public API turns it into a ConfigError whose message
 * names file and line.
 */
import { ConfigError } from '../errors';
import type { SourceLocation } from './section-key';

export class BuildoutUserError extends Error {
  constructor(message: string, public location?: SourceLocation) {
    super(message);
    this.name = 'BuildoutUserError';
  }
}

/** Render a file name for people: relative to cwd when inside it. */
export function displayFile(file: string, cwd: string): string {
  if (/^[a-zA-Z0-9+.-]+:\/\//.test(file)) return file;
  const base = cwd.endsWith('/') ? cwd : cwd + '/';
  return file.startsWith(base) ? file.slice(base.length) : file;
}

export function toConfigError(err: unknown, cwd: string): unknown {
  if (err instanceof BuildoutUserError) {
    const loc = err.location;
    if (!loc) return new ConfigError(err.message);
    const file = displayFile(loc.file, cwd);
    const brief = file.length > 200 ? `${file.slice(0, 80)}…${file.slice(-80)}` : file;
    return new ConfigError(err.message, { file: brief, line: loc.line });
  }
  if (err instanceof ConfigError) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    // Deeply nested references: Python would raise RecursionError (a traceback).
    return new ConfigError('substitutions or macros nested too deeply to resolve (maximum recursion depth exceeded)');
  }
  if (err instanceof RangeError && /string length/i.test(err.message)) {
    // Python would raise MemoryError (a traceback).
    return new ConfigError('a value grows too large to hold in memory (references or += that multiply?)');
  }
  return err;
}
