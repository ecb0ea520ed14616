/**
 * hostout.overridedeploy on the recording transport (hostout/testing).
 * e2e-overridedeploy.test.ts runs a real deploy with it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPluginForTest, type PluginTest } from 'hostout/testing';

const options = { host: 'www.example.com', user: 'root', 'buildout-user': 'plone', path: '/srv/site', develop: 'src/my.egg' };
let t: PluginTest | undefined;
let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'overridedeploy-')); });
afterEach(async () => { await t?.close(); t = undefined; rmSync(dir, { recursive: true, force: true }); });

test('deploy runs the five steps through dispatch; uploadeggs only writes pinned.cfg (no egg is built or uploaded)', async () => {
  writeFileSync(path.join(dir, 'buildout.cfg'), '[buildout]\nparts =\n');
  t = await loadPluginForTest('hostout.overridedeploy', { options, buildoutDirectory: dir, exists: (p: string) => p === '/srv/site/bin/buildout' });
  await t.run('deploy');
  expect(t.log.filter((l) => l.startsWith('Hostout: Running'))).toEqual([
    "Hostout: Running command 'deploy' from 'hostout.overridedeploy'",
    "Hostout: Running command 'predeploy' from 'hostout.overridedeploy'",
    "Hostout: Running command 'predeploy' from 'collective.hostout'",
    "Hostout: Running command 'precommands' from 'collective.hostout'",
    "Hostout: Running command 'uploadeggs' from 'hostout.overridedeploy'",
    "Hostout: Running command 'uploadbuildout' from 'collective.hostout'",
    "Hostout: Running command 'buildout' from 'collective.hostout'",
    "Hostout: Running command 'postdeploy' from 'collective.hostout'",
  ]);
  expect(t.records).toContain("[site] remote(plone@www.example.com:22): /bin/bash -l -c 'cd /srv/site && printf '\\''%s'\\'' '\\''[buildout]\ndevelop=\n[versions]\n'\\'' > pinned.cfg'");
  expect(t.records.some((r) => r.includes('setup.py'))).toBe(false);
  // predeploy emptied the local versions file, in the buildout directory.
  expect(readFileSync(path.join(dir, 'hostoutversions.cfg'), 'utf8')).toBe('[versions]\n');
});

test('predeploy writes the versionsfile option relative to the buildout directory, then hands over to the usual predeploy', async () => {
  writeFileSync(path.join(dir, 'pins.cfg'), '[versions]\nfoo = 1.0\n');
  t = await loadPluginForTest('hostout.overridedeploy', { options: { ...options, versionsfile: 'pins.cfg' }, buildoutDirectory: dir, exists: true });
  await t.run('predeploy');
  expect(readFileSync(path.join(dir, 'pins.cfg'), 'utf8')).toBe('[versions]\n');
  expect(t.log).toContain("Hostout: Running command 'predeploy' from 'collective.hostout'");
});

test('under --dry-run predeploy says what it would write and leaves the file alone', async () => {
  t = await loadPluginForTest('hostout.overridedeploy', { options, buildoutDirectory: dir, exists: true, dryRun: true });
  await t.run('predeploy');
  expect(existsSync(path.join(dir, 'hostoutversions.cfg'))).toBe(false);
  expect(t.log).toContain(`would write "[versions]\\n" to ${path.join(dir, 'hostoutversions.cfg')}`);
});
