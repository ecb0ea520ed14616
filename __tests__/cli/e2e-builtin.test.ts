/**
 * End to end: the real `hostout` process runs the built-in collective.hostout
 * commands on a real sshd (the transport's test harness, 127.0.0.1, random
 * port). The sshd runs on this machine, so each host's remote `path` is a temp
 * dir here and every test checks the real effect on the filesystem.
 *
 * Hosts (parts of one buildout.cfg):
 *   box  login root, buildout user root
 *   asb  login `buildout` (NOPASSWD sudo in the harness), so `sudo` really escalates
 *   own  login root, buildout-user `buildout`, effective-user `zope` (setowners)
 *   bo, dep  (their own site dir) uploadbuildout/buildout and deploy with the real zc.buildout
 *
 * Not run here: bootstrap and its bootstrap_* steps (they create a venv and pip
 * install zc.buildout, which needs the network; bootstrap_users would create
 * system users), sudobuildout, and the `run` command (in e2e-ssh.test.ts).
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BUILDOUT, ZOPE, startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

let server: SshServer | undefined;
let dir: string;
let home: string;
/** The remote `path` of each host (the same machine, so readable here). */
let boxPath: string;
let asbPath: string;
let ownPath: string;
let ownCache: string;
let remoteRoot: string;

const uidOf = (name: string): number => Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
const gidOf = (name: string): number => Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
const run = (args: string[]) => hostout(args, dir, { HOME: home });
/** `run`, expecting nothing on stderr and exit 0. */
const runOk = (args: string[]) => {
  const r = run(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
};

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root', BUILDOUT.name] });
  home = makeHomeTrusting('hostout-e2e-home-', server);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-site-'));
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-remote-'));
  chmodSync(remoteRoot, 0o755); // the `buildout` login must reach asb's path
  boxPath = path.join(remoteRoot, 'box');
  asbPath = path.join(remoteRoot, 'asb');
  ownPath = path.join(remoteRoot, 'own');
  ownCache = path.join(remoteRoot, 'own-cache');
  for (const p of [boxPath, asbPath, ownPath]) mkdirSync(p, { mode: 0o755 });
  chownSync(asbPath, uidOf(BUILDOUT.name), gidOf(BUILDOUT.name));
  const host = [`host = 127.0.0.1:${server.port}`, `identity-file = ${server.clientKeyPath}`];
  writeFileSync(path.join(dir, 'buildout.cfg'), [
    '[buildout]', 'parts = box asb own', '',
    '[box]', 'recipe = collective.hostout', ...host, 'user = root', `path = ${boxPath}`, '',
    '[asb]', 'recipe = collective.hostout', ...host, `user = ${BUILDOUT.name}`, `path = ${asbPath}`, '',
    '[own]', 'recipe = collective.hostout', ...host, 'user = root', `buildout-user = ${BUILDOUT.name}`,
    `effective-user = ${ZOPE.name}`, `buildout-group = ${BUILDOUT.name}`, `path = ${ownPath}`, `buildout-cache = ${ownCache}`, '',
  ].join('\n'));
}, 240_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [dir, home, remoteRoot, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('sudo', () => {
  test('as root: runs as root in `path`', () => {
    runOk(['box', 'sudo', 'id -un > sudo-root.txt && pwd >> sudo-root.txt']);
    expect(readFileSync(path.join(boxPath, 'sudo-root.txt'), 'utf8')).toBe(`root\n${boxPath}\n`);
  });

  test('as another login user: escalates to root, while `run` stays that user', () => {
    let r = run(['asb', 'run', 'touch', 'by-run']);
    expect(r.code).toBe(0);
    r = runOk(['asb', 'sudo', 'touch', 'by-sudo', '&&', 'id', '-un']);
    expect(r.stdout).toMatch(/\broot\b/);
    expect(statSync(path.join(asbPath, 'by-run')).uid).toBe(uidOf(BUILDOUT.name));
    expect(statSync(path.join(asbPath, 'by-sudo')).uid).toBe(0);
  });
});

describe('put / get / putrsync', () => {
  test('put uploads a file (content equal) and a directory tree, to `path` or TARGET/FILE', () => {
    writeFileSync(path.join(dir, 'notes.txt'), 'put me\n€ and a second line\n');
    mkdirSync(path.join(dir, 'tree', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, 'tree', 'a.txt'), 'A');
    writeFileSync(path.join(dir, 'tree', 'deep', 'b.txt'), 'B\n');
    runOk(['box', 'put', 'notes.txt']);
    expect(readFileSync(path.join(boxPath, 'notes.txt'), 'utf8')).toBe('put me\n€ and a second line\n');
    // As the original: FILE TARGET puts TARGET/FILE (TARGET a directory, created when missing).
    runOk(['box', 'put', 'notes.txt', 'into']);
    expect(readFileSync(path.join(boxPath, 'into', 'notes.txt'), 'utf8')).toBe('put me\n€ and a second line\n');
    expect(existsSync(path.join(boxPath, 'into')) && statSync(path.join(boxPath, 'into')).isDirectory()).toBe(true);
    let r = run(['box', 'put', 'tree']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(boxPath, 'tree', 'a.txt'), 'utf8')).toBe('A');
    expect(readFileSync(path.join(boxPath, 'tree', 'deep', 'b.txt'), 'utf8')).toBe('B\n');
    r = run(['box', 'put', 'tree', 'dest']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(boxPath, 'dest', 'tree', 'deep', 'b.txt'), 'utf8')).toBe('B\n');
  });

  test('put as a non-root user: the file arrives owned by that user', () => {
    writeFileSync(path.join(dir, 'mine.txt'), 'owned by buildout\n');
    const r = run(['asb', 'put', 'mine.txt']);
    expect(r.code).toBe(0);
    const dest = path.join(asbPath, 'mine.txt');
    expect(readFileSync(dest, 'utf8')).toBe('owned by buildout\n');
    expect(statSync(dest).uid).toBe(uidOf(BUILDOUT.name));
  });

  test('get downloads a remote file (relative to `path`) to a local TARGET, content equal', () => {
    const content = Buffer.from([0, 1, 2, 255, 10, 0x41, 0x42]);
    writeFileSync(path.join(boxPath, 'remote.bin'), content);
    runOk(['box', 'get', 'remote.bin', 'fetched.bin']);
    expect(readFileSync(path.join(dir, 'fetched.bin')).equals(content)).toBe(true);
  });

  test('get of a missing remote file fails with exit 1 and names it', () => {
    const r = run(['box', 'get', 'no-such-file.txt', 'x.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no-such-file.txt');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dir, 'x.txt'))).toBe(false);
  });

  test('putrsync syncs a local directory into the same relative place under `path`', () => {
    const src = path.join(dir, 'sub', 'synced');
    mkdirSync(path.join(src, 'inner'), { recursive: true });
    writeFileSync(path.join(src, 'one.txt'), 'one\n');
    writeFileSync(path.join(src, 'inner', 'two.txt'), 'two\n');
    mkdirSync(path.join(boxPath, 'sub'), { recursive: true });
    runOk(['box', 'putrsync', 'sub/synced']);
    expect(readFileSync(path.join(boxPath, 'sub', 'synced', 'one.txt'), 'utf8')).toBe('one\n');
    expect(readFileSync(path.join(boxPath, 'sub', 'synced', 'inner', 'two.txt'), 'utf8')).toBe('two\n');
  });
});

