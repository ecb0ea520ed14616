/**
 * Attribute access: methods of str, bytes, list, tuple, dict, set, int and
 * float, and attributes of opaque objects (modules, match objects, ...).
 * Dunder attributes are never reachable (no `().__class__.__bases__` tricks).
 */
import { boundMethod, expectArgs, expectInt, expectStr } from './callables';
import { iterableToArray, STR_TYPE } from './builtins';
import { pyError, unsupported } from './errors';
import { checkLength, tick } from './limits';
import { contains, sliceIndices } from './operators';
import { PY_WHITESPACE } from './numbers';
import { strFormat } from './format';
import { PYTHON_ATTRIBUTE_NAMES } from './python-names';
import {
  astralCodePoints, pyEquals, pyIterate, pyRepr, PyArgs, PyBytes, PyCallable, PyDict, PyKwargs, PyList, PyOpaque,
  PyRange, PySet, PyTuple, PyType, PyValue, strLength, truthy, typeName,
} from './values';

type Method<T> = (self: T, args: PyArgs, kwargs: PyKwargs) => PyValue;

const WS = new Set(PY_WHITESPACE);

function chars(s: string): string[] {
  return astralCodePoints(s) ?? s.split('');
}

/** Python's optional start/end arguments, as a code-point slice of `s`. */
function window(s: string, start: PyValue | undefined, end: PyValue | undefined): { text: string; offset: number } {
  const cs = chars(s);
  const idx = sliceIndices({ lower: start ?? null, upper: end ?? null, step: null }, cs.length);
  if (idx.length === 0) {
    // An empty window still matters: ''.startswith('') at a valid position is True.
    const lowerRaw = start === undefined || start === null ? 0 : Number(expectInt(start));
    const lower = lowerRaw < 0 ? Math.max(0, cs.length + lowerRaw) : lowerRaw;
    return { text: lower > cs.length ? '\u0000INVALID' : '', offset: Math.min(lower, cs.length) };
  }
  return { text: idx.map((i) => cs[i]).join(''), offset: idx[0] };
}

function prefixes(name: string, arg: PyValue): string[] {
  if (typeof arg === 'string') return [arg];
  if (arg instanceof PyTuple) {
    return arg.items.map((x) => {
      if (typeof x !== 'string') throw pyError('TypeError', `tuple for ${name} must only contain str, not ${typeName(x)}`);
      return x;
    });
  }
  throw pyError('TypeError', `${name} first arg must be str or a tuple of str, not ${typeName(arg)}`);
}

function startsOrEnds(name: 'startswith' | 'endswith'): Method<string> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 1, 3);
    const w = window(s, args[1], args[2]);
    if (w.text === '\u0000INVALID') return false;
    return prefixes(name, args[0]).some((p) => (name === 'startswith' ? w.text.startsWith(p) : w.text.endsWith(p)));
  };
}

function stripChars(name: string, args: PyArgs, kwargs: PyKwargs): (c: string) => boolean {
  expectArgs(name, args, kwargs, 0, 1);
  const arg = args[0] ?? null;
  if (arg === null) return (c) => WS.has(c);
  const set = new Set(chars(expectStr(name, arg, 'arg')));
  return (c) => set.has(c);
}

function strip(name: 'strip' | 'lstrip' | 'rstrip'): Method<string> {
  return (s, args, kwargs) => {
    const strippable = stripChars(name, args, kwargs);
    const cs = chars(s);
    let a = 0;
    let b = cs.length;
    if (name !== 'rstrip') while (a < b && strippable(cs[a])) a++;
    if (name !== 'lstrip') while (b > a && strippable(cs[b - 1])) b--;
    return cs.slice(a, b).join('');
  };
}

