/**
 * Python's operators on our value model: arithmetic with int/float rules,
 * sequence concatenation and repetition, bitwise ops, `in`, `is`, subscripts.
 */
import { pyError, unsupported } from './errors';
import { checkInt, checkLength, tick } from './limits';
import { formatValue } from './format';
import {
  astralCodePoints, hashKey, isNumber, numeric, pyEquals, pyIterate, pyOrder, pyRepr, pyStr, strLength, PyBytes, PyDict,
  PyList, PyOpaque, PyRange, PySet, PyTuple, PyValue, typeName, OrderOp, PyIterator,
} from './values';

function intToFloat(v: bigint): number {
  const f = Number(v);
  if (!Number.isFinite(f)) throw pyError('OverflowError', 'int too large to convert to float');
  return f;
}

function asFloat(v: bigint | number): number {
  return typeof v === 'bigint' ? intToFloat(v) : v;
}

function floorDivInt(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function modInt(a: bigint, b: bigint): bigint {
  const r = a % b;
  return r !== 0n && (r < 0n) !== (b < 0n) ? r + b : r;
}

/** CPython's float_divmod: returns [floordiv, mod] with Python's sign rules. */
export function floatDivmod(a: number, b: number): [number, number] {
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod) {
    if ((b < 0) !== (mod < 0)) { mod += b; div -= 1; }
  } else {
    mod = b < 0 ? -0 : 0;
  }
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else {
    floordiv = (a / b) < 0 ? -0 : 0;
  }
  return [floordiv, mod];
}

function trueDivInt(a: bigint, b: bigint): number {
  if (b === 0n) throw pyError('ZeroDivisionError', 'division by zero');
  const limit = 1n << 53n;
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  if (abs(a) <= limit && abs(b) <= limit) return Number(a) / Number(b); // exact operands: correctly rounded
  const r = Number(a) / Number(b);
  if (!Number.isFinite(r) && Number.isFinite(Number(b))) throw pyError('OverflowError', 'integer division result too large for a float');
  if (Number.isNaN(r)) throw unsupported('true division of integers this large');
  return r;
}

function intPow(base: bigint, exp: bigint): PyValue {
  if (exp < 0n) {
    if (base === 0n) throw pyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
    return floatPow(intToFloat(base), intToFloat(exp));
  }
  if (base === 0n || base === 1n) return exp === 0n ? 1n : base;
  if (base === -1n) return exp % 2n === 0n ? 1n : -1n;
  const bits = (base < 0n ? -base : base).toString(2).length;
  if (BigInt(bits) * exp > 65_536n) throw unsupported('integers larger than 65536 bits');
  return checkInt(base ** exp);
}

function floatPow(a: number, b: number): number {
  if (a === 0 && b < 0) throw pyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (a < 0 && !Number.isInteger(b) && Number.isFinite(b)) throw unsupported('complex numbers (negative number raised to a fractional power)');
  const r = Math.pow(a, b);
  // JS says 1 ** NaN and 1 ** inf are NaN; C pow (and Python) say 1.0.
  if (a === 1 || b === 0) return 1;
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) throw pyError('OverflowError', "(34, 'Numerical result out of range')");
  return r;
}

function arithmetic(op: string, x: bigint | number, y: bigint | number): PyValue {
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    switch (op) {
      case '+': return checkInt(x + y);
      case '-': return checkInt(x - y);
      case '*': return checkInt(x * y);
      case '/': return trueDivInt(x, y);
      case '//':
        if (y === 0n) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
        return floorDivInt(x, y);
      case '%':
        if (y === 0n) throw pyError('ZeroDivisionError', 'integer modulo by zero');
        return modInt(x, y);
      case '**': return intPow(x, y);
      case '&': return x & y;
      case '|': return x | y;
      case '^': return x ^ y;
      case '<<':
        if (y < 0n) throw pyError('ValueError', 'negative shift count');
        if (x === 0n) return 0n;
        if (y > 65_536n) throw unsupported('integers larger than 65536 bits');
        return checkInt(x << y);
      case '>>':
        if (y < 0n) throw pyError('ValueError', 'negative shift count');
        if (y > 65_536n) return x < 0n ? -1n : 0n;
        return x >> y;
    }
  }
  if (['&', '|', '^', '<<', '>>'].includes(op)) throw operandError(op, x, y);
  const a = asFloat(x);
  const b = asFloat(y);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/':
      if (b === 0) throw pyError('ZeroDivisionError', 'float division by zero');
      return a / b;
    case '//':
      if (b === 0) throw pyError('ZeroDivisionError', 'float floor division by zero');
      return floatDivmod(a, b)[0];
    case '%':
      if (b === 0) throw pyError('ZeroDivisionError', 'float modulo');
      return floatDivmod(a, b)[1];
    case '**': return floatPow(a, b);
  }
  throw operandError(op, x, y);
}

