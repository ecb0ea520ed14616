/**
 * What `npm pack` ships: the program (bin, compiled lib and plugins with their type
 * declarations), the docs, the example buildout, README and the GPL text; no tests,
 * fixtures, bench, TypeScript sources, source maps or build state.
 * In the e2e project: it needs dist/ built from the current sources (globalSetup).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../support/built';

interface PackResult {
  files: Array<{ path: string }>;
}

// --ignore-scripts: the real pack's prepack does a clean build; here dist/ is already current.
const packed = (JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }),
) as PackResult[])[0].files.map((f) => f.path).sort();

test('only the program, its declarations, docs, README, LICENSE and the example config', () => {
  const allowed = [
    /^(package\.json|README\.md|LICENSE|buildout\.example\.cfg|bin\/hostout\.js)$/,
    /^docs\/[\w.-]+\.md$/,
    /^docs\/events\.schema\.json$/, // the schema of `hostout --json`, for its readers
    /^dist\/(lib|plugins)\/[\w./-]+(\.js|\.d\.ts)$/,
    /^dist\/plugins\/[\w./-]+\/sh\/[\w.-]+\.sh$/, // the shell programs plugins send to production
  ];
  expect(packed.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
  expect(packed.filter((f) => /(^|\/)(fixtures|bench|__tests__)\/|\.map$|\.tsbuildinfo$|(?<!\.d)\.ts$/.test(f))).toEqual([]);
});

test('everything the installed command and the API load is there', () => {
  for (const f of [
    'LICENSE', 'bin/hostout.js', 'dist/lib/cli/main.js', 'dist/lib/cli/run.js', 'dist/lib/index.js', 'dist/lib/index.d.ts',
    'dist/plugins/builtin/index.js', 'dist/plugins/pushdeploy/index.js', 'docs/plugins.md', 'docs/events.schema.json',
  ]) {
    expect(packed).toContain(f);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string; bin: Record<string, string>; scripts: Record<string, string> };
  expect(packed).toEqual(expect.arrayContaining([pkg.main, pkg.types, ...Object.values(pkg.bin)]));
  // The shell programs plugins read at run time from next to their compiled module (tsc does not copy them: the build does).
  const { shellPrograms } = require('../../tools/copy-shell-programs.js') as { shellPrograms: (dir: string) => string[] };
  const programs = shellPrograms('plugins');
  expect(programs).toEqual(expect.arrayContaining([path.join('plugins', 'pushdeploy', 'sh', 'flip.sh'), path.join('plugins', 'pushdeploy', 'sh', 'link-next.sh')]));
  expect(packed).toEqual(expect.arrayContaining(programs.map((p) => `dist/${p.split(path.sep).join('/')}`)));
  // Nothing runs where the package is installed: it holds dist/ already (prepack built it), and npm
  // lists every package with such a script in a warning (`install-scripts not yet covered by allowScripts`).
  expect(Object.keys(pkg.scripts).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))).toEqual([]);
});

test('typescript is an optional peer dependency (it compiles .ts fabfiles when installed), not a dependency', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  expect(pkg.dependencies.typescript).toBeUndefined();
  expect(pkg.peerDependencies?.typescript).toBeDefined();
  expect(pkg.peerDependenciesMeta?.typescript?.optional).toBe(true);
});

test('every dependency is imported by the program (a dependency nothing uses is dead weight for every install)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const sources: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith('.ts')) sources.push(fs.readFileSync(path.join(dir, e.name), 'utf8'));
    }
  };
  for (const dir of ['lib', 'plugins']) walk(path.join(ROOT, dir));
  const text = sources.join('\n');
  const unused = Object.keys(pkg.dependencies).filter((d) => !new RegExp(`(from|require\\()\\s*'${d.replace(/[.]/g, '\\.')}(/[^']*)?'`).test(text));
  expect(unused).toEqual([]);
});

test('every compiled file comes from a source that exists (no output of a renamed or deleted module)', () => {
  const orphans = packed.filter((f) => f.startsWith('dist/') && !fs.existsSync(path.join(ROOT, f.slice('dist/'.length).replace(/(\.d\.ts|\.js)$/, '.ts'))));
  expect(orphans).toEqual([]);
});

test('LICENSE is the GPL version 2 text, matching the declared GPL-2.0-or-later', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { license: string };
  expect(pkg.license).toBe('GPL-2.0-or-later');
  const text = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^\s*GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991/);
  // "or later" is the licensee's option that the GPL v2 text itself provides for.
  expect(text).toContain('any later version');
});
