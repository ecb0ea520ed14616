/** Number conversions with Python's exact rules: int(), float(), round(). */
import { pyError } from './errors';
import { checkInt } from './limits';
import { strRepr } from './values';

/** Python's str.isspace() characters (Unicode White_Space plus \x1c-\x1f). */
export const PY_WHITESPACE = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const WS_CLASS = `[${PY_WHITESPACE.replace(/[\]\\^-]/g, '\\$&')}]`;
const TRIM = new RegExp(`^${WS_CLASS}+|${WS_CLASS}+$`, 'g');

export function pyTrim(s: string): string {
  return s.replace(TRIM, '');
}

/** int(str, base) */
export function parseIntLiteral(text: string, base: bigint): bigint {
  const invalid = (): Error => pyError('ValueError', `invalid literal for int() with base ${base}: ${strRepr(text)}`);
  if (base !== 0n && (base < 2n || base > 36n)) throw pyError('ValueError', 'int() base must be >= 2 and <= 36, or 0');
  let s = pyTrim(text);
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) { negative = s[0] === '-'; s = s.slice(1); }
  let b = Number(base);
  const prefix = /^0([xob])/i.exec(s);
  if (prefix) {
    const p = { x: 16, o: 8, b: 2 }[prefix[1].toLowerCase() as 'x' | 'o' | 'b'];
    if (b === 0 || b === p) { b = p; s = s.slice(2); if (s.startsWith('_')) s = s.slice(1); }
  }
  if (b === 0) {
    if (/^0+(?:_?0)*$/.test(s)) return 0n;
    if (/^0/.test(s)) throw invalid();
    b = 10;
  }
  const digit = `[${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b)}]`;
  if (!new RegExp(`^${digit}(?:_?${digit})*$`, 'i').test(s)) throw invalid();
  s = s.replace(/_/g, '').toLowerCase();
  if (s.length > 4300 && b !== 2 && b !== 4 && b !== 8 && b !== 16 && b !== 32) {
    throw pyError('ValueError', 'Exceeds the limit (4300 digits) for integer string conversion: value has ' + s.length + ' digits; use sys.set_int_max_str_digits() to increase the limit');
  }
  let v = 0n;
  const bb = BigInt(b);
  for (const ch of s) v = v * bb + BigInt(parseInt(ch, 36));
  return checkInt(negative ? -v : v);
}

/** float(str) */
export function parseFloatLiteral(text: string): number {
  const s = pyTrim(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const d = '[0-9](?:_?[0-9])*';
  if (!new RegExp(`^[+-]?(?:${d}\\.?(?:${d})?|\\.${d})(?:[eE][+-]?${d})?$`).test(s)) {
    throw pyError('ValueError', `could not convert string to float: ${strRepr(text)}`);
  }
  return Number(s.replace(/_/g, ''));
}

export function floatToInt(x: number): bigint {
  if (Number.isNaN(x)) throw pyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw pyError('OverflowError', 'cannot convert float infinity to integer');
  return BigInt(Math.trunc(x));
}

/** Exact binary decomposition of a finite double: x = mantissa * 2**exponent. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (expBits === 0) return { mantissa: sign * frac, exponent: -1074 };
  return { mantissa: sign * (frac | (1n << 52n)), exponent: expBits - 1075 };
}

/** num/den rounded to the nearest integer, ties to even (den > 0). */
function roundHalfEven(num: bigint, den: bigint): bigint {
  let q = num / den;
  let r = num % den;
  if (r < 0n) { q -= 1n; r += den; }
  const twice = 2n * r;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += 1n;
  return q;
}

/** round(x, ndigits) for floats: exact decimal rounding, half to even, like CPython. */
export function roundFloat(x: number, ndigits: bigint): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > 400n) return x;
  if (ndigits < -400n) return 0 * Math.sign(x);
  const n = Number(ndigits);
  const { mantissa, exponent } = decompose(x);
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (n >= 0) num *= 10n ** BigInt(n);
  else den *= 10n ** BigInt(-n);
  const q = roundHalfEven(num, den);
  const r = Number(`${q}e${-n}`);
  if (!Number.isFinite(r)) throw pyError('OverflowError', 'rounded value too large to represent');
  return q === 0n && x < 0 ? -0 : r;
}

/** round(x) for floats: nearest int, ties to even. */
export function roundFloatToInt(x: number): bigint {
  if (Number.isNaN(x)) throw pyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw pyError('OverflowError', 'cannot convert float infinity to integer');
  const { mantissa, exponent } = decompose(x);
  if (exponent >= 0) return mantissa << BigInt(exponent);
  return roundHalfEven(mantissa, 1n << BigInt(-exponent));
}

/** round(int, ndigits) with ndigits < 0: to a multiple of 10**-ndigits, ties to even. */
export function roundInt(v: bigint, ndigits: bigint): bigint {
  if (ndigits >= 0n) return v;
  if (-ndigits > 5000n) return 0n;
  const unit = 10n ** -ndigits;
  return roundHalfEven(v, unit) * unit;
}

/** The digits of |x| rounded to `precision` decimals, half to even on the exact value (Python's '%.Nf'). */
export function formatFixed(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const { mantissa, exponent } = decompose(Math.abs(x));
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  num *= 10n ** BigInt(precision);
  const digits = roundHalfEven(num, den).toString().padStart(precision + 1, '0');
  const intPart = digits.slice(0, digits.length - precision);
  const text = precision > 0 ? `${intPart}.${digits.slice(digits.length - precision)}` : intPart;
  return (negative ? '-' : '') + text;
}
