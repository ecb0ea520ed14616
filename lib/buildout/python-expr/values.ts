/**
 * The Python object model, as far as section conditions need it.
 *
 * Representation (chosen so the common cases are plain JS values):
 *   None -> null, bool -> boolean, int -> bigint (arbitrary precision, like
 *   Python), float -> number, str -> string (indexed by code point where it
 *   matters), everything else -> a PyObject subclass below.
 */
import { pyRepr as pyStrRepr } from '../pywhitespace';
import { pyError } from './errors';
import { tick } from './limits';

export type PyValue = null | boolean | bigint | number | string | PyObject;
export type PyNumber = boolean | bigint | number;

export abstract class PyObject {
  /** Python's type(x).__name__. */
  abstract readonly typeName: string;
}

export class PyBytes extends PyObject {
  readonly typeName = 'bytes';
  constructor(readonly data: Uint8Array) { super(); }
}

export class PyList extends PyObject {
  readonly typeName = 'list';
  constructor(readonly items: PyValue[]) { super(); }
}

/** A tuple; with `fields` a named tuple such as sys.version_info. */
export class PyTuple extends PyObject {
  readonly typeName: string;
  constructor(readonly items: readonly PyValue[], readonly named?: { typeName: string; reprName: string; fields: readonly string[] }) {
    super();
    this.typeName = named ? named.typeName : 'tuple';
  }
}

export class PyDict extends PyObject {
  readonly typeName = 'dict';
  readonly entries = new Map<string, { key: PyValue; value: PyValue }>();
  set(key: PyValue, value: PyValue): void {
    const h = hashKey(key);
    const old = this.entries.get(h);
    // Python keeps the first key object and replaces the value.
    this.entries.set(h, { key: old ? old.key : key, value });
  }
  get(key: PyValue): PyValue | undefined {
    return this.entries.get(hashKey(key))?.value;
  }
}

export class PySet extends PyObject {
  readonly typeName: 'set' | 'frozenset';
  readonly entries = new Map<string, PyValue>();
  constructor(frozen: boolean, items: Iterable<PyValue> = []) {
    super();
    this.typeName = frozen ? 'frozenset' : 'set';
    for (const item of items) this.add(item);
  }
  add(item: PyValue): void {
    const h = hashKey(item);
    if (!this.entries.has(h)) this.entries.set(h, item);
  }
  has(item: PyValue): boolean {
    return this.entries.has(hashKey(item));
  }
}

export class PyRange extends PyObject {
  readonly typeName = 'range';
  constructor(readonly start: bigint, readonly stop: bigint, readonly step: bigint) { super(); }
  get length(): bigint {
    const { start, stop, step } = this;
    if (step > 0n) return stop > start ? (stop - start + step - 1n) / step : 0n;
    return start > stop ? (start - stop - step - 1n) / -step : 0n;
  }
  at(i: bigint): bigint {
    return this.start + i * this.step;
  }
}

/** A one-shot iterator: map/filter/zip/enumerate/reversed objects and generators. */
export class PyIterator extends PyObject {
  constructor(readonly typeName: string, readonly iterator: Iterator<PyValue>) { super(); }
}

export type PyArgs = PyValue[];
export type PyKwargs = Map<string, PyValue>;
export type NativeFunction = (args: PyArgs, kwargs: PyKwargs) => PyValue;

/** Anything callable: builtin functions, bound methods, lambdas, types. */
export class PyCallable extends PyObject {
  constructor(
    readonly typeName: 'builtin_function_or_method' | 'function' | 'type' | 'method',
    readonly name: string,
    readonly call: NativeFunction,
    readonly reprText: string,
  ) { super(); }
}

/** A builtin type such as str or int: callable, usable with isinstance(). */
export class PyType extends PyCallable {
  constructor(name: string, call: NativeFunction, readonly isInstance: (v: PyValue) => boolean) {
    super('type', name, call, `<class '${name}'>`);
  }
}

/**
 * Any other object (modules, os.environ, match objects, sys.implementation,
 * dict views, Ellipsis): a type name, a repr, attributes, and optional
 * container behaviour. `dirKey` names the PYTHON_ATTRIBUTE_NAMES entry used to
 * tell a missing attribute (AttributeError) from an unemulated one.
 */