describe('ownership', () => {
  test('requireOwnership changes owner and group (recursively when asked)', () => {
    const target = path.join(boxPath, 'owned');
    mkdirSync(path.join(target, 'child'), { recursive: true });
    writeFileSync(path.join(target, 'child', 'f.txt'), 'x');
    runOk(['box', 'requireOwnership', target, BUILDOUT.name, ZOPE.name, 'recursive']);
    for (const p of [target, path.join(target, 'child'), path.join(target, 'child', 'f.txt')]) {
      expect(statSync(p).uid).toBe(uidOf(BUILDOUT.name));
      expect(statSync(p).gid).toBe(gidOf(ZOPE.name));
    }
  });

  test('setowners: buildout files to buildout-user, var to effective-user, cache readable by the group, nothing for others', () => {
    mkdirSync(path.join(ownPath, 'bin'), { recursive: true });
    writeFileSync(path.join(ownPath, 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o700 });
    writeFileSync(path.join(ownPath, 'buildout.cfg'), '[buildout]\n', { mode: 0o666 });
    runOk(['own', 'setowners']);
    const bu = uidOf(BUILDOUT.name);
    const bg = gidOf(BUILDOUT.name);
    const cfg = statSync(path.join(ownPath, 'buildout.cfg'));
    expect([cfg.uid, cfg.gid]).toEqual([bu, bg]);
    expect(cfg.mode & 0o777).toBe(0o640); // u+rw, g+r-w, o-rw
    expect(statSync(path.join(ownPath, 'bin', 'tool')).mode & 0o070).toBe(0o050); // executables get g+x
    const v = statSync(path.join(ownPath, 'var'));
    expect([v.uid, v.gid]).toEqual([uidOf(ZOPE.name), bg]);
    expect(v.mode & 0o2070).toBe(0o2070); // g+rws
    for (const d of [ownCache, path.join(ownCache, 'eggs'), path.join(ownCache, 'downloads', 'dist')]) {
      expect(statSync(d).gid).toBe(bg);
      // The original's g+r (not g+rw) and chmod -R o-xrw.
      expect(statSync(d).mode & 0o040).toBe(0o040);
      expect(statSync(d).mode & 0o007).toBe(0);
    }
    for (const p of [ownPath, path.join(ownPath, 'bin', 'tool'), path.join(ownPath, 'var')]) expect(statSync(p).mode & 0o007).toBe(0);
  });
});

