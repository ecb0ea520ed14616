/**
 * The modules zc.buildout 2.13.2 puts in the eval globals (sys, os, platform,
 * re) and the precomputed flags of `_default_globals()`.
 *
 * The interpreter we emulate is CPython 3.11.2 (Debian 12's python3), but the
 * operating system, CPU and environment are the real ones Node runs on.
 */
import * as fs from 'node:fs';
import * as nodeOs from 'node:os';
import { boundMethod, builtinFunction, expectArgs, expectInt, expectStr } from './callables';
import { pyError, unsupported } from './errors';
import { escapePattern, RE_FLAGS, translatePattern, TranslatedPattern } from './regex';
import { PYTHON_ATTRIBUTE_NAMES } from './python-names';
import {
  pyRepr, PyArgs, PyDict, PyKwargs, PyList, PyOpaque, PyTuple, PyValue, strLength, typeName,
} from './values';

export const EMULATED_PYTHON = { major: 3, minor: 11, micro: 2 } as const;
const VERSION_TEXT = `${EMULATED_PYTHON.major}.${EMULATED_PYTHON.minor}.${EMULATED_PYTHON.micro}`;

function module(name: string, reprText: string, attrs: Record<string, () => PyValue>): PyOpaque {
  return new PyOpaque('module', reprText, { attrs, dirKey: name, attrOwner: `module '${name === 'os.path' ? 'posixpath' : name}'` });
}

const constant = (v: PyValue) => (): PyValue => v;

function fn(name: string, impl: (args: PyArgs, kwargs: PyKwargs) => PyValue): () => PyValue {
  const f = builtinFunction(name, impl);
  return () => f;
}

function noArgs(name: string, impl: () => PyValue): () => PyValue {
  return fn(name, (args, kwargs) => { expectArgs(name, args, kwargs, 0, 0); return impl(); });
}

/** os.getuid() and friends exist on POSIX only. */
function posixId(name: string, read: (() => number) | undefined): Record<string, () => PyValue> {
  return read ? { [name]: noArgs(name, () => BigInt(read())) } : {};
}

// ---------------------------------------------------------------------------
// Facts about the real machine

/** Python's sys.platform for the platform Node runs on. */
export function pythonSysPlatform(): string {
  const major = nodeOs.release().split('.')[0];
  switch (process.platform) {
    case 'linux': case 'darwin': case 'win32': case 'cygwin': case 'aix': return process.platform;
    case 'sunos': return 'sunos5';
    case 'freebsd': case 'openbsd': case 'netbsd': return process.platform + major;
    default: return process.platform;
  }
}

const isWindows = process.platform === 'win32';
const is64bit = ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'mips64el', 'loong64'].includes(process.arch);
const byteorder = nodeOs.endianness() === 'LE' ? 'little' : 'big';

function platformSystem(): string {
  const t = nodeOs.type();
  return t === 'Windows_NT' ? 'Windows' : t;
}

function platformMachine(): string {
  const m = nodeOs.machine();
  return isWindows && m === 'x86_64' ? 'AMD64' : m;
}

// ---------------------------------------------------------------------------
// sys

const versionInfo = new PyTuple(
  [BigInt(EMULATED_PYTHON.major), BigInt(EMULATED_PYTHON.minor), BigInt(EMULATED_PYTHON.micro), 'final', 0n],
  { typeName: 'version_info', reprName: 'sys.version_info', fields: ['major', 'minor', 'micro', 'releaselevel', 'serial'] },
);
const hexversion = BigInt((EMULATED_PYTHON.major << 24) | (EMULATED_PYTHON.minor << 16) | (EMULATED_PYTHON.micro << 8) | 0xf0);

const implementation = new PyOpaque('SimpleNamespace',
  `namespace(name='cpython', cache_tag='cpython-311', version=${pyRepr(versionInfo)}, hexversion=${hexversion})`, {
    attrs: { name: constant('cpython'), cache_tag: constant('cpython-311'), version: constant(versionInfo), hexversion: constant(hexversion) },
    dirKey: 'sys.implementation',
  });