export interface OpaqueBehaviour {
  attrs?: Record<string, () => PyValue>;
  dirKey?: string;
  len?: () => number;
  getItem?: (key: PyValue) => PyValue;
  contains?: (key: PyValue) => boolean;
  iterate?: () => Iterable<PyValue>;
  equals?: (other: PyValue) => boolean | undefined;
  truthy?: () => boolean;
  /** Wording of AttributeError: "module 'sys'" instead of "'X' object". */
  attrOwner?: string;
}

export class PyOpaque extends PyObject {
  constructor(readonly typeName: string, readonly reprText: string, readonly behaviour: OpaqueBehaviour = {}) { super(); }
}

export const ELLIPSIS = new PyOpaque('ellipsis', 'Ellipsis');

// ---------------------------------------------------------------------------
// Type names, truthiness

export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'bigint': return 'int';
    case 'number': return 'float';
    case 'string': return 'str';
    default: return v.typeName;
  }
}

export function isNumber(v: PyValue): v is PyNumber {
  return typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number';
}

/** bool and int as bigint (bool is an int subclass), float stays number. */
export function numeric(v: PyNumber): bigint | number {
  return typeof v === 'boolean' ? (v ? 1n : 0n) : v;
}

export function truthy(v: PyValue): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'bigint': return v !== 0n;
    case 'number': return v !== 0; // NaN is truthy in Python, and NaN !== 0
    case 'string': return v.length > 0;
  }
  if (v instanceof PyList || v instanceof PyTuple) return v.items.length > 0;
  if (v instanceof PyBytes) return v.data.length > 0;
  if (v instanceof PyDict || v instanceof PySet) return v.entries.size > 0;
  if (v instanceof PyRange) return v.length > 0n;
  if (v instanceof PyOpaque) {
    if (v.behaviour.truthy) return v.behaviour.truthy();
    if (v.behaviour.len) return v.behaviour.len() > 0;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Strings by code point (Python indexes str by code point, JS by UTF-16 unit)

const SURROGATE = /[\uD800-\uDFFF]/;

/** The string's code points, or null when every code point is one UTF-16 unit. */
export function astralCodePoints(s: string): string[] | null {
  return SURROGATE.test(s) ? Array.from(s) : null;
}

export function strLength(s: string): number {
  const cps = astralCodePoints(s);
  return cps ? cps.length : s.length;
}

export function compareStrings(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---------------------------------------------------------------------------
// Equality, ordering, hashing

function numbersEqual(a: bigint | number, b: bigint | number): boolean {
  if (typeof a === typeof b) return a === b;
  const [i, f] = typeof a === 'bigint' ? [a, b as number] : [b as bigint, a];
  return Number.isInteger(f) && BigInt(f) === i;
}

/** Sign of a - b for numbers; NaN when unordered (a NaN is involved). */
export function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  const swap = typeof a === 'number';
  const i = (swap ? b : a) as bigint;
  const f = (swap ? a : b) as number;
  let r: number;
  if (Number.isNaN(f)) return NaN;
  if (!Number.isFinite(f)) r = f > 0 ? -1 : 1;
  else if (Number.isInteger(f)) { const fb = BigInt(f); r = i < fb ? -1 : i > fb ? 1 : 0; }
  else r = i <= BigInt(Math.floor(f)) ? -1 : 1;
  return swap ? -r : r;
}

export function pyEquals(a: PyValue, b: PyValue): boolean {
  tick();
  if (a === b) return !(typeof a === 'number' && Number.isNaN(a));
  if (isNumber(a) && isNumber(b)) return numbersEqual(numeric(a), numeric(b));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PyTuple && b instanceof PyTuple) return sequencesEqual(a.items, b.items);
  if (a instanceof PyList && b instanceof PyList) return sequencesEqual(a.items, b.items);
  if (a instanceof PyBytes && b instanceof PyBytes) {
    return a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);
  }
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.entries.size !== b.entries.size) return false;
    for (const [h, { value }] of a.entries) {
      const other = b.entries.get(h);
      if (!other || !pyEquals(value, other.value)) return false;
    }
    return true;
  }
  if (a instanceof PySet && b instanceof PySet) {
    return a.entries.size === b.entries.size && [...a.entries.keys()].every((h) => b.entries.has(h));
  }
  if (a instanceof PyRange && b instanceof PyRange) {
    const n = a.length;
    if (n !== b.length) return false;
    if (n === 0n) return true;
    return a.start === b.start && (n === 1n || a.step === b.step);
  }
  if (a instanceof PyOpaque && a.behaviour.equals) {
    const r = a.behaviour.equals(b);
    if (r !== undefined) return r;
  }
  if (b instanceof PyOpaque && b.behaviour.equals) {
    const r = b.behaviour.equals(a);
    if (r !== undefined) return r;
  }
  return false;
}

