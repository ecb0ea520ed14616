/**
 * Python `re` patterns translated to JavaScript RegExp (with the `u` and `d`
 * flags). No library translates Python's regex dialect to JS, so this is
 * written by hand; it covers the syntax both engines share and maps the
 * differences that matter (`$`, `^`, `.`, `\A`, `\Z`, Unicode `\w \d \s \b`,
 * `(?P<name>)`, `{,n}`, literal `{ } ]`). Constructs whose meaning cannot be
 * mapped faithfully give a clean "unsupported in hostout" error.
 */
import { pyError, unsupported } from './errors';
import { PY_WHITESPACE } from './numbers';

export const RE_FLAGS = { I: 2, L: 4, M: 8, S: 16, U: 32, X: 64, A: 256 } as const;

const INLINE_FLAGS: Record<string, number> = { i: RE_FLAGS.I, L: RE_FLAGS.L, m: RE_FLAGS.M, s: RE_FLAGS.S, u: RE_FLAGS.U, x: RE_FLAGS.X, a: RE_FLAGS.A };

function hexEscape(s: string): string {
  return Array.from(s, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
}

const SPACE_CHARS = hexEscape(PY_WHITESPACE);
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/');

export interface TranslatedPattern {
  regexp: RegExp;
  /** Python flags after inline flags were applied. */
  flags: number;
  groupCount: number;
  groupNames: Map<string, number>;
  /**
   * A quantified group that itself contains a quantifier or an alternation,
   * like (a+)+ or (a|aa)*: such
   * patterns can backtrack exponentially, and a JS RegExp cannot be
   * interrupted, so callers bound the subject length for them.
   */
  nestedQuantifiers: boolean;
}

function reError(message: string, pos?: number): Error {
  return pyError('error', pos === undefined ? message : `${message} at position ${pos}`);
}

export function translatePattern(pattern: string, flagsIn: number): TranslatedPattern {
  let flags = flagsIn;
  let i = 0;
  // Global inline flags: Python 3.11 only accepts them at the very start.
  for (let m = /^\(\?([aiLmsux]+)\)/.exec(pattern.slice(i)); m; m = /^\(\?([aiLmsux]+)\)/.exec(pattern.slice(i))) {
    for (const f of m[1]) flags |= INLINE_FLAGS[f];
    i += m[0].length;
  }
  if (flags & RE_FLAGS.L) throw pyError('ValueError', 'cannot use LOCALE flag with a str pattern');
  if (flags & RE_FLAGS.X) throw unsupported('verbose regular expressions (re.X)');
  if ((flags & RE_FLAGS.A) && (flags & RE_FLAGS.U)) throw pyError('ValueError', 'ASCII and UNICODE flags are incompatible');
  const ascii = (flags & RE_FLAGS.A) !== 0;
  const wordChars = ascii ? 'A-Za-z0-9_' : '\\p{L}\\p{N}_';
  const digitChars = ascii ? '0-9' : '\\p{Nd}';
  const spaceChars = ascii ? ' \\t\\n\\r\\f\\v' : SPACE_CHARS;
  const word = `[${wordChars}]`;
  const boundary = `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`;
  const nonBoundary = `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`;

  let out = '';
  let groupCount = 0;
  const groupNames = new Map<string, number>();
  let openGroups = 0;
  const n = pattern.length;
  // For each open group: does it contain a quantifier? And did the group just closed?
  const groupHasQuantifier: boolean[] = [false];
  let closedGroupHadQuantifier = false;
  let nestedQuantifiers = false;
  const noteQuantifier = (): void => {
    if (closedGroupHadQuantifier) nestedQuantifiers = true;
    groupHasQuantifier[groupHasQuantifier.length - 1] = true;
  };

  /** Handles an escape at pattern[i] === '\\'; returns [jsText, newIndex]. */
  const escape = (at: number, inClass: boolean): [string, number] => {
    const e = pattern[at + 1];
    if (e === undefined) throw reError('bad escape (end of pattern)', at);
    const rest = pattern.slice(at + 2);
    switch (e) {
      case 'd': return [inClass ? digitChars : `[${digitChars}]`, at + 2];
      case 'w': return [inClass ? wordChars : `[${wordChars}]`, at + 2];
      case 's': return [inClass ? spaceChars : `[${spaceChars}]`, at + 2];
      case 'D': case 'W': case 'S': {
        if (inClass) throw unsupported(`\\${e} inside a regex character class`);
        const chars = e === 'D' ? digitChars : e === 'W' ? wordChars : spaceChars;
        return [`[^${chars}]`, at + 2];
      }
      case 'b': return [inClass ? '\\x08' : boundary, at + 2];
      case 'B':
        if (inClass) throw reError('bad escape \\B', at);
        return [nonBoundary, at + 2];
      case 'A':
        if (inClass) throw reError('bad escape \\A', at);
        return ['(?<![\\s\\S])', at + 2];
      case 'Z':
        if (inClass) throw reError('bad escape \\Z', at);
        return ['(?![\\s\\S])', at + 2];
      case 'a': return ['\\x07', at + 2];
      case 'f': case 'n': case 'r': case 't': case 'v': return ['\\' + e, at + 2];
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(rest);
        if (!m) throw reError('incomplete escape \\x' + rest.slice(0, 2), at);
        return [`\\x${m[0]}`, at + 4];
      }
      case 'u': case 'U': {
        const len = e === 'u' ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{${len}}`).exec(rest);
        if (!m) throw reError(`incomplete escape \\${e}${rest.slice(0, len)}`, at);
        const cp = parseInt(m[0], 16);
        if (cp > 0x10ffff) throw reError(`bad escape \\${e}${m[0]}`, at);
        return [`\\u{${cp.toString(16)}}`, at + 2 + len];
      }
      case 'N': throw unsupported('\\N{...} in regular expressions');
    }
    if (/[0-9]/.test(e)) {
      const octal = /^[0-7]{3}/.exec(pattern.slice(at + 1));
      if (e === '0' || octal) {
        const m = octal ?? /^0[0-7]{0,2}/.exec(pattern.slice(at + 1))!;
        const code = parseInt(m[0], 8);
        if (code > 0o377) throw reError(`octal escape value \\${m[0]} outside of range 0-0o377`, at);
        return [`\\u{${code.toString(16)}}`, at + 1 + m[0].length];
      }
      if (inClass) throw reError(`bad escape \\${e}`, at);
      const m = /^[0-9]{1,2}/.exec(pattern.slice(at + 1))!;
      const ref = Number(m[0]);
      if (ref > groupCount) throw reError(`invalid group reference ${ref}`, at + 1);
      return [`(?:\\${ref})`, at + 1 + m[0].length];
    }
    if (/[A-Za-z]/.test(e)) throw reError(`bad escape \\${e}`, at);
    // Any other escaped character stands for itself.
    const ch = String.fromCodePoint(pattern.codePointAt(at + 1)!);
    if (JS_SYNTAX.has(ch) || (inClass && ch === '-')) return ['\\' + ch, at + 1 + ch.length];
    return [hexEscape(ch), at + 1 + ch.length];
  };

  // 0: last token was not a quantifier, 1: it was, 2: it was a lazy one.
  let quant = 0;
  while (i < n) {
    const c = pattern[i];
    const wasQuant = quant;
    quant = 0;
    const justClosed: boolean = closedGroupHadQuantifier;
    closedGroupHadQuantifier = false;
    if (c === '*' || c === '+' || c === '?' || c === '{') closedGroupHadQuantifier = justClosed;
    if (c === '*' || c === '+' || c === '?' || c === '{') quant = wasQuant;
    if (c === '\\') {
      const [text, next] = escape(i, false);
      out += text;
      i = next;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') { cls += '^'; j++; }
      if (pattern[j] === ']') { cls += '\\]'; j++; }
      for (;;) {
        if (j >= n) throw reError('unterminated character set', i);
        const d = pattern[j];
        if (d === ']') { j++; break; }
        if (d === '\\') {
          const [text, next] = escape(j, true);
          cls += text;
          j = next;
          continue;
        }
        if (d === '[' ) {
          if (pattern[j + 1] === ':' || pattern[j + 1] === '=' || pattern[j + 1] === '.') throw unsupported('POSIX character classes in regular expressions');
          cls += '\\[';
          j++;
          continue;
        }
        if (d === '&' && pattern[j + 1] === '&') throw unsupported("'&&' in a regex character class");
        if (d === '|' || d === '/' || d === '(' || d === ')' || d === '{' || d === '}') { cls += '\\' + d; j++; continue; }
        if (d === '-' && pattern[j + 1] === '-') throw unsupported("'--' in a regex character class");
        cls += d;
        j++;
      }
      // Python rejects reversed ranges like [z-a]; so does JS, with a SyntaxError we map below.
      out += cls + ']';
      i = j;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') {
        groupCount++;
        openGroups++;
        groupHasQuantifier.push(false);
        out += '(';
        i++;
        continue;
      }
      const rest = pattern.slice(i + 2);
      let m: RegExpExecArray | null;
      if ((m = /^P<([^>]*)>/.exec(rest))) {
        const name = m[1];
        if (!/^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name)) throw reError(`bad character in group name ${JSON.stringify(name)}`, i + 4);
        if (groupNames.has(name)) throw reError(`redefinition of group name '${name}' as group ${groupCount + 1}; was group ${groupNames.get(name)}`, i + 4);
        groupCount++;
        openGroups++;
        groupHasQuantifier.push(false);
        groupNames.set(name, groupCount);
        out += `(?<${name}>`;
        i += 2 + m[0].length;
        continue;
      }
      if ((m = /^P=([^)]*)\)/.exec(rest))) {
        if (!groupNames.has(m[1])) throw reError(`unknown group name '${m[1]}'`, i + 4);
        out += `\\k<${m[1]}>`;
        i += 2 + m[0].length;
        continue;
      }
      if ((m = /^#[^)]*\)/.exec(rest))) { i += 2 + m[0].length; continue; }
      if ((m = /^(?::|=|!|<=|<!)/.exec(rest))) {
        openGroups++;
        groupHasQuantifier.push(false);
        out += '(?' + m[0];
        i += 2 + m[0].length;
        continue;
      }
      if (/^[aiLmsux-]+[:)]/.test(rest)) {
        if (/^[aiLmsux]+\)/.test(rest)) throw reError('global flags not at the start of the expression', i);
        throw unsupported('scoped inline flags like (?i:...) in regular expressions');
      }
      if (rest.startsWith('>')) throw unsupported('atomic groups (?>...) in regular expressions');
      if (rest.startsWith('(')) throw unsupported('conditional groups (?(...)...) in regular expressions');
      throw reError(`unknown extension ?${rest.slice(0, 1)}`, i + 1);
    }
    if (c === ')') {
      if (openGroups === 0) throw reError('unbalanced parenthesis', i);
      openGroups--;
      const inner = groupHasQuantifier.pop() ?? false;
      if (inner) groupHasQuantifier[groupHasQuantifier.length - 1] = true;
      closedGroupHadQuantifier = inner;
      out += ')';
      i++;
      continue;
    }
    if (c === '.') { out += (flags & RE_FLAGS.S) ? '[\\s\\S]' : '[^\\n]'; i++; continue; }
    if (c === '^') { out += (flags & RE_FLAGS.M) ? '(?<![^\\n])' : '(?<![\\s\\S])'; i++; continue; }
    if (c === '$') { out += (flags & RE_FLAGS.M) ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))'; i++; continue; }
    if (c === '{') {
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(pattern.slice(i));
      if (m && (m[1] !== '' || m[2] !== undefined)) {
        const lo = m[1] === '' ? '0' : m[1];
        if (m[3] !== undefined && m[3] !== '' && Number(m[3]) < Number(lo)) throw reError('min repeat greater than max repeat', i + 1);
        if (quant !== 0) throw reError('multiple repeat', i);
        if (!quantifiable(out)) throw reError('nothing to repeat', i);
        noteQuantifier();
        out += m[2] === undefined ? `{${lo}}` : `{${lo},${m[3] ?? ''}}`;
        i += m[0].length;
        quant = 1;
        continue;
      }
      out += '\\{';
      quant = 0;
      i++;
      continue;
    }
    if (c === '}' || c === ']') { out += '\\' + c; i++; continue; }
    if (c === '*' || c === '+' || c === '?') {
      if (quant === 1 && c === '?') { out += '?'; quant = 2; i++; continue; }
      if (quant !== 0) {
        if (c === '+') throw unsupported('possessive quantifiers in regular expressions');
        throw reError('multiple repeat', i);
      }
      if (!quantifiable(out)) throw reError('nothing to repeat', i);
      noteQuantifier();
      out += c;
      quant = 1;
      i++;
      continue;
    }
    if (c === '|') {
      // Alternation under a quantifier ((a|aa)*) backtracks exponentially too.
      groupHasQuantifier[groupHasQuantifier.length - 1] = true;
      out += '|';
      i++;
      continue;
    }
    const ch = String.fromCodePoint(pattern.codePointAt(i)!);
    out += ch === '/' ? '\\/' : ch;
    i += ch.length;
  }
  if (openGroups > 0) throw reError('missing ), unterminated subpattern', n);
  let regexp: RegExp;
  try {
    regexp = new RegExp(out, 'dgu' + ((flags & RE_FLAGS.I) ? 'i' : ''));
  } catch (e) {
    // The translation is valid for everything Python accepts that we map, so
    // JS rejecting it means Python would too (e.g. a bad range [z-a]).
    throw reError(`bad pattern: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  return { regexp, flags, groupCount, groupNames, nestedQuantifiers };
}

function quantifiable(out: string): boolean {
  return out.length > 0 && !out.endsWith('|') && !/\((?:\?(?:[:=!]|<=|<!|<[^>]*>))?$/.test(out);
}


/** re.escape() as in Python 3.7+: escapes only the special characters. */
export function escapePattern(s: string): string {
  return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => '\\' + c);
}
