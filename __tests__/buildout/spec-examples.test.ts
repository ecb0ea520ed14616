/**
 * Worked examples of zc.buildout 2.13.2's configuration semantics, topic by
 * topic, run through our engine in-process AND through the real zc.buildout
 * 2.13.2 (the oracle): the resolved values (and per-option errors) must be
 * identical, and each test also asserts the specific value buildout gives, so
 * it means something when read alone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadBuildout } from '../../lib/buildout';
import { OracleBatch, emptyHome, requireOracle } from '../support/oracle';

type Files = Record<string, string>;
type Json = Record<string, Record<string, string>>;

const haveOracle = requireOracle();
let batch: OracleBatch | undefined;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-spec-'));
  if (haveOracle) batch = new OracleBatch();
});
afterAll(async () => {
  await batch?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function writeCase(files: Files, dirs: string[] = ['eggs']): string {
  const dir = path.join(root, `case${++counter}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  for (const d of dirs) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return dir;
}

interface RunOptions {
  assignments?: string[];
  config?: string;
  /** HOME relative to the case dir; default: an empty HOME and -U */
  home?: string;
  buildoutHome?: string;
}

/** Our engine, shaped like the oracle's JSON. */
async function ours(dir: string, o: RunOptions = {}): Promise<Json> {
  const userDefaults = o.home !== undefined || o.buildoutHome !== undefined;
  const env: NodeJS.ProcessEnv = { HOME: o.home ? path.join(dir, o.home) : emptyHome() };
  if (o.buildoutHome) env.BUILDOUT_HOME = path.join(dir, o.buildoutHome);
  const b = await loadBuildout({ cwd: dir, config: o.config, userDefaults, assignments: o.assignments ?? [], env });
  const { values, errors } = b.resolveAll();
  const out: Json = { ...values };
  if (Object.keys(errors).length) out.__errors__ = errors;
  return out;
}

async function oracle(dir: string, o: RunOptions = {}): Promise<Json> {
  const userDefaults = o.home !== undefined || o.buildoutHome !== undefined;
  const args = [...(userDefaults ? [] : ['-U']), ...(o.config ? ['-c', o.config] : []), ...(o.assignments ?? [])];
  const env = {
    HOME: o.home ? path.join(dir, o.home) : emptyHome(),
    ...(o.buildoutHome ? { BUILDOUT_HOME: path.join(dir, o.buildoutHome) } : {}),
  };
  const r = await batch!.request({ dir, mode: 'resolve', args, env });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

/** Resolve with both, demand equality, return ours for the spec's own assertions. */
async function both(files: Files, o: RunOptions = {}): Promise<{ dir: string; got: Json }> {
  const dir = writeCase(files);
  const got = await ours(dir, o);
  if (batch) expect(got).toEqual(await oracle(dir, o));
  return { dir, got };
}

const lines = (...l: string[]) => l.join('\n') + '\n';

describe('line grammar', () => {
  test('g1: comments, no inline comments, block values, dedent, case-sensitivity', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '# comment before any section',
        '; also a comment',
        '',
        '[buildout]',
        'parts =',
        '',
        '[s] # header comment',
        'a = 1 # not a comment',
        'b=2',
        'c   =    spaced value   \t',
        'd =',
        'e = first',
        '    second',
        '',
        '      third',
        'f =',
        '    x',
        '      y',
        '',
        '    z',
        '',
        'g = v',
        "  # indented '#' line is data",
        'h = 1',
        '; column-0 comment inside a value is skipped',
        '  continued',
        '[S]',
        'A = upper-case section and option are distinct',
      ),
    });
    expect(got.s).toEqual({
      a: '1 # not a comment',
      b: '2',
      c: 'spaced value',
      d: '',
      e: 'first\nsecond\nthird',
      f: 'x\n  y\n\nz',
      g: "v\n# indented '#' line is data",
      h: '1\ncontinued',
    });
    expect(got.S).toEqual({ A: 'upper-case section and option are distinct' });
  });

  test('g7: tabs; no common indent means no dedent', async () => {
    const { got } = await both({
      'buildout.cfg': '[buildout]\nparts =\n[s]\na\t=\t1\t\nb =\n\tx\n\t\ty\nc =\n\tt\n    s\ne =\n    \n      deep\n    shallow\n    \n',
    });
    expect(got.s).toEqual({ a: '1', b: 'x\n\ty', c: '\tt\n    s', e: '  deep\nshallow' });
  });

  test('g4: an indented line after an option is a continuation, even "[t]"', async () => {
    const { got } = await both({ 'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'a = 1', '  [t]', 'b = 2') });
    expect(got.s).toEqual({ a: '1\n[t]', b: '2' });
    expect(got.t).toBeUndefined();
  });

  test('g5: duplicates, "=" in a section name, =>, odd option names', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[ spaced ]   ; comment',
        'k = 1',
        '[a=b]#comment',
        'k = 2',
        '[dup]',
        'k = first',
        'k2 = kept',
        '[other]',
        'z = 1',
        '[dup]',
        'k = second',
        '[q]',
        '=> dup other',
        'a==b',
        '$weird;name# = 1',
      ),
    });
    expect(got.spaced).toEqual({ k: '1' });
    expect(got['a=b']).toEqual({ k: '2' });
    expect(got.dup).toEqual({ k: 'second', k2: 'kept' });
    expect(got.q).toEqual({ '$weird;name#': '1', '<part-dependencies>': 'dup other', a: '=b' });
  });

  test('configparser.test: "b    +" keeps its inner spaces, block values keep blank lines and # lines', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[s2]',
        'long = a',
        '  b',
        '  c',
        'b    += 1',
        'c = 1',
        'empty =',
        'l2 =',
        '  a',
        '',
        '',
        '  # not a comment',
        '',
        '',
        '  b',
        '',
        '    c',
      ),
    });
    expect(got.s2).toEqual({ 'b    +': '1', c: '1', empty: '', l2: 'a\n\n\n# not a comment\n\n\nb\n\n  c', long: 'a\nb\nc' });
  });

  test('Python whitespace: \\x1c and \\x85 are whitespace, U+FEFF inside a value is not', async () => {
    const { got } = await both({ 'buildout.cfg': '[buildout]\nparts =\n[s]\na = \x1cx\x85\nb = \ufeffy\nc = 1\n\x1c cont\n' });
    expect(got.s).toEqual({ a: 'x', b: '\ufeffy', c: '1\ncont' });
  });

  test('universal newlines: \\r\\n and lone \\r end lines', async () => {
    const { got } = await both({ 'buildout.cfg': '[buildout]\r\nparts =\r[s]\ra = 1\r\n  2\r' });
    expect(got.s).toEqual({ a: '1\n2' });
  });
});

