/**
 * Python builtins (functions and types) that are useful in a section
 * condition. Builtins Python has but we do not emulate (open, eval, print,
 * getattr, ...) give a clean "unsupported in hostout" error, not a NameError.
 */
import { builtinFunction, expectArgs, expectInt } from './callables';
import { pyError, unsupported } from './errors';
import { checkLength, tick } from './limits';
import { floatDivmod, binaryOp } from './operators';
import { floatToInt, parseFloatLiteral, parseIntLiteral, roundFloat, roundFloatToInt, roundInt } from './numbers';
import { PYTHON_ATTRIBUTE_NAMES } from './python-names';
import { formatValue } from './format';
import {
  isNumber, numeric, pyIterate, pyLen, pyOrder, pyRepr, pyStr, PyArgs, PyBytes,
  PyCallable, PyDict, PyIterator, PyKwargs, PyList, PyRange, PySet, PyTuple, PyType,
  PyValue, truthy, typeName, strLength, ELLIPSIS,
} from './values';

/** Calls any Python callable value. */
export function callValue(fn: PyValue, args: PyArgs, kwargs: PyKwargs = new Map()): PyValue {
  if (fn instanceof PyCallable) return fn.call(args, kwargs);
  throw pyError('TypeError', `'${typeName(fn)}' object is not callable`);
}

function toList(v: PyValue): PyValue[] {
  const out: PyValue[] = [];
  for (const x of pyIterate(v)) {
    out.push(x);
    checkLength(out.length, 'list');
  }
  return out;
}

export function iterableToArray(v: PyValue): PyValue[] {
  return toList(v);
}

// ---------------------------------------------------------------------------
// Types

const types = new Map<string, PyType>();

function defineType(name: string, call: (args: PyArgs, kwargs: PyKwargs) => PyValue, isInstance: (v: PyValue) => boolean): PyType {
  const t = new PyType(name, call, isInstance);
  types.set(name, t);
  return t;
}

/** type(x): the builtin type object when we have one, else a stable stand-in. */
export function typeOf(v: PyValue): PyType {
  const name = typeName(v);
  let t = types.get(name);
  if (!t) {
    t = new PyType(name, () => { throw unsupported(`calling type '${name}'`); }, (x) => typeName(x) === name);
    types.set(name, t);
  }
  return t;
}

function sortValues(values: PyValue[], key: PyValue, reverse: boolean): PyValue[] {
  const keyed = values.map((v) => ({ v, k: key === null ? v : callValue(key, [v]) }));
  tick(keyed.length * Math.max(1, Math.ceil(Math.log2(keyed.length + 1))));
  // Python's sort is stable and only uses '<'; reverse keeps equal items in order.
  keyed.sort((a, b) => {
    const [x, y] = reverse ? [b.k, a.k] : [a.k, b.k];
    if (pyOrder('<', x, y)) return -1;
    if (pyOrder('<', y, x)) return 1;
    return 0;
  });
  return keyed.map((e) => e.v);
}

function kw(kwargs: PyKwargs, name: string, dflt: PyValue): PyValue {
  return kwargs.has(name) ? kwargs.get(name)! : dflt;
}

function minMax(name: 'min' | 'max', args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs(name, args, kwargs, 0, Infinity, ['key', 'default']);
  if (args.length === 0) throw pyError('TypeError', `${name} expected at least 1 argument, got 0`);
  if (args.length > 1 && kwargs.has('default')) throw pyError('TypeError', `Cannot specify a default for ${name}() with multiple positional arguments`);
  const values = args.length === 1 ? toList(args[0]) : args;
  if (values.length === 0) {
    if (kwargs.has('default')) return kwargs.get('default')!;
    throw pyError('ValueError', `${name}() arg is an empty sequence`);
  }
  const key = kw(kwargs, 'key', null);
  let best = values[0];
  let bestKey = key === null ? best : callValue(key, [best]);
  for (const v of values.slice(1)) {
    const k = key === null ? v : callValue(key, [v]);
    if (pyOrder(name === 'min' ? '<' : '>', k, bestKey)) { best = v; bestKey = k; }
  }
  return best;
}