function sequencesEqual(a: readonly PyValue[], b: readonly PyValue[]): boolean {
  // Python's list comparison tries identity first, so [nan] == [nan] holds.
  return a.length === b.length && a.every((x, i) => x === b[i] || pyEquals(x, b[i]));
}

export type OrderOp = '<' | '<=' | '>' | '>=';

function fromSign(op: OrderOp, sign: number): boolean {
  if (Number.isNaN(sign)) return false;
  switch (op) {
    case '<': return sign < 0;
    case '<=': return sign <= 0;
    case '>': return sign > 0;
    case '>=': return sign >= 0;
  }
}

/** Python's <, <=, >, >= (TypeError for unorderable types, like Python 3). */
export function pyOrder(op: OrderOp, a: PyValue, b: PyValue): boolean {
  tick();
  if (isNumber(a) && isNumber(b)) return fromSign(op, compareNumbers(numeric(a), numeric(b)));
  if (typeof a === 'string' && typeof b === 'string') return fromSign(op, compareStrings(a, b));
  if (a instanceof PyBytes && b instanceof PyBytes) {
    const n = Math.min(a.data.length, b.data.length);
    for (let i = 0; i < n; i++) if (a.data[i] !== b.data[i]) return fromSign(op, a.data[i] - b.data[i]);
    return fromSign(op, a.data.length - b.data.length);
  }
  if ((a instanceof PyList && b instanceof PyList) || (a instanceof PyTuple && b instanceof PyTuple)) {
    const x = a.items;
    const y = b.items;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      if (x[i] !== y[i] && !pyEquals(x[i], y[i])) return pyOrder(op, x[i], y[i]);
    }
    return fromSign(op, x.length - y.length);
  }
  if (a instanceof PySet && b instanceof PySet) {
    const subset = (p: PySet, q: PySet): boolean => [...p.entries.keys()].every((h) => q.entries.has(h));
    switch (op) {
      case '<=': return subset(a, b);
      case '<': return a.entries.size < b.entries.size && subset(a, b);
      case '>=': return subset(b, a);
      case '>': return b.entries.size < a.entries.size && subset(b, a);
    }
  }
  throw pyError('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;
let nanCounter = 0;

/** A string equal for exactly the values Python treats as the same dict key. */
export function hashKey(v: PyValue): string {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'boolean': return v ? 'i1' : 'i0';
    case 'bigint': return 'i' + v;
    case 'number':
      if (Number.isNaN(v)) return 'nan' + nanCounter++; // NaN never equals another NaN
      if (Number.isInteger(v)) return 'i' + BigInt(v);
      return 'f' + v;
    case 'string': return 's' + v;
  }
  if (v instanceof PyBytes) return 'b' + Array.from(v.data, (x) => x.toString(16).padStart(2, '0')).join('');
  if (v instanceof PyTuple) return 't' + JSON.stringify(v.items.map(hashKey));
  if (v instanceof PySet && v.typeName === 'frozenset') return 'F' + JSON.stringify([...v.entries.keys()].sort());
  if (v instanceof PyList || v instanceof PyDict || v instanceof PySet) {
    throw pyError('TypeError', `unhashable type: '${v.typeName}'`);
  }
  let id = identities.get(v);
  if (id === undefined) identities.set(v, (id = nextIdentity++));
  return 'o' + id;
}

// ---------------------------------------------------------------------------
// repr() and str()

/** Python 3.11 limit on int -> str conversion (sys.get_int_max_str_digits()). */
const INT_MAX_STR_DIGITS = 4300;

export function intToString(v: bigint): string {
  const s = v.toString();
  if (s.replace('-', '').length > INT_MAX_STR_DIGITS) {
    throw pyError('ValueError', `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit`);
  }
  return s;
}

/** Python's repr(float): shortest round-trip digits, exponent outside 1e-4..1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    out = digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') +
      'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  } else if (exp < 0) {
    out = '0.' + '0'.repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
  } else {
    out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  }
  return (negative ? '-' : '') + out;
}

/** Python `repr(str)`: the one implementation lives with the other Python string helpers. */
export const strRepr = pyStrRepr;

