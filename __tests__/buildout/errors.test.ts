/**
 * Where zc.buildout 2.13.2 crashes with a traceback or prints a UserError, the
 * engine throws a ConfigError that names the file and line, in words a
 * buildout user knows — and never hangs or crashes (deep/cyclic extends,
 * deep references, binary bytes). Each case also checks that the real
 * zc.buildout refuses the same configuration.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadBuildout } from '../../lib/buildout';
import { ConfigError } from '../../lib/errors';
import { OracleBatch, emptyHome, requireOracle } from '../support/oracle';

type Files = Record<string, string | Buffer>;
const haveOracle = requireOracle();
let batch: OracleBatch | undefined;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-errors-'));
  if (haveOracle) batch = new OracleBatch();
});
afterAll(async () => {
  await batch?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function writeCase(files: Files): string {
  const dir = path.join(root, `case${++counter}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  fs.mkdirSync(path.join(dir, 'eggs'), { recursive: true });
  return dir;
}

async function loadError(dir: string, assignments: string[] = []): Promise<ConfigError> {
  try {
    const b = await loadBuildout({ cwd: dir, userDefaults: false, assignments, env: { HOME: emptyHome() } });
    b.resolveAll();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`expected a ConfigError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the configuration to be refused');
}

/** Our message, after checking that real buildout refuses too (and with which text). */
async function refusedByBoth(files: Files, assignments: string[] = []): Promise<{ message: string; buildout: string }> {
  const dir = writeCase(files);
  const err = await loadError(dir, assignments);
  let buildout = '';
  if (batch) {
    const r = await batch.request({ dir, mode: 'annotate', args: ['-U', ...assignments, 'annotate'], env: { HOME: emptyHome() } });
    expect(r.status).not.toBe(0);
    buildout = r.stderr;
  }
  return { message: err.message, buildout };
}

const lines = (...l: string[]) => l.join('\n') + '\n';

describe('parse errors name file and line (buildout: ParsingError traceback)', () => {
  test('g2: ":" is not a separator; all bad lines are counted', async () => {
    const { message, buildout } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'a: 1', 'b = ok', 'foo bar = 2', '[x y]') });
    expect(message).toBe("buildout.cfg, line 4: cannot parse 'a: 1': an option needs '=' (':' is not a separator in buildout) (also lines 6, 7)");
    if (batch) expect(buildout).toContain("[line  4]: 'a: 1\\n'");
  });

  test('g3: no section header: the line is named, not quoted (a file that is not configuration may hold secrets)', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('a = 1', '[buildout]') });
    expect(message).toBe(
      'buildout.cfg, line 1: cannot parse this line (not shown: nothing before it says the file is configuration): the file has no [section] header before this line',
    );
  });

  test('g4: an indented line right after a header', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'a = 1', '  [t]', 'b = 2', '[u]', '  c = 3') });
    expect(message).toMatch(/^buildout\.cfg, line 8: cannot parse ' {2}c = 3': an indented line must continue an option/);
  });

  test('g6: a UTF-8 BOM is named as such', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': '\ufeff[buildout]\nparts =\n' });
    expect(message).toMatch(/^buildout\.cfg, line 1: .*byte order mark/);
  });

  test('g8: options under a false first header', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[s:False]', 'a = 1') });
    expect(message).toMatch(/^buildout\.cfg, line 2: .*false condition/);
  });

  test('non-UTF-8 bytes: the line that holds them', async () => {
    const bytes = Buffer.concat([Buffer.from('[buildout]\nparts =\n[s]\na = '), Buffer.from([0xff, 0xfe, 0x0a])]);
    const { message } = await refusedByBoth({ 'buildout.cfg': bytes });
    expect(message).toBe('buildout.cfg, line 4: the file is not valid UTF-8 text');
  });
});

describe('conditional headers (buildout: eval traceback)', () => {
  test.each([
    ['[s:python311]', /line 3: .*NameError: name 'python311' is not defined/],
    ['[s:sys_platform == "linux"]', /line 3: .*NameError: name 'sys_platform' is not defined/],
    ['[s:1 +]', /line 3: .*SyntaxError/],
    ["[s:'#' in 'x']", /line 3: cannot parse .*not a valid section header.*\\x23/],
  ])('%s', async (header, expected) => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', header, 'a = 1') });
    expect(message).toMatch(/^buildout\.cfg, /);
    expect(message).toMatch(expected);
  });
});

