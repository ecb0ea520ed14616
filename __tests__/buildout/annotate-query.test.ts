/**
 * `annotate` and `query`: our output must equal the real
 * `buildout annotate` / `buildout query` stdout byte for byte, and the tests
 * also pin the exact text zc.buildout prints.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadBuildout, type LoadedBuildout } from '../../lib/buildout';
import { ConfigError } from '../../lib/errors';
import { OracleBatch, emptyHome, requireOracle } from '../support/oracle';

type Files = Record<string, string>;
const haveOracle = requireOracle();
let batch: OracleBatch | undefined;
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-annotate-'));
  if (haveOracle) batch = new OracleBatch();
});
afterAll(async () => {
  await batch?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function writeCase(files: Files, fresh = false): string {
  const dir = path.join(root, `case${++counter}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  if (!fresh) fs.mkdirSync(path.join(dir, 'eggs'), { recursive: true });
  return dir;
}

interface Run {
  /** buildout flags/assignments: -U, -v, -q, -c FILE, s:k=v */
  args: string[];
  home?: string;
}

function translate(dir: string, run: Run) {
  let verbosity = 0;
  let config: string | undefined;
  let userDefaults = true;
  const assignments: string[] = [];
  for (let i = 0; i < run.args.length; i++) {
    const a = run.args[i];
    if (a === '-U') userDefaults = false;
    else if (a === '-v') verbosity += 10;
    else if (a === '-q') verbosity -= 10;
    else if (a === '-c') config = run.args[++i];
    else assignments.push(a);
  }
  if (verbosity) assignments.push(`buildout:verbosity=${verbosity}`);
  const env = { HOME: run.home ? path.join(dir, run.home) : emptyHome() };
  return { cwd: dir, config, userDefaults, assignments, env };
}

async function ourAnnotate(dir: string, run: Run, sections: string[]): Promise<string> {
  const b = (await loadBuildout(translate(dir, run))) as LoadedBuildout;
  const log = b.createStandardDirectories().map((l) => l + '\n').join('');
  return log + b.annotate(sections);
}

async function realAnnotate(dir: string, run: Run, sections: string[]): Promise<string> {
  const env = { HOME: run.home ? path.join(dir, run.home) : emptyHome() };
  const r = await batch!.request({ dir, mode: 'annotate', args: [...run.args, 'annotate', ...sections], env });
  if (r.status !== 0) throw new Error(`buildout annotate failed: ${r.stderr}`);
  return r.stdout;
}

/** Annotate with both (each in a fresh copy when `fresh`), demand identical stdout. */
async function annotateBoth(files: Files, run: Run, sections: string[] = [], fresh = false): Promise<{ dir: string; out: string }> {
  const dir = writeCase(files, fresh);
  const out = await ourAnnotate(dir, run, sections);
  if (batch) {
    const again = writeCase(files, fresh);
    const real = await realAnnotate(again, run, sections);
    expect(out.split(dir).join('<DIR>')).toBe(real.split(again).join('<DIR>'));
  }
  return { dir, out };
}

const lines = (...l: string[]) => l.join('\n') + '\n';

const a1 = {
  'base.cfg': lines('[s]', 'x = base', 'y = a', '    b', 'z ='),
  'buildout.cfg': lines('[buildout]', 'extends = base.cfg', 'parts =', '[s]', 'x = root', 'y += c', 'w += w1'),
};

