/**
 * The plugin lifecycle through the real `node bin/hostout.js` process: async
 * `defaults(options, info)` awaited with the part name and buildout directory,
 * run only for the hosts the command line selects; the `resolve` hook (the
 * example hostout.inventory plugin) deciding where to connect before anything
 * connects; hook failures named by plugin and host, exit 2, no stack trace;
 * the plugin's `name` in `Running command … from …`.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostout } from '../support/run-cli';
import { useTempProject } from '../support/temp-project';

const BUILDOUT = `[buildout]
parts = web1 web2 probe throws

[web1]
recipe = collective.hostout
extends = hostout.inventory
path = /srv/web1

[web2]
recipe = collective.hostout
extends = hostout.inventory

[probe]
recipe = collective.hostout
extends = ./probe.js
host = 127.0.0.1

[throws]
recipe = collective.hostout
extends = ./throws.js
host = 127.0.0.1
`;

const PROBE = `'use strict';
const fs = require('node:fs');
const path = require('node:path');
module.exports = {
  name: 'the-probe',
  async defaults(options, info) {
    fs.appendFileSync(path.join(info.buildoutDirectory, 'defaults.log'), info.part + '\\n');
    await new Promise((r) => setTimeout(r, 20));
    return { ...options, seen: info.part + ' in ' + info.buildoutDirectory, user: 'prober' };
  },
  commands: { show: { description: 'what defaults saw', run: (ctx) => ctx.options.seen + ' as ' + ctx.options.user + '@' + ctx.options.host } },
};
`;

const THROWS = `'use strict';
require('node:fs').appendFileSync(require('node:path').join(__dirname, 'defaults.log'), 'throws loaded\\n');
module.exports = {
  name: 'thrower',
  async defaults() { await null; throw new Error('no credentials for the cloud API'); },
  commands: { show: { description: 'never', run: () => 'never' } },
};
`;

const project = useTempProject(
  'hostout-lifecycle-',
  {
    'buildout.cfg': BUILDOUT,
    'probe.js': PROBE,
    'throws.js': THROWS,
    'inventory.json': JSON.stringify({ web1: { address: '10.1.2.3', port: 2222, user: 'deploy', key: '~/keys/web1' } }),
  },
  { packages: ['hostout.inventory'], linkHostout: true },
);
beforeEach(() => rmSync(path.join(project.dir, 'defaults.log'), { force: true }));

const log = () => (existsSync(path.join(project.dir, 'defaults.log')) ? readFileSync(path.join(project.dir, 'defaults.log'), 'utf8') : '');

test('listing the hosts loads no plugin', () => {
  const r = hostout([], project.dir);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('Valid hosts are: probe throws web1 web2');
  expect(log()).toBe('');
});

test('async defaults is awaited, gets the part name and the buildout directory, runs for the selected host only; the plugin name is shown', () => {
  // -c from another directory: the buildout directory is the config file's.
  const r = hostout(['-c', path.join(project.dir, 'buildout.cfg'), 'probe', 'show'], os.tmpdir());
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`Hostout: Running command 'show' from 'the-probe'\nReturn value: probe in ${project.dir} as prober@127.0.0.1\n`);
  expect(r.code).toBe(0);
  expect(log()).toBe('probe\n'); // not the thrower's, nor web1's
});

test('a defaults hook that rejects: exit 2, the message names plugin and host, no stack trace; other hosts still work', () => {
  const r = hostout(['throws', 'show'], project.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("hostout: [throws] plugin './throws.js' failed in defaults(): no credentials for the cloud API\n");
  expect(r.stdout).toBe('');
  expect(hostout(['probe', 'show'], project.dir).code).toBe(0);
});

test('resolve (hostout.inventory): the inventory decides host, port, user and key before anything connects', () => {
  const r = hostout(['-c', path.join(project.dir, 'buildout.cfg'), 'web1', 'whereami'], '/');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe("Hostout: Running command 'whereami' from 'hostout.inventory'\nReturn value: deploy@10.1.2.3:2222\n");
  const plan = hostout(['web1', 'run', 'uptime', '--dry-run'], project.dir);
  expect(plan.code).toBe(0);
  expect(plan.stdout).toContain("[web1] remote(deploy@10.1.2.3:2222): /bin/bash -l -c 'cd /srv/web1 && uptime'");
});

test('a resolve hook that throws: exit 2 naming plugin and host, nothing connects', () => {
  const r = hostout(['web2', 'run', 'uptime'], project.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`hostout: [web2] plugin 'hostout.inventory' failed in resolve(): the inventory ${path.join(project.dir, 'inventory.json')} has no host 'web2' with an address\n`);
});
