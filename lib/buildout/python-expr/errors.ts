/**
 * The one error type the Python-expression evaluator throws.
 *
 * `message` reads like the last line of a Python traceback
 * ("NameError: name 'python311' is not defined", "SyntaxError: invalid syntax")
 * so that a ConfigError built from it tells the user what real zc.buildout
 * would have told them. Things Python accepts but hostout deliberately does not
 * emulate say so: "unsupported in hostout: ...".
 */
export class PythonExprError extends Error {
  /**
   * The Python exception class name ("NameError", "SyntaxError", "TypeError",
   * "error" for re.error, ...) or "unsupported" when hostout refuses an
   * expression Python would accept (or would need unbounded time/memory for).
   */
  readonly pythonType: string;

  constructor(message: string, pythonType?: string) {
    // These errors are user-facing answers, not bugs: skip the costly stack
    // capture (random/truncated input can raise tens of thousands of them).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'PythonExprError';
    this.pythonType = pythonType ?? (/^(\w+):/.exec(message)?.[1] ?? 'unsupported');
  }
}

/** A Python exception, e.g. pyError('TypeError', "'int' object is not callable"). */
export function pyError(pythonType: string, detail: string): PythonExprError {
  return new PythonExprError(`${pythonType}: ${detail}`, pythonType);
}

/** Python would accept this, but hostout does not emulate it (or it would cost too much). */
export function unsupported(what: string): PythonExprError {
  return new PythonExprError(`unsupported in hostout: ${what}`, 'unsupported');
}

export function syntaxError(detail = 'invalid syntax'): PythonExprError {
  return pyError('SyntaxError', detail);
}
