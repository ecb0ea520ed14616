/**
 * Behaviour of the originals that existing setups rely on, end to end: the
 * real `hostout` process against a real sshd on 127.0.0.1 (this machine, so
 * every effect is checked on the filesystem).
 *
 *   bsd    requireOwnership on a host whose `stat` is FreeBSD's (no --format)
 *   nokey  bootstrap with a separate buildout-user and no key: stops first
 *   derive bootstrap_users installs the identity-file's key when it has no .pub
 *   cook   pushdeploy cook_resources when neither bin/instance works
 *   vers   buildout writes the versions file from the eggs the local buildout installed
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILDOUT, ZOPE, generateKeyPair, startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { REMOTE_BUILDOUT_SHIM } from '../../fixtures/compat';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

jest.setTimeout(120_000);

let server: SshServer | undefined;
let home: string;
let dir: string;
let remoteRoot: string;
let fakeBin: string;
let staging: string;
let versPath: string;
let derivedKey: string;
let derivedPub: string;

const uidOf = (name: string): number => Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
const gidOf = (name: string): number => Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
const homeOf = (name: string): string => execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5];
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => hostout(args, dir, { HOME: home, ...env });

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root', BUILDOUT.name] });
  home = makeHomeTrusting('hostout-compat-e2e-home-', server);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-e2e-site-'));
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-e2e-remote-'));
  chmodSync(remoteRoot, 0o755);

  // FreeBSD's stat: `-f format`, no GNU `--format` (the original's issue #34 host).
  fakeBin = path.join(remoteRoot, 'freebsd-bin');
  mkdirSync(fakeBin);
  writeFileSync(path.join(fakeBin, 'stat'), [
    '#!/bin/sh',
    'case "$1" in --*) echo "stat: illegal option -- -" >&2;',
    '  echo "usage: stat [-FLnq] [-f format | -l | -r | -s | -x] [-t timefmt] [file|handle ...]" >&2; exit 1 ;; esac',
    'exec /usr/bin/stat "$@"', '',
  ].join('\n'), { mode: 0o755 });

  // An identity-file without its .pub next to it, authorized for root.
  const pair = generateKeyPair(path.join(remoteRoot, 'keys'), 'nopub');
  derivedKey = pair.privateKeyPath;
  derivedPub = pair.publicKey;
  server.authorize('root', derivedPub);
  rmSync(pair.publicKeyPath);

  // pushdeploy staging buildout (a Plone site id, no bin/instance on production).
  staging = path.join(remoteRoot, 'staging');
  mkdirSync(staging);
  writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\nbuildoutname = Plone\n');

  versPath = path.join(remoteRoot, 'vers');
  mkdirSync(path.join(versPath, 'bin'), { recursive: true });
  writeFileSync(path.join(versPath, 'bin', 'buildout'), REMOTE_BUILDOUT_SHIM, { mode: 0o755 });
  for (const d of ['eggs', 'downloads/dist', 'downloads/extends']) mkdirSync(path.join(remoteRoot, 'vers-cache', d), { recursive: true });

  const host = [`host = 127.0.0.1:${server.port}`];
  const key = `identity-file = ${server.clientKeyPath}`;
  writeFileSync(path.join(dir, 'buildout.cfg'), [
    '[buildout]', 'parts = nosudo bsd nokey derive cook vers', '',
    '[nosudo]', 'recipe = collective.hostout', ...host, key, `user = ${BUILDOUT.name}`, 'no-sudo = true', `path = ${remoteRoot}/nosudo/site`,
    `buildout-cache = ${remoteRoot}/nosudo/cache`, '',
    '[bsd]', 'recipe = collective.hostout', ...host, key, 'user = root', `path = ${remoteRoot}/bsd`,
    `shell = env PATH=${fakeBin}:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c`, '',
    '[nokey]', 'recipe = collective.hostout', ...host, 'user = root', `buildout-user = ${ZOPE.name}`, `path = ${remoteRoot}/nokey`, '',
    '[derive]', 'recipe = collective.hostout', ...host, `identity-file = ${derivedKey}`, 'user = root', `buildout-user = ${ZOPE.name}`, `buildout-group = ${ZOPE.name}`, `path = ${remoteRoot}/derive`, '',
    '[cook]', 'recipe = collective.hostout', 'extends = hostout.pushdeploy', ...host, key, 'user = root', `path = ${staging}`, 'restart = true', '',
    '[vers]', 'recipe = collective.hostout', ...host, key, 'user = root', `path = ${versPath}`, `buildout-cache = ${remoteRoot}/vers-cache`, 'buildout = deploy.cfg', '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'deploy.cfg'), '[buildout]\nparts =\n');
}, 120_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [dir, home, remoteRoot, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

test('setowners on a host where the buildout user owns everything needs no sudo (no-sudo set): it tries as that user first', () => {
  const site = path.join(remoteRoot, 'nosudo', 'site');
  mkdirSync(path.join(site, 'bin'), { recursive: true });
  writeFileSync(path.join(site, 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(site, 'buildout.cfg'), '[buildout]\n', { mode: 0o666 });
  execFileSync('chown', ['-R', `${BUILDOUT.name}:${gidOf(BUILDOUT.name)}`, path.join(remoteRoot, 'nosudo')]);
  const r = run(['nosudo', 'setowners']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(statSync(path.join(site, 'buildout.cfg')).mode & 0o777).toBe(0o640);
  expect(statSync(path.join(site, 'bin', 'tool')).mode & 0o777).toBe(0o750);
  expect(statSync(site).mode & 0o007).toBe(0);
  expect(statSync(path.join(remoteRoot, 'nosudo', 'cache', 'downloads', 'dist')).mode & 0o047).toBe(0o040);
});

describe('requireOwnership on a FreeBSD-like host (stat has no --format)', () => {
  test('owner already right: nothing is changed (no chown, ctime kept); owner wrong: chown -R', async () => {
    const target = path.join(remoteRoot, 'bsd', 'owned');
    mkdirSync(path.join(target, 'child'), { recursive: true });
    execFileSync('chown', ['-R', `${BUILDOUT.name}:${gidOf(BUILDOUT.name)}`, target]);
    const before = String(statSync(target, { bigint: true }).ctimeNs);
    await new Promise((r) => setTimeout(r, 20));
    let r = run(['bsd', 'requireOwnership', target, BUILDOUT.name, BUILDOUT.name, 'recursive']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(String(statSync(target, { bigint: true }).ctimeNs)).toBe(before);
    execFileSync('chown', ['-R', 'root:root', target]);
    r = run(['bsd', 'requireOwnership', target, BUILDOUT.name, BUILDOUT.name, 'recursive']);
    expect(r.code).toBe(0);
    for (const p of [target, path.join(target, 'child')]) {
      expect([statSync(p).uid, statSync(p).gid]).toEqual([uidOf(BUILDOUT.name), gidOf(BUILDOUT.name)]);
    }
  });
});

describe('bootstrap with a separate buildout-user', () => {
  let zopeKeys: string;
  let hadKeys: string | undefined;
  beforeAll(() => {
    zopeKeys = path.join(homeOf(ZOPE.name), '.ssh', 'authorized_keys');
    hadKeys = existsSync(zopeKeys) ? readFileSync(zopeKeys, 'utf8') : undefined;
  });
  afterAll(() => {
    if (hadKeys === undefined) rmSync(zopeKeys, { force: true });
    else writeFileSync(zopeKeys, hadKeys);
  });

  test('and no identity-file: stops before anything changes, saying what to configure (exit 2)', () => {
    const rootLogins = server!.acceptedLogins('root').length;
    const r = run(['nokey', 'bootstrap']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`hostout: [nokey] bootstrap would create buildout-user '${ZOPE.name}', but hostout could not log in as '${ZOPE.name}' afterwards`);
    expect(r.stderr).toContain('Set identity-file = <a private key>');
    expect(r.stderr).toContain(`ssh-keygen -t rsa -b 4096 -N '' -f ${dir}/parts/hostout/hostout_rsa`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Nothing ran as root (no detection, no users), and the buildout user could not log in.
    expect(server!.acceptedLogins('root').length).toBe(rootLogins);
    expect(server!.acceptedLogins(ZOPE.name)).toHaveLength(0);
    expect(existsSync(path.join(remoteRoot, 'nokey'))).toBe(false);
  });

  test("bootstrap_users installs the identity-file's public key for the buildout user, derived when there is no .pub", () => {
    const r = run(['derive', 'bootstrap_users']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(zopeKeys, 'utf8').split('\n').some((l) => l.startsWith(derivedPub.split(' ').slice(0, 2).join(' ')))).toBe(true);
    expect(statSync(zopeKeys).uid).toBe(uidOf(ZOPE.name));
  });
});

test('pushdeploy cook_resources: when neither bin/instance nor bin/instance1 works it warns and succeeds, as the original', () => {
  const r = run(['cook', 'cook_resources']);
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).toMatch(/cook_resources: neither bin\/instance nor bin\/instance1 could cook the resources \(exit status 127 and 127\)/);
});

describe('versionsfile (hostoutversions.cfg)', () => {
  const versionsFile = () => path.join(dir, 'hostoutversions.cfg');
  afterEach(() => {
    rmSync(versionsFile(), { force: true });
    rmSync(path.join(dir, 'bin'), { recursive: true, force: true });
  });

  test('buildout writes it from the eggs the local buildout installed and production is pinned to them', () => {
    // A script as zc.buildout writes it: the working set of its part, as egg paths.
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'instance'), [
      '#!/usr/bin/python3', '', 'import sys', 'sys.path[0:0] = [',
      `  '${dir}/eggs/zc.buildout-2.13.2-py3.11.egg',`,
      "  '/home/me/.buildout/eggs/Products.CMFPlone-5.2.14-py3.11.egg',",
      "  '/home/me/.buildout/eggs/zope.interface-6.0-py3.11-linux-x86_64.egg',",
      "  '/home/me/.buildout/eggs/collective.hostout-1.0a5-py3.11.egg',",
      "  '/home/me/.buildout/eggs/my_dashed_name-2.0-py3.11.egg',",
      `  '${dir}/src/my.package',`, '  ]', '',
    ].join('\n'), { mode: 0o755 });
    const r = run(['vers', 'uploadbuildout', 'buildout']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(readFileSync(versionsFile(), 'utf8')).toBe([
      '# Written by hostout: the versions the local buildout installed (from its bin/ scripts).',
      '[versions]',
      'my-dashed-name = 2.0',
      'Products.CMFPlone = 5.2.14',
      'zc.buildout = 2.13.2',
      'zope.interface = 6.0', '',
    ].join('\n'));
    const generated = readdirSync(versPath).find((f) => /^vers-[0-9a-f]{12}\.cfg$/.test(f))!;
    const text = readFileSync(path.join(versPath, generated), 'utf8');
    expect(text).toContain('\n[versions]\nmy-dashed-name = 2.0\nProducts.CMFPlone = 5.2.14\nzc.buildout = 2.13.2\nzope.interface = 6.0\n');
  });

  test("a versions file hostout did not write (the Python recipe's, or the user's) is used, never overwritten", () => {
    writeFileSync(versionsFile(), '[versions]\nzc.buildout = 2.13.2\n');
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'x'), "sys.path[0:0] = ['/e/Other-1.0-py3.11.egg']\n");
    const r = run(['vers', 'uploadbuildout', 'buildout']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    expect(readFileSync(versionsFile(), 'utf8')).toBe('[versions]\nzc.buildout = 2.13.2\n');
  });
});

test('a Python fabfile: a clear message naming the commands it would have defined and the plugin guide (exit 2)', () => {
  const site = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-fab-'));
  try {
    writeFileSync(path.join(site, 'buildout.cfg'), '[buildout]\nparts = prod\n\n[prod]\nrecipe = collective.hostout\nhost = example.com\nfabfiles = fabfile.py\n');
    writeFileSync(path.join(site, 'fabfile.py'), [
      'from fabric import api', 'from collective.hostout.hostout import buildoutuser', '',
      '@buildoutuser', 'def backup(target="/tmp"):', '    """Back up the data"""', '    api.run("bin/backup")', '',
      'def _helper():', '    pass', '',
      'class Thing:', '    def method(self):', '        pass', '',
      'def restore():', '    api.env.hostout.backup()', '',
    ].join('\n'));
    const r = hostout(['prod', 'backup'], site);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^hostout: \[prod\] fabfiles = fabfile\.py: .*fabfile\.py is a Python \(Fabric\) fabfile; hostout runs JavaScript\/TypeScript command modules and cannot run Python fabfiles\. It would have defined the commands: backup, restore\. Port them to a \.js or \.ts module .*see \/\S*docs\/plugins\.md\n$/);
    expect(r.stderr).not.toMatch(/Unexpected identifier|\n\s+at /);
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
