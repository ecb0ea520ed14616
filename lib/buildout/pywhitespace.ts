/**
 * Python string semantics the engine needs to be byte-compatible with
 * zc.buildout: Python's whitespace set (str.isspace / strip / re `\s`),
 * str.splitlines, textwrap.dedent, repr() of strings and lists, sorting in
 * code-point order, and the posix os.path functions buildout uses.
 *
 * Written by hand because JavaScript's `\s`, `trim()`, `split(/\r?\n/)` and
 * default sort all differ from Python in edge cases that change results
 * (line endings, whitespace around values): JS `\s` lacks U+001C–001F and U+0085 and includes U+FEFF.
 */

/** Python's Unicode whitespace as the body of a regex character class. */
export const PY_WS_CLASS =
  '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WS_RUN_RE = new RegExp(`[${PY_WS_CLASS}]+`);

/**
 * Python `str.isspace()` for one UTF-16 code unit (the set of PY_WS_CLASS).
 * Compared by code instead of a regex test per character: the parser strips
 * every line, and one regex call per character was a visible part of it.
 */
export function isPySpaceCode(c: number): boolean {
  if (c > 0x20) {
    if (c < 0x85) return false;
    return (
      c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
      c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
    );
  }
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
}

/** Python `ch.isspace()` for a single character. */
export function isPySpace(ch: string): boolean {
  return ch.length > 0 && isPySpaceCode(ch.charCodeAt(0));
}

export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpaceCode(s.charCodeAt(start))) start++;
  while (end > start && isPySpaceCode(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}
export function pyRstrip(s: string): string {
  // Scanned by hand: a regex anchored at $ with + backtracks quadratically on
  // long runs of whitespace that are not at the end.
  let end = s.length;
  while (end > 0 && isPySpaceCode(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** Python `s.split()` (no argument): split on whitespace runs, drop empties. */
export function pySplitWs(s: string): string[] {
  return s.split(WS_RUN_RE).filter((w) => w !== '');
}

/** Python `s.rstrip(chars)` for an explicit character set. */
export function pyRstripChars(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1])) end--;
  return s.slice(0, end);
}

/** Python `str.splitlines()` (without keepends). */
export function pySplitlines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\r' && s[i + 1] === '\n') {
      lines.push(s.slice(start, i));
      i += 2;
      start = i;
    } else if ('\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'.includes(c)) {
      lines.push(s.slice(start, i));
      i += 1;
      start = i;
    } else {
      i += 1;
    }
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

/**
 * Python `textwrap.dedent`: only spaces and tabs count as indentation, lines
 * made only of spaces/tabs are emptied, and only `\n` separates lines (Python's
 * `(?m)^` does not match after \r or U+2028, unlike JS's `m` flag).
 */
export function pyDedent(text: string): string {
  // Scanned by code unit rather than with a regex test and exec per line:
  // the parser dedents every block value of every file.
  const lines = text.split('\n');
  let margin: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let n = 0;
    while (n < line.length && isIndentCode(line.charCodeAt(n))) n++;
    if (n === line.length) {
      lines[i] = ''; // empty, or only spaces/tabs: emptied, no indent to measure
      continue;
    }
    if (margin !== undefined && n >= margin.length && line.startsWith(margin)) continue;
    const indent = line.slice(0, n);
    if (margin === undefined) margin = indent;
    else if (margin.startsWith(indent)) margin = indent;
    else {
      let j = 0;
      while (j < margin.length && j < indent.length && margin[j] === indent[j]) j++;
      margin = margin.slice(0, j);
    }
  }
  if (margin) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].startsWith(margin)) lines[i] = lines[i].slice(margin.length);
    }
  }
  return lines.join('\n');
}