function intConstructor(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('int', args, kwargs, 0, 2, ['base']);
  if (args.length === 0) return 0n;
  const x = args[0];
  const baseArg = args.length > 1 ? args[1] : kwargs.get('base');
  if (baseArg !== undefined) {
    if (typeof x !== 'string' && !(x instanceof PyBytes)) throw pyError('TypeError', "int() can't convert non-string with explicit base");
    const text = typeof x === 'string' ? x : String.fromCharCode(...x.data);
    return parseIntLiteral(text, expectInt(baseArg));
  }
  if (typeof x === 'boolean') return x ? 1n : 0n;
  if (typeof x === 'bigint') return x;
  if (typeof x === 'number') return floatToInt(x);
  if (typeof x === 'string') return parseIntLiteral(x, 10n);
  if (x instanceof PyBytes) return parseIntLiteral(String.fromCharCode(...x.data), 10n);
  throw pyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(x)}'`);
}

function floatConstructor(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('float', args, kwargs, 0, 1);
  if (args.length === 0) return 0;
  const x = args[0];
  if (isNumber(x)) {
    const n = numeric(x);
    if (typeof n === 'number') return n;
    const f = Number(n);
    if (!Number.isFinite(f)) throw pyError('OverflowError', 'int too large to convert to float');
    return f;
  }
  if (typeof x === 'string') return parseFloatLiteral(x);
  throw pyError('TypeError', `float() argument must be a string or a real number, not '${typeName(x)}'`);
}

function dictConstructor(args: PyArgs, kwargs: PyKwargs): PyValue {
  if (args.length > 1) throw pyError('TypeError', `dict expected at most 1 argument, got ${args.length}`);
  const d = new PyDict();
  if (args.length === 1) {
    const src = args[0];
    if (src instanceof PyDict) for (const e of src.entries.values()) d.set(e.key, e.value);
    else {
      let i = 0;
      for (const item of pyIterate(src)) {
        const pair = toList(item);
        if (pair.length !== 2) throw pyError('ValueError', `dictionary update sequence element #${i} has length ${pair.length}; 2 is required`);
        d.set(pair[0], pair[1]);
        i++;
      }
    }
  }
  for (const [k, v] of kwargs) d.set(k, v);
  return d;
}

function rangeConstructor(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('range', args, kwargs, 1, 3);
  const ints = args.map(expectInt);
  const [start, stop, step] = ints.length === 1 ? [0n, ints[0], 1n] : [ints[0], ints[1], ints[2] ?? 1n];
  if (step === 0n) throw pyError('ValueError', 'range() arg 3 must not be zero');
  return new PyRange(start, stop, step);
}

function strConstructor(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('str', args, kwargs, 0, 1);
  return args.length ? pyStr(args[0]) : '';
}

const isInt = (v: PyValue): boolean => typeof v === 'bigint' || typeof v === 'boolean';

