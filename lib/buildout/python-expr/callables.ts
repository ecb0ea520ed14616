/** Helpers to define Python callables and check their arguments. */
import { pyError } from './errors';
import { NativeFunction, PyArgs, PyCallable, PyKwargs, PyValue, typeName } from './values';

export function builtinFunction(name: string, impl: NativeFunction): PyCallable {
  return new PyCallable('builtin_function_or_method', name, impl, `<built-in function ${name}>`);
}

export function boundMethod(owner: PyValue, name: string, impl: NativeFunction): PyCallable {
  return new PyCallable('builtin_function_or_method', name, impl, `<built-in method ${name} of ${typeName(owner)} object>`);
}

/** Checks the positional argument count and that no unexpected keywords were given. */
export function expectArgs(name: string, args: PyArgs, kwargs: PyKwargs, min: number, max: number, allowedKeywords: readonly string[] = []): void {
  for (const k of kwargs.keys()) {
    if (!allowedKeywords.includes(k)) {
      throw pyError('TypeError', allowedKeywords.length ? `${name}() got an unexpected keyword argument '${k}'` : `${name}() takes no keyword arguments`);
    }
  }
  if (args.length < min || args.length > max) {
    const expected = min === max ? `exactly ${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
    throw pyError('TypeError', `${name}() takes ${expected} argument${(args.length < min ? min : max) === 1 ? '' : 's'} (${args.length} given)`);
  }
}

export function expectStr(name: string, v: PyValue, what = 'argument'): string {
  if (typeof v !== 'string') throw pyError('TypeError', `${name}() ${what} must be str, not ${typeName(v)}`);
  return v;
}

export function expectInt(v: PyValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw pyError('TypeError', `'${typeName(v)}' object cannot be interpreted as an integer`);
}
