/**
 * `npm install && npm run demo` on a fresh Debian machine: the preflight installs the
 * Debian package of every command the demo runs, from one table
 * (fixtures/demo/requirements.ts). This reads the demo's code and the harness it
 * imports (fixtures/demo, fixtures/servers, fixtures/site) and finds every command
 * spawned there: the literal first argument of spawn/spawnSync/execFileSync/execFile
 * and of fixtures/site's sh() helper, a program's absolute path at the head of an
 * argv list (`['/usr/sbin/sshd', ...]`), the command run by `flock LOCK CMD`, and the head of
 * the argv given to `inProduction(pid, [...])`. Each must be in the table.
 * (A demo that spawned hg without mercurial in the table failed with spawnSync hg ENOENT.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_COMMANDS, DEMO_PYTHON_MODULES, missingPackages } from '../../fixtures/demo/requirements';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');

/** The demo's own modules: fixtures/demo/index.ts and every fixtures/ module it imports, transitively. */
function demoModules(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (!target.startsWith(FIXTURES + path.sep)) continue; // lib/ is hostout itself: it spawns nothing by name
      const file2 = [`${target}.ts`, path.join(target, 'index.ts')].find((f) => fs.existsSync(f));
      if (!file2) throw new Error(`${path.relative(ROOT, file)} imports ${m[1]}, which is not there`);
      visit(file2);
    }
  };
  visit(path.join(FIXTURES, 'demo', 'index.ts'));
  return [...seen];
}

/** Commands the code of one module spawns (see the comment at the top). */
function spawnedCommands(text: string): string[] {
  const patterns = [
    /\b(?:spawn|spawnSync|execFileSync|execFile|sh)\(\s*'([^']+)'/g,
    /\[\s*'(\/(?:usr\/)?s?bin\/[\w.-]+)'\s*,/g,
    /'flock',\s*\[\s*'[^']*',\s*'([^']+)'/g,
    /\binProduction\([^,]+,\s*\[\s*'([^']+)'/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
}

const modules = demoModules();
const spawned = new Map<string, string[]>();
for (const file of modules) {
  for (const command of spawnedCommands(fs.readFileSync(file, 'utf8'))) {
    spawned.set(command, [...(spawned.get(command) ?? []), path.relative(ROOT, file)]);
  }
}
const table = new Set(DEMO_COMMANDS.map((r) => r.command));

test('the scan reads the harness the demo uses and finds what it spawns', () => {
  const rel = modules.map((f) => path.relative(ROOT, f));
  expect(rel).toEqual(expect.arrayContaining(['fixtures/demo/index.ts', 'fixtures/servers/ssh-server.ts', 'fixtures/servers/users.ts', 'fixtures/site/index.ts']));
  expect([...spawned.keys()]).toEqual(expect.arrayContaining(['hg', 'git', '/usr/sbin/sshd', 'ssh-keygen', 'nsenter', 'supervisord', 'chpasswd', 'apt-get']));
});

test('every command the demo spawns is in the preflight table (apt-get and /usr/bin/python3 are checked on their own)', () => {
  // apt-get is how the preflight installs; python3 is checked by importing the modules.
  const own = new Set(['apt-get']);
  const missing = [...spawned.entries()].filter(([command]) => !table.has(command) && !own.has(command));
  expect(missing).toEqual([]);
});

test('mercurial is installed when hg is missing, and nothing when everything is there', () => {
  expect(missingPackages((c) => c !== 'hg', () => true)).toEqual(['mercurial']);
  expect(missingPackages(() => true, () => true)).toEqual([]);
  expect(missingPackages(() => true, (m) => m !== 'zc.buildout')).toEqual(['python3-zc.buildout']);
});

test('every package of the table that is not part of a minimal Debian is one CI installs too', () => {
  // Priority required in Debian: on every installation, including the debian:12 container image.
  const base = new Set(['util-linux', 'mount', 'passwd', 'libc-bin', 'coreutils', 'dash', 'python3']);
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'apt-packages.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const packages = [...DEMO_COMMANDS.map((r) => r.debianPackage), ...DEMO_PYTHON_MODULES.map((m) => m.debianPackage)];
  expect([...new Set(packages.filter((p) => !base.has(p) && !ci.includes(p)))]).toEqual([]);
});
