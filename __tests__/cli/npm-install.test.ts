/**
 * Installing with plain npm, as a user does: `npm pack` hostout and the
 * example plugin, then install both tarballs (1) next to each other in a
 * buildout directory and (2) globally (`npm install -g`, here into a
 * --prefix), and run the plugin's command with no extra flags. The plugin's
 * optional peer dependency on hostout must not send npm to the registry for a
 * `hostout` it does not have. Dependencies come from npm's cache when it has
 * them (--prefer-offline).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/run-cli';

jest.setTimeout(300_000);

let tmp: string;
let hostoutTgz: string;
let pluginTgz: string;

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' },
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
  "Hostout: Running command 'greet' from 'hostout.greeting'",
  "[site] remote(deploy@example.com:22): /bin/bash -l -c 'cd /srv/site && echo '\\''Hello, World!'\\'' > greeting.txt'",
  'Hello, World!',
  'Return value: Hello, World!',
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