describe('annotate', () => {
  test('a1 terse: sources, += lines, multi-line values, trailing space', async () => {
    const { out } = await annotateBoth(a1, { args: ['-U', 's:x=cl'] }, ['s']);
    expect(out).toBe(
      ['', 'Annotated sections', '==================', '', '[s]', 'w= ', 'w1', '    IMPLICIT_VALUE', '+=  buildout.cfg', 'x= cl', '    COMMAND_LINE_VALUE', 'y= a', 'b', 'c', '    base.cfg', '+=  buildout.cfg', 'z=', '    base.cfg', ''].join('\n'),
    );
  });

  test('a1 verbose (-v): full history, newest first', async () => {
    const { out } = await annotateBoth(a1, { args: ['-U', '-v', 's:x=cl'] }, ['s']);
    expect(out).toContain(['x= cl', '', '   AS COMMAND_LINE_VALUE', '   OVERRIDE VALUE = cl', '   IN buildout.cfg', '   OVERRIDE VALUE = root', '   IN base.cfg', '   SET VALUE = base', '', ''].join('\n'));
    expect(out).toContain(['y= a', 'b', 'c', '', '   IN buildout.cfg', '   ADD VALUE = c', '   IN base.cfg', '   SET VALUE =', '      a', '      b', ''].join('\n'));
  });

  test('-v -q cancel out: terse again', async () => {
    const { out } = await annotateBoth(a1, { args: ['-U', '-v', '-q'] }, ['s']);
    expect(out).toContain('x= root\n    buildout.cfg\n');
  });

  test('verbosity written in the config selects the verbose format, even 0', async () => {
    const { out } = await annotateBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', 'verbosity = 0', '[s]', 'k = v') }, { args: ['-U'] }, ['s']);
    expect(out).toContain('k= v\n\n   IN buildout.cfg\n   SET VALUE = v\n\n');
  });

  test('the whole terse output for the simplest config (every default)', async () => {
    const { dir, out } = await annotateBoth({ 'buildout.cfg': lines('[buildout]', 'parts =') }, { args: ['-U'] });
    expect(out).toContain(`directory= ${dir}\n    COMPUTED_VALUE\neggs-directory= ${dir}/eggs\n    DEFAULT_VALUE\nexecutable= /usr/bin/python3\n    DEFAULT_VALUE\n`);
    expect(out).toContain('bin-directory= bin\n    DEFAULT_VALUE\n');
    expect(out.endsWith('[versions]\nzc.buildout= >=2.13.2\n    DEFAULT_VALUE\nzc.recipe.egg= >=2.0.6\n    DEFAULT_VALUE\n')).toBe(true);
  });

  test('a2: fresh directory creates eggs/ and says so; unknown section names are ignored', async () => {
    const { dir, out } = await annotateBoth({ 'buildout.cfg': lines('[buildout]', 'parts =', '[z]', '[A]', 'k = v') }, { args: ['-U'] }, ['A', 'z', 'nosuchsection'], true);
    expect(out).toBe(`Creating directory '${dir}/eggs'.\n\nAnnotated sections\n==================\n\n[A]\nk= v\n    buildout.cfg\n\n[z]\n`);
    expect(fs.existsSync(path.join(dir, 'eggs'))).toBe(true);
  });

  test('o2: literal "x +" keys print as "x += v"', async () => {
    const { out } = await annotateBoth(
      { 'buildout.cfg': lines('[buildout]', 'parts = a', 'parts += b', 'develop += x', '[new]', 'opt = 1', 'opt += 2', 'other += 3', 'gone -= 4') },
      { args: ['-U'] },
      ['new'],
    );
    expect(out).toBe('\nAnnotated sections\n==================\n\n[new]\ngone -= 4\n    buildout.cfg\nopt= 1\n    buildout.cfg\nopt += 2\n    buildout.cfg\nother += 3\n    buildout.cfg\n');
  });

  test('e1: the diamond history quirk (the later branch records nothing)', async () => {
    const { out } = await annotateBoth(
      {
        'common.cfg': lines('[s]', 'common = loaded', 'counter = c'),
        'd1/one.cfg': lines('[buildout]', 'extends = ../common.cfg', '[s]', 'v = one', 'counter += one', 'order = one'),
        'd2/two.cfg': lines('[buildout]', 'extends = ../common.cfg', '[s]', 'v = two', 'counter += two'),
        'buildout.cfg': lines('[buildout]', 'extends = d1/one.cfg d2/two.cfg', 'parts =', '[s]', 'counter += root'),
      },
      { args: ['-U'] },
      ['s'],
    );
    expect(out).toContain('counter= c\ntwo\nroot\n    common.cfg\n+=  d1/one.cfg\n+=  buildout.cfg\n');
  });

  test('e7: user default.cfg shown relative to the directory; m1 shows the unexpanded macro', async () => {
    const { out } = await annotateBoth(
      {
        'uhome/.buildout/default.cfg': lines('[buildout]', 'extensions = demo'),
        'base.cfg': '[buildout]\n',
        'buildout.cfg': lines('[buildout]', 'extends = base.cfg', 'parts =', 'extensions += demo2', '[leaf]', '<= mid', '   m2', 'opts -= o1'),
      },
      { args: [], home: 'uhome' },
      ['buildout', 'leaf'],
    );
    expect(out).toContain('extensions= \ndemo2\n    uhome/.buildout/default.cfg\n');
    expect(out).toContain('[leaf]\n<= mid\nm2\n    buildout.cfg\nopts -= o1\n    buildout.cfg\n');
  });

  test('e9: -c sub/foo.cfg shows the source relative to sub/', async () => {
    const { out } = await annotateBoth({ 'sub/foo.cfg': lines('[buildout]', 'parts =', '[s]', 'k = 1'), 'sub/eggs/.keep': '' }, { args: ['-U', '-c', 'sub/foo.cfg'] }, ['s']);
    expect(out).toContain('[s]\nk= 1\n    foo.cfg\n');
  });

  test('sources outside the directory: a plain prefix test, then relpath', async () => {
    const { out } = await annotateBoth(
      {
        'projX/x.cfg': lines('[s]', 'x = 1'),
        'proj/buildout.cfg': lines('[buildout]', 'extends = ../projX/x.cfg', 'parts =', '[s]', 'y = 2'),
        'proj/eggs/.keep': '',
      },
      { args: ['-U', '-c', 'proj/buildout.cfg'] },
      ['s'],
    );
    // "/…/projX/x.cfg" starts with "/…/proj", so it is shown relative: ../projX/x.cfg
    expect(out).toContain('x= 1\n    ../projX/x.cfg\n');
  });
});