describe('extends problems', () => {
  test('e2: a cycle gives buildout\'s "Recursive file include" text, at the extends line', async () => {
    const { message, buildout } = await refusedByBoth({
      'buildout.cfg': lines('[buildout]', 'extends = a.cfg', 'parts ='),
      'a.cfg': lines('[buildout]', 'extends = b.cfg'),
      'b.cfg': lines('[buildout]', 'extends = a.cfg'),
    });
    expect(message).toMatch(/^b\.cfg, line 2: Recursive file include \['.*\/buildout\.cfg', '.*\/a\.cfg', '.*\/b\.cfg'\] .*\/a\.cfg$/);
    if (batch) expect(buildout).toContain(message.replace(/^b\.cfg, line 2: /, 'Error: '));
  });

  test('extends = ./buildout.cfg (Python: RecursionError) is a clean cycle error', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'extends = ./buildout.cfg', 'parts =') });
    expect(message).toMatch(/^buildout\.cfg, line 2: Recursive file include .*spelled differently/);
  });

  test('extends = d/../buildout.cfg (Python: File name too long) is a clean cycle error', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'extends = d/../buildout.cfg', 'parts ='), 'd/.keep': '' });
    expect(message).toMatch(/^buildout\.cfg, line 2: Recursive file include/);
  });

  test('e3: a missing extended file names the extends line', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', 'extends = missing.cfg') });
    expect(message).toBe('buildout.cfg, line 3: cannot open extended file missing.cfg: no such file');
  });

  test('${} in extends is not substituted, and the message says so', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'extends = ${buildout:directory}/base.cfg', 'parts ='), 'base.cfg': '[s]\n' });
    expect(message).toMatch(/line 2: cannot open extended file .*does not substitute/);
  });

  test('a missing main config: buildout\'s own words', async () => {
    const dir = writeCase({});
    await expect(loadBuildout({ cwd: dir, config: 'nope.cfg', userDefaults: false })).rejects.toThrow(`Couldn't open ${dir}/nope.cfg`);
  });

  test('extends nested 600 deep is refused cleanly; 40 deep works and equals buildout', async () => {
    const deep: Files = { 'buildout.cfg': lines('[buildout]', 'extends = f1.cfg', 'parts =') };
    for (let i = 1; i < 600; i++) deep[`f${i}.cfg`] = lines('[buildout]', `extends = f${i + 1}.cfg`, '[s]', `v${i % 7} = ${i}`);
    deep['f600.cfg'] = lines('[s]', 'end = 1');
    const err = await loadError(writeCase(deep));
    expect(err.message).toMatch(/extends nested more than 500 files deep/);

    const ok: Files = { 'buildout.cfg': lines('[buildout]', 'extends = f1.cfg', 'parts =') };
    for (let i = 1; i < 40; i++) ok[`f${i}.cfg`] = lines('[buildout]', `extends = f${i + 1}.cfg`, '[s]', `v${i % 7} = ${i}`, 'acc += x' + i);
    ok['f40.cfg'] = lines('[s]', 'end = 1', 'acc = start');
    const dir = writeCase(ok);
    const b = await loadBuildout({ cwd: dir, userDefaults: false, env: { HOME: emptyHome() } });
    expect(b.get('s', 'v1')).toBe('1');
    expect(b.get('s', 'acc')).toBe('start\nx39\nx38\nx37\nx36\nx35\nx34\nx33\nx32\nx31\nx30\nx29\nx28\nx27\nx26\nx25\nx24\nx23\nx22\nx21\nx20\nx19\nx18\nx17\nx16\nx15\nx14\nx13\nx12\nx11\nx10\nx9\nx8\nx7\nx6\nx5\nx4\nx3\nx2\nx1');
    if (batch) {
      const r = await batch.request({ dir, mode: 'resolve', args: ['-U'], env: { HOME: emptyHome() } });
      expect(b.resolveAll().values).toEqual(JSON.parse(r.stdout));
    }
  });

  test('an exponential diamond of extends is refused quickly instead of hanging', async () => {
    const files: Files = { 'buildout.cfg': lines('[buildout]', 'extends = l0a.cfg l0b.cfg', 'parts =') };
    for (let i = 0; i < 30; i++) {
      for (const side of ['a', 'b']) files[`l${i}${side}.cfg`] = lines('[buildout]', `extends = l${i + 1}a.cfg l${i + 1}b.cfg`, '[s]', `k = ${i}`);
    }
    files['l30a.cfg'] = '[s]\n';
    files['l30b.cfg'] = '[s]\n';
    const started = Date.now();
    const err = await loadError(writeCase(files));
    expect(err.message).toMatch(/extends opens more than \d+ files/);
    expect(Date.now() - started).toBeLessThan(20000);
  });
});