const sys = module('sys', "<module 'sys' (built-in)>", {
  platform: pythonSysPlatform,
  version_info: constant(versionInfo),
  version: constant(`${VERSION_TEXT} (main, hostout emulation) [GCC 12.2.0]`),
  hexversion: constant(hexversion),
  maxsize: constant(is64bit ? 2n ** 63n - 1n : 2n ** 31n - 1n),
  maxunicode: constant(0x10ffffn),
  byteorder: constant(byteorder),
  implementation: constant(implementation),
  getdefaultencoding: noArgs('getdefaultencoding', () => 'utf-8'),
  getfilesystemencoding: noArgs('getfilesystemencoding', () => 'utf-8'),
});

// ---------------------------------------------------------------------------
// os and os.path (posixpath semantics; Windows paths are not emulated)

function pathArg(name: string, v: PyValue): string {
  if (typeof v === 'bigint' || typeof v === 'boolean') throw unsupported(`os.path.${name}() on a file descriptor`);
  if (typeof v !== 'string') throw pyError('TypeError', `${name}: path should be string, bytes or os.PathLike, not ${typeName(v)}`);
  return v;
}

function statOf(p: string, follow = true): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function posixJoin(parts: string[]): string {
  let path = parts[0];
  for (const b of parts.slice(1)) {
    if (b.startsWith('/')) path = b;
    else if (path === '' || path.endsWith('/')) path += b;
    else path += '/' + b;
  }
  return path;
}

function posixNormpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const comps: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (initial === 0 && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..')) comps.push(c);
    else if (comps.length > 0) comps.pop();
  }
  const out = '/'.repeat(initial) + comps.join('/');
  return out || '.';
}

function posixDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '');
  return head;
}

function posixSplitext(p: string): [string, string] {
  const sep = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > sep) {
    let filenameIndex = sep + 1;
    while (filenameIndex < dot) {
      if (p[filenameIndex] !== '.') return [p.slice(0, dot), p.slice(dot)];
      filenameIndex++;
    }
  }
  return [p, ''];
}

function onePath(name: string, impl: (p: string) => PyValue): () => PyValue {
  return fn(name, (args, kwargs) => {
    expectArgs(name, args, kwargs, 1, 1);
    return impl(pathArg(name, args[0]));
  });
}

const osPath = module('os.path', "<module 'posixpath' (frozen)>", {
  exists: onePath('exists', (p) => p !== '' && statOf(p) !== undefined),
  lexists: onePath('lexists', (p) => p !== '' && statOf(p, false) !== undefined),
  isfile: onePath('isfile', (p) => statOf(p)?.isFile() ?? false),
  isdir: onePath('isdir', (p) => statOf(p)?.isDirectory() ?? false),
  islink: onePath('islink', (p) => statOf(p, false)?.isSymbolicLink() ?? false),
  isabs: onePath('isabs', (p) => p.startsWith('/')),
  basename: onePath('basename', (p) => p.slice(p.lastIndexOf('/') + 1)),
  dirname: onePath('dirname', posixDirname),
  normpath: onePath('normpath', posixNormpath),
  abspath: onePath('abspath', (p) => posixNormpath(p.startsWith('/') ? p : posixJoin([process.cwd(), p]))),
  expanduser: onePath('expanduser', (p) => {
    if (!p.startsWith('~')) return p;
    const end = p.indexOf('/') < 0 ? p.length : p.indexOf('/');
    if (end !== 1) throw unsupported('os.path.expanduser for another user (~name)');
    const home = process.env.HOME ?? nodeOs.homedir();
    return (home.replace(/\/+$/, '') || '/') + p.slice(1);
  }),
  splitext: onePath('splitext', (p) => new PyTuple(posixSplitext(p))),
  split: onePath('split', (p) => new PyTuple([posixDirname(p), p.slice(p.lastIndexOf('/') + 1)])),
  join: fn('join', (args, kwargs) => {
    expectArgs('join', args, kwargs, 1, Infinity);
    return posixJoin(args.map((a) => pathArg('join', a)));
  }),
  sep: constant('/'),
  pathsep: constant(':'),
  curdir: constant('.'),
  pardir: constant('..'),
  extsep: constant('.'),
  altsep: constant(null),
  devnull: constant('/dev/null'),
});

function environKey(v: PyValue): string {
  if (typeof v !== 'string') throw pyError('TypeError', `str expected, not ${typeName(v)}`);
  return v;
}

function environEntries(): [string, string][] {
  return Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined);
}

