/**
 * A third-party plugin's own command-line options (Plugin.options), through the
 * built CLI: `hostout HOST --help` lists them, the shell completes them, the
 * scanner takes them where hostout's long options go (and only for the hosts
 * whose plugins declare them), and the commands see the host options they set.
 * Nothing here connects: the commands only return what ctx tells them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMPTY_HOME, hostout } from '../support/run-cli';

let dir: string;

const PLUGIN = `
module.exports = {
  name: 'acme.deploy',
  options: [
    { name: 'canary', type: 'boolean', description: 'deploy one host first', sets: 'canary-first', value: 'yes' },
    { name: 'batch-size', type: 'number', placeholder: 'N', description: 'hosts per batch', sets: 'batch' },
  ],
  commands: {
    show: { description: 'Print what the command line set', run: (ctx) => [ctx.options['canary-first'] || '-', ctx.options.batch || '-', String(ctx.rollback)].join(' ') },
  },
};
`;

const BUILDOUT = `[buildout]
parts = web db

[web]
recipe = collective.hostout
extends = acme.deploy
host = 127.0.0.1
batch = 1

[db]
recipe = collective.hostout
host = 127.0.0.1
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-plugin-options-'));
  writeFileSync(path.join(dir, 'buildout.cfg'), BUILDOUT);
  const pkg = path.join(dir, 'node_modules', 'acme.deploy');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), '{"name":"acme.deploy","main":"index.js"}');
  writeFileSync(path.join(pkg, 'index.js'), PLUGIN);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(EMPTY_HOME, { recursive: true, force: true });
});

test('applied: the host option it declares, as typed, before or after the hosts and command; the config value otherwise', () => {
  expect(hostout(['web', 'show'], dir).stdout).toContain('Return value: - 1 true');
  expect(hostout(['web', 'show', '--canary', '--batch-size', '4'], dir).stdout).toContain('Return value: yes 4 true');
  expect(hostout(['--batch-size', '7', 'web', 'show', '--no-rollback'], dir).stdout).toContain('Return value: - 7 false');
  expect(hostout(['--batch-size=2', '--canary', 'web', 'show'], dir).stdout).toContain('Return value: yes 2 true');
});

test('refused where no selected host declares it, or mistyped (did-you-mean), or not a number', () => {
  // After the command word, a word no selected host's plugin declares is the command's, as always.
  const other = hostout(['db', 'run', 'echo', '--canary', '--dry-run', '--offline'], dir);
  expect(other.code).toBe(0);
  expect(other.stdout).toMatch(/echo --canary/);
  const front = hostout(['--canary', 'db', 'run', 'true'], dir);
  expect(front.code).toBe(2);
  expect(front.stderr).toContain('no such option: --canary');
  const typo = hostout(['--batchsize', '3', 'web', 'show'], dir);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('no such option: --batchsize');
  expect(typo.stderr).toContain('--batch-size');
  const nan = hostout(['web', 'show', '--batch-size', 'lots'], dir);
  expect(nan.code).toBe(2);
  expect(nan.stderr).toContain("option --batch-size needs a number (N), not 'lots'");
});

test('`hostout HOST --help` lists the options of its plugins; plain --help says where they are', () => {
  const web = hostout(['web', '--help'], dir);
  expect(web.code).toBe(0);
  expect(web.stdout).toMatch(/Options of acme\.deploy:\n +--canary +deploy one host first\n +--batch-size N +hosts per batch/);
  const plain = hostout(['--help'], dir);
  expect(plain.stdout).not.toContain('--canary');
  expect(plain.stdout).toMatch(/Plugins add --long options of their own for the hosts that use them:\s+`hostout HOST --help`\s+lists\s+them/);
  expect(hostout(['db', '--help'], dir).stdout).not.toContain('--canary');
});

test('completed for the hosts that use the plugin', () => {
  const complete = (...typed: string[]) => hostout(['--get-yargs-completions', 'hostout', ...typed], dir).stdout.split('\n').filter(Boolean);
  expect(complete('web', 'show', '--ca')).toEqual(['--canary']);
  expect(complete('web', '--b')).toEqual(['--batch-size']);
  expect(complete('db', '--ca')).toEqual([]);
  expect(complete('web', 'show', '--batch-size', '')).toEqual([]);
  expect(complete('--batch-size', '3', 'web', 'sh')).toEqual(['show']);
  expect(complete('--bogus', 'web', '')).toEqual([]);
});