describe('boot scripts and keys (on this machine: the server is 127.0.0.1)', () => {
  /** A name no real service has; removed in afterAll even when a test fails. */
  const pref = `hostouttest${process.pid}`;
  const initScript = `/etc/init.d/buildout-${pref}`;
  const key = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostoutE2eTestKey${process.pid} hostout-e2e`;
  const zopeAuthorizedKeys = (): string => {
    const home = execFileSync('getent', ['passwd', ZOPE.name], { encoding: 'utf8' }).split(':')[5];
    return path.join(home, '.ssh', 'authorized_keys');
  };
  let hadAuthorizedKeys = true;
  let hadSshDir = true;

  beforeAll(() => {
    hadAuthorizedKeys = existsSync(zopeAuthorizedKeys());
    hadSshDir = existsSync(path.dirname(zopeAuthorizedKeys()));
  });

  afterAll(() => {
    execFileSync('sh', ['-c', `update-rc.d -f buildout-${pref} remove >/dev/null 2>&1; rm -f ${initScript}`]);
    const file = zopeAuthorizedKeys();
    if (!hadSshDir) rmSync(path.dirname(file), { recursive: true, force: true });
    else if (!hadAuthorizedKeys) rmSync(file, { force: true });
    else if (existsSync(file)) writeFileSync(file, readFileSync(file, 'utf8').split('\n').filter((l) => l !== key).join('\n'));
  });

  (existsSync('/usr/sbin/update-rc.d') ? test : test.skip)('install_bootscript / bootscript_list / uninstall_bootscript', () => {
    runOk(['box', 'install_bootscript', 'echo started >> boot.log', 'echo stopped >> boot.log', pref]);
    expect(statSync(initScript).mode & 0o111).toBe(0o111);
    expect(statSync(initScript).uid).toBe(0);
    // chkconfig --add (RHEL family) needs `# chkconfig: <levels> <start> <stop>`; update-rc.d reads the LSB block.
    const header = readFileSync(initScript, 'utf8').split('\n');
    expect(header[0]).toBe('#!/bin/sh');
    expect(header).toContain('# chkconfig: 2345 90 10');
    expect(header).toContain('### BEGIN INIT INFO');
    expect(header).toContain(`# Provides:          buildout-${pref}`);
    // The script really works: it runs the commands in the buildout directory.
    execFileSync(initScript, ['restart']);
    expect(readFileSync(path.join(boxPath, 'boot.log'), 'utf8')).toBe('stopped\nstarted\n');
    let r = run(['box', 'bootscript_list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(initScript);
    r = run(['box', 'uninstall_bootscript', pref]);
    expect(r.code).toBe(0);
    expect(existsSync(initScript)).toBe(false);
  });

  test("copy_key adds a key to another user's authorized_keys once, owned by that user", () => {
    for (let i = 0; i < 2; i++) {
      runOk(['box', 'copy_key', ZOPE.name, key]);
    }
    const file = zopeAuthorizedKeys();
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l === key)).toHaveLength(1);
    expect(statSync(file).uid).toBe(uidOf(ZOPE.name));
    expect(statSync(path.dirname(file)).mode & 0o077).toBe(0);
  });
});