function splitWhitespace(s: string, maxsplit: number, fromRight: boolean): string[] {
  const cs = chars(s);
  const words: string[] = [];
  if (!fromRight) {
    let i = 0;
    while (i < cs.length) {
      while (i < cs.length && WS.has(cs[i])) i++;
      if (i >= cs.length) break;
      if (maxsplit >= 0 && words.length === maxsplit) {
        // The unsplit remainder keeps its trailing whitespace, as in Python.
        words.push(cs.slice(i).join(''));
        break;
      }
      let j = i;
      while (j < cs.length && !WS.has(cs[j])) j++;
      words.push(cs.slice(i, j).join(''));
      i = j;
    }
    return words;
  }
  let i = cs.length;
  while (i > 0) {
    while (i > 0 && WS.has(cs[i - 1])) i--;
    if (i <= 0) break;
    if (maxsplit >= 0 && words.length === maxsplit) {
      words.push(cs.slice(0, i).join(''));
      break;
    }
    let j = i;
    while (j > 0 && !WS.has(cs[j - 1])) j--;
    words.push(cs.slice(j, i).join(''));
    i = j;
  }
  return words.reverse();
}

function split(name: 'split' | 'rsplit'): Method<string> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 0, 2, ['sep', 'maxsplit']);
    const sep = args.length > 0 ? args[0] : kwargs.get('sep') ?? null;
    const maxsplit = Number(expectInt(args.length > 1 ? args[1] : kwargs.get('maxsplit') ?? -1n));
    let parts: string[];
    if (sep === null) parts = splitWhitespace(s, maxsplit, name === 'rsplit');
    else {
      const sepText = expectStr(name, sep, 'sep');
      if (sepText === '') throw pyError('ValueError', 'empty separator');
      const all = s.split(sepText);
      if (maxsplit < 0 || all.length - 1 <= maxsplit) parts = all;
      else if (name === 'split') parts = [...all.slice(0, maxsplit), all.slice(maxsplit).join(sepText)];
      else parts = [all.slice(0, all.length - maxsplit).join(sepText), ...all.slice(all.length - maxsplit)];
    }
    tick(parts.length);
    return new PyList(parts);
  };
}

function find(name: 'find' | 'rfind' | 'index' | 'rindex' | 'count'): Method<string> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 1, 3);
    const sub = expectStr(name, args[0], 'arg');
    const w = window(s, args[1], args[2]);
    if (w.text === '\u0000INVALID') {
      if (name === 'count') return 0n;
      if (name === 'index' || name === 'rindex') throw pyError('ValueError', 'substring not found');
      return -1n;
    }
    if (name === 'count') {
      if (sub === '') return BigInt(strLength(w.text) + 1);
      return BigInt(w.text.split(sub).length - 1);
    }
    const at = name === 'find' || name === 'index' ? w.text.indexOf(sub) : w.text.lastIndexOf(sub);
    if (at < 0) {
      if (name === 'index' || name === 'rindex') throw pyError('ValueError', 'substring not found');
      return -1n;
    }
    // Convert the UTF-16 offset back to a code-point index.
    return BigInt(w.offset + strLength(w.text.slice(0, at)));
  };
}

function predicate(name: string, test: (s: string) => boolean): Method<string> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 0, 0);
    return test(s);
  };
}

const DIGIT_EXTRA = '\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792';
const IS_DECIMAL = /^\p{Nd}+$/u;
const IS_DIGIT = new RegExp(`^[\\p{Nd}${DIGIT_EXTRA}]+$`, 'u');
const IS_NUMERIC = /^\p{N}+$/u;
const IS_ALPHA = /^\p{L}+$/u;
const IS_ALNUM = /^[\p{L}\p{N}]+$/u;
const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;

function pad(name: 'center' | 'ljust' | 'rjust'): Method<string> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 1, 2);
    const width = Number(expectInt(args[0]));
    const fill = args.length > 1 ? expectStr(name, args[1], 'fillchar') : ' ';
    if (strLength(fill) !== 1) throw pyError('TypeError', 'The fill character must be exactly one character long');
    const len = strLength(s);
    if (width <= len) return s;
    checkLength(width, 'string');
    const total = width - len;
    if (name === 'ljust') return s + fill.repeat(total);
    if (name === 'rjust') return fill.repeat(total) + s;
    const left = Math.floor(total / 2) + (total & width & 1);
    return fill.repeat(left) + s + fill.repeat(total - left);
  };
}

