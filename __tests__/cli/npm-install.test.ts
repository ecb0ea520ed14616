/**
 * Installing with plain npm, as a user does: `npm pack` hostout and the
 * example plugin, then install both tarballs (1) next to each other in a
 * buildout directory and (2) globally (`npm install -g`, here into a
 * --prefix), and run the plugin's command with no extra flags. The plugin's
 * optional peer dependency on hostout must not send npm to the registry for a
 * `hostout` it does not have. Dependencies come from npm's cache when it has
 * them (--prefer-offline).
 * The ways README.md ("Install it in a buildout directory") gives while hostout is not on the
 * registry are run here as written: the packed tarball (installed with --foreground-scripts:
 * nothing of ours runs or prints, and npm lists no install script of ours), and a git checkout,
 * `npm install && npm run build`, then `npm link`ed. hostout has no `prepare`: npm 11 names every
 * package with one in a warning when the tarball is installed, and the tarball holds dist/ (prepack).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/run-cli';

jest.setTimeout(300_000);

let tmp: string;
let hostoutTgz: string;
let pluginTgz: string;

const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false', ...env },
  });

function pack(dir: string): string {
  // dist/ is built already (the e2e project's globalSetup): pack it as it is instead of running `prepare` again.
  const out = npm(['pack', '--ignore-scripts', '--pack-destination', tmp], dir).trim().split('\n').pop() as string;
  return path.join(tmp, out);
}

const BUILDOUT = [
  '[buildout]', 'parts = site sv', '',
  '[site]', 'recipe = collective.hostout', 'extends = hostout.greeting', 'host = example.com', 'user = deploy', 'path = /srv/site', '',
  '[sv]', 'recipe = collective.hostout', 'extends = hostout.supervisor', 'host = example.com', 'user = deploy', 'path = /srv/sv', '',
].join('\n');

function run(bin: string, args: string[], cwd: string) {
  const home = path.join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: home, USER: 'tester', CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GREETING = [
  'DRY RUN: nothing will be changed',
  "Hostout: Running command 'greet' from 'hostout.greeting'",
  "[site] remote(deploy@example.com:22): /bin/bash -l -c 'cd /srv/site && echo '\\''Hello, World!'\\'' > greeting.txt'",
  'Hello, World!',
  'Return value: Hello, World!',
  'DRY RUN done: nothing was changed.',
  '  asked:        hostout site greet World --dry-run',
  '  assumed:      nothing',
  '  would change: 1 step on 1 host (listed above)',
  '',
].join('\n');

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hostout-npm-install-'));
  hostoutTgz = pack(ROOT);
  pluginTgz = pack(path.join(ROOT, 'fixtures', 'hostout', 'packages', 'hostout.greeting'));
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('npm install hostout hostout.greeting (tarballs) in a buildout directory: extends finds the plugin, the plugin finds hostout', () => {
  const bo = path.join(tmp, 'buildout');
  mkdirSync(bo);
  writeFileSync(path.join(bo, 'buildout.cfg'), BUILDOUT);
  npm(['install', hostoutTgz, pluginTgz], bo);
  const r = run('npx', ['--no-install', 'hostout', 'site', 'greet', 'World', '--dry-run'], bo);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(GREETING);
  expect(r.code).toBe(0);
  // A shipped plugin from the installed package: self-reference through package.json "exports".
  const sv = run('npx', ['--no-install', 'hostout', 'sv', 'supervisorctl', 'status', '--dry-run'], bo);
  expect(sv.stdout).toContain("[sv] remote(deploy@example.com:22): /bin/bash -l -c 'cd /srv/sv && /srv/sv/bin/supervisorctl status'");
  expect(sv.code).toBe(0);
});

test('npm install -g hostout hostout.greeting: a buildout directory without node_modules finds the global plugin', () => {
  const prefix = path.join(tmp, 'global');
  npm(['install', '-g', '--prefix', prefix, hostoutTgz, pluginTgz], tmp);
  const bo = path.join(tmp, 'plain-buildout');
  mkdirSync(bo);
  writeFileSync(path.join(bo, 'buildout.cfg'), BUILDOUT);
  const r = run(path.join(prefix, 'bin', 'hostout'), ['site', 'greet', 'World', '--dry-run'], bo);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(GREETING);
  expect(r.code).toBe(0);
});

test('the packed hostout installs without building anything and without any output of ours (npm install --foreground-scripts)', () => {
  const project = path.join(tmp, 'consumer');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  // --foreground-scripts: npm prints every lifecycle script it runs, with its output; warnings are shown (--loglevel=warn).
  const r = spawnSync('npm', ['install', '--foreground-scripts', '--loglevel=warn', '--no-audit', '--no-fund', '--prefer-offline', hostoutTgz], {
    cwd: project, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  expect(r.status).toBe(0);
  const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /hostout@|\bprepare\b|\btsc\b|typescript/i.test(l));
  expect(ours).toEqual([]);
  // No sources, no build: the tarball's own dist/ is what runs.
  const installed = path.join(project, 'node_modules', 'hostout');
  expect(existsSync(path.join(installed, 'tsconfig.build.json'))).toBe(false);
  expect(existsSync(path.join(installed, 'node_modules', 'typescript'))).toBe(false);
  const v = run('npx', ['--no-install', 'hostout', '--version'], project);
  expect(v).toEqual({ code: 0, stdout: `${(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`, stderr: '' });
});

test('a git checkout: npm install && npm run build, then npm link puts hostout on the PATH and links it into a buildout directory', () => {
  // The committed state of this repository, as `git clone` gives it.
  const checkout = path.join(tmp, 'checkout');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, checkout], { encoding: 'utf8', timeout: 120_000 });
  expect(existsSync(path.join(checkout, 'dist'))).toBe(false);
  npm(['install'], checkout);
  // Not built by the install: the launcher says what to run.
  expect(run(process.execPath, [path.join(checkout, 'bin', 'hostout.js'), '--version'], tmp)).toEqual({
    code: 70, stdout: '', stderr: `hostout: ${checkout} is not built: run \`npm run build\` there\n`,
  });
  npm(['run', 'build'], checkout);
  expect(existsSync(path.join(checkout, 'dist', 'lib', 'index.js'))).toBe(true);
  // A global prefix of the test's own (npm_config_prefix: npm link's global side only).
  const prefix = path.join(tmp, 'link-prefix');
  npm(['link'], checkout, { npm_config_prefix: prefix });
  const bo = path.join(tmp, 'linked-buildout');
  mkdirSync(bo);
  writeFileSync(path.join(bo, 'buildout.cfg'), BUILDOUT);
  // The plugin first: a later `npm install` would prune the link, which package.json does not record.
  npm(['install', pluginTgz], bo);
  npm(['link', 'hostout'], bo, { npm_config_prefix: prefix });
  // hostout on the PATH (the link's bin), and the buildout directory's node_modules/hostout is the checkout.
  const r = run(path.join(prefix, 'bin', 'hostout'), ['site', 'greet', 'World', '--dry-run'], bo);
  expect(r).toEqual({ code: 0, stdout: GREETING, stderr: '' });
  expect(realpathSync(path.join(bo, 'node_modules', 'hostout'))).toBe(realpathSync(checkout));
});