export const STR_TYPE = defineType('str', strConstructor, (v) => typeof v === 'string');
defineType('int', intConstructor, isInt);
defineType('float', floatConstructor, (v) => typeof v === 'number');
defineType('bool', (args, kwargs) => { expectArgs('bool', args, kwargs, 0, 1); return args.length ? truthy(args[0]) : false; }, (v) => typeof v === 'boolean');
defineType('list', (args, kwargs) => { expectArgs('list', args, kwargs, 0, 1); return new PyList(args.length ? toList(args[0]) : []); }, (v) => v instanceof PyList);
defineType('tuple', (args, kwargs) => { expectArgs('tuple', args, kwargs, 0, 1); return new PyTuple(args.length ? toList(args[0]) : []); }, (v) => v instanceof PyTuple);
defineType('set', (args, kwargs) => { expectArgs('set', args, kwargs, 0, 1); return new PySet(false, args.length ? toList(args[0]) : []); }, (v) => v instanceof PySet && v.typeName === 'set');
defineType('frozenset', (args, kwargs) => { expectArgs('frozenset', args, kwargs, 0, 1); return new PySet(true, args.length ? toList(args[0]) : []); }, (v) => v instanceof PySet && v.typeName === 'frozenset');
defineType('dict', dictConstructor, (v) => v instanceof PyDict);
defineType('range', rangeConstructor, (v) => v instanceof PyRange);
defineType('bytes', (args) => {
  if (args.length === 0) return new PyBytes(new Uint8Array());
  throw unsupported('calling bytes() with arguments');
}, (v) => v instanceof PyBytes);
defineType('object', () => { throw unsupported('object()'); }, () => true);
defineType('type', (args, kwargs) => {
  expectArgs('type', args, kwargs, 1, 1);
  return typeOf(args[0]);
}, (v) => v instanceof PyType);
// bool is a subclass of int, and a named tuple is a tuple.
types.set('NoneType', new PyType('NoneType', () => null, (v) => v === null));

function isInstanceOf(v: PyValue, t: PyValue): boolean {
  if (t instanceof PyTuple) return t.items.some((x) => isInstanceOf(v, x));
  if (!(t instanceof PyType)) throw pyError('TypeError', 'isinstance() arg 2 must be a type, a tuple of types, or a union');
  return t.isInstance(v) || (t.name === 'tuple' && v instanceof PyTuple);
}

function iteratorOf(typeName: string, gen: Iterator<PyValue>): PyIterator {
  return new PyIterator(typeName, gen);
}

function reversedValues(v: PyValue): PyValue[] {
  if (v instanceof PyList || v instanceof PyTuple || typeof v === 'string' || v instanceof PyRange || v instanceof PyBytes || v instanceof PyDict) {
    if (v instanceof PyRange && v.length > 1_000_000n) throw unsupported('reversing very long ranges');
    return toList(v).reverse();
  }
  throw pyError('TypeError', `'${typeName(v)}' object is not reversible`);
}

function intFormat(name: string, prefix: string, radix: number, args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs(name, args, kwargs, 1, 1);
  const n = expectInt(args[0]);
  return (n < 0n ? '-' : '') + prefix + (n < 0n ? -n : n).toString(radix);
}

function round(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('round', args, kwargs, 1, 2, ['ndigits']);
  const x = args[0];
  const nd = args.length > 1 ? args[1] : kwargs.get('ndigits') ?? null;
  if (!isNumber(x)) throw pyError('TypeError', `type ${typeName(x)} doesn't define __round__ method`);
  const n = numeric(x);
  if (nd === null) return typeof n === 'number' ? roundFloatToInt(n) : n;
  const digits = expectInt(nd);
  return typeof n === 'number' ? roundFloat(n, digits) : roundInt(n, digits);
}

function sum(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('sum', args, kwargs, 1, 2, ['start']);
  let total = args.length > 1 ? args[1] : kwargs.get('start') ?? 0n;
  if (typeof total === 'string') throw pyError('TypeError', "sum() can't sum strings [use ''.join(seq) instead]");
  if (total instanceof PyBytes) throw pyError('TypeError', "sum() can't sum bytes [use b''.join(seq) instead]");
  for (const v of pyIterate(args[0])) total = binaryOp('+', total, v);
  return total;
}

function divmod(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('divmod', args, kwargs, 2, 2);
  const [a, b] = args;
  if (isNumber(a) && isNumber(b)) {
    const x = numeric(a);
    const y = numeric(b);
    if (typeof x === 'number' || typeof y === 'number') {
      const fy = Number(y);
      if (fy === 0) throw pyError('ZeroDivisionError', 'float divmod()');
      return new PyTuple(floatDivmod(Number(x), fy));
    }
  }
  return new PyTuple([binaryOp('//', a, b), binaryOp('%', a, b)]);
}

