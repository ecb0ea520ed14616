/**
 * End to end: the real `hostout` process runs the built-in `run` command on a
 * real sshd (the transport's test harness, 127.0.0.1, random port).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

let server: SshServer | undefined;
let dir: string;
let home: string;

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = makeHomeTrusting('hostout-e2e-home-', server);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-site-'));
  writeFileSync(path.join(dir, 'buildout.cfg'), [
    '[buildout]', 'parts = box', '',
    '[box]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root',
    `identity-file = ${server.clientKeyPath}`, 'path = /tmp', '',
  ].join('\n'));
}, 240_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [dir, home, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

test('`hostout box run` runs on the host, in `path`, and shows the output', () => {
  const r = hostout(['box', 'run', 'echo', 'hello', '$(id -un)', 'in', '$(pwd)'], dir, { HOME: home });
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain("Hostout: Running command 'run' from 'collective.hostout'\n");
  expect(r.stdout).toContain('hello root in /tmp');
  expect(r.code).toBe(0);
});

test('a remote command that fails: exit 1, the message names host, command and exit status', () => {
  const r = hostout(['box', 'run', 'exit', '3'], dir, { HOME: home });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^hostout: .*box.*exit status 3.*exit 3/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});
