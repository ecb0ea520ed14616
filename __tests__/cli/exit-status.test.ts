/**
 * Errors are data, formatted in one place: the real hostout process, a real
 * sshd, and each kind of failure with its fields, its one message and its
 * documented exit status (docs/cli.md).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateKeyPair, startSshServer, type SshServer } from '../../fixtures/servers';
import { hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

let server: SshServer;
let home: string;
let site: string;
let closedPort: number;

const PLUGIN = `module.exports = { name: 'sudoer', commands: {
  viasudo: { description: 'ctx.remote.sudo', run: (ctx) => ctx.remote.sudo('id -un') },
} };`;

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = makeHomeTrusting('hostout-exit-home-', server);
  // A port nobody listens on: bind, note it, close.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  site = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-exit-site-'));
  fs.writeFileSync(path.join(site, 'sudoer.js'), PLUGIN);
  const part = (name: string, extra: string[]) => [
    `[${name}]`, 'recipe = collective.hostout', 'extends = ./sudoer.js', 'user = root', `identity-file = ${server.clientKeyPath}`, 'path = /tmp', ...extra, '',
  ];
  const stranger = generateKeyPair(home, 'stranger');
  fs.writeFileSync(path.join(home, 'empty_known_hosts'), '');
  fs.writeFileSync(path.join(site, 'buildout.cfg'), [
    '[buildout]', 'parts = box nosudo down unknownkey denied', '',
    ...part('box', [`host = 127.0.0.1:${server.port}`]),
    ...part('nosudo', [`host = 127.0.0.1:${server.port}`, 'no-sudo = yes']),
    ...part('down', [`host = 127.0.0.1:${closedPort}`]),
    ...part('unknownkey', [`host = 127.0.0.1:${server.port}`, `known-hosts-file = ${path.join(home, 'empty_known_hosts')}`]),
    '[denied]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root', `identity-file = ${stranger.privateKeyPath}`, 'path = /tmp', '',
  ].join('\n'));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [home, site]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const run = (...args: string[]) => hostout(args, site, { HOME: home });

test('a failed remote command: exit 1, one line naming host, target, exit status and command, then its stderr', () => {
  const r = run('box', 'run', 'echo', 'why >&2;', 'exit', '7');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^hostout: \[box\] command failed on root@127\.0\.0\.1:\d+ with exit status 7: .*exit 7'\n {2}why\n$/);
});

test('no-sudo refuses sudo the same way from the built-in and from a plugin: exit 2, names host and option', () => {
  for (const args of [['nosudo', 'sudo', 'id'], ['nosudo', 'viasudo']]) {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: \[nosudo\] cannot run .* no-sudo is set for this host\n$/);
  }
});

test('a host that cannot be reached: exit 69, names host and address', () => {
  const r = run('down', 'run', 'true');
  expect(r.code).toBe(69);
  expect(r.stderr).toBe(`hostout: [down] connection refused by 127.0.0.1 port ${closedPort}: is sshd running there, and is the port right?\n`);
});

test('a host key we do not know: exit 76, and no login happened', () => {
  const logins = server.acceptedLogins().length;
  const r = run('unknownkey', 'run', 'true');
  expect(r.code).toBe(76);
  expect(r.stderr).toMatch(/^hostout: \[unknownkey\] .*host key/);
  expect(server.acceptedLogins().length).toBe(logins);
});

test('authentication refused: exit 77, names the user and what was tried', () => {
  const r = run('denied', 'run', 'true');
  expect(r.code).toBe(77);
  expect(r.stderr).toMatch(/^hostout: \[denied\] authentication failed for root@127\.0\.0\.1 port \d+ \(tried key .*stranger/);
});

test('-v adds the stack and the cause chain; without it there is no stack trace', () => {
  const quiet = run('down', 'run', 'true');
  expect(quiet.stderr).not.toMatch(/\n\s+at /);
  const verbose = run('-v', 'down', 'run', 'true');
  expect(verbose.code).toBe(69);
  expect(verbose.stderr).toMatch(/TransportError: \[down\] connection refused/);
  expect(verbose.stderr).toMatch(/caused by: Error: connect ECONNREFUSED/);
});

test('a configuration error: exit 2 and the file and line', () => {
  fs.writeFileSync(path.join(site, 'broken.cfg'), '[buildout]\nparts = box\n[box\n');
  const r = run('-c', 'broken.cfg', 'box', 'run', 'true');
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^hostout: broken\.cfg, line 3: /);
});
