/**
 * str.format(), format() and the format-spec mini-language, for the common
 * presentation types (s d x X o b c f F e E %). Alternatives Python has that
 * we do not emulate (g/G/n, nested replacement fields in a spec) are refused
 * cleanly rather than formatted slightly differently.
 */
import { getAttribute } from './attributes';
import { pyError, unsupported } from './errors';
import { checkLength } from './limits';
import { formatFixed } from './numbers';
import { getItem } from './operators';
import { isNumber, numeric, pyRepr, pyStr, PyArgs, PyKwargs, PyValue, strLength, typeName } from './values';

interface Spec {
  fill: string;
  align: string;
  sign: string;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

function parseSpec(spec: string): Spec {
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/su.exec(spec);
  if (!m) throw pyError('ValueError', 'Invalid format specifier');
  if (m[4]) throw unsupported("the 'z' format option");
  return {
    fill: m[1] ?? (m[6] && !m[2] ? '0' : ' '),
    align: m[2] ?? (m[6] ? '=' : ''),
    sign: m[3] ?? '-',
    alternate: !!m[5],
    zero: !!m[6],
    width: m[7] ? Number(m[7]) : 0,
    grouping: m[8] ?? '',
    precision: m[9] !== undefined ? Number(m[9]) : undefined,
    type: m[10] ?? '',
  };
}

function group(digits: string, sep: string, every: number): string {
  if (!sep) return digits;
  let out = '';
  for (let i = digits.length; i > 0; i -= every) out = digits.slice(Math.max(0, i - every), i) + (out ? sep + out : '');
  return out;
}

function pad(body: string, signPrefix: string, s: Spec, defaultAlign: string): string {
  checkLength(s.width, 'string');
  const len = strLength(signPrefix + body);
  const total = Math.max(0, s.width - len);
  const align = s.align || defaultAlign;
  if (align === '=') return signPrefix + s.fill.repeat(total) + body;
  if (align === '<') return signPrefix + body + s.fill.repeat(total);
  if (align === '>') return s.fill.repeat(total) + signPrefix + body;
  const left = Math.floor(total / 2);
  return s.fill.repeat(left) + signPrefix + body + s.fill.repeat(total - left);
}

function signOf(negative: boolean, s: Spec): string {
  if (negative) return '-';
  return s.sign === '+' ? '+' : s.sign === ' ' ? ' ' : '';
}

function formatFloat(x: number, s: Spec): string {
  const p = s.precision ?? 6;
  let body: string;
  const negative = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  switch (s.type) {
    case 'f': case 'F': case '%': {
      const v = s.type === '%' ? ax * 100 : ax;
      body = formatFixed(v, p);
      if (s.type === 'F') body = body.toUpperCase();
      if (s.grouping && Number.isFinite(v)) {
        const [i, f] = body.split('.');
        body = group(i, s.grouping, 3) + (f !== undefined ? '.' + f : '');
      }
      if (s.alternate && p === 0) body += '.';
      if (s.type === '%') body += '%';
      break;
    }
    case 'e': case 'E': {
      if (!Number.isFinite(ax)) body = Number.isNaN(ax) ? 'nan' : 'inf';
      else {
        const [m, e] = ax.toExponential(p).split('e');
        body = `${m}${s.alternate && p === 0 ? '.' : ''}e${e[0] === '-' ? '-' : '+'}${e.replace(/^[-+]/, '').padStart(2, '0')}`;
      }
      if (s.type === 'E') body = body.toUpperCase();
      break;
    }
    case '':
      if (s.precision === undefined) { body = pyRepr(ax); break; }
      throw unsupported('float formatting with a precision but no type');
    case 'g': case 'G': case 'n':
      throw unsupported(`the '${s.type}' format type`);
    default:
      throw pyError('ValueError', `Unknown format code '${s.type}' for object of type 'float'`);
  }
  if (Number.isNaN(x)) return pad(body, signOf(false, s), s, '>');
  return pad(body, signOf(negative, s), s, '>');
}

function formatInt(n: bigint, s: Spec): string {
  if (s.precision !== undefined) throw pyError('ValueError', 'Precision not allowed in integer format specifier');
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let body: string;
  let prefix = '';
  switch (s.type) {
    case '': case 'd': body = group(abs.toString(), s.grouping, 3); break;
    case 'x': case 'X':
      body = group(abs.toString(16), s.grouping === '_' ? '_' : '', 4);
      if (s.alternate) prefix = '0x';
      if (s.type === 'X') { body = body.toUpperCase(); prefix = prefix.toUpperCase(); }
      break;
    case 'o': body = group(abs.toString(8), s.grouping === '_' ? '_' : '', 4); if (s.alternate) prefix = '0o'; break;
    case 'b': body = group(abs.toString(2), s.grouping === '_' ? '_' : '', 4); if (s.alternate) prefix = '0b'; break;
    case 'c':
      if (n < 0n || n > 0x10ffffn) throw pyError('OverflowError', '%c arg not in range(0x110000)');
      return pad(String.fromCodePoint(Number(n)), '', s, '<');
    default:
      throw pyError('ValueError', `Unknown format code '${s.type}' for object of type 'int'`);
  }
  if (body.replace(/\D/g, '').length > 4300) throw pyError('ValueError', 'Exceeds the limit (4300 digits) for integer string conversion');
  return pad(body, signOf(negative, s) + prefix, s, '>');
}

/** format(value, spec) */
export function formatValue(value: PyValue, spec: string): string {
  if (spec === '') return pyStr(value);
  const s = parseSpec(spec);
  if (typeof value === 'string') {
    if (s.type !== '' && s.type !== 's') throw pyError('ValueError', `Unknown format code '${s.type}' for object of type 'str'`);
    if (s.sign !== '-' || s.alternate || s.align === '=' || s.grouping) throw pyError('ValueError', 'Invalid format specifier');
    const body = s.precision !== undefined ? Array.from(value).slice(0, s.precision).join('') : value;
    return pad(body, '', s, '<');
  }
  if (isNumber(value)) {
    const n = numeric(value);
    if (typeof n === 'bigint' && ['f', 'F', 'e', 'E', '%', 'g', 'G'].includes(s.type)) return formatFloat(Number(n), s);
    if (typeof n === 'bigint') return formatInt(n, s);
    if (['d', 'x', 'X', 'o', 'b', 'c'].includes(s.type)) throw pyError('ValueError', `Unknown format code '${s.type}' for object of type 'float'`);
    return formatFloat(n, s);
  }
  throw pyError('TypeError', `unsupported format string passed to ${typeName(value)}.__format__`);
}

/** str.format(*args, **kwargs) */
export function strFormat(template: string, args: PyArgs, kwargs: PyKwargs): string {
  let out = '';
  let auto = 0;
  let manual = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '}') {
      if (template[i + 1] !== '}') throw pyError('ValueError', "Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (c !== '{') { out += c; i++; continue; }
    if (template[i + 1] === '{') { out += '{'; i += 2; continue; }
    const end = template.indexOf('}', i);
    if (end < 0) throw pyError('ValueError', "expected '}' before end of string");
    const field = template.slice(i + 1, end);
    if (field.includes('{')) throw unsupported('nested replacement fields in str.format()');
    const m = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]+\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
    if (!m) throw pyError('ValueError', 'unexpected character in field name');
    let value: PyValue;
    if (m[1] === '' || /^\d+$/.test(m[1])) {
      let index: number;
      if (m[1] === '') {
        if (manual) throw pyError('ValueError', 'cannot switch from manual field specification to automatic field numbering');
        index = auto++;
      } else {
        if (auto > 0) throw pyError('ValueError', 'cannot switch from automatic field numbering to manual field specification');
        manual = true;
        index = Number(m[1]);
      }
      if (index >= args.length) throw pyError('IndexError', `Replacement index ${index} out of range for positional args tuple`);
      value = args[index];
    } else {
      if (!kwargs.has(m[1])) throw pyError('KeyError', pyRepr(m[1]));
      value = kwargs.get(m[1])!;
    }
    for (const part of m[2].match(/\.[^.[]+|\[[^\]]+\]/g) ?? []) {
      if (part.startsWith('.')) value = getAttribute(value, part.slice(1));
      else {
        const key = part.slice(1, -1);
        value = getItem(value, /^\d+$/.test(key) ? BigInt(key) : key, false);
      }
    }
    if (m[3] === 'r' || m[3] === 'a') value = pyRepr(value);
    else if (m[3] === 's') value = pyStr(value);
    out += formatValue(value, m[4] ?? '');
    checkLength(out.length, 'string');
    i = end + 1;
  }
  return out;
}