describe('query', () => {
  async function queryBoth(files: Files, arg: string, extra: string[] = []): Promise<string> {
    const dir = writeCase(files);
    let ours: string;
    try {
      const b = await loadBuildout(translate(dir, { args: ['-U', ...extra] }));
      ours = b.query(arg) + '\n';
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      ours = `Error: ${err.message}\n`;
    }
    if (batch) {
      const r = await batch.request({ dir, mode: 'query', args: ['-U', ...extra, 'query', arg], env: { HOME: emptyHome() } });
      expect(ours).toBe(r.status === 0 ? r.stdout : r.stderr);
    }
    return ours;
  }
  const cfg = { 'buildout.cfg': lines('[buildout]', 'parts =', '[p]', 'x = ${buildout:directory}', 'ml = a', '  b') };

  test('raw, unsubstituted values; [buildout] directories already joined', async () => {
    expect(await queryBoth(cfg, 'p:x')).toBe('${buildout:directory}\n');
    expect(await queryBoth(cfg, 'p:ml')).toBe('a\nb\n');
    expect((await queryBoth(cfg, 'bin-directory')).endsWith('/bin\n')).toBe(true);
  });

  test('-v prints the reference first', async () => {
    expect(await queryBoth(cfg, 'p:x', ['buildout:verbosity=10'])).toBe('${p:x}\n${buildout:directory}\n');
  });

  test('errors use the buildout wording', async () => {
    expect(await queryBoth(cfg, 'p:nope')).toBe('Error: Key not found: nope\n');
    expect(await queryBoth(cfg, 'nosec:x')).toBe('Error: Section not found: nosec\n');
    expect(await queryBoth(cfg, 'a:b:c')).toBe('Error: Invalid option: a:b:c\n');
  });
});