describe('conditional sections', () => {
  test('c1: the names 2.13 provides, escapes, false sections skipped', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[s]',
        'base = 1',
        '[s:python3]',
        'py3 = yes',
        '[s:python2]',
        'py2 = yes',
        '[s: linux and posix and bits64 and little_endian and cpython]',
        'plat = linux64',
        '[s:windows or macosx or cygwin or solaris or pypy or jython or ironpython or big_endian or bits32]',
        'other = never',
        "[s:sys.platform.startswith('lin')] ; comment",
        'sysmod = ok',
        "[s:os.name == 'posix' and platform.system() == 'Linux' and bool(re.match('a','a'))]",
        'mods = ok',
        "[s: len('\\x23') == 1 and '\\x3b' == chr(59)]",
        'escaped = ok',
        '[s:]',
        'empty-expr = plain-section',
        '[t:False]',
        'never = 1',
        '[t]',
        'after = 1',
        '[u:0]',
        'y = 2',
        '  cont',
      ),
    });
    expect(got.s).toEqual({
      base: '1',
      'empty-expr': 'plain-section',
      escaped: 'ok',
      mods: 'ok',
      plat: 'linux64',
      py3: 'yes',
      sysmod: 'ok',
    });
    expect(got.t).toEqual({ after: '1' });
    expect(got.u).toBeUndefined();
  });
});

