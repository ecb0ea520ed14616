/**
 * hostout.plone on the recording transport (hostout/testing): what each
 * command runs, on which host, as whom. e2e-supervisor-plone.test.ts runs
 * them against real hosts with a fixture bin/repozo.
 */
import { shellQuote } from 'hostout';
import { loadPluginForTest, type PluginTest } from 'hostout/testing';

const site = { host: 'db.example.com', user: 'root', 'buildout-user': 'plone', path: '/srv/site' };
const B = '[site] remote(plone@db.example.com:22)';
const inDir = (dir: string, cmd: string) => `/bin/bash -l -c ${shellQuote(`cd ${dir} && ${cmd}`)}`;

let t: PluginTest | undefined;
afterEach(async () => { await t?.close(); t = undefined; });

test('fsbackup: mkdir var/backups/DB, then bin/repozo --backup --gzip, as the buildout user in path', async () => {
  t = await loadPluginForTest('hostout.plone', { options: site });
  await t.run('fsbackup');
  expect(t.records).toEqual([
    `${B}: ${inDir('/srv/site', 'mkdir -p var/backups/Data.fs')}`,
    `${B}: ${inDir('/srv/site', 'bin/repozo --backup -f var/filestorage/Data.fs --gzip -r var/backups/Data.fs')}`,
  ]);
  t.clear();
  await t.run('fsbackup', 'catalog.fs', 'var/other');
  expect(t.records[1]).toContain('bin/repozo --backup -f var/other/catalog.fs --gzip -r var/backups/catalog.fs');
});

test.each([
  ['../../etc/passwd', 'var/filestorage', "filestorage '../../etc/passwd' is not a plain file name"],
  ['-x', 'var/filestorage', "filestorage '-x' is not a plain file name"],
  ['Data.fs', '/etc', "filestorage_dir '/etc' must be a directory relative to the buildout directory"],
  ['Data.fs', 'var/../..', "filestorage_dir 'var/../..' must be a directory relative"],
])('fsbackup refuses %p %p before running anything', async (db, dir, message) => {
  t = await loadPluginForTest('hostout.plone', { options: site });
  await expect(t.run('fsbackup', db, dir)).rejects.toThrow(message);
  expect(t.records).toEqual([]);
});

test('fsrestore: stop all, bin/repozo --recover, start all (through hostout.supervisor)', async () => {
  t = await loadPluginForTest('hostout.plone', { options: site, with: ['hostout.supervisor'] });
  await t.run('fsrestore');
  expect(t.records).toEqual([
    `${B}: ${inDir('/srv/site', '/srv/site/bin/supervisorctl stop all')}`,
    `${B}: ${inDir('/srv/site', 'bin/repozo --recover -o var/filestorage/Data.fs -r var/backups/Data.fs')}`,
    `${B}: ${inDir('/srv/site', '/srv/site/bin/supervisorctl start all')}`,
  ]);
});

test('fsrestore without hostout.supervisor says to add it, and runs nothing', async () => {
  t = await loadPluginForTest('hostout.plone', { options: site });
  await expect(t.run('fsrestore')).rejects.toThrow("fsrestore stops and starts site's programs with supervisorctl: add hostout.supervisor to site's extends");
  expect(t.records).toEqual([]);
});

test('fsget: backup remotely, rsync the backups down, bin/repozo --recover locally in the buildout directory', async () => {
  t = await loadPluginForTest('hostout.plone', { options: site });
  const here = t.host.options.buildout_location;
  await t.run('fsget');
  expect(t.records.slice(2, 3)).toEqual([`[site] local: mkdir -p ${here}/var/backups/Data.fs ${here}/var/filestorage`]);
  expect(t.records[3]).toMatch(/^\[site\] rsync: rsync .* plone@db\.example\.com:\/srv\/site\/var\/backups\/Data\.fs\/ .*\/var\/backups\/Data\.fs\/$/);
  expect(t.records[4]).toBe(`[site] local: cd ${here} && bin/repozo --recover -o var/filestorage/Data.fs -r var/backups/Data.fs`);
});

