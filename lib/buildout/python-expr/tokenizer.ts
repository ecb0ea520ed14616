/**
 * Python 3.11 tokenizer, restricted to what can appear in an expression that
 * `eval()` accepts: names, keywords, numbers, string literals, operators.
 * Errors mirror CPython's tokenizer (SyntaxError with its wording where cheap).
 */
import { syntaxError, unsupported } from './errors';

export type Token =
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'keyword'; value: string; pos: number }
  | { kind: 'int'; value: bigint; pos: number }
  | { kind: 'float'; value: number; pos: number }
  | { kind: 'str'; value: string; pos: number }
  | { kind: 'bytes'; value: Uint8Array; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; value: ''; pos: number };

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class',
  'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global',
  'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield',
]);

// Longest first, so that '**' wins over '*', '//=' over '//' and so on.
const OPERATORS = [
  '**=', '//=', '>>=', '<<=', '...', '!=', '%=', '&=', '**', '*=', '+=', '-=', '->', '//',
  '/=', ':=', '<<', '<=', '==', '>=', '>>', '@=', '^=', '|=', '<>',
  '%', '&', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '@',
  '[', ']', '^', '{', '|', '}', '~',
];

/** CPython's tokenizer limit (MAXLEVEL); deeper nesting is a SyntaxError there too. */
export const MAX_BRACKET_NESTING = 200;

// Identifier characters as Python accepts them: letters, letter numbers and `_` plus the
// Other_ID_Start code points; after the first, also marks, digits and connector punctuation.
// U+1885/U+1886 are nonspacing marks (in \p{Mn}, so ID_CONTINUE has them); they come first
// in ID_START so no character before them reads as one combined character.
const ID_START = /[\u1885\u1886\p{L}\p{Nl}_\u2118\u212E\u309B\u309C]/u;
const ID_CONTINUE = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_\u00B7\u0387\u1369-\u1371\u19DA\u2118\u212E\u309B\u309C]/u;

const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const OPERATORS_BY_LENGTH = [3, 2, 1].map((len) => new Set(OPERATORS.filter((o) => o.length === len)));
const ASCII_NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

function matchOperator(source: string, i: number): string | undefined {
  for (const ops of OPERATORS_BY_LENGTH) {
    const len = ops.values().next().value!.length;
    const candidate = source.substr(i, len);
    if (ops.has(candidate)) return candidate;
  }
  return undefined;
}