describe('+= and -=', () => {
  test('o1: +=/-= against an extended file', async () => {
    const { got } = await both({
      'base.cfg': lines('[s]', 'a = base', 'b = x', '    y', '    x', '    z', 'c = keep', 'd =', '    one', '      two', 'e = e1', 'f = f1', 'g = g1', 'w = one two'),
      'buildout.cfg': lines(
        '[buildout]',
        'extends = base.cfg',
        'parts =',
        '[s]',
        'a = local',
        'a += added',
        'b -= x',
        'c +=',
        'd -= two',
        'e +=  multi',
        '      line',
        'f += f2',
        'f -=',
        'g -= g1',
        'g += g2',
        'h += h1',
        'h -=',
        'w -= one',
      ),
    });
    expect(got.s).toEqual({ a: 'local\nadded', b: 'y\nz', c: 'keep\n', d: 'one\n  two', e: 'e1\nmulti\nline', f: 'f1\nf2', g: 'g2', h: 'h1', w: 'one two' });
  });

  test('o2: += in a section nothing is merged onto stays a literal key', async () => {
    const { got } = await both({
      'buildout.cfg': lines('[buildout]', 'parts = a', 'parts += b', 'develop += x', '[new]', 'opt = 1', 'opt += 2', 'other += 3', 'gone -= 4'),
    });
    expect(got.buildout.parts).toBe('a\nb');
    expect(got.buildout.develop).toBe('\nx');
    expect(got.new).toEqual({ 'gone -': '4', opt: '1', 'opt +': '2', 'other +': '3' });
  });

  test('o3: "a<TAB>+=" names an option "a\\t"; "b- =" is a -=', async () => {
    const { got } = await both({
      'base.cfg': '[s]\na = 1\n',
      'buildout.cfg': '[buildout]\nextends = base.cfg\nparts =\n[s]\na\t+= 2\nb- = x\n',
    });
    expect(got.s).toEqual({ a: '1', 'a\t': '\n2', b: '' });
  });

  test('e1: diamond extends, the later branch wins whole', async () => {
    const { got } = await both({
      'common.cfg': lines('[s]', 'common = loaded', 'counter = c'),
      'd1/one.cfg': lines('[buildout]', 'extends = ../common.cfg', '[s]', 'v = one', 'counter += one', 'order = one'),
      'd2/two.cfg': lines('[buildout]', 'extends = ../common.cfg', '[s]', 'v = two', 'counter += two'),
      'buildout.cfg': lines('[buildout]', 'extends = d1/one.cfg d2/two.cfg', 'parts =', '[s]', 'counter += root'),
    });
    expect(got.s).toEqual({ common: 'loaded', counter: 'c\ntwo\nroot', order: 'one', v: 'two' });
  });

  test('several += for one option in one file: the last wins', async () => {
    const { got } = await both({
      'base.cfg': '[s]\nx = a\n',
      'buildout.cfg': lines('[buildout]', 'extends = base.cfg', 'parts =', '[s]', 'x += b', 'x += c'),
    });
    expect(got.s.x).toBe('a\nc');
  });

  test('increment_on_command_line: command-line += reaches macros too', async () => {
    const { got } = await both(
      {
        'buildout.cfg': lines('[buildout]', 'parts = p1', '[p1]', 'recipe = r', 'foo = 1 a', '  b', '[p2]', '<= p1'),
      },
      { assignments: ['buildout:parts+=p2', 'p1:foo+=bar'] },
    );
    expect(got.p1.foo).toBe('1 a\nb\nbar');
    expect(got.p2.foo).toBe('1 a\nb\nbar');
    expect(got.buildout.parts).toBe('p1\np2');
  });

  test('buildout.txt "Adding and removing options" across three files', async () => {
    const { got } = await both({
      'base.cfg': lines('[part1]', 'option = a1 a2', '[part2]', 'option = b1 b2 b3 b4', '[part3]', 'option = c1 c2', '[part4]', 'option = d2', '    d3', '[part5]', 'option = h1 h2'),
      'extension1.cfg': lines(
        '[buildout]',
        'extends = base.cfg',
        '[part1]',
        'option += a3 a4',
        '[part2]',
        'option -= b1 b2',
        '[part3]',
        'option += c3 c4 c5',
        '[part4]',
        'option += d1',
        '[part5]',
        'option -= h1',
      ),
      'buildout.cfg': lines('[buildout]', 'extends = extension1.cfg', 'parts =', '[part1]', 'option += a5', '[part4]', 'option += d4'),
    });
    expect([1, 2, 3, 4, 5].map((i) => got[`part${i}`].option)).toEqual(['a1 a2\na3 a4\na5', 'b1 b2 b3 b4', 'c1 c2\nc3 c4 c5', 'd2\nd3\nd1\nd4', 'h1 h2']);
  });
});

