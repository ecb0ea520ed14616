/**
 * Plugins from npm packages (installed in a temp node_modules beside a temp
 * buildout), ESM plugins, load failures, and `--install-script`. The
 * hostout.greeting package is the complete example of docs/plugins.md.
 */
import { shellJoin } from '../../lib/transport/quote';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { useTempProject } from '../support/temp-project';


const BUILDOUT = `[buildout]
parts = site broken missing badfab

[site]
recipe = collective.hostout
extends = hostout.greeting hostout.esmthing
host = 127.0.0.1
user = deployer
path = /srv/site

[broken]
recipe = collective.hostout
extends = hostout.broken

[missing]
recipe = collective.hostout
extends = hostout.notinstalled

[badfab]
recipe = collective.hostout
fabfiles = bad.js
`;

const project = useTempProject(
  'hostout-cli-plugins-',
  {
    'buildout.cfg': BUILDOUT,
    'bad.js': 'module.exports = {\n  commands: { x: { run() { return 1 +; } } },\n};\n',
    'node_modules/hostout.broken/package.json': '{"name":"hostout.broken","main":"index.js"}',
    'node_modules/hostout.broken/index.js': 'module.exports = { name: "hostout.broken", commands: { x: { description: "no run" } } };',
  },
  // The example plugin does require('hostout'), as an installed plugin would: link this checkout.
  { packages: ['hostout.greeting', 'hostout.esmthing'], linkHostout: true },
);

/** Only the hosts that load: the broken and missing ones are tested separately. */
const ONLY_SITE = ['buildout:parts=site'];

test('an npm package plugin (the docs example): its commands are listed, described, and run; defaults hook applies', () => {
  const list = hostout([...ONLY_SITE, 'site'], project.dir);
  expect(list.code).toBe(0);
  // Names padded to the longest command name (a built-in one).
  const row = (name: string, description: string) => `   ${name.padEnd('bootstrap_python_slackware'.length)} : ${description}\n`;
  expect(list.stderr).toContain(row('greet', 'Write a greeting into the remote buildout directory'));
  expect(list.stderr).toContain(row('predeploy', 'Greet the deployer, then the usual predeploy'));
  expect(list.stderr).toContain(row('esm', 'A command from an ES module plugin'));

  const r = hostout([...ONLY_SITE, 'site', 'greet', "O'Brien", '--dry-run'], project.dir);
  expect(r.stdout).toBe([
    'DRY RUN: nothing will be changed',
    "Hostout: Running command 'greet' from 'hostout.greeting'",
    `[site] remote(deployer@127.0.0.1:22): /bin/bash -l -c 'cd /srv/site && echo '\\''Hello, O'\\''\\'\\'''\\''Brien!'\\'' > greeting.txt'`,
    "Hello, O'Brien!",
    "Return value: Hello, O'Brien!",
    'DRY RUN done: nothing was changed.',
    `  asked:        hostout ${shellJoin([...ONLY_SITE, 'site', 'greet', "O'Brien", '--dry-run'])}`,
    '  assumed:      nothing',
    '  would change: 1 step on 1 host (listed above)',
    '',
  ].join('\n'));
  expect(r.code).toBe(0);
});

test('the example overrides predeploy and hands over to the built-in with ctx.next()', () => {
  const r = hostout([...ONLY_SITE, 'site', 'predeploy', '--dry-run', '--offline'], project.dir);
  const running = r.stdout.split('\n').filter((l) => l.startsWith('Hostout: Running'));
  expect(running).toEqual([
    "Hostout: Running command 'predeploy' from 'hostout.greeting'",
    "Hostout: Running command 'greet' from 'hostout.greeting'",
    "Hostout: Running command 'predeploy' from 'collective.hostout'",
    "Hostout: Running command 'precommands' from 'collective.hostout'",
  ]);
  // The built-in predeploy then goes on: the offline dry run assumes the host is bootstrapped, and says so.
  expect(r.stdout).toContain('(assumed, not asked: /srv/site/bin/buildout exists)');
  expect(r.code).toBe(0);
});

test('--verbose shows the plugin\'s debug lines (its init hook)', () => {
  // issue 11: after the command word only the long form is hostout's (`-v` would reach `esm`).
  const r = hostout([...ONLY_SITE, 'site', 'esm', '--verbose'], project.dir);
  expect(r.stdout).toContain('hostout.greeting: esm on site\n');
  expect(r.stdout).toContain('Return value: esm on site\n');
});

test('an ES module plugin (export default) runs', () => {
  const r = hostout([...ONLY_SITE, 'site', 'esm'], project.dir);
  expect(r.stdout).toBe("Hostout: Running command 'esm' from 'hostout.esmthing'\nReturn value: esm on site\n");
});

test('hosts whose plugins fail to load do not block the others (in the original one broken plugin broke every invocation)', () => {
  expect(hostout([], project.dir)).toMatchObject({ code: 0, stderr: expect.stringContaining('Valid hosts are: badfab broken missing site\n') });
  expect(hostout(['site', 'esm'], project.dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('Return value: esm on site\n') });
  const all = hostout(['all', 'run', 'true', '--dry-run'], project.dir);
  expect(all.code).toBe(2);
  expect(all.stdout).toBe('');
});

test('a plugin that is not installed: exit 2, names it and says how to install it', () => {
  const r = hostout(['missing'], project.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(
    `hostout: [missing] extends = hostout.notinstalled: no section, shipped plugin, npm package (searched from ${project.dir}) ` +
      'or file of that name; install it with `npm install hostout.notinstalled` in the buildout directory\n',
  );
});

test('a plugin that does not fit the contract: exit 2, names it and what is wrong', () => {
  const r = hostout(['buildout:parts=broken', 'broken'], project.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^hostout: \[broken\] plugin 'hostout.broken' \(.*index\.js\) could not be loaded: command 'x' has no run\(\) function\n$/);
});

test('a fabfile with a syntax error: exit 2, names the file and the line', () => {
  const r = hostout(['buildout:parts=badfab', 'badfab'], project.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`hostout: [badfab] fabfile 'bad.js' (${project.dir}/bad.js) could not be loaded: Unexpected token ';' (${project.dir}/bad.js:2)\n`);
});

test('--install-script writes bin/hostout; the launcher lists the hosts and runs commands', () => {
  const r = hostout(['--install-script', project.dir], os.tmpdir());
  expect(r.code).toBe(0);
  const script = path.join(project.dir, 'bin', 'hostout');
  expect(r.stdout).toContain(`Wrote ${script}`);
  expect(statSync(script).mode & 0o111).not.toBe(0);
  expect(readFileSync(script, 'utf8')).toMatch(/^#!\/bin\/sh\n/);
  const env = { PATH: process.env.PATH, HOME: EMPTY_HOME, CI: 'true' };
  const run = (args: string[]) => {
    try {
      return { code: 0, out: execFileSync(script, args, { cwd: os.tmpdir(), env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }) };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { code: e.status, out: e.stderr };
    }
  };
  expect(run(['buildout:parts=site', 'site', 'esm'])).toEqual({ code: 0, out: "Hostout: Running command 'esm' from 'hostout.esmthing'\nReturn value: esm on site\n" });
  expect(run(['buildout:parts=site']).code).toBe(0);
});