function pow(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('pow', args, kwargs, 2, 3, ['base', 'exp', 'mod']);
  if (args.length === 3 && args[2] !== null) {
    const [b, e, m] = args.map(expectInt);
    if (m === 0n) throw pyError('ValueError', 'pow() 3rd argument cannot be 0');
    if (e < 0n) throw unsupported('pow() with a negative exponent and a modulus');
    let result = 1n;
    let base = ((b % m) + m) % m;
    let exp = e;
    while (exp > 0n) {
      tick();
      if (exp & 1n) result = (result * base) % m;
      base = (base * base) % m;
      exp >>= 1n;
    }
    return m < 0n && result > 0n ? result + m : result;
  }
  return binaryOp('**', args[0], args[1]);
}

function abs(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('abs', args, kwargs, 1, 1);
  const x = args[0];
  if (!isNumber(x)) throw pyError('TypeError', `bad operand type for abs(): '${typeName(x)}'`);
  const n = numeric(x);
  return typeof n === 'number' ? Math.abs(n) : n < 0n ? -n : n;
}

function chr(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('chr', args, kwargs, 1, 1);
  const n = expectInt(args[0]);
  if (n < 0n || n > 0x10ffffn) throw pyError('ValueError', 'chr() arg not in range(0x110000)');
  return String.fromCodePoint(Number(n));
}

function ord(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('ord', args, kwargs, 1, 1);
  const c = args[0];
  if (typeof c === 'string') {
    const len = strLength(c);
    if (len !== 1) throw pyError('TypeError', `ord() expected a character, but string of length ${len} found`);
    return BigInt(c.codePointAt(0)!);
  }
  if (c instanceof PyBytes) {
    if (c.data.length !== 1) throw pyError('TypeError', `ord() expected a character, but string of length ${c.data.length} found`);
    return BigInt(c.data[0]);
  }
  throw pyError('TypeError', `ord() expected string of length 1, but ${typeName(c)} found`);
}

/** Rows of one item from each iterator, in lock step, until the shortest ends (zip's and map's walk). */
function* lockStep(iterators: Iterator<PyValue>[]): Generator<PyValue[]> {
  if (iterators.length === 0) return;
  for (;;) {
    const row: PyValue[] = [];
    for (const it of iterators) {
      const r = it.next();
      if (r.done) return;
      row.push(r.value);
    }
    yield row;
  }
}

function zip(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('zip', args, kwargs, 0, Infinity, ['strict']);
  if (truthy(kw(kwargs, 'strict', false))) throw unsupported('zip(strict=True)');
  const iterators = args.map((a) => pyIterate(a));
  return iteratorOf('zip', (function* () {
    for (const row of lockStep(iterators)) yield new PyTuple(row);
  })());
}

function map(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('map', args, kwargs, 2, Infinity);
  const [fn, ...iterables] = args;
  const iterators = iterables.map((a) => pyIterate(a));
  return iteratorOf('map', (function* () {
    for (const row of lockStep(iterators)) yield callValue(fn, row);
  })());
}

function filter(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('filter', args, kwargs, 2, 2);
  const [fn, iterable] = args;
  const it = pyIterate(iterable);
  return iteratorOf('filter', (function* () {
    for (const v of it) if (truthy(fn === null ? v : callValue(fn, [v]))) yield v;
  })());
}

function enumerate(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('enumerate', args, kwargs, 1, 2, ['start']);
  let i = expectInt(args.length > 1 ? args[1] : kwargs.get('start') ?? 0n);
  const it = pyIterate(args[0]);
  return iteratorOf('enumerate', (function* () {
    for (const v of it) yield new PyTuple([i++, v]);
  })());
}

function next(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('next', args, kwargs, 1, 2);
  const it = args[0];
  if (!(it instanceof PyIterator)) throw pyError('TypeError', `'${typeName(it)}' object is not an iterator`);
  const r = it.iterator.next();
  if (!r.done) return r.value;
  if (args.length > 1) return args[1];
  throw pyError('StopIteration', '');
}