function operandError(op: string, a: PyValue, b: PyValue): Error {
  return pyError('TypeError', `unsupported operand type(s) for ${op === '**' ? '** or pow()' : op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function repeatCount(n: PyValue): number | undefined {
  if (typeof n === 'boolean') return n ? 1 : 0;
  if (typeof n !== 'bigint') return undefined;
  if (n <= 0n) return 0;
  checkLength(n, 'sequence');
  return Number(n);
}

function repeatSequence(seq: PyValue, count: number): PyValue {
  if (typeof seq === 'string') { checkLength(seq.length * count, 'string'); tick(count); return seq.repeat(count); }
  if (seq instanceof PyList || seq instanceof PyTuple) {
    checkLength(seq.items.length * count, seq.typeName);
    tick(seq.items.length * count);
    const items: PyValue[] = [];
    for (let i = 0; i < count; i++) items.push(...seq.items);
    return seq instanceof PyList ? new PyList(items) : new PyTuple(items);
  }
  if (seq instanceof PyBytes) {
    checkLength(seq.data.length * count, 'bytes');
    const out = new Uint8Array(seq.data.length * count);
    for (let i = 0; i < count; i++) out.set(seq.data, i * seq.data.length);
    return new PyBytes(out);
  }
  throw new Error('unreachable');
}

const isSequence = (v: PyValue): boolean =>
  typeof v === 'string' || v instanceof PyList || v instanceof PyTuple || v instanceof PyBytes;

export function binaryOp(op: string, a: PyValue, b: PyValue): PyValue {
  tick();
  // bool & bool stays a bool in Python.
  if (typeof a === 'boolean' && typeof b === 'boolean' && (op === '&' || op === '|' || op === '^')) {
    return op === '&' ? a && b : op === '|' ? a || b : a !== b;
  }
  if (isNumber(a) && isNumber(b)) return arithmetic(op, numeric(a), numeric(b));
  switch (op) {
    case '+':
      if (typeof a === 'string') {
        if (typeof b !== 'string') throw pyError('TypeError', `can only concatenate str (not "${typeName(b)}") to str`);
        checkLength(a.length + b.length, 'string');
        return a + b;
      }
      if (a instanceof PyList) {
        if (!(b instanceof PyList)) throw pyError('TypeError', `can only concatenate list (not "${typeName(b)}") to list`);
        checkLength(a.items.length + b.items.length, 'list');
        return new PyList([...a.items, ...b.items]);
      }
      if (a instanceof PyTuple) {
        if (!(b instanceof PyTuple)) throw pyError('TypeError', `can only concatenate tuple (not "${typeName(b)}") to tuple`);
        checkLength(a.items.length + b.items.length, 'tuple');
        return new PyTuple([...a.items, ...b.items]);
      }
      if (a instanceof PyBytes && b instanceof PyBytes) {
        checkLength(a.data.length + b.data.length, 'bytes');
        const out = new Uint8Array(a.data.length + b.data.length);
        out.set(a.data);
        out.set(b.data, a.data.length);
        return new PyBytes(out);
      }
      if (a instanceof PyBytes) throw pyError('TypeError', `can't concat ${typeName(b)} to bytes`);
      break;
    case '*': {
      if (isSequence(a) && isNumber(b) && typeof b !== 'number') return repeatSequence(a, repeatCount(b)!);
      if (isSequence(b) && isNumber(a) && typeof a !== 'number') return repeatSequence(b, repeatCount(a)!);
      if ((isSequence(a) && typeof b === 'number') || (isSequence(b) && typeof a === 'number')) {
        throw pyError('TypeError', "can't multiply sequence by non-int of type 'float'");
      }
      if (isSequence(a) || isSequence(b)) {
        const other = isSequence(a) ? b : a;
        throw pyError('TypeError', `can't multiply sequence by non-int of type '${typeName(other)}'`);
      }
      break;
    }
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      break;
    case '|': case '&': case '^': case '-':
      if (a instanceof PySet && b instanceof PySet) return setOp(op, a, b);
      if (op === '|' && a instanceof PyDict && b instanceof PyDict) {
        const out = new PyDict();
        for (const e of a.entries.values()) out.set(e.key, e.value);
        for (const e of b.entries.values()) out.set(e.key, e.value);
        return out;
      }
      break;
  }
  throw operandError(op, a, b);
}