describe('fscopy / blobcopy to another host of the same machine', () => {
  const hosts = { staging: { options: { ...site, path: '/srv/staging', 'buildout-user': 'stage' }, plugins: ['hostout.plone', 'hostout.supervisor'] } };
  const S = '[staging] remote(stage@db.example.com:22)';

  test('fscopy: backup here, stage a private copy, the target takes it, fsrestore runs on the target', async () => {
    t = await loadPluginForTest('hostout.plone', { options: site, hosts, responses: [{ match: 'mktemp', result: { stdout: '/tmp/hostout-copy.AbCd1234\n' } }] });
    await t.run('fscopy', 'staging');
    expect(t.records).toEqual([
      `${B}: ${inDir('/srv/site', 'mkdir -p var/backups/Data.fs')}`,
      `${B}: ${inDir('/srv/site', 'bin/repozo --backup -f var/filestorage/Data.fs --gzip -r var/backups/Data.fs')}`,
      `${B}: ${inDir('/srv/site', 'tmp=$(mktemp -d /tmp/hostout-copy.XXXXXXXX) && cp -R var/backups/Data.fs "$tmp"/ && chmod -R a+rX "$tmp" && echo "$tmp"')}`,
      `${S}: ${inDir('/srv/staging', 'mkdir -p var/backups && rm -rf var/backups/Data.fs && cp -R /tmp/hostout-copy.AbCd1234/Data.fs var/backups/Data.fs')}`,
      `${B}: /bin/bash -l -c 'rm -rf /tmp/hostout-copy.AbCd1234'`,
      `${S}: ${inDir('/srv/staging', '/srv/staging/bin/supervisorctl stop all')}`,
      `${S}: ${inDir('/srv/staging', 'bin/repozo --recover -o var/filestorage/Data.fs -r var/backups/Data.fs')}`,
      `${S}: ${inDir('/srv/staging', '/srv/staging/bin/supervisorctl start all')}`,
    ]);
    expect(t.log).toContain("Hostout: Running command 'fsrestore' from 'hostout.plone'");
  });

  test('blobcopy: stage var/blobstorage, stop the target, replace its blobstorage, start it', async () => {
    t = await loadPluginForTest('hostout.plone', { options: site, hosts, responses: [{ match: 'mktemp', result: { stdout: '/tmp/hostout-copy.X1\n' } }] });
    await t.run('blobcopy', 'staging');
    expect(t.records).toEqual([
      `${B}: ${inDir('/srv/site', 'tmp=$(mktemp -d /tmp/hostout-copy.XXXXXXXX) && cp -R var/blobstorage "$tmp"/ && chmod -R a+rX "$tmp" && echo "$tmp"')}`,
      `${S}: ${inDir('/srv/staging', '/srv/staging/bin/supervisorctl stop all')}`,
      `${S}: ${inDir('/srv/staging', 'mkdir -p var && rm -rf var/blobstorage && cp -R /tmp/hostout-copy.X1/blobstorage var/blobstorage')}`,
      `${B}: /bin/bash -l -c 'rm -rf /tmp/hostout-copy.X1'`,
      `${S}: ${inDir('/srv/staging', '/srv/staging/bin/supervisorctl start all')}`,
    ]);
  });

  test('a target on another machine is refused before anything runs (the original asserted)', async () => {
    t = await loadPluginForTest('hostout.plone', { options: site, hosts: { other: { options: { ...site, host: 'elsewhere.example.com' }, plugins: ['hostout.supervisor'] } } });
    await expect(t.run('fscopy', 'other')).rejects.toThrow("fscopy copies on one machine: 'other' is elsewhere.example.com:22, 'site' is db.example.com:22");
    expect(t.records).toEqual([]);
  });

  test('a missing or unknown target is a usage error', async () => {
    t = await loadPluginForTest('hostout.plone', { options: site, hosts });
    await expect(t.run('blobcopy')).rejects.toThrow('blobcopy needs the TARGET host: hostout site blobcopy TARGET');
    await expect(t.run('blobcopy', 'nosuch')).rejects.toThrow("blobcopy: 'nosuch' is not a host; hosts are: site staging");
  });

  test('a target without hostout.supervisor (or, for fscopy, hostout.plone) is refused before anything runs', async () => {
    t = await loadPluginForTest('hostout.plone', { options: site, hosts: { bare: { options: site }, sv: { options: site, plugins: ['hostout.supervisor'] } } });
    await expect(t.run('blobcopy', 'bare')).rejects.toThrow("add hostout.supervisor to bare's extends");
    await expect(t.run('fscopy', 'sv')).rejects.toThrow("fscopy restores on 'sv' with fsrestore: add hostout.plone to sv's extends");
    await expect(t.run('fscopy', 'bare')).rejects.toThrow("add hostout.plone to bare's extends");
    expect(t.records).toEqual([]);
  });
});