describe('extends, user defaults, command line, -c', () => {
  test('e7: user defaults, and += ignores them when the config has extends', async () => {
    const files = {
      'uhome/.buildout/default.cfg': lines('[buildout]', 'eggs-directory = shared-eggs', 'develop = d1', 'extensions = demo', '[s]', 'a = default', 'b = default'),
      'buildout.cfg': lines('[buildout]', 'parts =', 'develop += d2', '[s]', 'a = cfg', 'b += more'),
      'base.cfg': '[buildout]\n',
      'ext.cfg': lines('[buildout]', 'extends = base.cfg', 'parts =', 'extensions += demo2'),
    };
    const { dir, got } = await both(files, { home: 'uhome' });
    expect(got.s).toEqual({ a: 'cfg', b: 'default\nmore' });
    expect(got.buildout.develop).toBe('d1\nd2');
    expect(got.buildout['eggs-directory']).toBe(path.join(dir, 'uhome/.buildout/shared-eggs'));
    const viaBuildoutHome = await both(files, { buildoutHome: 'uhome/.buildout', home: 'nonexistent' });
    expect(viaBuildoutHome.got.s).toEqual(got.s);
    const noDefaults = await both(files);
    expect(noDefaults.got.s).toEqual({ a: 'cfg', 'b +': 'more' });
    const ext = await both(files, { home: 'uhome', config: 'ext.cfg' });
    expect(ext.got.buildout.extensions).toBe('\ndemo2');
  });

  test('e8: command-line assignments are sorted; the greatest value wins', async () => {
    const { got } = await both(
      { 'buildout.cfg': lines('[buildout]', 'parts = a', '[s]', 'x = 1') },
      { assignments: ['s:x=2', 's:x=10', ' s : y = spaced ', 'new:k=v', 'parts+=b', 'parts-=a', 'nosec:k+=v'] },
    );
    expect(got.s).toEqual({ x: '2', y: 'spaced' });
    expect(got.new).toEqual({ k: 'v' });
    expect(got.nosec).toEqual({ 'k+': 'v' });
    expect(got.buildout.parts).toBe('b');
  });

  test('e9: -c sub/foo.cfg sets the directory to sub/', async () => {
    const { dir, got } = await both({ 'sub/foo.cfg': lines('[buildout]', 'parts =', '[s]', 'x = ${buildout:bin-directory}') }, { config: 'sub/foo.cfg' });
    expect(got.buildout.directory).toBe(path.join(dir, 'sub'));
    expect(got.s.x).toBe(path.join(dir, 'sub/bin'));
  });

  test('extends: several names on several lines, nested, relative to each file', async () => {
    const { got } = await both({
      'a/a.cfg': lines('[buildout]', 'extends = ../b/b.cfg', '[s]', 'from-a = 1', 'who = a'),
      'b/b.cfg': lines('[s]', 'from-b = 1', 'who = b'),
      'c.cfg': lines('[s]', 'who = c'),
      'buildout.cfg': lines('[buildout]', 'extends =', '    a/a.cfg', '    c.cfg', 'parts ='),
    });
    expect(got.s).toEqual({ 'from-a': '1', 'from-b': '1', who: 'c' });
    expect(got.buildout.extends).toBeUndefined();
  });
});

describe('macros', () => {
  test('m1: chains, several macros, loops and missing sources', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[base]',
        'recipe = r',
        'path = base-path',
        'file = ${:path}/file',
        'opts = o1',
        '       o2',
        '[mid]',
        '<= base',
        'path = mid-path',
        'opts += o3',
        '[m2]',
        'color = blue',
        'opts = m2-opts',
        '[leaf]',
        '<= mid',
        '   m2',
        'opts -= o1',
        'extra = ${:_buildout_section_name_}',
        '[oneline]',
        '<= base m2',
        '[self]',
        '<= self',
        '[missing]',
        '<= nosuch',
      ),
    });
    expect(got.mid).toEqual({ file: 'mid-path/file', opts: 'o1\no2\no3', path: 'mid-path', recipe: 'r' });
    expect(got.leaf).toEqual({ color: 'blue', extra: 'leaf', file: 'mid-path/file', opts: 'm2-opts', path: 'mid-path', recipe: 'r' });
    expect(got.__errors__).toEqual({
      missing: "No section named 'nosuch'",
      oneline: "No section named 'base m2'",
      self: "Infinite extending loop 'self'",
    });
  });

  test('m3: a += in the extending file resolved before the macro', async () => {
    const { got } = await both({
      'base.cfg': lines('[m]', 'a = 1', '[leaf]', '<= m'),
      'buildout.cfg': lines('[buildout]', 'extends = base.cfg', 'parts =', '[leaf]', 'a += 2', '[leaf2]', '<= m', 'a += 2', '[m3]', 'opts += a', '[leaf3]', '<= m3', 'opts += b'),
    });
    expect(got.leaf).toEqual({ a: '\n2' });
    expect(got.leaf2).toEqual({ a: '1\n2' });
    expect(got.m3).toEqual({ 'opts +': 'a' });
    expect(got.leaf3).toEqual({ opts: '\nb', 'opts +': 'a' });
  });

  test('buildout.txt macros with += and -=; per-section ${:port}', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[part1]',
        'option = a1',
        '  a2',
        '[part2]',
        '<= part1',
        'option -= a1',
        'option += c3 c4',
        '[part3]',
        '<= part2',
        'option += d2',
        '  c5 d1 d6',
        'option -= a2',
        '[server]',
        'program =',
        '   ${buildout:bin-directory}/serve',
        '   --port ${:port}',
        '   --name ${:_buildout_section_name_}',
        '[server2]',
        '<= server',
        'port = 8082',
        'mport = 1${:port}',
        '[inbuildout]',
        '<= buildout',
      ),
    });
    expect([got.part1.option, got.part2.option, got.part3.option]).toEqual(['a1\na2', 'a2\nc3 c4', 'c3 c4\nd2\nc5 d1 d6']);
    expect(got.server2.program).toBe(`${got.buildout['bin-directory']}/serve\n--port 8082\n--name server2`);
    expect(got.server2.mport).toBe('18082');
    expect(got.__errors__['server:program']).toBe('Referenced option does not exist: server port');
  });
});