/** textwrap's indentation characters: space and tab only. */
function isIndentCode(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** configparser's `leading_blank_lines = ^(\s*\n)+`, removed with .sub. */
export function stripLeadingBlankLines(s: string): string {
  let i = 0;
  let cut = 0;
  while (i < s.length && isPySpaceCode(s.charCodeAt(i))) {
    if (s[i] === '\n') cut = i + 1;
    i++;
  }
  return s.slice(cut);
}

const NONPRINTABLE_RE = /[\p{C}\p{Z}]/u;
const SURROGATE = /[\ud800-\udfff]/;

/** Python `repr(str)`. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && (cp < 0x20 || cp === 0x7f || NONPRINTABLE_RE.test(ch))) {
      if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/** Python `repr(list_of_str)`. */
export function pyReprList(items: string[]): string {
  return '[' + items.map(pyRepr).join(', ') + ']';
}

/** Python's default string ordering: by code point (JS sorts by UTF-16 unit). */
export function pyCompare(a: string, b: string): number {
  if (a === b) return 0;
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/**
 * Python's sorted() of strings. Array.prototype.sort without a comparator
 * orders strings by UTF-16 code unit, which is code-point order unless a
 * surrogate pair is involved; it also runs without a JavaScript callback per
 * comparison, which the config engine's cold runs notice.
 */
export function pySorted(items: Iterable<string>): string[] {
  return pySortInPlace(Array.from(items));
}

/** pySorted for an array the caller owns (no copy); returns it. */
export function pySortInPlace(arr: string[]): string[] {
  for (let i = 0; i < arr.length; i++) if (SURROGATE.test(arr[i])) return arr.sort(pyCompare);
  return arr.length <= SHORT_SORT ? insertionSort(arr) : arr.sort();
}

/**
 * Arrays up to this length are sorted by insertion in JavaScript: each native
 * sort call allocates its work state (about 1 KB), and the engine sorts the
 * keys of every section, mostly a handful of them (saved ~0.5 MB of garbage
 * on the 1x bench).
 */
export const SHORT_SORT = 16;

/** In-place insertion sort by `cmp` (default: code-unit order, as sort() without a comparator). */
export function insertionSort<T>(arr: T[], cmp?: (a: T, b: T) => number): T[] {
  for (let i = 1; i < arr.length; i++) {
    const x = arr[i];
    let j = i - 1;
    while (j >= 0 && (cmp ? cmp(arr[j], x) > 0 : arr[j] > x)) {
      arr[j + 1] = arr[j];
      j--;
    }
    arr[j + 1] = x;
  }
  return arr;
}

// ---- posixpath ---------------------------------------------------------

export function pathIsAbs(p: string): boolean {
  return p.startsWith('/');
}

/** posixpath.join */
export function pathJoin(a: string, ...rest: string[]): string {
  let path = a;
  for (const b of rest) {
    if (b.startsWith('/')) path = b;
    else if (path === '' || path.endsWith('/')) path += b;
    else path += '/' + b;
  }
  return path;
}

/** posixpath.dirname */
export function pathDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

/** posixpath.normpath */
export function pathNormpath(p: string): string {
  if (p === '') return '.';
  let initial = p.startsWith('/') ? 1 : 0;
  if (initial && p.startsWith('//') && !p.startsWith('///')) initial = 2;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) {
      out.push(comp);
    } else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

/** posixpath.abspath */
export function pathAbspath(p: string, cwd: string): string {
  return pathNormpath(pathIsAbs(p) ? p : pathJoin(cwd, p));
}

/** posixpath.relpath */
export function pathRelpath(p: string, start: string, cwd: string): string {
  const a = pathAbspath(start, cwd).split('/').filter((x) => x);
  const b = pathAbspath(p, cwd).split('/').filter((x) => x);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const parts = [...Array(a.length - i).fill('..'), ...b.slice(i)];
  return parts.length ? parts.join('/') : '.';
}

/** posixpath.expanduser for `~` and `~/…` (HOME); `~user` is left alone. */
export function pathExpanduser(p: string, home: string | undefined): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/', 1);
  const end = slash < 0 ? p.length : slash;
  if (end !== 1 || home === undefined) return p;
  const h = home.replace(/\/+$/, '');
  return (h || '/') + p.slice(end);
}
