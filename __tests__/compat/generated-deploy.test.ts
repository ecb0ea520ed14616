/**
 * An existing collective.hostout setup, unchanged: the real `hostout` process
 * runs the whole core `deploy` chain from the parts/hostout/hostout.cfg the
 * Python recipe generated, on a real sshd (127.0.0.1, random port), with this
 * machine's real zc.buildout 2.13.2 on the "remote" side, offline.
 *
 * The buildout directory is the file's `[buildout] location`, not
 * parts/hostout: the develop egg is released from there, production.cfg is
 * shipped from there, the recipe's hostoutversions.cfg is used, and
 * pre/post-commands written with the local path run in the remote path.
 *
 * The develop egg is the recipe of the deployed part, so the remote buildout
 * has to install the released egg; when its code changes between two deploys
 * (same version number), the new release arrives and is installed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILDOUT, startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { snapshotTree } from '../support/tree-snapshot';
import { REMOTE_BUILDOUT_SHIM, recipeHostSection, writeDevelopEgg, writeGeneratedHostoutConfig } from '../../fixtures/compat';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

jest.setTimeout(180_000);

let server: SshServer | undefined;
let home: string;
let site: string; // the local buildout directory ([buildout] location)
let remoteRoot: string;
let remotePath: string;
let remoteCache: string;

const uidOf = (name: string): number => Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
const gidOf = (name: string): number => Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
const CFG = path.join('parts', 'hostout', 'hostout.cfg');

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root', BUILDOUT.name] });
  home = makeHomeTrusting('hostout-compat-home-', server);

  site = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-site-'));
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-remote-'));
  chmodSync(remoteRoot, 0o755);
  remotePath = path.join(remoteRoot, 'prod');
  remoteCache = path.join(remoteRoot, 'buildout-cache');
  // What bootstrap leaves: the directories, owned by the buildout user, and a bin/buildout.
  for (const d of [path.join(remotePath, 'bin'), path.join(remoteCache, 'eggs'), path.join(remoteCache, 'downloads', 'dist'), path.join(remoteCache, 'downloads', 'extends')]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(path.join(remotePath, 'bin', 'buildout'), REMOTE_BUILDOUT_SHIM, { mode: 0o755 });
  execFileSync('chown', ['-R', `${BUILDOUT.name}:${gidOf(BUILDOUT.name)}`, remotePath, remoteCache]);

  // The local buildout, as it was when the Python recipe ran there.
  writeFileSync(path.join(site, 'buildout.cfg'), '[buildout]\ndevelop = src/my.package\nparts = prod\n\n[prod]\nrecipe = collective.hostout\n');
  writeFileSync(path.join(site, 'production.cfg'), [
    '[buildout]', 'extends = buildout.cfg', 'parts = greeting', 'versions = versions', '',
    '[greeting]', 'recipe = my.package', '',
  ].join('\n'));
  writeDevelopEgg(site, 'first');
  // The recipe's versions file: it pinned the develop egg (and a name it merely starts with) too.
  writeFileSync(path.join(site, 'hostoutversions.cfg'), '[versions]\nmy.package = 0.9\nmy.package.extras = 3.0\nzc.buildout = 2.13.2\n\n# Required by:\n# collective.hostout\n');
  writeGeneratedHostoutConfig(site, [
    ['prod', recipeHostSection('prod', site, {
      host: `127.0.0.1:${server.port}`,
      user: 'root',
      'identity-file': server.clientKeyPath,
      'buildout-user': BUILDOUT.name,
      'effective-user': BUILDOUT.name,
      path: remotePath,
      'buildout-cache': remoteCache,
      // Written with the local path, as people did; they must run in the remote one.
      'pre-commands': `echo "pre $(id -un)" > ${site}/pre.log`,
      'post-commands': `cat ${site}/parts/greeting/installed.txt > ${site}/post.log\nchown ${BUILDOUT.name} ${site}/post.log`,
      'python-version': '3.11.2.final.0',
      executable: '/usr/bin/python3',
    })],
  ], ['src/my.package']);
  // Nothing but the generated file and what it points at: no buildout.cfg is read.
  rmSync(path.join(site, 'buildout.cfg'));
  writeFileSync(path.join(site, 'production.cfg'), readFileSync(path.join(site, 'production.cfg'), 'utf8').replace('extends = buildout.cfg\n', 'develop = src/my.package\n'));
}, 240_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [site, home, remoteRoot, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

const deploy = () => hostout(['-c', CFG, 'prod', 'deploy'], site, { HOME: home });
const distFiles = () => readdirSync(path.join(remoteCache, 'downloads', 'dist')).sort();

describe('deploy from a generated parts/hostout/hostout.cfg', () => {
  test('the whole chain: pre-commands, the develop egg released and installed by the remote buildout, post-commands', () => {
    const r = deploy();
    expect(r.stderr).not.toMatch(/\n\s+at /);
    if (r.code !== 0) throw new Error(`deploy exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    // pre- and post-commands ran in the remote path (the local path was rewritten), pre before the buildout, post after.
    expect(readFileSync(path.join(remotePath, 'pre.log'), 'utf8')).toBe('pre root\n');
    expect(readFileSync(path.join(remotePath, 'post.log'), 'utf8')).toBe('my.package first\n');
    expect(existsSync(path.join(site, 'pre.log'))).toBe(false);
    // The shipped cfg came from [buildout] location, not parts/hostout.
    expect(readFileSync(path.join(remotePath, 'production.cfg'), 'utf8')).toBe(readFileSync(path.join(site, 'production.cfg'), 'utf8'));
    // The develop egg's release: a content-hash version, pinned, installed into the egg cache.
    const pinned = readFileSync(path.join(remotePath, 'pinned.cfg'), 'utf8');
    const version = /^my\.package = (1\.0\+h[0-9a-f]{12})$/m.exec(pinned)?.[1];
    expect(version).toBeDefined();
    expect(distFiles()).toEqual(expect.arrayContaining([`my.package-${version}.zip`, expect.stringMatching(new RegExp(`^my\\.package-${version!.replace(/[.+]/g, '\\$&')}-py3\\.\\d+\\.egg$`))]));
    expect(readdirSync(path.join(remoteCache, 'eggs')).some((e) => e.startsWith(`my.package-${version}-`))).toBe(true);
    expect(readFileSync(path.join(remotePath, 'parts', 'greeting', 'installed.txt'), 'utf8')).toBe('my.package first\n');
    // The recipe's versions file is used, without the develop egg's own pin (and only that one).
    const generated = readdirSync(remotePath).find((f) => /^prod-[0-9a-f]{12}\.cfg$/.test(f))!;
    const text = readFileSync(path.join(remotePath, generated), 'utf8');
    expect(text).toContain('extends = production.cfg pinned.cfg\n');
    expect(text).toContain('zc.buildout = 2.13.2\n');
    expect(text).toContain('my.package.extras = 3.0\n');
    expect(text).not.toMatch(/^my\.package = 0\.9$/m);
    // Owned by the buildout user: it ran as that user.
    expect(statSync(path.join(remotePath, 'parts', 'greeting', 'installed.txt')).uid).toBe(uidOf(BUILDOUT.name));
  });

  test('a develop egg whose code changed (same version number) is released again and the remote buildout installs the new one', () => {
    const before = distFiles();
    writeDevelopEgg(site, 'second');
    const r = deploy();
    if (r.code !== 0) throw new Error(`deploy exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    const added = distFiles().filter((f) => !before.includes(f));
    expect(added.filter((f) => f.endsWith('.zip'))).toHaveLength(1);
    expect(readFileSync(path.join(remotePath, 'parts', 'greeting', 'installed.txt'), 'utf8')).toBe('my.package second\n');
    expect(readFileSync(path.join(remotePath, 'post.log'), 'utf8')).toBe('my.package second\n');
  });

  test('an unchanged develop egg is not uploaded again', () => {
    const before = distFiles();
    const r = deploy();
    expect(r.code).toBe(0);
    expect(distFiles().filter((f) => f.startsWith('my.package-'))).toEqual(before.filter((f) => f.startsWith('my.package-')));
    expect(r.stdout).not.toMatch(/put\b.*my\.package-/);
  });

  test('deploy --dry-run against the bootstrapped host, after a code change: the whole plan, in the original\'s order, nothing changed', () => {
    writeDevelopEgg(site, 'third');
    const remoteBefore = snapshotTree(remoteRoot);
    const r = hostout(['-c', CFG, 'prod', 'deploy', '--dry-run'], site, { HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const running = r.stdout.split('\n').filter((l) => l.startsWith('Hostout: Running')).map((l) => /'(\w+)'/.exec(l)![1]);
    expect(running).toEqual(['deploy', 'predeploy', 'precommands', 'uploadeggs', 'uploadbuildout', 'buildout', 'postdeploy']);
    const order = [
      `echo "pre $(id -un)" > ${remotePath}/pre.log`, // pre-command, path rewritten
      'sdist --formats=zip', // the develop egg released locally
      `ls -1 ${remoteCache}/downloads/dist`,
      '\nmy.package = ', // pinned.cfg
      'tar -p -xzf',
      'bin/buildout -c prod-',
      `cat ${remotePath}/parts/greeting/installed.txt > ${remotePath}/post.log`, // post-command, path rewritten
    ].map((needle) => r.stdout.indexOf(needle));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(snapshotTree(remoteRoot)).toEqual(remoteBefore);
  });
});

describe('hostout --install-script where only parts/hostout/hostout.cfg exists', () => {
  test('the launcher bakes in the generated file, as the recipe\'s bin/hostout did, and runs commands from anywhere', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'hostout-compat-script-'));
    try {
      cpSync(path.join(site, 'parts'), path.join(copy, 'parts'), { recursive: true });
      const r = hostout(['--install-script'], copy);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const script = path.join(copy, 'bin', 'hostout');
      expect(readFileSync(script, 'utf8')).toContain(`-c ${path.join(copy, 'parts', 'hostout', 'hostout.cfg')} `);
      const listed = execFileSync(script, [], { cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, HOME: EMPTY_HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
      expect(listed).toBe('');
      const run = execFileSync(script, ['prod', 'run', 'id', '-un'], { cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, HOME: home, CI: 'true' } });
      expect(run).toContain(BUILDOUT.name);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
