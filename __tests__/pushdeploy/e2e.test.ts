/**
 * pushdeploy end to end: the real `node bin/hostout.js` process, the real
 * staging buildout (Debian's zc.buildout, offline) on this machine, and a
 * production sshd in its own mount namespace running a real supervisord.
 * Needs root (CI is root); see fixtures/servers and fixtures/site.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { snapshotTree } from '../support/tree-snapshot';
import { shellJoin, shellQuote } from '../../lib/transport/quote';
import { BUILDOUT, DEPLOY, startProductionSshServer, type SshServer } from '../../fixtures/servers';
import {
  ProductionSupervisor, SITE_GROUP, commitGitMessage, commitHgBranch, createRepositories, repoRoot,
  seedProductionData, sha256, writeHostoutConfig, type ProductionData, type SiteRepositories,
} from '../../fixtures/site';
import { writeTrustAndKey } from '../../fixtures/servers/test-home';

jest.setTimeout(180000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `pd-e2e-${id}`;
const hgSite = `pd-e2e-hg-${id}`;
const stagingPath = `/var/buildout/${site}`;
const hgStagingPath = `/var/buildout/${hgSite}`;

let prod: SshServer;
let work: string;
let cfg: string;
let repos: SiteRepositories;
let data: ProductionData;
let supervisor: ProductionSupervisor;
let prodSite: string; // production's copy of the site, as this machine sees it

interface Run { code: number | null; out: string }

/**
 * The hostout launcher another local user can run: this checkout when they can
 * read it, else a copy (CI may keep the checkout under root's private home).
 */