function setOp(op: string, a: PySet, b: PySet): PySet {
  const out = new PySet(a.typeName === 'frozenset');
  const inA = (x: PyValue): boolean => a.has(x);
  const inB = (x: PyValue): boolean => b.has(x);
  switch (op) {
    case '|': for (const x of a.entries.values()) out.add(x); for (const x of b.entries.values()) out.add(x); break;
    case '&': for (const x of a.entries.values()) if (inB(x)) out.add(x); break;
    case '-': for (const x of a.entries.values()) if (!inB(x)) out.add(x); break;
    case '^':
      for (const x of a.entries.values()) if (!inB(x)) out.add(x);
      for (const x of b.entries.values()) if (!inA(x)) out.add(x);
      break;
  }
  return out;
}

/** printf-style `str % args`: flags, width, precision; conversions d i u o x X e E f F c s r a %. */
function percentFormat(format: string, args: PyValue): string {
  const mapping = args instanceof PyDict ? args : undefined;
  // CPython treats any non-tuple, non-str object with __getitem__ as a
  // mapping: '%s' % [1] is fine, and ' s ' % [1] does not complain.
  const mappingLike = mapping !== undefined || args instanceof PyList || args instanceof PyBytes || args instanceof PyRange ||
    (args instanceof PyOpaque && args.behaviour.getItem !== undefined);
  const values = args instanceof PyTuple ? [...args.items] : [args];
  let used = 0;
  const nextValue = (): PyValue => {
    if (used >= values.length) throw pyError('TypeError', 'not enough arguments for format string');
    return values[used++];
  };
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(.?)/gs;
  let usedMapping = false;
  const out = format.replace(re, (_whole, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%' && key === undefined && !flags && !width && precision === undefined) return '%';
    if (conv === '') throw pyError('ValueError', 'incomplete format');
    if ('gGn'.includes(conv)) throw unsupported(`'%${conv}' in % formatting`);
    if (!'diouxXeEfFcrsa%'.includes(conv)) {
      throw pyError('ValueError', `unsupported format character '${conv}' (0x${conv.codePointAt(0)!.toString(16)}) at index ${format.indexOf('%' + flags + (width ?? '') + (precision !== undefined ? '.' + precision : '') + conv)}`);
    }
    const widthValue = width === '*' ? String(expectIntArg(nextValue())) : width ?? '';
    const precisionValue = precision === '*' ? String(expectIntArg(nextValue())) : precision;
    let value: PyValue;
    if (key !== undefined) {
      if (!mapping) throw pyError('TypeError', 'format requires a mapping');
      usedMapping = true;
      const v = mapping.get(key);
      if (v === undefined) throw pyError('KeyError', pyRepr(key));
      value = v;
    } else value = nextValue();
    const left = flags.includes('-');
    const zero = flags.includes('0') && !left;
    const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
    const alt = flags.includes('#') ? '#' : '';
    const prec = precisionValue !== undefined ? '.' + precisionValue : '';
    if ('sra'.includes(conv)) {
      const text = conv === 's' ? pyStr(value) : pyRepr(value);
      return formatValue(text, (left ? '<' : '>') + widthValue + prec);
    }
    if (conv === 'c') {
      if (typeof value === 'string') {
        if (strLength(value) !== 1) throw pyError('TypeError', '%c requires int or char');
        return formatValue(value, (left ? '<' : '>') + widthValue);
      }
      return formatValue(expectIntArg(value), (left ? '<' : '>') + widthValue + 'c');
    }
    if (!isNumber(value)) {
      throw pyError('TypeError', `%${conv} format: a real number is required, not ${typeName(value)}`);
    }
    const align = left ? '<' : zero ? '=' : '>';
    const fill = zero ? '0' : ' ';
    if ('diuoxX'.includes(conv)) {
      let n = numeric(value);
      if (typeof n === 'number' && 'oxX'.includes(conv)) {
        throw pyError('TypeError', `%${conv} format: an integer is required, not float`);
      }
      if (typeof n === 'number') {
        if (!Number.isFinite(n)) throw pyError(Number.isNaN(n) ? 'ValueError' : 'OverflowError', Number.isNaN(n) ? 'cannot convert float NaN to integer' : 'cannot convert float infinity to integer');
        n = BigInt(Math.trunc(n));
      }
      const type = 'diu'.includes(conv) ? 'd' : conv;
      let text = formatValue(n, `${fill}${align}${sign}${alt}${widthValue}${type}`);
      if (precisionValue !== undefined) {
        // %.3d pads the digits with zeros to the precision.
        const digits = (n < 0n ? -n : n).toString(conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10);
        if (digits.length < Number(precisionValue)) {
          const padded = digits.padStart(Number(precisionValue), '0');
          text = text.replace(conv === 'X' ? digits.toUpperCase() : digits, conv === 'X' ? padded.toUpperCase() : padded);
        }
      }
      return text;
    }
    return formatValue(Number(numeric(value)), `${fill}${align}${sign}${alt}${widthValue}${prec || '.6'}${conv}`);
  });
  if (!mappingLike && used < values.length) throw pyError('TypeError', 'not all arguments converted during string formatting');
  void usedMapping;
  return out;
}