function isinstance(args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('isinstance', args, kwargs, 2, 2);
  return isInstanceOf(args[0], args[1]);
}

function anyAll(name: 'any' | 'all') {
  return (args: PyArgs, kwargs: PyKwargs): PyValue => {
    expectArgs(name, args, kwargs, 1, 1);
    for (const v of pyIterate(args[0])) {
      if (name === 'any' && truthy(v)) return true;
      if (name === 'all' && !truthy(v)) return false;
    }
    return name === 'all';
  };
}

const FUNCTIONS: Record<string, (args: PyArgs, kwargs: PyKwargs) => PyValue> = {
  len: (args, kwargs) => { expectArgs('len', args, kwargs, 1, 1); return BigInt(pyLen(args[0])); },
  repr: (args, kwargs) => { expectArgs('repr', args, kwargs, 1, 1); return pyRepr(args[0]); },
  ascii: (args, kwargs) => { expectArgs('ascii', args, kwargs, 1, 1); return pyRepr(args[0]).replace(/[^\x00-\x7f]/gu, (c) => { const cp = c.codePointAt(0)!; return cp <= 0xff ? '\\x' + cp.toString(16).padStart(2, '0') : cp <= 0xffff ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0'); }); },
  abs, chr, ord, round, sum, divmod, pow, zip, map, filter, enumerate, next, isinstance,
  min: (args, kwargs) => minMax('min', args, kwargs),
  max: (args, kwargs) => minMax('max', args, kwargs),
  any: anyAll('any'),
  all: anyAll('all'),
  sorted: (args, kwargs) => {
    expectArgs('sorted', args, kwargs, 1, 1, ['key', 'reverse']);
    return new PyList(sortValues(toList(args[0]), kw(kwargs, 'key', null), truthy(kw(kwargs, 'reverse', false))));
  },
  reversed: (args, kwargs) => { expectArgs('reversed', args, kwargs, 1, 1); return iteratorOf('reversed', reversedValues(args[0])[Symbol.iterator]()); },
  iter: (args, kwargs) => {
    expectArgs('iter', args, kwargs, 1, 1);
    if (args[0] instanceof PyIterator) return args[0];
    return iteratorOf(`${typeName(args[0])}_iterator`, pyIterate(args[0]));
  },
  callable: (args, kwargs) => { expectArgs('callable', args, kwargs, 1, 1); return args[0] instanceof PyCallable; },
  hex: (args, kwargs) => intFormat('hex', '0x', 16, args, kwargs),
  oct: (args, kwargs) => intFormat('oct', '0o', 8, args, kwargs),
  bin: (args, kwargs) => intFormat('bin', '0b', 2, args, kwargs),
  format: (args, kwargs) => {
    expectArgs('format', args, kwargs, 1, 2);
    const spec = args.length > 1 ? args[1] : '';
    if (typeof spec !== 'string') throw pyError('TypeError', `format() argument 2 must be str, not ${typeName(spec)}`);
    return formatValue(args[0], spec);
  },
  hash: (args, kwargs) => { expectArgs('hash', args, kwargs, 1, 1); throw unsupported('hash()'); },
};

const BUILTINS = new Map<string, PyValue>();
for (const [name, impl] of Object.entries(FUNCTIONS)) BUILTINS.set(name, builtinFunction(name, impl));
for (const [name, t] of types) if (name !== 'NoneType') BUILTINS.set(name, t);
BUILTINS.set('Ellipsis', ELLIPSIS);

const PYTHON_BUILTIN_NAMES = new Set(PYTHON_ATTRIBUTE_NAMES.builtins);

/** Looks up a builtin: a value, 'unsupported' (Python has it, we don't), or undefined. */
export function lookupBuiltin(name: string): PyValue | 'unsupported' | undefined {
  const v = BUILTINS.get(name);
  if (v !== undefined) return v;
  if (PYTHON_BUILTIN_NAMES.has(name) || name.startsWith('__')) return 'unsupported';
  return undefined;
}

