/**
 * Differential test: hostout's Python-expression evaluator against real
 * python3 + zc.buildout 2.13.2 (oracle.py evaluates each source exactly as
 * buildout's configparser does). Inputs: the hand-picked corpus.txt and a
 * seeded random generator over the supported grammar.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluatePythonExpression, evaluateSectionCondition, PythonExprError } from '../../lib/buildout/python-expr';
import { pyRepr, PyDict, PyList, PySet, PyTuple, PyValue } from '../../lib/buildout/python-expr/values';
import { Rng } from '../../fixtures/buildout-gen/random';

/** The shared seeded PRNG, as a bare () => [0, 1) function. */
const seededRandom = (seed: number): (() => number) => { const rng = new Rng(seed); return () => rng.next(); };

/** Debian's python3 has python3-zc.buildout; a pyenv shim earlier in PATH may not. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const ORACLE = path.join(__dirname, 'oracle.py');

/** Environment shared by both sides, so os.environ/os.getenv cases line up. */
const TEST_ENV = { HOSTOUT_TEST_VAR: 'yes' };
/** Python's str hashes (hence set order) are random per process unless seeded. */
const ORACLE_ENV = { ...TEST_ENV, PYTHONHASHSEED: '0' };

type OracleResult = { truth: boolean; repr: string } | { error: string; type: string };

