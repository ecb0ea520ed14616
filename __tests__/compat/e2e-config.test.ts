/**
 * The original's own configurations, end to end: the real `hostout` process
 * against a real sshd on 127.0.0.1 (this machine, so the shipped files are
 * checked on the filesystem), started from another directory than the
 * buildout's (`cd /tmp && hostout -c /site/buildout.cfg …`).
 *
 *   multi       a multi-file buildout with a comment and a blank line inside extends
 *   missing     buildout = x.cfg that does not exist
 *   readme      collective.hostout README's user = root / password = root
 *   nohost      a part without host
 *   placeholder host = # Put your hostname here
 *   nogroup     buildout-group = (empty), and options hostout does not act on
 *   nokey       identity-file naming a key that does not exist
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { COMMENT_PLACEHOLDER_HOST, MULTI_FILE_COMMENTED_OUT, README_ROOT_HOST, writeMultiFileBuildout } from '../../fixtures/compat/configs';
import { hostout } from '../support/run-cli';

jest.setTimeout(120_000);

let server: SshServer | undefined;
let home: string;
let dir: string;
let elsewhere: string;
let remoteRoot: string;

/** hostout run from a directory that is not the buildout's: relative paths must still mean the buildout's. */
const run = (args: string[]) => hostout(['-c', path.join(dir, 'buildout.cfg'), ...args], elsewhere, { HOME: home });

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-config-home-'));
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(path.join(home, '.ssh', 'known_hosts'), server.knownHostsLine + '\n');
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-config-site-'));
  elsewhere = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-config-cwd-'));
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-config-remote-'));
  // The key as a project keeps it: next to buildout.cfg, named relatively.
  copyFileSync(server.clientKeyPath, path.join(dir, 'deploykey'));
  const host = `127.0.0.1:${server.port}`;
  const common = { host, user: 'root', 'identity-file': 'deploykey' };
  for (const d of ['multi', 'readme', 'nogroup']) mkdirSync(path.join(remoteRoot, d));
  writeMultiFileBuildout(dir, {
    multi: { ...common, path: `${remoteRoot}/multi`, 'buildout-cache': `${remoteRoot}/cache` },
    missing: { ...common, path: `${remoteRoot}/missing`, buildout: 'x.cfg' },
    readme: { host, ...README_ROOT_HOST, 'identity-file': 'deploykey', path: `${remoteRoot}/readme` },
    nohost: { user: 'root', path: `${remoteRoot}/nohost` },
    placeholder: { host: COMMENT_PLACEHOLDER_HOST.host, user: 'root', path: `${remoteRoot}/placeholder` },
    nogroup: { ...common, path: `${remoteRoot}/nogroup`, 'buildout-group': '', tunnel: 'true', hostimage: 'debian' },
    nokey: { host, user: 'root', 'identity-file': 'absent-key', path: `${remoteRoot}/nokey` },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [dir, home, elsewhere, remoteRoot]) if (d) rmSync(d, { recursive: true, force: true });
});

test('uploadbuildout ships every cfg of the extends chains (a comment and a blank line inside extends hide nothing) and the include', () => {
  const r = run(['multi', 'uploadbuildout']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const site = path.join(remoteRoot, 'multi');
  for (const f of ['deploy.cfg', 'conf/base.cfg', 'conf/versions.cfg', 'conf/staging.cfg', 'templates/nginx.conf.in']) {
    expect(readFileSync(path.join(site, f), 'utf8')).toBe(readFileSync(path.join(dir, f), 'utf8'));
  }
  expect(existsSync(path.join(site, MULTI_FILE_COMMENTED_OUT))).toBe(false);
});

test('a buildout file that does not exist: exit 2 naming it, and nothing connects', () => {
  const before = server!.acceptedLogins().length;
  for (const command of ['uploadbuildout', 'deploy']) {
    const r = run(['missing', command]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[missing] buildout = x.cfg: ${path.join(dir, 'x.cfg')} does not exist`);
  }
  expect(server!.acceptedLogins().length).toBe(before);
});

describe("the README's user = root / password = root: the password is masked everywhere it is printed", () => {
  const noRoot = (text: string) => expect(text).not.toMatch(/root/);

  test('-v: the line prefixes, the command and its output', () => {
    const r = run(['-v', 'readme', 'run', 'echo', 'hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`remote(********@127.0.0.1:${server!.port})`);
    expect(r.stdout).toContain('out: hello');
    noRoot(r.stdout + r.stderr);
    // The run log of the buildout (shared with the other hosts' runs, whose root is no secret): this host's lines.
    const logged = readFileSync(path.join(dir, 'var', 'log', 'hostout.log'), 'utf8').split('\n').filter((l) => l.includes('[readme]'));
    expect(logged.some((l) => l.includes('remote(********@127.0.0.1'))).toBe(true);
    noRoot(logged.join('\n'));
  });

  test('--dry-run, --json and a failed command\'s error message', () => {
    const dry = run(['--dry-run', 'readme', 'run', 'echo', 'hello']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('********@127.0.0.1');
    noRoot(dry.stdout + dry.stderr);
    const json = run(['--json', 'readme', 'run', 'echo', 'hello']);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('"type":"run-end"');
    noRoot(json.stdout + json.stderr);
    const failed = run(['readme', 'run', 'false']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`command failed on ********@127.0.0.1:${server!.port} with exit status 1`);
    noRoot(failed.stdout + failed.stderr);
  });
});

test('a part without host: commands that connect say so (exit 2); the listing and an offline dry run work', () => {
  const r = run(['nohost', 'run', 'uptime']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('[nohost] host is not set, so hostout does not know where to connect');
  expect(r.stderr).not.toContain('root@nohost');
  expect(run(['nohost']).code).toBe(0);
  const offline = run(['--dry-run', '--offline', 'nohost', 'run', 'uptime']);
  expect(offline.stderr).toBe('');
  expect(offline.code).toBe(0);
});

test('host = # Put your hostname here: refused naming host, with the comment rule', () => {
  const r = run(['placeholder', 'run', 'uptime']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`host = "${COMMENT_PLACEHOLDER_HOST.host}": the value is a comment left in the configuration`);
});

test('an empty buildout-group does not block run; options hostout does not act on are noted once under -v', () => {
  const r = run(['nogroup', 'run', 'uptime']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain('option tunnel');
  const v = run(['-v', 'nogroup', 'run', 'uptime']);
  expect(v.code).toBe(0);
  expect(v.stdout.split('option tunnel is not supported').length - 1).toBe(1);
  expect(v.stdout.split('option hostimage is not used').length - 1).toBe(1);
  const owners = run(['nogroup', 'setowners']);
  expect(owners.code).toBe(2);
  expect(owners.stderr).toContain('buildout-group = "": the group name is empty');
});

test('a relative identity-file naming a key that does not exist: exit 2 naming the resolved path', () => {
  const r = run(['nokey', 'run', 'uptime']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`identity-file = ${path.join(dir, 'absent-key')}: no such file`);
});