function hostoutFor(user: string): string {
  const readable = spawnSync('su', ['-s', '/bin/sh', user, '-c', `test -r ${shellQuote(HOSTOUT)} && test -r ${shellQuote(path.join(repoRoot(), 'node_modules', 'node-ssh', 'package.json'))}`]);
  if (readable.status === 0) return HOSTOUT;
  const copy = path.join(work, 'hostout-copy');
  if (!fs.existsSync(copy)) {
    for (const part of ['bin', 'dist', 'node_modules', 'package.json']) fs.cpSync(path.join(repoRoot(), part), path.join(copy, part), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', copy]);
  }
  return path.join(copy, 'bin', 'hostout.js');
}

function hostout(args: string[], opts: { as?: string } = {}): Run {
  const argv = ['-c', cfg, ...args];
  const r = opts.as
    ? spawnSync('su', ['-s', '/bin/sh', opts.as, '-c', `cd ${shellQuote(work)} && exec node ${shellJoin([hostoutFor(opts.as), ...argv])}`], { encoding: 'utf8', timeout: 150000 })
    : spawnSync('node', [HOSTOUT, ...argv], { cwd: work, encoding: 'utf8', timeout: 150000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function ok(args: string[], opts: { as?: string } = {}): string {
  const r = hostout(args, opts);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

function ownerOf(file: string): string {
  const uid = fs.statSync(file).uid;
  return fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid))?.split(':')[0] ?? String(uid);
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: ['root', DEPLOY.name] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-e2e-'));
  fs.chmodSync(work, 0o755);
  repos = createRepositories(path.join(work, 'repos'), BUILDOUT.name);
  for (const p of [stagingPath, hgStagingPath]) {
    fs.mkdirSync(p, { recursive: true });
    fs.chownSync(p, uidOf(BUILDOUT.name), uidOf(BUILDOUT.name));
  }
  prodSite = path.join(prod.varBuildout as string, site);
  data = seedProductionData(prodSite, 'zope');
  const { knownHosts, key } = writeTrustAndKey(work, prod);
  const common = {
    host: `127.0.0.1:${prod.port}`,
    'known-hosts-file': knownHosts,
    'buildout-user': BUILDOUT.name,
    'effective-user': 'zope',
    'bootstrap-python': '/usr/bin/python3',
  };
  writeHostoutConfig(path.join(work, 'buildout.cfg'), {
    [site]: {
      ...common, user: 'root', 'identity-file': key, path: stagingPath, hostname: SITE_GROUP,
      restart: `supervisorctl restart ${SITE_GROUP}:*`, 'supervisor-conf': `${stagingPath}/etc/supervisor.d/extra.conf`,
    },
    // The same production site through a non-root login whose sudo asks for a password every time.
    [`${site}-deploy`]: {
      ...common, user: DEPLOY.name, password: DEPLOY.password, 'identity-file': key, path: stagingPath,
      hostname: SITE_GROUP, 'remote-sudo': 'true', restart: `supervisorctl restart ${SITE_GROUP}:*`,
    },
    // Hostout run by the buildout user (no root) with local-sudo.
    [`${site}-localsudo`]: { ...common, user: 'root', 'identity-file': key, path: stagingPath, 'local-sudo': 'yes', restart: 'true' },
    [hgSite]: { ...common, user: 'root', 'identity-file': key, path: hgStagingPath, restart: 'true' },
    'broken-restart': { ...common, user: 'root', 'identity-file': key, path: stagingPath, restart: 'false' },
    'no-restart': { ...common, user: 'root', 'identity-file': key, path: stagingPath },
    // The pushdeploy README's example: no bootstrap-python, no executable.
    'no-python': {
      host: common.host, 'known-hosts-file': knownHosts, user: 'root', 'buildout-user': BUILDOUT.name, 'effective-user': 'zope',
      'identity-file': key, path: stagingPath, restart: 'true',
    },
    'not-checked-out': { ...common, user: 'root', 'identity-file': key, path: `/var/buildout/${site}-missing`, restart: 'true' },
  });
  cfg = path.join(work, 'buildout.cfg');

  supervisor = new ProductionSupervisor(prod.pid, stagingPath, prodSite);
});

afterAll(async () => {
  await supervisor?.stop().catch(() => undefined);
  await prod?.stop();
  for (const p of [stagingPath, hgStagingPath, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

function uidOf(user: string): number {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  return Number(line?.split(':')[2]);
}

describe('pushdeploy on real servers', () => {
  test('checkout clones the git repository as the buildout user', () => {
    ok([site, 'checkout', repos.git]);
    expect(fs.existsSync(path.join(stagingPath, '.git'))).toBe(true);
    expect(ownerOf(path.join(stagingPath, 'buildout.cfg'))).toBe(BUILDOUT.name);
  });

  test('stage pulls production data, updates, bootstraps (retrying without --distribute) and runs the real buildout', () => {
    const out = ok([site, 'stage']);
    expect(out).toMatch(/Trying again/);
    expect(fs.readFileSync(path.join(stagingPath, 'parts/site/site.txt'), 'utf8')).toBe('version 1\n');
    expect(fs.existsSync(path.join(stagingPath, 'bin/site-run'))).toBe(true);
    expect(fs.existsSync(path.join(stagingPath, 'etc/supervisord.conf'))).toBe(true);
    expect(sha256(path.join(stagingPath, 'var/filestorage/Data.fs'))).toBe(data.sums.dataFs);
    expect(sha256(path.join(stagingPath, 'var/blobstorage/0x00/0x01/object.blob'))).toBe(data.sums.blob);
    expect(ownerOf(path.join(stagingPath, 'var/filestorage/Data.fs'))).toBe('zope');
  });

  test('--dry-run deploy asks production, shows the true file delta, prints the plan and changes nothing', () => {
    const before = snapshotTree(prodSite);
    const stagingBefore = snapshotTree(stagingPath);
    const out = ok(['--dry-run', site, 'deploy']);
    expect(out).toMatch(/rsync/);
    expect(out).toContain(`supervisorctl restart`);
    // rsync ran for real with --dry-run against the empty production: everything would be created.
    const delta = /\[[^\]]+\] rsync would create (\d+), update (\d+), delete (\d+) \(([^)]*)\)/.exec(out);
    expect(delta).not.toBeNull();
    expect(Number(delta![1])).toBeGreaterThan(2);
    expect(delta![4]).toMatch(/bin\/ \d+/);
    expect(snapshotTree(prodSite)).toEqual(before);
    expect(snapshotTree(stagingPath)).toEqual(stagingBefore);
  });

  test('push sends bin, parts, etc and new var files, owned by effective-user, never production data', async () => {
    // Staging's copy of the data differs from production's now: push must not send it.
    fs.appendFileSync(path.join(stagingPath, 'var/filestorage/Data.fs'), 'staging-only transaction');
    ok([site, 'push']);
    for (const f of ['bin/site-run', 'parts/site/site.txt', 'etc/supervisord.conf', 'parts/extra.conf']) {
      expect(fs.existsSync(path.join(prodSite, f))).toBe(true);
      expect(ownerOf(path.join(prodSite, f))).toBe('zope');
    }
    expect(sha256(data.dataFs)).toBe(data.sums.dataFs);
    expect(sha256(data.blob)).toBe(data.sums.blob);
    expect(fs.readFileSync(path.join(prodSite, 'var/site-state.txt'), 'utf8')).toBe('production state\n');
    expect(fs.existsSync(path.join(prodSite, 'var/log/staging.log'))).toBe(false);
    await supervisor.start();
  });

  test('deploy runs the restart line on production: supervisor really restarted the site', async () => {
    const before = supervisor.pid(`${SITE_GROUP}:site`);
    expect(before).toBeGreaterThan(0);
    ok([site, 'deploy']);
    const after = supervisor.pid(`${SITE_GROUP}:site`);
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
    expect(sha256(data.dataFs)).toBe(data.sums.dataFs);
  });

  test('a second deploy after a change moves only the change', () => {
    commitGitMessage(repos.git, 'version 2');
    ok([site, 'stage']);
    // The preview names the changed file (and whatever else the new stage touched, e.g.
    // bin/buildout's time), creates and deletes nothing, and changes nothing.
    const prodBefore = snapshotTree(prodSite);
    const preview = ok(['--dry-run', '-v', site, 'deploy']);
    expect(preview).toMatch(/rsync would create 0, update \d+, delete 0 \([^)]*parts\/ 1[^)]*\)/);
    expect(preview).toMatch(/<f\S* parts\/site\/site\.txt/);
    expect(snapshotTree(prodSite)).toEqual(prodBefore);
    const stagingBefore = snapshotTree(stagingPath);
    const stagePreview = hostout(['--dry-run', site, 'stage']);
    expect(stagePreview.code).toBe(0);
    expect(snapshotTree(stagingPath)).toEqual(stagingBefore);
    const inode = (f: string) => fs.statSync(path.join(prodSite, f)).ino;
    const unchanged = inode('bin/site-run');
    const changed = inode('parts/site/site.txt');
    ok([site, 'deploy']);
    expect(fs.readFileSync(path.join(prodSite, 'parts/site/site.txt'), 'utf8')).toBe('version 2\n');
    expect(inode('parts/site/site.txt')).not.toBe(changed);
    expect(inode('bin/site-run')).toBe(unchanged);
    expect(sha256(data.dataFs)).toBe(data.sums.dataFs);
  });

  test('stop, start and restart drive the supervisor group on production', () => {
    // No `Return value:` line: these commands return nothing (they leaked supervisorctl's raw result once).
    expect(ok([site, 'stop'])).not.toContain('Return value');
    expect(supervisor.ctl('status', `${SITE_GROUP}:site`).out).toMatch(/STOPPED/);
    expect(ok([site, 'start'])).not.toContain('Return value');
    expect(supervisor.ctl('status', `${SITE_GROUP}:site`).out).toMatch(/RUNNING/);
    const before = supervisor.pid(`${SITE_GROUP}:site`);
    expect(ok([site, 'restart'])).not.toContain('Return value');
    expect(supervisor.pid(`${SITE_GROUP}:site`)).not.toBe(before);
  });

  test('deploy_supervisor installs the program file on production and supervisor starts it', async () => {
    ok([site, 'deploy_supervisor']);
    await supervisor.waitFor(() => supervisor.pid('extra') > 0, 'the extra program');
    expect(fs.existsSync(path.join(prodSite, 'etc/supervisor.d/extra.conf'))).toBe(true);
  });

  test('remote-sudo through a non-root login whose sudo needs a password (never shown)', () => {
    const before = supervisor.pid(`${SITE_GROUP}:site`);
    const out = ok([`${site}-deploy`, 'deploy']);
    expect(out).not.toContain(DEPLOY.password);
    expect(supervisor.pid(`${SITE_GROUP}:site`)).not.toBe(before);
    expect(ownerOf(path.join(prodSite, 'bin/site-run'))).toBe('zope');
  });

  test('local-sudo when hostout runs as a non-root user', () => {
    const out = ok([`${site}-localsudo`, 'buildout', '-o'], { as: BUILDOUT.name });
    expect(out).not.toMatch(/error/i);
    expect(ownerOf(path.join(stagingPath, 'var/filestorage/Data.fs'))).toBe('zope');
  });

  test('Mercurial: checkout and update to a branch', () => {
    ok([hgSite, 'checkout', repos.hg]);
    expect(fs.existsSync(path.join(hgStagingPath, '.hg'))).toBe(true);
    commitHgBranch(repos.hg, 'stable', 'version stable');
    ok([hgSite, 'update', 'stable']);
    expect(fs.readFileSync(path.join(hgStagingPath, 'buildout.cfg'), 'utf8')).toMatch(/^message = version stable$/m);
  });

  describe('errors', () => {
    test('a failing restart line names host, command and exit status; exit 1', () => {
      const r = hostout(['broken-restart', 'deploy']);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/broken-restart/);
      expect(r.out).toMatch(/false/);
      expect(r.out).toMatch(/exit status 1/);
      expect(r.out).not.toMatch(/^\s+at /m);
    });
    test('deploy without restart: a clear message, exit 2, production untouched', () => {
      const before = snapshotTree(prodSite);
      const r = hostout(['no-restart', 'deploy']);
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/'restart' is empty or missing/);
      expect(snapshotTree(prodSite)).toEqual(before);
    });
    test("bootstrap without bootstrap-python or executable: the staging buildout's Python, as the README says", () => {
      fs.rmSync(path.join(stagingPath, 'bin', 'buildout'));
      const out = ok(['no-python', 'bootstrap']);
      expect(out).toContain('/usr/bin/python3 bootstrap.py --distribute');
      expect(fs.existsSync(path.join(stagingPath, 'bin', 'buildout'))).toBe(true);
      expect(ownerOf(path.join(stagingPath, 'bin', 'buildout'))).toBe(BUILDOUT.name);
    });
    test('update and push before a checkout', () => {
      const u = hostout(['not-checked-out', 'update']);
      expect(u.code).toBe(2);
      expect(u.out).toMatch(/is not a git or Mercurial checkout/);
      const p = hostout(['not-checked-out', 'push']);
      expect(p.code).toBe(2);
      expect(p.out).toMatch(/does not exist: check it out first/);
    });
  });
});
