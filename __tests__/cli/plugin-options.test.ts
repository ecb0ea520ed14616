/**
 * A third-party plugin's own command-line options (Plugin.options), through the
 * built CLI: `hostout HOST --help` lists them, the shell completes them, the
 * scanner takes them where hostout's long options go (and only for the hosts
 * whose plugins declare them), and the commands see the host options they set.
 * Nothing here connects: the commands only return what ctx tells them.
 */
import { hostout } from '../support/run-cli';
import { useTempProject } from '../support/temp-project';


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

const project = useTempProject('hostout-plugin-options-', {
  'buildout.cfg': BUILDOUT,
  'node_modules/acme.deploy/package.json': '{"name":"acme.deploy","main":"index.js"}',
  'node_modules/acme.deploy/index.js': PLUGIN,
});

test('applied: the host option it declares, as typed, before or after the hosts and command; the config value otherwise', () => {
  expect(hostout(['web', 'show'], project.dir).stdout).toContain('Return value: - 1 true');
  expect(hostout(['web', 'show', '--canary', '--batch-size', '4'], project.dir).stdout).toContain('Return value: yes 4 true');
  expect(hostout(['--batch-size', '7', 'web', 'show', '--no-rollback'], project.dir).stdout).toContain('Return value: - 7 false');
  expect(hostout(['--batch-size=2', '--canary', 'web', 'show'], project.dir).stdout).toContain('Return value: yes 2 true');
});

test('refused where no selected host declares it, or mistyped (did-you-mean), or not a number', () => {
  // After the command word, a word no selected host's plugin declares is the command's, as always.
  const other = hostout(['db', 'run', 'echo', '--canary', '--dry-run', '--offline'], project.dir);
  expect(other.code).toBe(0);
  expect(other.stdout).toMatch(/echo --canary/);
  const front = hostout(['--canary', 'db', 'run', 'true'], project.dir);
  expect(front.code).toBe(2);
  expect(front.stderr).toContain('no such option: --canary');
  const typo = hostout(['--batchsize', '3', 'web', 'show'], project.dir);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('no such option: --batchsize');
  expect(typo.stderr).toContain('--batch-size');
  const nan = hostout(['web', 'show', '--batch-size', 'lots'], project.dir);
  expect(nan.code).toBe(2);
  expect(nan.stderr).toContain("option --batch-size needs a number (N), not 'lots'");
});

test('`hostout HOST --help` lists the options of its plugins; plain --help says where they are', () => {
  const web = hostout(['web', '--help'], project.dir);
  expect(web.code).toBe(0);
  expect(web.stdout).toMatch(/Options of acme\.deploy:\n +--canary +deploy one host first\n +--batch-size N +hosts per batch/);
  const plain = hostout(['--help'], project.dir);
  expect(plain.stdout).not.toContain('--canary');
  expect(plain.stdout).toMatch(/Plugins add --long options of their own for the hosts that use them:\s+`hostout HOST --help`\s+lists\s+them/);
  expect(hostout(['db', '--help'], project.dir).stdout).not.toContain('--canary');
});

test('completed for the hosts that use the plugin', () => {
  const complete = (...typed: string[]) => hostout(['--get-yargs-completions', 'hostout', ...typed], project.dir).stdout.split('\n').filter(Boolean);
  expect(complete('web', 'show', '--ca')).toEqual(['--canary']);
  expect(complete('web', '--b')).toEqual(['--batch-size']);
  expect(complete('db', '--ca')).toEqual([]);
  expect(complete('web', 'show', '--batch-size', '')).toEqual([]);
  expect(complete('--batch-size', '3', 'web', 'sh')).toEqual(['show']);
  expect(complete('--bogus', 'web', '')).toEqual([]);
});