const environ: PyOpaque = new PyOpaque('_Environ', 'environ({...})', {
  dirKey: 'os._Environ',
  len: () => environEntries().length,
  getItem: (k) => {
    const key = environKey(k);
    const v = process.env[key];
    if (v === undefined) throw pyError('KeyError', pyRepr(key));
    return v;
  },
  contains: (k) => typeof k === 'string' && process.env[k] !== undefined,
  iterate: () => environEntries().map(([k]) => k),
  attrs: {
    get: () => boundMethod(environ, 'get', (args, kwargs) => {
      expectArgs('get', args, kwargs, 1, 2);
      const v = process.env[environKey(args[0])];
      return v === undefined ? args[1] ?? null : v;
    }),
    keys: () => boundMethod(environ, 'keys', () => new PyList(environEntries().map(([k]) => k))),
    values: () => boundMethod(environ, 'values', () => new PyList(environEntries().map(([, v]) => v))),
    items: () => boundMethod(environ, 'items', () => new PyList(environEntries().map(([k, v]) => new PyTuple([k, v])))),
  },
});

const os = module('os', "<module 'os' (frozen)>", {
  name: constant(isWindows ? 'nt' : 'posix'),
  sep: constant(isWindows ? '\\' : '/'),
  pathsep: constant(isWindows ? ';' : ':'),
  linesep: constant(isWindows ? '\r\n' : '\n'),
  curdir: constant('.'),
  pardir: constant('..'),
  extsep: constant('.'),
  altsep: constant(isWindows ? '/' : null),
  devnull: constant(isWindows ? 'nul' : '/dev/null'),
  environ: constant(environ),
  path: constant(osPath),
  getenv: fn('getenv', (args, kwargs) => {
    expectArgs('getenv', args, kwargs, 1, 2, ['default']);
    const v = process.env[environKey(args[0])];
    return v === undefined ? args[1] ?? kwargs.get('default') ?? null : v;
  }),
  getcwd: fn('getcwd', (args, kwargs) => { expectArgs('getcwd', args, kwargs, 0, 0); return process.cwd(); }),
  ...posixId('getuid', process.getuid),
  ...posixId('geteuid', process.geteuid),
  ...posixId('getgid', process.getgid),
  ...posixId('getegid', process.getegid),
  ...(isWindows ? {} : {
    uname: noArgs('uname', () => new PyTuple(
      [nodeOs.type() === 'Windows_NT' ? 'Windows' : nodeOs.type(), nodeOs.hostname(), nodeOs.release(), nodeOs.version(), nodeOs.machine()],
      { typeName: 'uname_result', reprName: 'posix.uname_result', fields: ['sysname', 'nodename', 'release', 'version', 'machine'] },
    )),
  }),
  cpu_count: fn('cpu_count', (args, kwargs) => { expectArgs('cpu_count', args, kwargs, 0, 0); return BigInt(nodeOs.cpus().length) || null; }),
});

// ---------------------------------------------------------------------------
// platform

const uname = (): PyTuple => new PyTuple(
  [platformSystem(), nodeOs.hostname(), nodeOs.release(), nodeOs.version(), platformMachine(), ''],
  { typeName: 'uname_result', reprName: 'uname_result', fields: ['system', 'node', 'release', 'version', 'machine', 'processor'] },
);