export function tokenize(source: string): Token[] {
  if (source.includes('\0')) throw syntaxError('source code string cannot contain null bytes');
  const tokens: Token[] = [];
  const brackets: string[] = [];
  let i = 0;
  // eval() strips leading spaces and tabs before compiling.
  while (source[i] === ' ' || source[i] === '\t') i++;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\f') { i++; continue; }
    if (c === '\n' || c === '\r') {
      // Inside brackets newlines join lines implicitly; outside, a NEWLINE
      // token ends the expression and only blank lines/comments may follow.
      if (brackets.length === 0) {
        const rest = source.slice(i);
        if (/^(?:[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n))*[ \t\f]*(?:#[^\r\n]*)?$/.test(rest)) break;
        throw syntaxError('invalid syntax');
      }
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && source[i] !== '\n' && source[i] !== '\r') i++;
      continue;
    }
    if (c === '\\') {
      if (source[i + 1] === '\n') { i += 2; continue; }
      if (source[i + 1] === '\r') { i += source[i + 2] === '\n' ? 3 : 2; continue; }
      if (i + 1 >= n) throw syntaxError('unexpected EOF while parsing');
      throw syntaxError('unexpected character after line continuation character');
    }
    const start = i;
    // String literal, possibly with a prefix.
    const prefix = /^([rRbBuUfF]{0,2})(['"])/.exec(source.slice(i, i + 3));
    if (prefix && isStringPrefix(prefix[1])) {
      const lit = readString(source, i + prefix[1].length, prefix[1].toLowerCase());
      tokens.push(lit.bytes !== undefined
        ? { kind: 'bytes', value: lit.bytes, pos: start }
        : { kind: 'str', value: lit.text, pos: start });
      i = lit.end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const num = readNumber(source, i);
      tokens.push(num.token);
      i = num.end;
      continue;
    }
    ASCII_NAME.lastIndex = i;
    const ascii = ASCII_NAME.exec(source);
    if (ascii && !/[^\x00-\x7f]/.test(source[i + ascii[0].length] ?? '')) {
      const word = ascii[0];
      tokens.push(KEYWORDS.has(word) ? { kind: 'keyword', value: word, pos: start } : { kind: 'name', value: word, pos: start });
      i += word.length;
      continue;
    }
    const cp = source.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ID_START.test(ch)) {
      let j = i + ch.length;
      while (j < n) {
        const next = String.fromCodePoint(source.codePointAt(j)!);
        if (!ID_CONTINUE.test(next)) break;
        j += next.length;
      }
      // Python compares identifiers after NFKC normalisation.
      const word = source.slice(i, j).normalize('NFKC');
      tokens.push(KEYWORDS.has(word) ? { kind: 'keyword', value: word, pos: start } : { kind: 'name', value: word, pos: start });
      i = j;
      continue;
    }
    const op = matchOperator(source, i);
    if (op) {
      if (op === '(' || op === '[' || op === '{') {
        brackets.push(op);
        if (brackets.length >= MAX_BRACKET_NESTING) throw syntaxError('too many nested parentheses');
      } else if (op in CLOSING) {
        const open = brackets.pop();
        if (open === undefined) throw syntaxError(`unmatched '${op}'`);
        if (open !== CLOSING[op]) throw syntaxError(`closing parenthesis '${op}' does not match opening parenthesis '${open}'`);
      } else if (op === '<>') {
        throw syntaxError('invalid syntax');
      }
      tokens.push({ kind: 'op', value: op, pos: start });
      i += op.length;
      continue;
    }
    if (c === '!') throw syntaxError('invalid syntax');
    throw syntaxError(`invalid character '${ch}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
  }
  if (brackets.length > 0) throw syntaxError(`'${brackets[brackets.length - 1]}' was never closed`);
  tokens.push({ kind: 'end', value: '', pos: n });
  return tokens;
}

function isStringPrefix(p: string): boolean {
  const l = p.toLowerCase();
  return ['', 'r', 'u', 'b', 'br', 'rb', 'f', 'fr', 'rf'].includes(l);
}

interface StringLiteral { text: string; bytes?: Uint8Array; end: number }

function readString(source: string, quoteAt: number, prefix: string): StringLiteral {
  if (prefix.includes('f')) throw unsupported('f-strings');
  const raw = prefix.includes('r');
  const isBytes = prefix.includes('b');
  const q = source[quoteAt];
  const triple = source.startsWith(q.repeat(3), quoteAt);
  const delim = triple ? q.repeat(3) : q;
  let i = quoteAt + delim.length;
  let body = '';
  for (;;) {
    if (i >= source.length) {
      throw syntaxError(triple ? 'unterminated triple-quoted string literal' : 'unterminated string literal');
    }
    const c = source[i];
    if (source.startsWith(delim, i)) { i += delim.length; break; }
    if (!triple && (c === '\n' || c === '\r')) throw syntaxError('unterminated string literal');
    if (c === '\\' && i + 1 < source.length) {
      // The backslash always protects the next character from ending the
      // literal, raw or not; decoding below decides what it means.
      body += c + source[i + 1];
      i += 2;
      continue;
    }
    body += c;
    i++;
  }
  if (isBytes) {
    if (/[^\x00-\x7f]/.test(body)) throw syntaxError('bytes can only contain ASCII literal characters');
    const text = raw ? body : decodeEscapes(body, true);
    return { text: '', bytes: Uint8Array.from(text, (ch) => ch.charCodeAt(0)), end: i };
  }
  return { text: raw ? body : decodeEscapes(body, false), end: i };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

function escapeError(kind: string): Error {
  return syntaxError(`(unicode error) 'unicodeescape' codec can't decode bytes: ${kind}`);
}

/** Decodes backslash escapes the way Python's string/bytes literal parser does. */
function decodeEscapes(body: string, isBytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') { out += c; continue; }
    const e = body[++i];
    if (e === '\n') continue; // backslash-newline: line continuation inside the literal
    if (e === '\r') { if (body[i + 1] === '\n') i++; continue; }
    if (e in SIMPLE_ESCAPES) { out += SIMPLE_ESCAPES[e]; continue; }
    if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      const code = parseInt(m, 8);
      out += String.fromCharCode(isBytes ? code & 0xff : code);
      i += m.length - 1;
      continue;
    }
    if (e === 'x') {
      const m = /^[0-9a-fA-F]{2}/.exec(body.slice(i + 1));
      if (!m) {
        if (isBytes) throw pyValueErrorForBytes('truncated \\xXX escape');
        throw escapeError('truncated \\xXX escape');
      }
      out += String.fromCharCode(parseInt(m[0], 16));
      i += 2;
      continue;
    }
    if (!isBytes && (e === 'u' || e === 'U')) {
      const len = e === 'u' ? 4 : 8;
      const m = new RegExp(`^[0-9a-fA-F]{${len}}`).exec(body.slice(i + 1));
      if (!m) throw escapeError(`truncated \\${e}${'X'.repeat(len)} escape`);
      const code = parseInt(m[0], 16);
      if (code > 0x10ffff) throw escapeError('illegal Unicode character');
      out += String.fromCodePoint(code);
      i += len;
      continue;
    }
    if (!isBytes && e === 'N') throw unsupported('\\N{...} escapes in string literals');
    // Unknown escapes keep the backslash (Python only warns).
    out += '\\' + e;
  }
  return out;
}

function pyValueErrorForBytes(detail: string): Error {
  return syntaxError(`(value error) invalid \\x escape: ${detail}`);
}

function readNumber(source: string, start: number): { token: Token; end: number } {
  const rest = source.slice(start);
  let m: RegExpExecArray | null;
  let token: Token;
  let len: number;
  if ((m = /^0([xX])(?:_?[0-9a-fA-F])+|^0([oO])(?:_?[0-7])+|^0([bB])(?:_?[01])+/.exec(rest))) {
    len = m[0].length;
    token = { kind: 'int', value: BigInt(m[0].replace(/_/g, '').toLowerCase()), pos: start };
    const after = rest[len] ?? '';
    if (m[2] && /[0-9]/.test(after)) throw syntaxError(`invalid digit '${after}' in octal literal`);
    if (m[3] && /[0-9]/.test(after)) throw syntaxError(`invalid digit '${after}' in binary literal`);
  } else if (/^0[xXoObB]/.test(rest)) {
    const base = { x: 'hexadecimal', o: 'octal', b: 'binary' }[rest[1].toLowerCase() as 'x' | 'o' | 'b'];
    const after = rest[2] ?? '';
    if (base !== 'hexadecimal' && /[0-9]/.test(after)) throw syntaxError(`invalid digit '${after}' in ${base} literal`);
    throw syntaxError(`invalid ${base} literal`);
  } else {
    const digits = '[0-9](?:_?[0-9])*';
    const floatRe = new RegExp(`^(?:(?:${digits})?\\.${digits}|${digits}\\.?)(?:[eE][-+]?${digits})?`);
    m = floatRe.exec(rest);
    if (!m) throw syntaxError('invalid decimal literal');
    len = m[0].length;
    const text = m[0].replace(/_/g, '');
    if (/[.eE]/.test(text)) {
      token = { kind: 'float', value: Number(text), pos: start };
    } else {
      if (/^0+[1-9]/.test(text)) {
        throw syntaxError('leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers');
      }
      token = { kind: 'int', value: BigInt(text), pos: start };
    }
  }
  const after = rest.slice(len);
  if (/^[jJ]/.test(after)) {
    if (/^[jJ][_0-9a-zA-Z]/.test(after)) throw syntaxError('invalid imaginary literal');
    throw unsupported('complex numbers');
  }
  // CPython 3.11 accepts a keyword glued to a number (`1if x else y`, with a
  // warning) but rejects any other identifier character or a stray '_'.
  if (/^[_0-9a-zA-Z]/.test(after) && !/^(?:and|else|for|if|in|is|not|or)\b/.test(after)) {
    if (/^[eE]/.test(after) && token.kind === 'float') throw syntaxError('invalid decimal literal');
    throw syntaxError(token.kind === 'int' && /^0[xob]/i.test(rest) ? 'invalid literal' : 'invalid decimal literal');
  }
  return { token, end: start + len };
}