describe('substitution', () => {
  test('s1: $$, unterminated ${, _buildout_section_name_, re-substitution', async () => {
    const { got } = await both({
      'buildout.cfg': lines(
        '[buildout]',
        'parts =',
        '[s]',
        'a = A',
        'esc = $${s:a} and $$ and $${ and $$$${s:a}',
        'tri = $$${s:a}',
        'open = ${s:a and ${ unterminated',
        'name = ${:_buildout_section_name_}',
        'other-name = ${t:_buildout_section_name_}',
        'multi =',
        '   x ${:a}',
        '   ${:a} y',
        'chain = ${t:b}',
        'dollar = $',
        'brace = {s:a}',
        'double = ${:dollar}${:brace}',
        '[t]',
        'b = ${s:a}-${:c}',
        'c = C',
      ),
    });
    expect(got.s).toEqual({
      a: 'A',
      brace: '{s:a}',
      chain: 'A-C',
      dollar: '$',
      double: 'A',
      esc: '$${s:a} and $$ and $${ and $$$${s:a}',
      multi: 'x A\nA y',
      name: 's',
      open: '${s:a and ${ unterminated',
      'other-name': 's',
      tri: '$$A',
    });
    expect(got.t).toEqual({ b: 'A-C', c: 'C' });
  });

  test('s2: every substitution error text, per option; circular references', async () => {
    const refs = ['${nosuch:a}', '${s:missing}', '${foo}', '${a:b:c}', '${a/b:c}', '${s:a/b}', '${s:}', '${:a/b}', '${:}', '${ s :a}', '${s: a}', '${a b:c}'];
    const { got } = await both({
      'buildout.cfg': lines('[buildout]', 'parts =', '[s]', 'a = 1', ...refs.map((r, i) => `x${String(i).padStart(2, '0')} = ${r}`), '[t]', 'c1 = ${:c2}', 'c2 = ${:c1}'),
    });
    expect(got.__errors__).toEqual({
      's:x00': "The referenced section, 'nosuch', was not defined.",
      's:x01': 'Referenced option does not exist: s missing',
      's:x02': "The substitution, ${foo},\ndoesn't contain a colon.",
      's:x03': 'The substitution, ${a:b:c},\nhas too many colons.',
      's:x04': 'The section name in substitution, ${a/b:c},\nhas invalid characters.',
      's:x05': 'The option name in substitution, ${s:a/b},\nhas invalid characters.',
      's:x06': 'The option name in substitution, ${s:},\nhas invalid characters.',
      's:x07': 'The section name in substitution, ${:a/b},\nhas invalid characters.',
      's:x08': 'The section name in substitution, ${:},\nhas invalid characters.',
      's:x09': "The referenced section, ' s ', was not defined.",
      's:x10': 'Referenced option does not exist: s  a',
      's:x11': "The referenced section, 'a b', was not defined.",
      't:c1': 'Circular reference in substitutions.\n',
      't:c2': 'Circular reference in substitutions.\n',
    });
  });

  test('s3: ${:installed} inside [buildout] is relative, from elsewhere absolute', async () => {
    const { dir, got } = await both({
      'buildout.cfg': lines('[buildout]', 'parts =', 'mine = ${:installed} | ${:bin-directory}', '[s]', 'other = ${buildout:installed}'),
    });
    expect(got.buildout.mine).toBe(`.installed.cfg | ${dir}/bin`);
    expect(got.s.other).toBe(`${dir}/.installed.cfg`);
  });

  test('a failing section stays half-initialised (the oracle keeps what it can)', async () => {
    const { got } = await both({
      'buildout.cfg': lines('[buildout]', 'parts = p', '[p]', 'recipe = r', 'a = ${q:x}', 'b = fine', 'c = ${:b}', '[q]', 'x = ${nosuch:y}', 'z = ok'),
    });
    expect(got.p).toEqual({ b: 'fine', c: 'fine', recipe: 'r' });
    expect(got.q).toEqual({ z: 'ok' });
    expect(got.__errors__).toEqual({
      'p:a': "The referenced section, 'nosuch', was not defined.",
      'q:x': "The referenced section, 'nosuch', was not defined.",
    });
  });
});

