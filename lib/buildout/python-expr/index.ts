/**
 * Evaluates the Python expression of a conditional section header
 * `[name:expression]`, as zc.buildout 2.13.2 does with `eval()`, without
 * Python: a safe interpreter for Python's expression language with the
 * globals of `_default_globals()` (see docs/conditional-expressions.md).
 *
 * Layers (lib/buildout/python-expr/): tokenizer -> parser (AST) -> evaluate,
 * over the value model in values.ts; builtins.ts, attributes.ts and
 * modules.ts provide the names; regex.ts maps Python's `re` onto JS RegExp.
 */
import { PythonExprError } from './errors';
import { evaluateWithGlobals, resetCallDepth } from './evaluate';
import { resetBudget } from './limits';
import { defaultGlobals } from './modules';
import { getItem } from './operators';
import { parseExpression } from './parser';
import { PyValue, truthy } from './values';

export { PythonExprError };

/**
 * Evaluates Python source (any expression `eval()` accepts) with zc.buildout's
 * condition globals and returns the resulting Python value.
 */
/** Longer sources are refused: a section header is one line of configuration. */
export const MAX_SOURCE_LENGTH = 100_000;

export function evaluatePythonExpression(source: string): PyValue {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new PythonExprError(`unsupported in hostout: expressions longer than ${MAX_SOURCE_LENGTH} characters`, 'unsupported');
  }
  resetBudget();
  resetCallDepth();
  try {
    return evaluateWithGlobals(parseExpression(source), defaultGlobals());
  } catch (e) {
    if (e instanceof PythonExprError) throw e;
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new PythonExprError('unsupported in hostout: expression nested too deeply', 'unsupported');
    }
    // A bug in the evaluator must still not crash buildout parsing with a
    // stack trace; report it as what it is.
    throw new PythonExprError(`internal error in hostout's Python-expression evaluator: ${(e as Error)?.message ?? String(e)}`, 'internal');
  }
}

/**
 * `source` is exactly what buildout evals: '[' + expression + ']' plus an
 * optional '#comment'. Returns the truthiness of element 0 of the result,
 * i.e. Python's `bool(eval(source, _default_globals())[0])`.
 * Throws PythonExprError for anything Python would reject, and for what
 * hostout does not support ("unsupported in hostout: ...").
 */
export function evaluateSectionCondition(source: string): boolean {
  const value = evaluatePythonExpression(source);
  resetBudget();
  return truthy(getItem(value, 0n, false));
}