describe("the original's helper commands, on the real host", () => {
  test('runescalatable: the buildout user where it can, else the login user, else sudo; always in `path`', () => {
    // own: buildout-user `buildout` cannot write into its root-owned path, the login user root can.
    runOk(['own', 'runescalatable', 'id -un > escalated.txt && pwd >> escalated.txt']);
    expect(readFileSync(path.join(ownPath, 'escalated.txt'), 'utf8')).toBe(`root\n${ownPath}\n`);
    // asb: login and buildout user are `buildout`; its own path needs nothing more.
    let r = run(['asb', 'runescalatable', 'id -un > mine.txt']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(asbPath, 'mine.txt'), 'utf8')).toBe(`${BUILDOUT.name}\n`);
    expect(statSync(path.join(asbPath, 'mine.txt')).uid).toBe(uidOf(BUILDOUT.name));
    // asb writing into root's directory: only sudo can.
    r = run(['asb', 'runescalatable', `id -un > ${boxPath}/by-sudo.txt`]);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(boxPath, 'by-sudo.txt'), 'utf8')).toBe('root\n');
  });

  test('getpythonbin: the directory of python<X.Y> on the host (python-path/bin when it exists)', () => {
    const pythonDir = path.dirname(execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim());
    let r = run(['box', 'getpythonbin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Return value: ${pythonDir}\n`);
    mkdirSync(path.join(boxPath, 'py', 'bin'), { recursive: true });
    r = run(['box:python-path=' + path.join(boxPath, 'py'), 'box', 'getpythonbin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Return value: ${path.join(boxPath, 'py', 'bin')}\n`);
    r = run(['box:python-version=2.3', 'box', 'getpythonbin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[box] python2.3 is not installed on the host');
  });

  test('get_url downloads on the host into `path`, as the buildout user', () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-url-'));
    chmodSync(src, 0o755); // the buildout user downloads it
    try {
      writeFileSync(path.join(src, 'release.tgz'), 'payload');
      runOk(['asb', 'get_url', `file://${src}/release.tgz`]);
      expect(readFileSync(path.join(asbPath, 'release.tgz'), 'utf8')).toBe('payload');
      expect(statSync(path.join(asbPath, 'release.tgz')).uid).toBe(uidOf(BUILDOUT.name));
      const missing = run(['asb', 'get_url', `file://${src}/nothing.tgz`, 'nothing.tgz']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('[asb] command failed on');
      expect(missing.stderr).toContain("curl: (37) Couldn't open file");
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  test('hotfix downloads a zip here, unpacks it into `path`/products with the buildout group, and removes the upload', () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-hotfix-'));
    try {
      mkdirSync(path.join(src, 'Products.PloneHotfix20110531'));
      writeFileSync(path.join(src, 'Products.PloneHotfix20110531', '__init__.py'), '# hotfix\n');
      execFileSync('python3', ['-m', 'zipfile', '-c', path.join(src, 'PloneHotfix20110531.zip'), 'Products.PloneHotfix20110531'], { cwd: src });
      runOk(['asb', 'hotfix', `file://${src}/PloneHotfix20110531.zip`]);
      const installed = path.join(asbPath, 'products', 'Products.PloneHotfix20110531', '__init__.py');
      expect(readFileSync(installed, 'utf8')).toBe('# hotfix\n');
      expect(statSync(installed).gid).toBe(gidOf(BUILDOUT.name));
      expect(execFileSync('sh', ['-c', 'ls /tmp | grep -c hostout-hotfix- || true'], { encoding: 'utf8' }).trim()).toBe('0');
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
});

test('detecthostos reports the real OS of the host', () => {
  const expected = /^ID=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1].replace(/"/g, '').toLowerCase();
  const r = run(['box', 'detecthostos']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Detected Hostos = ${expected}`);
});

test('a failing sudo command: exit 1, the message names host, command and exit status', () => {
  const r = run(['asb', 'sudo', 'touch', 'before-failure', '&&', 'exit', '4']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^hostout: .*asb.*exit status 4.*exit 4/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(statSync(path.join(asbPath, 'before-failure')).uid).toBe(0); // it really ran, as root, before failing
});

/**
 * `uploadbuildout` + `buildout` with the real zc.buildout 2.13.2 of this
 * machine, offline: the shipped cfg develops a local recipe (shipped through
 * `include`) whose part writes a file. bin/buildout is what bootstrap would
 * have made (bootstrap itself needs pip and the network, so it is not run).
 */
describe('uploadbuildout + buildout (real zc.buildout, offline)', () => {
  let site: string;
  let boPath: string;
  let boCache: string;
  let depPath: string;
  let depCache: string;

  beforeAll(() => {
    site = path.join(remoteRoot, 'site2');
    boPath = path.join(remoteRoot, 'bo');
    boCache = path.join(remoteRoot, 'bo-cache');
    depPath = path.join(remoteRoot, 'dep');
    depCache = path.join(remoteRoot, 'dep-cache');
    mkdirSync(path.join(site, 'recipe'), { recursive: true });
    writeFileSync(path.join(site, 'recipe', 'setup.py'), [
      'from setuptools import setup',
      "setup(name='hello.recipe', version='1.0', py_modules=['hello_recipe'],",
      "      entry_points={'zc.buildout': ['default = hello_recipe:Recipe']})", '',
    ].join('\n'));
    writeFileSync(path.join(site, 'recipe', 'hello_recipe.py'), [
      'import os', 'class Recipe:',
      '    def __init__(self, buildout, name, options):',
      '        self.options = options',
      "        options['location'] = os.path.join(buildout['buildout']['parts-directory'], name)",
      '    def install(self):',
      "        os.makedirs(self.options['location'], exist_ok=True)",
      "        with open(os.path.join(self.options['location'], 'greeting.txt'), 'w') as f:",
      "            f.write(self.options['text'] + '\\n')",
      "        return [self.options['location']]",
      '    update = install', '',
    ].join('\n'));
    writeFileSync(path.join(site, 'remote.cfg'),
      '[buildout]\ndevelop = recipe\nparts = greeting\n\n[greeting]\nrecipe = hello.recipe\ntext = hello from ${buildout:directory}\n');
    writeFileSync(path.join(site, 'buildout.cfg'), [
      '[buildout]', 'parts = bo dep', '',
      '[bo]', 'recipe = collective.hostout', `host = 127.0.0.1:${server?.port}`, `identity-file = ${server?.clientKeyPath}`,
      'user = root', `path = ${boPath}`, `buildout-cache = ${boCache}`, 'buildout = remote.cfg', 'include = recipe', '',
      // deploy: pinned.cfg empties `develop`, and this zc.buildout cannot build the sdist uploadeggs ships
      // (setuptools too new), so the deployed cfg installs no recipe; pre/post-commands show the order.
      '[dep]', 'recipe = collective.hostout', `host = 127.0.0.1:${server?.port}`, `identity-file = ${server?.clientKeyPath}`,
      'user = root', `path = ${depPath}`, `buildout-cache = ${depCache}`, 'buildout = deploy.cfg',
      'pre-commands = echo "pre $(id -un) $(test -d develop-eggs && echo built || echo unbuilt)" >> deploy.log',
      'post-commands = echo "post $(id -un) $(test -d develop-eggs && echo built || echo unbuilt)" >> deploy.log', '',
    ].join('\n'));
    writeFileSync(path.join(site, 'deploy.cfg'), '[buildout]\nparts =\n');
    // What bootstrap_buildout leaves behind: the directories and a bin/buildout.
    for (const [p, c] of [[boPath, boCache], [depPath, depCache]]) {
      for (const d of [path.join(p, 'bin'), path.join(c, 'downloads', 'dist'), path.join(c, 'downloads', 'extends')]) {
        mkdirSync(d, { recursive: true });
      }
    }
    const shim = [
      '#!/usr/bin/python3',
      "# Debian 12's zc.buildout 2.13.2 predates Python 3.10's removal of collections.MutableMapping.",
      'import collections, collections.abc, sys',
      'collections.MutableMapping = collections.abc.MutableMapping',
      'from zc.buildout.buildout import main',
      'sys.exit(main())', '',
    ].join('\n');
    for (const p of [boPath, depPath]) writeFileSync(path.join(p, 'bin', 'buildout'), shim, { mode: 0o755 });
  });

  test('the cfgs and includes arrive, buildout runs them, and the part is installed', () => {
    const r = hostout(['bo', 'uploadbuildout', 'buildout'], site, { HOME: home });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Installing greeting');
    expect(readFileSync(path.join(boPath, 'remote.cfg'), 'utf8')).toBe(readFileSync(path.join(site, 'remote.cfg'), 'utf8'));
    expect(existsSync(path.join(boPath, 'recipe', 'hello_recipe.py'))).toBe(true);
    expect(readFileSync(path.join(boPath, 'parts', 'greeting', 'greeting.txt'), 'utf8')).toBe(`hello from ${boPath}\n`);
    // The generated cfg really pointed buildout at the cache.
    expect(existsSync(path.join(boCache, 'eggs'))).toBe(true);
  });

  test('deploy: pre-commands (sudo), pinned.cfg, the cfg upload, buildout, then post-commands, in that order', () => {
    const r = hostout(['dep', 'deploy'], site, { HOME: home });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(depPath, 'deploy.log'), 'utf8')).toBe('pre root unbuilt\npost root built\n');
    expect(readFileSync(path.join(depPath, 'pinned.cfg'), 'utf8')).toBe('[buildout]\ndevelop =\nauto-checkout =\n[versions]\n');
    expect(readFileSync(path.join(depPath, 'deploy.cfg'), 'utf8')).toBe('[buildout]\nparts =\n');
    expect(existsSync(path.join(depPath, 'develop-eggs'))).toBe(true); // buildout's own directories: it ran
    const tarballs = execFileSync('ls', [path.join(depCache, 'downloads', 'dist')], { encoding: 'utf8' });
    expect(tarballs).toMatch(/^deploy_.*\.tgz$/m);
  });

  test('deploy on a host that is not bootstrapped: exit 1, names host and the missing bin/buildout', () => {
    rmSync(path.join(depPath, 'bin', 'buildout'));
    const r = hostout(['dep', 'deploy'], site, { HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`hostout: [dep] ${depPath}/bin/buildout does not exist`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