describe('defaults and directories', () => {
  test('d1: the built-in [buildout] defaults and [versions]', async () => {
    const { dir, got } = await both({ 'buildout.cfg': lines('[buildout]', 'parts =') });
    expect(got.buildout).toEqual({
      'allow-hosts': '*',
      'allow-picked-versions': 'true',
      'allow-unknown-extras': 'false',
      'bin-directory': `${dir}/bin`,
      'develop-eggs-directory': `${dir}/develop-eggs`,
      directory: dir,
      'eggs-directory': `${dir}/eggs`,
      executable: '/usr/bin/python3',
      'find-links': '',
      'install-from-cache': 'false',
      installed: `${dir}/.installed.cfg`,
      'log-format': '',
      'log-level': 'INFO',
      newest: 'true',
      offline: 'false',
      parts: '',
      'parts-directory': `${dir}/parts`,
      'prefer-final': 'true',
      python: 'buildout',
      'show-picked-versions': 'false',
      'socket-timeout': '',
      'update-versions-file': '',
      'use-dependency-links': 'true',
      versions: 'versions',
    });
    expect(got.versions).toEqual({ 'zc.buildout': '>=2.13.2', 'zc.recipe.egg': '>=2.0.6' });
  });

  test('d2: the three rules for relative directories', async () => {
    const { dir, got } = await both({
      'sub/mid.cfg': lines(
        '[buildout]',
        'eggs-directory = myeggs',
        'bin-directory = mybin',
        'download-cache = dl',
        'parts-directory = ${buildout:directory}/pp',
        'develop-eggs-directory = /abs/de',
        'installed = .inst.cfg',
      ),
      'buildout.cfg': lines('[buildout]', 'extends = sub/mid.cfg', 'parts ='),
    });
    expect(got.buildout['bin-directory']).toBe(`${dir}/mybin`);
    expect(got.buildout['develop-eggs-directory']).toBe('/abs/de');
    expect(got.buildout['download-cache']).toBe(`${dir}/sub/dl`);
    expect(got.buildout['eggs-directory']).toBe(`${dir}/sub/myeggs`);
    expect(got.buildout.installed).toBe(`${dir}/.inst.cfg`);
    expect(got.buildout['parts-directory']).toBe(`${dir}/pp`);
  });

  test('d3: a relative directory is joined twice, never made absolute', async () => {
    // (sub/ must exist: buildout chdirs into the directory at the end)
    const { dir, got } = await both({ 'buildout.cfg': lines('[buildout]', 'parts =', 'directory = sub/..'), 'sub/.keep': '' });
    expect(got.buildout['bin-directory']).toBe('sub/../sub/../bin');
    expect(got.buildout.installed).toBe('sub/../.installed.cfg');
    expect(got.buildout['eggs-directory']).toBe(`${dir}/eggs`);
  });

  test('versions = pins puts the defaults there; user pins are kept', async () => {
    const { got } = await both({ 'buildout.cfg': lines('[buildout]', 'parts =', 'versions = pins', '[pins]', 'zc.buildout = 2.0') });
    expect(got.pins).toEqual({ 'zc.buildout': '2.0', 'zc.recipe.egg': '>=2.0.6' });
    expect(got.versions).toBeUndefined();
  });
});
