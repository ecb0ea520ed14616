/**
 * The evaluator never crashes, never hangs and never leaks JavaScript: for
 * random input, truncated input, hostile input and huge workloads it either
 * answers or throws a PythonExprError with a Python-style message.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateSectionCondition, PythonExprError } from '../../lib/buildout/python-expr';
import { Rng } from '../../fixtures/buildout-gen/random';

/** The shared seeded PRNG, as a bare () => [0, 1) function. */
const seededRandom = (seed: number): (() => number) => { const rng = new Rng(seed); return () => rng.next(); };


type Outcome = { value: boolean } | { error: PythonExprError };

/** Evaluates and fails the test on anything but a boolean or a PythonExprError. */
function outcome(source: string): Outcome {
  try {
    return { value: evaluateSectionCondition(source) };
  } catch (e) {
    if (!(e instanceof PythonExprError)) throw new Error(`crash on ${JSON.stringify(source)}: ${(e as Error).stack}`, { cause: e });
    if (e.pythonType === 'internal') throw new Error(`internal error on ${JSON.stringify(source)}: ${e.message}`, { cause: e });
    return { error: e };
  }
}

function errorOf(source: string): PythonExprError {
  const o = outcome(source);
  if (!('error' in o)) throw new Error(`expected an error for ${JSON.stringify(source)}, got ${o.value}`);
  return o.error;
}

const corpus = fs.readFileSync(path.join(__dirname, 'corpus.txt'), 'utf8')
  .split('\n').filter((l) => l && !l.startsWith('##')).map((l) => l.replace(/^!\w+ /, ''));

describe('python-expr robustness', () => {
  test('the contract: names, booleans, the NameError text', () => {
    expect(evaluateSectionCondition('[ linux or not linux ]')).toBe(true);
    expect(evaluateSectionCondition("[sys.platform.startswith('lin') or True] # comment")).toBe(true);
    expect(evaluateSectionCondition('["]"]')).toBe(true);
    expect(evaluateSectionCondition('[0, 1]')).toBe(false);
    expect(evaluateSectionCondition('[python3 and not python2]')).toBe(true);
    for (const name of ['python311', 'sys_platform', 'iron', 'python37']) {
      const e = errorOf(`[${name}]`);
      expect(e.message).toBe(`NameError: name '${name}' is not defined`);
      expect(e.pythonType).toBe('NameError');
    }
    expect(errorOf('[1 +]').message).toBe('SyntaxError: invalid syntax');
    expect(errorOf('[x for x in ()]').message).toBe('IndexError: list index out of range');
  });

  test('a few thousand random byte strings: no crash, no hang', () => {
    const rand = seededRandom(7);
    const alphabet = "[]()'\"#:;,.+-*/%<>=!~&|^ \\abcdefxyz019_\n\t{}@$?`éλ😀\0";
    const started = Date.now();
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 40);
      let s = rand() < 0.8 ? '[' : '';
      for (let j = 0; j < len; j++) {
        s += rand() < 0.7
          ? alphabet[Math.floor(rand() * alphabet.length)]
          : String.fromCharCode(Math.floor(rand() * 0x3000));
      }
      if (rand() < 0.8) s += ']';
      outcome(s);
    }
    // A hang guard, not a benchmark: generous for a loaded 2-core CI machine.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  test('every truncation of every corpus line: no crash, no hang', () => {
    // (conformance.test.ts also compares prefix + ']' with Python.)
    let count = 0;
    for (const line of corpus) {
      for (let i = 0; i <= line.length; i++) {
        outcome(line.slice(0, i));
        count++;
      }
    }
    expect(count).toBeGreaterThan(5000);
  });

  test('no way out to JavaScript or Python internals', () => {
    for (const src of [
      '[().__class__]', '[().__class__.__bases__[0].__subclasses__()]', "[''.__class__]", '[len.__self__]',
      '[sys.modules]', '[__import__]', '[__builtins__]', '[eval]', '[exec]', '[open]', '[getattr]', '[globals]',
    ]) {
      expect(errorOf(src).message).toMatch(/^unsupported in hostout: /);
    }
    // JavaScript property names are just unknown Python names/attributes.
    for (const [src, message] of [
      ['[constructor]', "NameError: name 'constructor' is not defined"],
      ['[toString]', "NameError: name 'toString' is not defined"],
      ['[hasOwnProperty]', "NameError: name 'hasOwnProperty' is not defined"],
      ["['a'.constructor]", "AttributeError: 'str' object has no attribute 'constructor'"],
      ['[[].constructor]', "AttributeError: 'list' object has no attribute 'constructor'"],
      ['[sys.constructor]', "AttributeError: module 'sys' has no attribute 'constructor'"],
      ["[{}.get('constructor')]", undefined],
    ] as const) {
      const o = outcome(src);
      if (message === undefined) expect(o).toEqual({ value: false });
      else expect('error' in o && o.error.message).toBe(message);
    }
  });

  test('huge work and memory are refused cleanly and quickly', () => {
    const started = Date.now();
    for (const src of [
      "['a' * 10**9]", '[10**10**10]', '[2**100000]', '[1 << 10**6]', '[[0] * 10**7]', '[list(range(10**9))]',
      '[sum(range(10**8))]', '[[x for x in range(10**7)]]', "['x' * 999999 + 'x' * 999999]",
      '[(lambda f: f(f))(lambda f: f(f))]', "[re.match('(a+)+$', 'a' * 40 + 'b')]",
      "[re.match('(a|aa)*c', 'a' * 50)]", `[${'-'.repeat(5000)}1]`, `[${'not '.repeat(5000)}1]`,
      `[${'('.repeat(300)}${')'.repeat(300)}]`, `[${Array(50000).fill('1').join('+')}]`, `[${'x'.repeat(200_000)}]`,
    ]) {
      const e = errorOf(src);
      expect(e.pythonType).toMatch(/^(unsupported|RecursionError|SyntaxError)$/);
    }
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  test("python-names.ts matches the real CPython's dir() lists", () => {
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const r = spawnSync(python, [path.join(__dirname, 'gen-python-names.py')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const committed = fs.readFileSync(path.join(__dirname, '../../lib/buildout/python-expr/python-names.ts'), 'utf8');
    expect(committed).toBe(r.stdout);
  });

  test('deep nesting gives Python\'s own SyntaxError', () => {
    expect(errorOf(`[${'('.repeat(250)}1${')'.repeat(250)}]`).message).toBe('SyntaxError: too many nested parentheses');
    expect(outcome(`[${'('.repeat(150)}1${')'.repeat(150)}]`)).toEqual({ value: true });
  });
});