const STR_METHODS: Record<string, Method<string>> = {
  startswith: startsOrEnds('startswith'),
  endswith: startsOrEnds('endswith'),
  strip: strip('strip'),
  lstrip: strip('lstrip'),
  rstrip: strip('rstrip'),
  split: split('split'),
  rsplit: split('rsplit'),
  find: find('find'),
  rfind: find('rfind'),
  index: find('index'),
  rindex: find('rindex'),
  count: find('count'),
  lower: (s, args, kwargs) => { expectArgs('lower', args, kwargs, 0, 0); return s.toLowerCase(); },
  upper: (s, args, kwargs) => { expectArgs('upper', args, kwargs, 0, 0); return s.toUpperCase(); },
  casefold: (s, args, kwargs) => { expectArgs('casefold', args, kwargs, 0, 0); return s.toUpperCase().toLowerCase(); },
  title: (s, args, kwargs) => {
    expectArgs('title', args, kwargs, 0, 0);
    // A cased character starts a word when the previous character is not cased.
    let previousCased = false;
    return chars(s).map((c) => {
      const cased = CASED.test(c);
      const out = cased ? (previousCased ? c.toLowerCase() : c.toUpperCase()) : c;
      previousCased = cased;
      return out;
    }).join('');
  },
  swapcase: (s, args, kwargs) => {
    expectArgs('swapcase', args, kwargs, 0, 0);
    return chars(s).map((c) => (c.toUpperCase() !== c ? c.toUpperCase() : c.toLowerCase())).join('');
  },
  capitalize: (s, args, kwargs) => {
    expectArgs('capitalize', args, kwargs, 0, 0);
    const cs = chars(s);
    return cs.length ? cs[0].toUpperCase() + cs.slice(1).join('').toLowerCase() : '';
  },
  isdigit: predicate('isdigit', (s) => IS_DIGIT.test(s)),
  isdecimal: predicate('isdecimal', (s) => IS_DECIMAL.test(s)),
  isnumeric: predicate('isnumeric', (s) => IS_NUMERIC.test(s)),
  isalpha: predicate('isalpha', (s) => IS_ALPHA.test(s)),
  isalnum: predicate('isalnum', (s) => IS_ALNUM.test(s)),
  isspace: predicate('isspace', (s) => s.length > 0 && chars(s).every((c) => WS.has(c))),
  isascii: predicate('isascii', (s) => /^[\x00-\x7f]*$/.test(s)),
  isupper: predicate('isupper', (s) => CASED.test(s) && !/\p{Ll}/u.test(s) && s.toLowerCase() !== s),
  islower: predicate('islower', (s) => CASED.test(s) && !/[\p{Lu}\p{Lt}]/u.test(s) && s.toUpperCase() !== s),
  join: (s, args, kwargs) => {
    expectArgs('join', args, kwargs, 1, 1);
    const items = iterableToArray(args[0]);
    let length = 0;
    return items.map((x, i) => {
      if (typeof x !== 'string') throw pyError('TypeError', `sequence item ${i}: expected str instance, ${typeName(x)} found`);
      length += x.length + s.length;
      checkLength(length, 'string');
      return x;
    }).join(s);
  },
  replace: (s, args, kwargs) => {
    expectArgs('replace', args, kwargs, 2, 3);
    const old = expectStr('replace', args[0], 'arg 1');
    const repl = expectStr('replace', args[1], 'arg 2');
    const count = args.length > 2 ? Number(expectInt(args[2])) : -1;
    const cs = old === '' ? ['', ...chars(s).map((c) => c), ''] : null;
    if (cs) {
      // Python inserts the replacement between every character and at both ends.
      const pieces = chars(s);
      const limit = count < 0 ? pieces.length + 1 : Math.min(count, pieces.length + 1);
      checkLength(s.length + limit * repl.length, 'string');
      let out = '';
      for (let i = 0; i <= pieces.length; i++) {
        if (i < limit) out += repl;
        if (i < pieces.length) out += pieces[i];
      }
      return out;
    }
    const parts = s.split(old);
    const limit = count < 0 ? parts.length - 1 : Math.min(count, parts.length - 1);
    checkLength(s.length + limit * Math.max(0, repl.length - old.length), 'string');
    return parts.slice(0, limit + 1).join(repl) + (limit + 1 < parts.length ? old + parts.slice(limit + 1).join(old) : '');
  },
  zfill: (s, args, kwargs) => {
    expectArgs('zfill', args, kwargs, 1, 1);
    const width = Number(expectInt(args[0]));
    const len = strLength(s);
    if (width <= len) return s;
    checkLength(width, 'string');
    const sign = s[0] === '+' || s[0] === '-' ? s[0] : '';
    return sign + '0'.repeat(width - len) + s.slice(sign.length);
  },
  center: pad('center'),
  ljust: pad('ljust'),
  rjust: pad('rjust'),
  partition: (s, args, kwargs) => {
    expectArgs('partition', args, kwargs, 1, 1);
    const sep = expectStr('partition', args[0], 'arg');
    if (sep === '') throw pyError('ValueError', 'empty separator');
    const at = s.indexOf(sep);
    return at < 0 ? new PyTuple([s, '', '']) : new PyTuple([s.slice(0, at), sep, s.slice(at + sep.length)]);
  },
  rpartition: (s, args, kwargs) => {
    expectArgs('rpartition', args, kwargs, 1, 1);
    const sep = expectStr('rpartition', args[0], 'arg');
    if (sep === '') throw pyError('ValueError', 'empty separator');
    const at = s.lastIndexOf(sep);
    return at < 0 ? new PyTuple(['', '', s]) : new PyTuple([s.slice(0, at), sep, s.slice(at + sep.length)]);
  },
  removeprefix: (s, args, kwargs) => {
    expectArgs('removeprefix', args, kwargs, 1, 1);
    const p = expectStr('removeprefix', args[0], 'arg');
    return p && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, args, kwargs) => {
    expectArgs('removesuffix', args, kwargs, 1, 1);
    const p = expectStr('removesuffix', args[0], 'arg');
    return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  splitlines: (s, args, kwargs) => {
    expectArgs('splitlines', args, kwargs, 0, 1, ['keepends']);
    const keep = truthy(args[0] ?? kwargs.get('keepends') ?? false);
    const out: string[] = [];
    const re = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/g;
    let last = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      out.push(s.slice(last, keep ? m.index + m[0].length : m.index));
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(s.slice(last));
    return new PyList(out);
  },
  format: (s, args, kwargs) => strFormat(s, args, kwargs),
  encode: (s, args, kwargs) => {
    expectArgs('encode', args, kwargs, 0, 2, ['encoding', 'errors']);
    const enc = String(args[0] ?? kwargs.get('encoding') ?? 'utf-8').toLowerCase().replace(/[-_]/g, '');
    if (enc === 'utf8') return new PyBytes(new Uint8Array(Buffer.from(s, 'utf8')));
    if (enc === 'ascii') {
      const bad = /[^\x00-\x7f]/.exec(s);
      if (bad) throw pyError('UnicodeEncodeError', `'ascii' codec can't encode character ${pyRepr(bad[0])} in position ${strLength(s.slice(0, bad.index))}: ordinal not in range(128)`);
      return new PyBytes(new Uint8Array(Buffer.from(s, 'latin1')));
    }
    throw unsupported(`str.encode(${pyRepr(args[0] ?? null)})`);
  },
};

function sequenceIndex(name: string, items: readonly PyValue[], args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('index', args, kwargs, 1, 3);
  const idx = sliceIndices({ lower: args[1] ?? null, upper: args[2] ?? null, step: null }, items.length);
  for (const i of idx) if (items[i] === args[0] || pyEquals(items[i], args[0])) return BigInt(i);
  throw pyError('ValueError', name === 'list' ? `${pyRepr(args[0])} is not in list` : 'tuple.index(x): x not in tuple');
}

function sequenceCount(items: readonly PyValue[], args: PyArgs, kwargs: PyKwargs): PyValue {
  expectArgs('count', args, kwargs, 1, 1);
  return BigInt(items.filter((x) => x === args[0] || pyEquals(x, args[0])).length);
}

const LIST_METHODS: Record<string, Method<PyList>> = {
  index: (l, args, kwargs) => sequenceIndex('list', l.items, args, kwargs),
  count: (l, args, kwargs) => sequenceCount(l.items, args, kwargs),
  copy: (l, args, kwargs) => { expectArgs('copy', args, kwargs, 0, 0); return new PyList([...l.items]); },
};

const TUPLE_METHODS: Record<string, Method<PyTuple>> = {
  index: (t, args, kwargs) => sequenceIndex('tuple', t.items, args, kwargs),
  count: (t, args, kwargs) => sequenceCount(t.items, args, kwargs),
};

function dictView(kind: 'keys' | 'values' | 'items', d: PyDict): PyOpaque {
  const items = (): PyValue[] => [...d.entries.values()].map((e) =>
    kind === 'keys' ? e.key : kind === 'values' ? e.value : new PyTuple([e.key, e.value]));
  const typeName = `dict_${kind}`;
  return new PyOpaque(typeName, `${typeName}(${pyRepr(new PyList(items()))})`, {
    len: () => d.entries.size,
    iterate: items,
    contains: (x) => (kind === 'keys' ? contains(d, x) : items().some((y) => pyEquals(x, y))),
    equals: kind === 'values' ? undefined : (other) => {
      if (other instanceof PySet) return pyEquals(new PySet(true, items()), other);
      if (other instanceof PyOpaque && other.typeName === typeName) {
        return pyEquals(new PySet(true, items()), new PySet(true, [...pyIterate(other)]));
      }
      return undefined;
    },
  });
}

const DICT_METHODS: Record<string, Method<PyDict>> = {
  get: (d, args, kwargs) => {
    expectArgs('get', args, kwargs, 1, 2);
    const v = d.get(args[0]);
    return v === undefined ? args[1] ?? null : v;
  },
  keys: (d, args, kwargs) => { expectArgs('keys', args, kwargs, 0, 0); return dictView('keys', d); },
  values: (d, args, kwargs) => { expectArgs('values', args, kwargs, 0, 0); return dictView('values', d); },
  items: (d, args, kwargs) => { expectArgs('items', args, kwargs, 0, 0); return dictView('items', d); },
  copy: (d, args, kwargs) => {
    expectArgs('copy', args, kwargs, 0, 0);
    const out = new PyDict();
    for (const e of d.entries.values()) out.set(e.key, e.value);
    return out;
  },
};

function setMethod(name: string, op: (a: PySet, b: PySet) => PyValue): Method<PySet> {
  return (s, args, kwargs) => {
    expectArgs(name, args, kwargs, 1, 1);
    const other = args[0] instanceof PySet ? args[0] : new PySet(true, iterableToArray(args[0]));
    return op(s, other);
  };
}

const subset = (a: PySet, b: PySet): boolean => [...a.entries.keys()].every((h) => b.entries.has(h));
const SET_METHODS: Record<string, Method<PySet>> = {
  issubset: setMethod('issubset', subset),
  issuperset: setMethod('issuperset', (a, b) => subset(b, a)),
  isdisjoint: setMethod('isdisjoint', (a, b) => ![...a.entries.keys()].some((h) => b.entries.has(h))),
  union: setMethod('union', (a, b) => new PySet(a.typeName === 'frozenset', [...a.entries.values(), ...b.entries.values()])),
  intersection: setMethod('intersection', (a, b) => new PySet(a.typeName === 'frozenset', [...a.entries.values()].filter((x) => b.has(x)))),
  difference: setMethod('difference', (a, b) => new PySet(a.typeName === 'frozenset', [...a.entries.values()].filter((x) => !b.has(x)))),
};

const BYTES_METHODS: Record<string, Method<PyBytes>> = {
  decode: (b, args, kwargs) => {
    expectArgs('decode', args, kwargs, 0, 2, ['encoding', 'errors']);
    const enc = String(args[0] ?? kwargs.get('encoding') ?? 'utf-8').toLowerCase().replace(/[-_]/g, '');
    if (enc === 'ascii' && b.data.some((x) => x > 0x7f)) throw pyError('UnicodeDecodeError', "'ascii' codec can't decode byte");
    if (enc === 'ascii' || enc === 'utf8') {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(b.data);
      } catch {
        throw pyError('UnicodeDecodeError', "'utf-8' codec can't decode bytes");
      }
    }
    throw unsupported(`bytes.decode(${pyRepr(args[0] ?? null)})`);
  },
};