describe('evaluation errors name the option\'s file and line', () => {
  test('s2 in [buildout]: buildout\'s text, prefixed with where the reference is', async () => {
    const { message, buildout } = await refusedByBoth({ 'base.cfg': lines('[buildout]', 'parts =', '', 'x = ${s:missing}'), 'buildout.cfg': lines('[buildout]', 'extends = base.cfg', '[s]', 'a = 1') });
    expect(message).toBe('base.cfg, line 4: Referenced option does not exist: s missing');
    if (batch) expect(buildout).toContain('Error: Referenced option does not exist: s missing');
  });

  test('circular references in [buildout]', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', 'x = ${:y}', 'y = ${:x}') });
    expect(message).toMatch(/^buildout\.cfg, line [34]: Circular reference in substitutions\.\n$/);
  });

  test('a macro error reached from [buildout] names the <= line', async () => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', 'x = ${leaf:a}', '[leaf]', '<= nosuch', 'a = 1') });
    expect(message).toBe("buildout.cfg, line 5: No section named 'nosuch'");
  });

  test('resolveAll reports per-option problems with their location (resolveAllDetailed)', async () => {
    const dir = writeCase({ 'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'ok = 1', 'bad = ${nosuch:x}') });
    const b = (await loadBuildout({ cwd: dir, userDefaults: false, env: { HOME: emptyHome() } })) as import('../../lib/buildout').LoadedBuildout;
    const { problems } = b.resolveAllDetailed();
    expect(problems).toEqual([{ key: 's:bad', message: "The referenced section, 'nosuch', was not defined.", detail: "buildout.cfg, line 5: The referenced section, 'nosuch', was not defined." }]);
    expect(() => b.get('s', 'bad')).toThrow("buildout.cfg, line 5: The referenced section, 'nosuch', was not defined.");
    expect(b.get('s', 'ok')).toBe('1');
  });

  test('a 20000-deep reference chain is a clean error, not a crash', async () => {
    const body = ['[buildout]', 'parts =', '[s]', 'v0 = end'];
    for (let i = 1; i <= 20000; i++) body.push(`v${i} = \${:v${i - 1}}`);
    const dir = writeCase({ 'buildout.cfg': lines(...body) });
    const b = await loadBuildout({ cwd: dir, userDefaults: false, env: { HOME: emptyHome() } });
    expect(() => b.get('s', 'v20000')).toThrow(ConfigError);
    expect(b.get('s', 'v50')).toBe('end');
  });
});