function expectIntArg(v: PyValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw pyError('TypeError', '* wants int');
}

export function unaryOp(op: '-' | '+' | '~', v: PyValue): PyValue {
  if (isNumber(v)) {
    const n = numeric(v);
    if (op === '-') return typeof n === 'bigint' ? -n : -n;
    if (op === '+') return n;
    if (typeof n === 'bigint') return ~n;
  }
  throw pyError('TypeError', `bad operand type for unary ${op}: '${typeName(v)}'`);
}

export function contains(container: PyValue, item: PyValue): boolean {
  tick();
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw pyError('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (container instanceof PyBytes) {
    if (typeof item === 'bigint' || typeof item === 'boolean') {
      const n = numeric(item) as bigint;
      if (n < 0n || n > 255n) throw pyError('ValueError', 'byte must be in range(0, 256)');
      return container.data.includes(Number(n));
    }
    if (!(item instanceof PyBytes)) throw pyError('TypeError', `a bytes-like object is required, not '${typeName(item)}'`);
    return Buffer.from(container.data).includes(Buffer.from(item.data));
  }
  if (container instanceof PyDict) { hashKey(item); return container.entries.has(hashKey(item)); }
  if (container instanceof PySet) return container.has(item);
  if (container instanceof PyRange && (typeof item === 'bigint' || typeof item === 'boolean')) {
    const n = numeric(item) as bigint;
    const { start, step } = container;
    const len = container.length;
    if (len === 0n) return false;
    const last = container.at(len - 1n);
    const inSpan = step > 0n ? n >= start && n <= last : n <= start && n >= last;
    return inSpan && (n - start) % step === 0n;
  }
  if (container instanceof PyOpaque && container.behaviour.contains) return container.behaviour.contains(item);
  if (container instanceof PyList || container instanceof PyTuple) {
    return container.items.some((x) => x === item || pyEquals(x, item));
  }
  if (container instanceof PyRange || container instanceof PyIterator || (container instanceof PyOpaque && container.behaviour.iterate)) {
    for (const x of pyIterate(container)) if (x === item || pyEquals(x, item)) return true;
    return false;
  }
  throw pyError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

/** Python's `is`, where it is well defined without CPython's caching details. */
export function identical(a: PyValue, b: PyValue): boolean {
  if (a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (typeName(a) !== typeName(b)) return false;
  if (typeof a === 'object' && typeof b === 'object') {
    if (a instanceof PyTuple && b instanceof PyTuple && a.items.length === 0 && b.items.length === 0) return true;
    if (!(a instanceof PyTuple || a instanceof PyBytes)) return a === b;
  }
  // int/float/str/bytes/tuple identity depends on CPython's constant caching.
  throw unsupported(`'is' between two ${typeName(a)} values (use ==)`);
}

export function compare(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==': return pyEquals(a, b);
    case '!=': return !pyEquals(a, b);
    case 'in': return contains(b, a);
    case 'not in': return !contains(b, a);
    case 'is': return identical(a, b);
    case 'is not': return !identical(a, b);
    default: return pyOrder(op as OrderOp, a, b);
  }
}

// ---------------------------------------------------------------------------
// Subscripts

export function toIndex(v: PyValue, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw pyError('TypeError', `${what} indices must be integers or slices, not ${typeName(v)}`);
}

export interface SliceValue { lower: PyValue; upper: PyValue; step: PyValue }

function sliceBound(v: PyValue): bigint | null {
  if (v === null) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw pyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
}

/** The indices a slice selects from a sequence of `length` items (Python's slice.indices). */
export function sliceIndices(s: SliceValue, length: number): number[] {
  const { start, stop, step } = sliceBounds(s, BigInt(length));
  const out: number[] = [];
  if (step > 0n) for (let i = start; i < stop; i += step) out.push(Number(i));
  else for (let i = start; i > stop; i += step) out.push(Number(i));
  tick(out.length);
  return out;
}

/** Python's slice.indices(length): normalised (start, stop, step). */
function sliceBounds(s: SliceValue, len: bigint): { start: bigint; stop: bigint; step: bigint } {
  const step = sliceBound(s.step) ?? 1n;
  if (step === 0n) throw pyError('ValueError', 'slice step cannot be zero');
  const clamp = (v: bigint | null, dflt: bigint, lo: bigint, hi: bigint): bigint => {
    if (v === null) return dflt;
    let x = v < 0n ? v + len : v;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    return x;
  };
  if (step > 0n) return { start: clamp(sliceBound(s.lower), 0n, 0n, len), stop: clamp(sliceBound(s.upper), len, 0n, len), step };
  return { start: clamp(sliceBound(s.lower), len - 1n, -1n, len - 1n), stop: clamp(sliceBound(s.upper), -1n, -1n, len - 1n), step };
}

function normaliseIndex(i: bigint, length: number, what: string): number {
  const j = i < 0n ? i + BigInt(length) : i;
  if (j < 0n || j >= BigInt(length)) throw pyError('IndexError', `${what} index out of range`);
  return Number(j);
}

export function getItem(container: PyValue, key: PyValue | SliceValue, isSlice: boolean): PyValue {
  tick();
  if (typeof container === 'string' || container instanceof PyList || container instanceof PyTuple || container instanceof PyBytes || container instanceof PyRange) {
    const what = typeof container === 'string' ? 'string' : typeName(container) === 'list' ? 'list' : container instanceof PyBytes ? 'byte' : container instanceof PyRange ? 'range object' : 'tuple';
    if (typeof container === 'string') {
      const chars = astralCodePoints(container);
      const length = chars ? chars.length : container.length;
      const at = (i: number): string => (chars ? chars[i] : container[i]);
      if (isSlice) return sliceIndices(key as SliceValue, length).map(at).join('');
      return at(normaliseIndex(toIndex(key as PyValue, 'string'), length, 'string'));
    }
    if (container instanceof PyBytes) {
      if (isSlice) return new PyBytes(Uint8Array.from(sliceIndices(key as SliceValue, container.data.length), (i) => container.data[i]));
      return BigInt(container.data[normaliseIndex(toIndex(key as PyValue, 'byte'), container.data.length, 'index')]);
    }
    if (container instanceof PyRange) {
      const len = container.length;
      if (isSlice) {
        // range(10)[2:8:2] is range(2, 8, 2): compute Python's slice.indices() on the length.
        const { start, stop, step } = sliceBounds(key as SliceValue, len);
        return new PyRange(container.at(start), container.at(stop), container.step * step);
      }
      let i = toIndex(key as PyValue, 'range');
      if (i < 0n) i += len;
      if (i < 0n || i >= len) throw pyError('IndexError', 'range object index out of range');
      return container.at(i);
    }
    const items = container.items;
    if (isSlice) {
      const picked = sliceIndices(key as SliceValue, items.length).map((i) => items[i]);
      return container instanceof PyList ? new PyList(picked) : new PyTuple(picked);
    }
    return items[normaliseIndex(toIndex(key as PyValue, what), items.length, what)];
  }
  if (container instanceof PyDict) {
    if (isSlice) throw pyError('TypeError', "unhashable type: 'slice'");
    const v = container.get(key as PyValue);
    if (v === undefined) throw pyError('KeyError', pyRepr(key as PyValue));
    return v;
  }
  if (container instanceof PyOpaque && container.behaviour.getItem) {
    if (isSlice) throw pyError('TypeError', "unhashable type: 'slice'");
    return container.behaviour.getItem(key as PyValue);
  }
  throw pyError('TypeError', `'${typeName(container)}' object is not subscriptable`);
}