export function bytesRepr(b: PyBytes): string {
  const hasSingle = b.data.includes(0x27);
  const quote = hasSingle && !b.data.includes(0x22) ? '"' : "'";
  let out = 'b' + quote;
  for (const x of b.data) {
    const ch = String.fromCharCode(x);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (x < 0x20 || x >= 0x7f) out += '\\x' + x.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

export function pyRepr(v: PyValue): string {
  tick();
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean': return v ? 'True' : 'False';
    case 'bigint': return intToString(v);
    case 'number': return floatRepr(v);
    case 'string': return strRepr(v);
  }
  if (v instanceof PyBytes) return bytesRepr(v);
  if (v instanceof PyList) return '[' + v.items.map(pyRepr).join(', ') + ']';
  if (v instanceof PyTuple) {
    if (v.named) return `${v.named.reprName}(${v.items.map((x, i) => `${v.named!.fields[i]}=${pyRepr(x)}`).join(', ')})`;
    return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : '(' + v.items.map(pyRepr).join(', ') + ')';
  }
  if (v instanceof PyDict) return '{' + [...v.entries.values()].map((e) => `${pyRepr(e.key)}: ${pyRepr(e.value)}`).join(', ') + '}';
  if (v instanceof PySet) {
    const items = [...v.entries.values()].map(pyRepr).join(', ');
    if (v.typeName === 'frozenset') return v.entries.size ? `frozenset({${items}})` : 'frozenset()';
    return v.entries.size ? `{${items}}` : 'set()';
  }
  if (v instanceof PyRange) return v.step === 1n ? `range(${v.start}, ${v.stop})` : `range(${v.start}, ${v.stop}, ${v.step})`;
  if (v instanceof PyCallable) return v.reprText;
  if (v instanceof PyOpaque) return v.reprText;
  if (v instanceof PyIterator) return `<${v.typeName} object>`;
  return `<${v.typeName} object>`;
}

export function pyStr(v: PyValue): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

// ---------------------------------------------------------------------------
// Iteration and len()

/**
 * iter(v): checks iterability eagerly, as Python's iter() does (zip('', 1)
 * fails even though the first iterable is empty), then yields lazily.
 */
export function pyIterate(v: PyValue): Generator<PyValue, void, undefined> {
  if (!isIterable(v)) throw pyError('TypeError', `'${typeName(v)}' object is not iterable`);
  return iterateItems(v);
}

function* iterateItems(v: PyValue): Generator<PyValue, void, undefined> {
  if (typeof v === 'string') {
    for (const ch of v) { tick(); yield ch; }
    return;
  }
  if (v instanceof PyList || v instanceof PyTuple) {
    // By index, like Python's list iterator (sees appends made meanwhile).
    for (let i = 0; i < v.items.length; i++) { tick(); yield v.items[i]; }
    return;
  }
  if (v instanceof PyBytes) { for (const x of v.data) { tick(); yield BigInt(x); } return; }
  if (v instanceof PyDict) { for (const e of [...v.entries.values()]) { tick(); yield e.key; } return; }
  if (v instanceof PySet) { for (const x of [...v.entries.values()]) { tick(); yield x; } return; }
  if (v instanceof PyRange) {
    const n = v.length;
    for (let i = 0n; i < n; i++) { tick(); yield v.at(i); }
    return;
  }
  if (v instanceof PyIterator) {
    for (;;) {
      const r = v.iterator.next();
      if (r.done) return;
      tick();
      yield r.value;
    }
  }
  if (v instanceof PyOpaque && v.behaviour.iterate) { for (const x of v.behaviour.iterate()) { tick(); yield x; } return; }
  throw pyError('TypeError', `'${typeName(v)}' object is not iterable`);
}

export function isIterable(v: PyValue): boolean {
  return typeof v === 'string' || v instanceof PyList || v instanceof PyTuple || v instanceof PyBytes ||
    v instanceof PyDict || v instanceof PySet || v instanceof PyRange || v instanceof PyIterator ||
    (v instanceof PyOpaque && v.behaviour.iterate !== undefined);
}

export function pyLen(v: PyValue): number {
  if (typeof v === 'string') return strLength(v);
  if (v instanceof PyList || v instanceof PyTuple) return v.items.length;
  if (v instanceof PyBytes) return v.data.length;
  if (v instanceof PyDict || v instanceof PySet) return v.entries.size;
  if (v instanceof PyRange) {
    const n = v.length;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw pyError('OverflowError', 'Python int too large to convert to C ssize_t');
    return Number(n);
  }
  if (v instanceof PyOpaque && v.behaviour.len) return v.behaviour.len();
  throw pyError('TypeError', `object of type '${typeName(v)}' has no len()`);
}