describe('[buildout] checks (buildout: UserError, same text)', () => {
  test.each([
    [['[buildout]', 'parts =', 'offline = yes'], "buildout.cfg, line 3: Invalid value for 'offline' option: 'yes'"],
    [['[buildout]', 'parts =', 'newest = True'], "buildout.cfg, line 3: Invalid value for 'newest' option: 'True'"],
    [['[buildout]', 'parts =', 'log-level = LOUD'], 'buildout.cfg, line 3: Invalid logging level LOUD'],
    [['[buildout]', 'parts =', 'verbosity = X'], 'buildout.cfg, line 3: Invalid verbosity X'],
    [['[buildout]', 'parts =', 'prefer-final = no'], "buildout.cfg, line 3: Invalid value for 'prefer-final' option: 'no'"],
    [['[buildout]', 'parts =', 'extended-by = x.cfg'], /^buildout\.cfg, line 3: No-longer supported "extended-by" option found in .*buildout\.cfg\.$/],
    [['[buildout]', 'parts =', 'versions = nosuch'], "buildout.cfg, line 3: buildout:versions names the section 'nosuch', which does not exist"],
  ])('%j', async (cfg, expected) => {
    const { message } = await refusedByBoth({ 'buildout.cfg': lines(...(cfg as string[])) });
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  test('bad command-line assignments (buildout: TypeError / IndexError tracebacks)', async () => {
    const dir = writeCase({ 'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'a = 1') });
    await expect(loadBuildout({ cwd: dir, userDefaults: false, assignments: ['a:b:c=1'] })).rejects.toThrow(/too many ':'/);
    // an empty option name only breaks buildout when it is merged onto an existing section
    await expect(loadBuildout({ cwd: dir, userDefaults: false, assignments: ['s:=1'] })).rejects.toThrow(
      "command-line assignment 's:=1': an option with an empty name cannot be merged",
    );
    const b = await loadBuildout({ cwd: dir, userDefaults: false, assignments: ['new:=1'], env: { HOME: emptyHome() } });
    expect(b.raw('new')).toEqual({ '': '1' });
    if (batch) {
      const r = await batch.request({ dir, mode: 'annotate', args: ['-U', 's:=1', 'annotate'], env: { HOME: emptyHome() } });
      expect(r.stderr).toContain('IndexError');
    }
  });
});

describe('mutated configurations never crash or hang', () => {
  // A small deterministic mutation run (the big fuzz suite lives in __tests__/buildout-fuzz).
  const seedConfig = lines(
    '[buildout]',
    'extends = base.cfg',
    'parts = p',
    '[p]',
    '<= m',
    'recipe = r',
    'x = ${m:a} $${m:a} ${:y}',
    'y =',
    '   one',
    '     two',
    'z += 3',
    '[m:python3]',
    'a = 1',
    '=> p',
  );
  let state = 12345;
  const rand = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  const junk = ['[', ']', '=', ':', '${', '}', '$$', '<=', '+=', '-=', '\t', ' ', '\n', '#', ';', '\ufeff', '\x00', '\u2028', '\x85', '[s:', 'python3]', 'extends = base.cfg'];
  function mutate(text: string): Buffer {
    let t = text;
    const edits = 1 + rand(4);
    for (let i = 0; i < edits; i++) {
      const pos = rand(t.length + 1);
      switch (rand(5)) {
        case 0:
          t = t.slice(0, pos) + junk[rand(junk.length)] + t.slice(pos);
          break;
        case 1:
          t = t.slice(0, pos) + t.slice(pos + 1 + rand(10));
          break;
        case 2:
          t = t.slice(0, pos);
          break;
        default: {
          const ls = t.split('\n');
          const a = rand(ls.length);
          ls.splice(rand(ls.length), 0, ls[a]);
          t = ls.join('\n');
        }
      }
    }
    const buf = Buffer.from(t);
    if (rand(10) === 0) buf[rand(buf.length || 1)] = 0x80 + rand(0x80);
    return buf;
  }

  test('300 mutations: success or ConfigError with a location, each fast', async () => {
    const dir = path.join(root, 'fuzz');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'base.cfg'), lines('[buildout]', 'extends = base.cfg', '[m]', 'a = base'));
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const cfg = mutate(seedConfig);
      fs.writeFileSync(path.join(dir, 'buildout.cfg'), cfg);
      fs.writeFileSync(path.join(dir, 'base.cfg'), rand(2) ? mutate(lines('[m]', 'a = base', 'b = ${p:x}')) : lines('[m]', 'a = base'));
      const started = Date.now();
      try {
        const b = await loadBuildout({ cwd: dir, userDefaults: false, env: { HOME: emptyHome() } });
        b.resolveAll();
        b.annotate();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw new Error(`mutation ${i} crashed: ${String(err)}\n${cfg.toString('utf8')}`, { cause: err });
        expect(err.message.length).toBeGreaterThan(0);
        refused++;
      }
      expect(Date.now() - started).toBeLessThan(5000);
    }
    expect(refused).toBeGreaterThan(0);
  });
});

test('references that double a value 40 times are refused instead of exhausting memory', async () => {
  const body = ['[buildout]', 'parts =', '[s]', 'v0 = xxxxxxxx'];
  for (let i = 1; i <= 40; i++) body.push(`v${i} = \${:v${i - 1}}\${:v${i - 1}}`);
  const dir = writeCase({ 'buildout.cfg': lines(...body) });
  const b = await loadBuildout({ cwd: dir, userDefaults: false, env: { HOME: emptyHome() } });
  expect(() => b.get('s', 'v40')).toThrow(/longer than \d+ characters/);
  expect(b.get('s', 'v3')).toBe('x'.repeat(64));
  const { errors } = b.resolveAll();
  expect(Object.keys(errors).length).toBeGreaterThan(0);
});