function bindAll<T extends PyValue>(self: T, name: string, table: Record<string, Method<T>>): PyCallable | undefined {
  const m = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  return m ? boundMethod(self, name, (args, kwargs) => m(self, args, kwargs)) : undefined;
}

function numberAttribute(v: boolean | bigint | number, name: string): PyValue | undefined {
  if (typeof v === 'number') {
    if (name === 'real') return v;
    if (name === 'imag') return 0;
    if (name === 'is_integer') return boundMethod(v, name, (args, kwargs) => { expectArgs('is_integer', args, kwargs, 0, 0); return Number.isInteger(v); });
    return undefined;
  }
  const n = typeof v === 'boolean' ? (v ? 1n : 0n) : v;
  if (name === 'real' || name === 'numerator') return n;
  if (name === 'imag') return 0n;
  if (name === 'denominator') return 1n;
  if (name === 'bit_length') return boundMethod(v, name, (args, kwargs) => { expectArgs('bit_length', args, kwargs, 0, 0); return n === 0n ? 0n : BigInt((n < 0n ? -n : n).toString(2).length); });
  return undefined;
}

function missing(name: string, dirKey: string, owner: string): never {
  if ((PYTHON_ATTRIBUTE_NAMES[dirKey] ?? []).includes(name)) {
    throw unsupported(`${dirKey}.${name}`);
  }
  throw pyError('AttributeError', `${owner} has no attribute '${name}'`);
}