/** Runs ONE python3 process for all sources (JSON lines in, JSON lines out). */
function runOracle(sources: string[]): OracleResult[] {
  const r = spawnSync(PYTHON, [ORACLE], {
    input: sources.map((s) => JSON.stringify(s)).join('\n') + '\n',
    encoding: 'utf8',
    env: { ...process.env, ...ORACLE_ENV },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`oracle failed (${r.status ?? r.signal}): ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  if (lines.length !== sources.length) throw new Error(`oracle answered ${lines.length} of ${sources.length}: ${r.stderr}`);
  return lines.map((l) => JSON.parse(l) as OracleResult);
}

type Ours = { truth: boolean; repr: string; unordered?: boolean } | { error: string; type: string };

/** Sets iterate in hash order in CPython, insertion order here; their reprs can't be compared. */
function containsSet(v: PyValue, depth = 0): boolean {
  if (v instanceof PySet) return true;
  if (depth > 20) return false;
  if (v instanceof PyList || v instanceof PyTuple) return v.items.some((x) => containsSet(x, depth + 1));
  if (v instanceof PyDict) return [...v.entries.values()].some((e) => containsSet(e.key, depth + 1) || containsSet(e.value, depth + 1));
  return false;
}

function runOurs(source: string): Ours {
  try {
    const truth = evaluateSectionCondition(source);
    const value = evaluatePythonExpression(source);
    return { truth, repr: pyRepr(value), unordered: containsSet(value) };
  } catch (e) {
    if (e instanceof PythonExprError) return { error: e.message, type: e.pythonType };
    throw e; // anything else is a crash: a bug
  }
}

/** Exception classes whose name must match exactly, not just "both reject". */
const STRICT_TYPES = new Set(['NameError', 'SyntaxError', 'TypeError', 'ZeroDivisionError', 'KeyError', 'IndexError', 'AttributeError', 'ValueError', 'error']);

/** A repr we can compare: no object addresses or other CPython-specific text. */
function comparableRepr(repr: string): boolean {
  return !/ at 0x|<built-in|<function|<module|<class|<re\.Match|object at|environ\(|re\.compile\(|namespace\(/.test(repr) &&
    !/re\.[A-Z]|dict_keys|dict_values|dict_items|uname_result|version=|<map|<filter|<zip|<enumerate|generator|iterator/.test(repr);
}

/**
 * hostout emulates CPython 3.11.2 (Debian 12's python3, which the oracle runs
 * on in CI). If the oracle's micro version differs, reprs that print the
 * version can't match; only those comparisons are relaxed.
 */
const ORACLE_MICRO = spawnSync(PYTHON, ['-c', 'import sys; print(sys.version_info[:3])'], { encoding: 'utf8' }).stdout.trim();
const ORACLE_IS_EMULATED_VERSION = ORACLE_MICRO === '(3, 11, 2)';

interface Case { source: string; expectUnsupported: boolean; anyError?: boolean }

function mismatch(c: Case, py: OracleResult, ours: Ours): string | undefined {
  if (c.expectUnsupported) {
    if ('error' in py) return `marked !unsupported but Python rejects it: ${py.error}`;
    if (!('error' in ours) || ours.type !== 'unsupported') return `expected 'unsupported in hostout', got ${JSON.stringify(ours)}`;
    return undefined;
  }
  if ('error' in py) {
    if (!('error' in ours)) return `Python: ${py.error}; hostout accepted it: ${ours.repr}`;
    if (STRICT_TYPES.has(py.type) && ours.type !== py.type && !c.anyError) return `Python: ${py.error}; hostout: ${ours.error}`;
    return undefined;
  }
  if ('error' in ours) return `Python: ${py.repr}; hostout: ${ours.error}`;
  if (ours.truth !== py.truth) return `truth differs: Python ${py.truth} (${py.repr}), hostout ${ours.truth} (${ours.repr})`;
  const versionDependent = !ORACLE_IS_EMULATED_VERSION && /version/.test(c.source);
  if (comparableRepr(py.repr) && !ours.unordered && !versionDependent && ours.repr !== py.repr) return `repr differs: Python ${py.repr}, hostout ${ours.repr}`;
  return undefined;
}

function check(cases: Case[]): string[] {
  const results = runOracle(cases.map((c) => c.source));
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const problem = mismatch(c, results[i], runOurs(c.source));
    if (problem) failures.push(`${c.source}\n    ${problem}`);
  });
  return failures;
}

// ---------------------------------------------------------------------------
// Seeded random expressions over the supported grammar


export function randomExpression(rand: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const leaf = (): string => pick([
    () => String(Math.floor(rand() * 21) - 10),
    () => pick(['0', '1', '2', '3', '7', '10', '255', '0x1f', '0b101', '0o17', '1_000']),
    () => pick(['0.5', '1.5', '-2.25', '1e3', '0.1', '3.0', '1e-5', '2.5']),
    () => pick(["'a'", "'abc'", "''", "'A b'", "'linux'", "'3.11'", '"x y"', "'é'", "'a,b'", "' s '"]),
    () => pick(['True', 'False', 'None']),
    () => pick(['linux', 'windows', 'macosx', 'posix', 'bits64', 'bits32', 'python3', 'python2', 'python27', 'cpython', 'pypy', 'little_endian']),
    () => pick(['sys.platform', 'os.name', 'sys.byteorder', 'os.sep', 'sys.version_info[:2]', 'sys.version_info[0]', 'platform.system()', 'platform.python_version_tuple()[0]']),
    () => pick(['[]', '[1, 2]', "['a', 'b']", '()', '(1,)', '(1, 2)', '{}', "{'a': 1}", '{1, 2}', 'range(3)']),
    () => pick(['2**64', '10**20', '-2**63', "float('inf')", "-float('inf')", '-0.0', '1e16', '1e-7', '123456.789', '2.675', '0.125']),
  ])();
  if (depth > 3 || rand() < 0.25) return leaf();
  const sub = (): string => randomExpression(rand, depth + 1);
  return pick([
    () => `${sub()} ${pick(['and', 'or'])} ${sub()}`,
    () => `not ${sub()}`,
    () => `${sub()} ${pick(['==', '!=', '<', '<=', '>', '>='])} ${sub()}`,
    () => `${sub()} ${pick(['<', '=='])} ${sub()} ${pick(['<', '<=', '!='])} ${sub()}`,
    () => `${sub()} ${pick(['in', 'not in'])} ${sub()}`,
    () => `${sub()} ${pick(['is', 'is not'])} None`,
    () => `${sub()} ${pick(['+', '-', '*', '/', '//', '%', '&', '|', '^'])} ${sub()}`,
    () => `${sub()} ** ${pick(['0', '1', '2', '3', '-1', '0.5'])}`,
    () => `${sub()} ${pick(['<<', '>>'])} ${pick(['0', '1', '3'])}`,
    () => `${pick(['-', '+', '~'])}${sub()}`,
    () => `(${sub()} if ${sub()} else ${sub()})`,
    () => `(${sub()})`,
    () => `[${sub()}, ${sub()}]`,
    () => `(${sub()}, ${sub()})`,
    () => `{${sub()}: ${sub()}}`,
    () => `${pick(['len', 'str', 'bool', 'int', 'float', 'abs', 'list', 'tuple', 'sorted', 'repr', 'any', 'all', 'min', 'max'])}(${sub()})`,
    () => `${pick(['min', 'max'])}(${sub()}, ${sub()})`,
    () => `${sub()}[${pick(['0', '-1', '1', '1:', ':-1', '::-1', '::2', "'a'"])}]`,
    () => `${sub()}.${pick(['startswith', 'endswith', 'count', 'find', 'split', 'strip', 'lower', 'upper', 'replace', 'join', 'index', 'get', 'isdigit'])}(${pick(['', "'a'", "'a', 'b'", sub()])})`,
    () => `[x for x in ${sub()} if x]`,
    () => `(lambda v: ${pick(['v', 'v + 1', 'not v', 'v * 2', 'str(v)'])})(${sub()})`,
    () => `isinstance(${sub()}, ${pick(['int', 'str', '(int, float)', 'bool', 'tuple'])})`,
    () => `re.${pick(['match', 'search', 'fullmatch'])}(${pick(["'a'", "'[a-z]+'", "r'\\d'", "'^l'", "'.*x$'", "'(a|b)c'"])}, ${sub()}) is not None`,
    // (strings only: Python's os.path.exists(3) stats file descriptor 3)
    () => `os.path.${pick(['exists', 'isdir', 'isfile', 'basename', 'dirname'])}(${pick(["'/'", "'/tmp'", "'/etc/passwd'", "'/no/such'", "''", `str(${sub()})`])})`,
    () => `'%s' % (${sub()},)`,
    () => `'${pick(['%d', '%5d', '%-4d|', '%05d', '%x', '%.1f', '%8.3f', '%e', '%s', '%r', '%+d'])}' % (${sub()},)`,
    () => `'{}-{}'.format(${sub()}, ${sub()})`,
    () => `format(${sub()}, '${pick(['', '>4', '<3', '^6', '05d', '.2f', 'x', '#o', ',', '+.1e', '.0%', 's', '*^5'])}')`,
    () => `${sub()}.${pick(["split(',')", "replace('a', 'b')", "startswith(('a', 'l'))", "rjust(4, '*')", 'zfill(3)', "partition(',')", 'title()', 'capitalize()', "rsplit(None, 1)", "center(6)", 'strip()'])}`,
    () => `${sub()}[${pick(['1:-1:2', '::-2', '-2:', ':1', '5:', '-10:10', '2:1'])}]`,
    () => `${pick(['sum', 'sorted', 'list', 'tuple'])}(${pick(['[1, 2.5, -3]', '(True, 2)', 'range(5)', "'cab'", '[[1], [0]]', sub()])})`,
    () => `${pick(['divmod', 'pow', 'round', 'max', 'min'])}(${sub()}, ${pick(['2', '-1', '1', '0', '3'])})`,
    () => `${pick(['hex', 'oct', 'bin', 'abs', 'round', 'chr', 'ord'])}(${sub()})`,
    () => `[y for x in ${sub()} for y in (x, x)]`,
    () => `{k: v for k, v in zip(${sub()}, ${sub()})}`,
    () => `list(${pick(['reversed', 'enumerate', 'zip'])}(${sub()}))`,
    () => `${pick(['any', 'all'])}(x ${pick(['', '> 0', "== 'a'", 'is None'])} for x in ${sub()})`,
    () => `sys.version_info ${pick(['>=', '<', '==', '>'])} (3, ${pick(['0', '6', '10', '11', '12'])})`,
    () => `dict(a=${sub()}, b=${sub()})`,
    () => `{**${pick(["{'a': 1}", '{}', '{1: 2}'])}, ${sub()}: ${sub()}}`,
  ])();
}

function loadCorpus(): Case[] {
  const text = fs.readFileSync(path.join(__dirname, 'corpus.txt'), 'utf8');
  return text.split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('##'))
    .map((l) => {
      if (l.startsWith('!unsupported ')) return { source: l.slice('!unsupported '.length), expectUnsupported: true };
      if (l.startsWith('!anyerror ')) return { source: l.slice('!anyerror '.length), expectUnsupported: false, anyError: true };
      return { source: l, expectUnsupported: false };
    });
}

