/**
 * hostout.overridedeploy end to end: the real `hostout` process deploys to a
 * real sshd (this machine, 127.0.0.1) with the real zc.buildout, from a
 * buildout.cfg with `extends = hostout.overridedeploy`. The buildout has a
 * develop egg that cannot be released: the core uploadeggs would fail on it,
 * overridedeploy's uploadeggs only writes a pinned.cfg that turns develop off.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

jest.setTimeout(180000);

let server: SshServer | undefined;
let site: string;
let home: string;
let remoteRoot: string;
let depPath: string;
let depCache: string;

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = makeHomeTrusting('overridedeploy-home-', server);
  site = mkdtempSync(path.join(os.tmpdir(), 'overridedeploy-site-'));
  remoteRoot = mkdtempSync(path.join(os.tmpdir(), 'overridedeploy-remote-'));
  depPath = path.join(remoteRoot, 'dep');
  depCache = path.join(remoteRoot, 'dep-cache');
  writeFileSync(path.join(site, 'buildout.cfg'), [
    '[buildout]', 'parts = dep', 'develop = src/not-releasable', '',
    '[dep]', 'recipe = collective.hostout', 'extends = hostout.overridedeploy',
    `host = 127.0.0.1:${server.port}`, `identity-file = ${server.clientKeyPath}`, 'user = root',
    `path = ${depPath}`, `buildout-cache = ${depCache}`, 'buildout = deploy.cfg',
    'post-commands = echo "post $(test -d develop-eggs && echo built || echo unbuilt)" >> deploy.log', '',
  ].join('\n'));
  writeFileSync(path.join(site, 'deploy.cfg'), '[buildout]\nparts =\n');
  // Pins a previous release left: overridedeploy's predeploy drops them.
  writeFileSync(path.join(site, 'hostoutversions.cfg'), '[versions]\nmy.egg = 1.0\n');
  for (const d of [path.join(depPath, 'bin'), path.join(depCache, 'downloads', 'dist'), path.join(depCache, 'downloads', 'extends')]) {
    mkdirSync(d, { recursive: true });
  }
  // What bootstrap_buildout leaves behind: a bin/buildout (Debian's zc.buildout, patched for Python 3.10+).
  writeFileSync(path.join(depPath, 'bin', 'buildout'), [
    '#!/usr/bin/python3',
    'import collections, collections.abc, sys',
    'collections.MutableMapping = collections.abc.MutableMapping',
    'from zc.buildout.buildout import main',
    'sys.exit(main())', '',
  ].join('\n'), { mode: 0o755 });
}, 240_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [site, home, remoteRoot, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

test('deploy: predeploy empties the local versions file, uploadeggs writes only pinned.cfg, the buildout runs, postdeploy follows', () => {
  const r = hostout(['dep', 'deploy'], site, { HOME: home });
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Hostout: Running command 'deploy' from 'hostout.overridedeploy'");
  expect(r.stdout).toContain("Hostout: Running command 'uploadeggs' from 'hostout.overridedeploy'");
  expect(readFileSync(path.join(site, 'hostoutversions.cfg'), 'utf8')).toBe('[versions]\n');
  expect(readFileSync(path.join(depPath, 'pinned.cfg'), 'utf8')).toBe('[buildout]\ndevelop=\n[versions]\n');
  expect(readFileSync(path.join(depPath, 'deploy.log'), 'utf8')).toBe('post built\n');
  // No egg was released or uploaded: only the deploy tarball of the cfgs is in the cache.
  expect(readdirSync(path.join(depCache, 'downloads', 'dist'))).toEqual([expect.stringMatching(/^deploy_.*\.tgz$/)]);
  expect(existsSync(path.join(site, 'dist', 'not-releasable'))).toBe(false);
  // The generated cfg carries the emptied versions, not the old pin.
  const cfgs = execFileSync('ls', [depPath], { encoding: 'utf8' }).split('\n').filter((f) => /^dep-.*\.cfg$/.test(f));
  expect(cfgs).toHaveLength(1);
  expect(readFileSync(path.join(depPath, cfgs[0]), 'utf8')).not.toContain('my.egg');
});