/** platform.freedesktop_os_release(): /etc/os-release parsed exactly as CPython 3.11 does. */
function freedesktopOsRelease(): PyValue {
  let text: string | undefined;
  for (const candidate of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      text = fs.readFileSync(candidate, 'utf8');
      break;
    } catch {
      // try the next one, like CPython
    }
  }
  if (text === undefined) throw pyError('OSError', '[Errno 2] No such file or directory: \'/usr/lib/os-release\'');
  const info = new PyDict();
  info.set('NAME', 'Linux');
  info.set('ID', 'linux');
  info.set('PRETTY_NAME', 'Linux');
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_]+)=(["']?)(.*)\2$/.exec(line);
    if (m) info.set(m[1], m[3].replace(/\\([\\$"'`])/g, '$1'));
  }
  return info;
}

const platform = module('platform', "<module 'platform' from '/usr/lib/python3.11/platform.py'>", {
  system: noArgs('system', platformSystem),
  machine: noArgs('machine', platformMachine),
  node: noArgs('node', () => nodeOs.hostname()),
  release: noArgs('release', () => nodeOs.release()),
  version: noArgs('version', () => nodeOs.version()),
  uname: noArgs('uname', uname),
  processor: noArgs('processor', () => {
    if (process.platform === 'linux') return '';
    throw unsupported('platform.processor() outside Linux');
  }),
  freedesktop_os_release: noArgs('freedesktop_os_release', freedesktopOsRelease),
  python_version: noArgs('python_version', () => VERSION_TEXT),
  python_version_tuple: noArgs('python_version_tuple', () => new PyTuple(VERSION_TEXT.split('.'))),
  python_implementation: noArgs('python_implementation', () => 'CPython'),
  architecture: noArgs('architecture', () => new PyTuple([is64bit ? '64bit' : '32bit', process.platform === 'linux' ? 'ELF' : isWindows ? 'WindowsPE' : ''])),
});

// ---------------------------------------------------------------------------
// re

const patternCache = new Map<string, TranslatedPattern>();

function compile(pattern: string, flags: number): TranslatedPattern {
  const key = `${flags}:${pattern}`;
  let t = patternCache.get(key);
  if (!t) {
    t = translatePattern(pattern, flags);
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(key, t);
  }
  return t;
}

/** Code-point offset of a UTF-16 offset in s. */
function cpOffset(s: string, utf16: number): bigint {
  return BigInt(strLength(s.slice(0, utf16)));
}

function matchObject(t: TranslatedPattern, subject: string, m: RegExpExecArray): PyOpaque {
  const indices = m.indices!;
  const group = (g: PyValue): PyValue => {
    let n: number;
    if (typeof g === 'string') {
      const idx = t.groupNames.get(g);
      if (idx === undefined) throw pyError('IndexError', 'no such group');
      n = idx;
    } else {
      const b = expectInt(g);
      if (b < 0n || b > BigInt(t.groupCount)) throw pyError('IndexError', 'no such group');
      n = Number(b);
    }
    return m[n] === undefined ? null : m[n];
  };
  const groupIndex = (args: PyArgs): number => {
    const g = args.length ? args[0] : 0n;
    if (typeof g === 'string') {
      const idx = t.groupNames.get(g);
      if (idx === undefined) throw pyError('IndexError', 'no such group');
      return idx;
    }
    const b = expectInt(g);
    if (b < 0n || b > BigInt(t.groupCount)) throw pyError('IndexError', 'no such group');
    return Number(b);
  };
  const span = (n: number): [bigint, bigint] => {
    const r = indices[n];
    return r ? [cpOffset(subject, r[0]), cpOffset(subject, r[1])] : [-1n, -1n];
  };
  // Python's lastindex: the group that closed last, i.e. the matched group with
  // the greatest end, preferring the outer (lower-numbered) one on ties.
  const lastIndex = (): number | null => {
    let best: number | null = null;
    let bestEnd = -1;
    for (let i = 1; i <= t.groupCount; i++) {
      const r = indices[i];
      if (r && r[1] > bestEnd) { best = i; bestEnd = r[1]; }
    }
    return best;
  };
  const [s0, e0] = span(0);
  const self: PyOpaque = new PyOpaque('Match', `<re.Match object; span=(${s0}, ${e0}), match=${pyRepr(m[0])}>`, {
    dirKey: 're.Match',
    getItem: (g) => group(g),
    attrs: {
      group: () => boundMethod(self, 'group', (args, kwargs) => {
        expectArgs('group', args, kwargs, 0, Infinity);
        if (args.length <= 1) return group(args.length ? args[0] : 0n);
        return new PyTuple(args.map(group));
      }),
      groups: () => boundMethod(self, 'groups', (args, kwargs) => {
        expectArgs('groups', args, kwargs, 0, 1, ['default']);
        const dflt = args[0] ?? kwargs.get('default') ?? null;
        return new PyTuple(Array.from({ length: t.groupCount }, (_, i) => (m[i + 1] === undefined ? dflt : m[i + 1])));
      }),
      start: () => boundMethod(self, 'start', (args, kwargs) => { expectArgs('start', args, kwargs, 0, 1); return span(groupIndex(args))[0]; }),
      end: () => boundMethod(self, 'end', (args, kwargs) => { expectArgs('end', args, kwargs, 0, 1); return span(groupIndex(args))[1]; }),
      span: () => boundMethod(self, 'span', (args, kwargs) => { expectArgs('span', args, kwargs, 0, 1); return new PyTuple(span(groupIndex(args))); }),
      groupdict: () => boundMethod(self, 'groupdict', (args, kwargs) => {
        expectArgs('groupdict', args, kwargs, 0, 1, ['default']);
        const dflt = args[0] ?? kwargs.get('default') ?? null;
        const d = new PyDict();
        for (const [name, index] of t.groupNames) d.set(name, m[index] === undefined ? dflt : m[index]);
        return d;
      }),
      lastgroup: () => {
        const index = lastIndex();
        if (index === null) return null;
        for (const [name, i] of t.groupNames) if (i === index) return name;
        return null;
      },
      lastindex: () => { const index = lastIndex(); return index === null ? null : BigInt(index); },
      string: constant(subject),
      pos: constant(0n),
      endpos: constant(BigInt(strLength(subject))),
    },
  });
  return self;
}

type MatchMode = 'match' | 'search' | 'fullmatch';

/** Longest subject for patterns with nested quantifiers (see TranslatedPattern.nestedQuantifiers). */
const MAX_SUBJECT_FOR_NESTED_QUANTIFIERS = 20;

function checkSubject(t: TranslatedPattern, subject: PyValue): string {
  if (typeof subject !== 'string') throw pyError('TypeError', `expected string or bytes-like object, got '${typeName(subject)}'`);
  if (t.nestedQuantifiers && subject.length > MAX_SUBJECT_FOR_NESTED_QUANTIFIERS) {
    throw unsupported(`a regular expression with nested quantifiers on a string longer than ${MAX_SUBJECT_FOR_NESTED_QUANTIFIERS} characters (it could backtrack for ever)`);
  }
  return subject;
}

function runMatch(mode: MatchMode, t: TranslatedPattern, subjectValue: PyValue): PyValue {
  const subject = checkSubject(t, subjectValue);
  const source = mode === 'fullmatch' ? `(?:${t.regexp.source})(?![\\s\\S])` : t.regexp.source;
  const re = new RegExp(source, t.regexp.flags.replace('g', mode === 'search' ? 'g' : 'y'));
  re.lastIndex = 0;
  const m = re.exec(subject);
  return m ? matchObject(t, subject, m) : null;
}

function findall(t: TranslatedPattern, subjectValue: PyValue): PyValue {
  const subject = checkSubject(t, subjectValue);
  const out: PyValue[] = [];
  for (const m of subject.matchAll(t.regexp)) {
    if (t.groupCount === 0) out.push(m[0]);
    else if (t.groupCount === 1) out.push(m[1] ?? '');
    else out.push(new PyTuple(Array.from({ length: t.groupCount }, (_, i) => m[i + 1] ?? '')));
  }
  return new PyList(out);
}

class PatternObject extends PyOpaque {
  constructor(readonly text: string, readonly translated: TranslatedPattern) {
    super('Pattern', `re.compile(${pyRepr(text)})`, {
      dirKey: 're.Pattern',
      attrs: {
        pattern: () => text,
        flags: () => BigInt(translated.flags | RE_FLAGS.U),
        groups: () => BigInt(translated.groupCount),
        match: () => patternMethod(this, 'match'),
        search: () => patternMethod(this, 'search'),
        fullmatch: () => patternMethod(this, 'fullmatch'),
        findall: () => boundMethod(this, 'findall', (args, kwargs) => { expectArgs('findall', args, kwargs, 1, 1); return findall(translated, args[0]); }),
      },
    });
  }
}

function patternMethod(p: PatternObject, mode: MatchMode): PyValue {
  return boundMethod(p, mode, (args, kwargs) => {
    expectArgs(mode, args, kwargs, 1, 1);
    return runMatch(mode, p.translated, args[0]);
  });
}

function patternAndFlags(args: PyArgs, kwargs: PyKwargs, patternIndex: number): { text: string; t: TranslatedPattern } {
  const p = args[patternIndex];
  const flagsArg = args[patternIndex + 2] ?? kwargs.get('flags') ?? 0n;
  const flags = Number(expectInt(flagsArg));
  if (p instanceof PatternObject) {
    if (flags !== 0) throw pyError('ValueError', 'cannot process flags argument with a compiled pattern');
    return { text: p.text, t: p.translated };
  }
  if (typeof p !== 'string') {
    if (p !== null && typeof p === 'object' && p.typeName === 'bytes') throw unsupported('bytes regular expressions');
    throw pyError('TypeError', 'first argument must be string or compiled pattern');
  }
  return { text: p, t: compile(p, flags) };
}

function reFunction(mode: MatchMode): () => PyValue {
  return fn(mode, (args, kwargs) => {
    expectArgs(mode, args, kwargs, 2, 3, ['flags']);
    const { t } = patternAndFlags(args, kwargs, 0);
    return runMatch(mode, t, args[1]);
  });
}

const re = module('re', "<module 're' from '/usr/lib/python3.11/re/__init__.py'>", {
  match: reFunction('match'),
  search: reFunction('search'),
  fullmatch: reFunction('fullmatch'),
  findall: fn('findall', (args, kwargs) => {
    expectArgs('findall', args, kwargs, 2, 3, ['flags']);
    return findall(patternAndFlags(args, kwargs, 0).t, args[1]);
  }),
  compile: fn('compile', (args, kwargs) => {
    expectArgs('compile', args, kwargs, 1, 2, ['flags']);
    const p = args[0];
    if (p instanceof PatternObject) return p;
    const flags = Number(expectInt(args[1] ?? kwargs.get('flags') ?? 0n));
    const text = expectStr('compile', p);
    return new PatternObject(text, compile(text, flags));
  }),
  escape: fn('escape', (args, kwargs) => { expectArgs('escape', args, kwargs, 1, 1); return escapePattern(expectStr('escape', args[0])); }),
  // RegexFlag values behave as ints in every use a condition makes of them (re.I | re.M).
  I: constant(BigInt(RE_FLAGS.I)), IGNORECASE: constant(BigInt(RE_FLAGS.I)),
  M: constant(BigInt(RE_FLAGS.M)), MULTILINE: constant(BigInt(RE_FLAGS.M)),
  S: constant(BigInt(RE_FLAGS.S)), DOTALL: constant(BigInt(RE_FLAGS.S)),
  A: constant(BigInt(RE_FLAGS.A)), ASCII: constant(BigInt(RE_FLAGS.A)),
  U: constant(BigInt(RE_FLAGS.U)), UNICODE: constant(BigInt(RE_FLAGS.U)),
  X: constant(BigInt(RE_FLAGS.X)), VERBOSE: constant(BigInt(RE_FLAGS.X)),
  L: constant(BigInt(RE_FLAGS.L)), LOCALE: constant(BigInt(RE_FLAGS.L)),
});

// The modules refer to each other as in CPython (platform.sys, os.path, ...).
const MODULES: Record<string, PyOpaque> = { sys, os, platform, re };
for (const [name, m] of Object.entries(MODULES)) {
  const attrs = m.behaviour.attrs!;
  for (const [otherName, other] of Object.entries(MODULES)) {
    if (name !== otherName && (PYTHON_ATTRIBUTE_NAMES[name] ?? []).includes(otherName) && !(otherName in attrs)) {
      attrs[otherName] = constant(other);
    }
  }
}
osPath.behaviour.attrs!.os = constant(os);

// ---------------------------------------------------------------------------
// _default_globals()

let cachedGlobals: ReadonlyMap<string, PyValue> | undefined;

/** The names zc.buildout 2.13.2's `_default_globals()` defines, for this machine. */
export function defaultGlobals(): ReadonlyMap<string, PyValue> {
  if (cachedGlobals) return cachedGlobals;
  const g = new Map<string, PyValue>([['sys', sys], ['os', os], ['platform', platform], ['re', re]]);
  g.set('python2', false);
  g.set('python3', true);
  const majorMinor = `${EMULATED_PYTHON.major}${EMULATED_PYTHON.minor}`;
  for (const v of ['24', '25', '26', '27', '30', '31', '32', '33', '34', '35', '36']) g.set('python' + v, majorMinor === v);
  g.set('cpython', true);
  g.set('pypy', false);
  g.set('jython', false);
  g.set('ironpython', false);
  const plat = pythonSysPlatform().toLowerCase();
  g.set('linux', plat.includes('linux'));
  g.set('windows', plat.includes('win32'));
  g.set('cygwin', plat.includes('cygwin'));
  g.set('solaris', plat.includes('sunos'));
  g.set('macosx', plat.includes('darwin'));
  g.set('posix', !isWindows);
  g.set('bits32', !is64bit);
  g.set('bits64', is64bit);
  g.set('little_endian', byteorder === 'little');
  g.set('big_endian', byteorder === 'big');
  cachedGlobals = g;
  return g;
}