describe('python-expr conformance with python3 + zc.buildout 2.13.2', () => {
  const savedEnv = { ...process.env };
  beforeAll(() => Object.assign(process.env, TEST_ENV));
  afterAll(() => {
    for (const k of Object.keys(TEST_ENV)) if (savedEnv[k] === undefined) delete process.env[k];
  });

  test('the oracle is CPython 3.11 with zc.buildout 2.13.2', () => {
    expect(ORACLE_MICRO).toMatch(/^\(3, 11, \d+\)$/);
    const r = spawnSync(PYTHON, ['-c', 'import zc.buildout, importlib.metadata as m; print(m.version("zc.buildout"))'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('2.13.2');
  });

  test('hand-picked corpus (conditional-section examples, configparser.test, every global, builtins, errors)', () => {
    const cases = loadCorpus();
    expect(cases.length).toBeGreaterThan(400);
    expect(check(cases)).toEqual([]);
  });

  test('truncated corpus lines agree with Python (parser leniency check)', () => {
    // Every prefix of every corpus line, closed with ']': catches sources we
    // accept but Python rejects (and the reverse). Slices by code point so no
    // surrogate pair is split.
    const cases: Case[] = [];
    for (const c of loadCorpus()) {
      if (c.expectUnsupported || c.anyError) continue;
      const cps = Array.from(c.source);
      for (let i = 1; i < cps.length; i += 2) cases.push({ source: cps.slice(0, i).join('') + ']', expectUnsupported: false });
    }
    const results = runOracle(cases.map((c) => c.source));
    const failures: string[] = [];
    let refused = 0;
    cases.forEach((c, i) => {
      const ours = runOurs(c.source);
      // A prefix can turn into something we refuse on purpose (e.g. '2.j' is a
      // complex literal); count those instead of failing, and bound them below.
      if ('error' in ours && ours.type === 'unsupported') { refused++; return; }
      const problem = mismatch(c, results[i], ours);
      if (problem) failures.push(`${c.source}\n    ${problem}`);
    });
    expect(failures).toEqual([]);
    expect(refused).toBeLessThan(cases.length / 100);
  });

  test('seeded random expressions over the supported grammar', () => {
    // PYEXPR_SEED lets a developer explore other seeds; CI always uses the fixed one.
    const rand = seededRandom(Number(process.env.PYEXPR_SEED ?? 20261124));
    const cases: Case[] = [];
    for (let i = 0; i < 3000; i++) cases.push({ source: `[${randomExpression(rand)}]`, expectUnsupported: false });
    expect(check(cases)).toEqual([]);
  });
});