export function getAttribute(v: PyValue, name: string): PyValue {
  tick();
  if (name.startsWith('__') && name.endsWith('__')) throw unsupported(`the attribute '${name}'`);
  const owner = `'${typeName(v)}' object`;
  if (typeof v === 'string') return bindAll(v, name, STR_METHODS) ?? missing(name, 'str', owner);
  if (typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number') {
    const r = numberAttribute(v, name);
    if (r !== undefined) return r;
    return missing(name, typeName(v) === 'bool' ? 'bool' : typeName(v), owner);
  }
  if (v === null) throw pyError('AttributeError', `'NoneType' object has no attribute '${name}'`);
  if (v instanceof PyList) return bindAll(v, name, LIST_METHODS) ?? missing(name, 'list', owner);
  if (v instanceof PyTuple) {
    if (v.named) {
      const i = v.named.fields.indexOf(name);
      if (i >= 0) return v.items[i];
    }
    return bindAll(v, name, TUPLE_METHODS) ?? missing(name, 'tuple', owner);
  }
  if (v instanceof PyDict) return bindAll(v, name, DICT_METHODS) ?? missing(name, 'dict', owner);
  if (v instanceof PySet) return bindAll(v, name, SET_METHODS) ?? missing(name, v.typeName, owner);
  if (v instanceof PyBytes) return bindAll(v, name, BYTES_METHODS) ?? missing(name, 'bytes', owner);
  if (v instanceof PyRange) {
    if (name === 'start' || name === 'stop' || name === 'step') return v[name];
    return missing(name, 'range', owner);
  }
  if (v instanceof PyOpaque) {
    const getter = v.behaviour.attrs && Object.prototype.hasOwnProperty.call(v.behaviour.attrs, name) ? v.behaviour.attrs[name] : undefined;
    if (getter) return getter();
    return missing(name, v.behaviour.dirKey ?? '', v.behaviour.attrOwner ?? owner);
  }
  if (v instanceof PyType) {
    if (v === STR_TYPE && Object.prototype.hasOwnProperty.call(STR_METHODS, name)) {
      // str.lower etc. as unbound functions: str.lower('A') == 'a'.
      const m = STR_METHODS[name];
      return new PyCallable('method', name, (args, kwargs) => {
        if (args.length === 0 || typeof args[0] !== 'string') throw pyError('TypeError', `descriptor '${name}' for 'str' objects doesn't apply`);
        return m(args[0], args.slice(1), kwargs);
      }, `<method '${name}' of 'str' objects>`);
    }
    if ((PYTHON_ATTRIBUTE_NAMES[v.name] ?? []).includes(name) || !(v.name in PYTHON_ATTRIBUTE_NAMES)) {
      throw unsupported(`attributes of type objects ('${v.name}.${name}')`);
    }
    throw pyError('AttributeError', `type object '${v.name}' has no attribute '${name}'`);
  }
  throw pyError('AttributeError', `${owner} has no attribute '${name}'`);
}
