/**
 * Releases, flip, lock, rollback, health check and recovery on the real
 * servers: the real `node bin/hostout.js` process against a production sshd in
 * its own mount namespace (fixtures/servers), /var/buildout on a tmpfs there.
 * The staging trees are written by the test (no buildout run: push reads the
 * staging buildout.cfg with hostout's own engine), so each deploy is fast and
 * every file's content says which version it belongs to.
 * Needs root (CI is root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { inProduction, repoRoot, sha256, writeHostoutConfig } from '../../fixtures/site';
import { writeTrustAndKey } from '../../fixtures/servers/test-home';
import { liveRelease } from '../support/live-release';

jest.setTimeout(600000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(3).toString('hex');
const TREES = ['bin', 'eggs', 'parts', 'etc'] as const;
/** mtime of a version's files: VERSION_EPOCH + 10 s per version. */
const VERSION_EPOCH = 1_700_000_000;

let prod: SshServer;
let work: string;
let cfg: string;
const sites: Record<string, Record<string, string>> = {};
const stagingPaths: string[] = [];

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string; ms: number }

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const t0 = Date.now();
  const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, ms: Date.now() - t0 })));
  return { child, done };
}

async function hostout(...args: string[]): Promise<Run> {
  return start(args).done;
}

async function ok(...args: string[]): Promise<Run> {
  const r = await hostout(...args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r;
}

/** A site: its staging path on this machine, the same path on production, and its part in the configuration. */
function defineSite(name: string, options: Record<string, string> = {}): { name: string; staging: string; prod: string } {
  const p = `/var/buildout/${name}-${id}`;
  sites[name] = { path: p, restart: `echo restarted > ${p}/var/restarted`, ...options };
  stagingPaths.push(p);
  return { name, staging: p, prod: '' };
}

function prodPath(site: { staging: string }): string {
  return path.join(prod.varBuildout as string, path.basename(site.staging));
}

/**
 * Staging's trees for `version`: markers in each tree, `files` numbered files
 * of which every `changeEvery`-th says the version (the rest stay the same
 * from version to version), and a file only this version has.
 */
function expectedTree(version: number, files: number, changeEvery: number): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of TREES) m.set(`${t}/marker`, `version ${version}\n`);
  for (let i = 0; i < files; i++) {
    const top = i % 20 === 0 ? 'bin' : i % 4 === 0 ? 'parts' : i % 7 === 0 ? 'etc' : 'eggs';
    const v = i % changeEvery === 0 ? version : 0;
    m.set(`${top}/pkg${Math.floor(i / 100)}/f${i}.py`, `# file ${i} of version ${v}\n${'x'.repeat(200 + (i % 700))}\n`);
  }
  m.set(`eggs/only-v${version}.txt`, `only in version ${version}\n`);
  return m;
}

/** Like a buildout run: files whose content did not change keep their mtime; files the version has not are removed. */
function writeStaging(site: { staging: string }, version: number, files = 200, changeEvery = 1): void {
  const dir = site.staging;
  fs.mkdirSync(path.join(dir, 'var', 'filestorage'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'buildout.cfg'), '[buildout]\nparts =\n');
  const want = expectedTree(version, files, changeEvery);
  const prune = (rel: string) => {
    const abs = path.join(dir, rel);
    if (!fs.existsSync(abs)) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) prune(r);
      else if (!want.has(r)) fs.rmSync(path.join(dir, r));
    }
  };
  for (const t of TREES) prune(t);
  for (const [rel, content] of want) {
    const f = path.join(dir, rel);
    if (fs.existsSync(f) && fs.readFileSync(f, 'utf8') === content) continue;
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
    // Versions differ in content, not in size: give each its own mtime, so rsync's quick check (size and mtime) tells them apart.
    fs.utimesSync(f, VERSION_EPOCH + version * 10, VERSION_EPOCH + version * 10);
  }
  // Staging's data must never reach production; a new var file must.
  fs.writeFileSync(path.join(dir, 'var', 'filestorage', 'Data.fs'), `staging data ${version}`);
  fs.writeFileSync(path.join(dir, 'var', `new-in-${version}.txt`), 'new\n');
}

/** path → content of production's release trees. */
function liveTree(site: { staging: string }): Map<string, string> {
  const root = prodPath(site);
  const m = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else m.set(r, fs.readFileSync(path.join(root, r), 'utf8'));
    }
  };
  for (const t of TREES) if (fs.existsSync(path.join(root, t))) walk(t);
  return m;
}

/** Which of `versions` production's trees are, exactly (every file, nothing more, nothing less); throws naming the mix otherwise. */
function liveVersion(site: { staging: string }, versions: number[], files: number, changeEvery: number): number {
  const live = liveTree(site);
  for (const v of versions) {
    const want = expectedTree(v, files, changeEvery);
    if (want.size === live.size && [...want].every(([k, c]) => live.get(k) === c)) return v;
  }
  const counts: Record<string, number> = {};
  for (const [, c] of live) {
    const m = /version (\d+)/.exec(c);
    counts[m ? m[1] : '?'] = (counts[m ? m[1] : '?'] ?? 0) + 1;
  }
  throw new Error(`production is not one release of ${versions.join('/')}: ${live.size} files, versions ${JSON.stringify(counts)}`);
}

function readReleases(site: { staging: string }): { current: string; ids: string[] } {
  const h = path.join(prodPath(site), '.hostout');
  // A link to releases/<ID> (a file naming the id before the first switch by a link).
  const current = liveRelease(h);
  const ids = fs.existsSync(path.join(h, 'releases')) ? fs.readdirSync(path.join(h, 'releases')).sort() : [];
  return { current, ids };
}

/** The per-connection sshd processes of production (children of the listener): killing them drops hostout's connection. */
function connectionPids(): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === prod.pid) pids.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  prod = await startProductionSshServer({ varBuildoutOnTmpfs: true, authorizeClientKeyFor: ['root', 'zope'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-rel-'));
  fs.chmodSync(work, 0o755);
  const { knownHosts, key } = writeTrustAndKey(work, prod);
  for (const part of Object.values(sites)) {
    Object.assign(part, { host: `127.0.0.1:${prod.port}`, user: 'root', 'identity-file': key, 'known-hosts-file': knownHosts, 'buildout-user': 'root', 'effective-user': 'zope', ...part });
  }
  // A port nobody listens on (sshd's own port is taken, so ask the kernel for a fresh one and close it).
  const free = await new Promise<number>((resolve) => { const srv = net.createServer().listen(0, '127.0.0.1', () => { const a = srv.address() as { port: number }; srv.close(() => resolve(a.port)); }); });
  sites[unreachable.name].host = `127.0.0.1:${free}`;
  cfg = path.join(work, 'buildout.cfg');
  writeHostoutConfig(cfg, sites);
});

afterAll(async () => {
  await prod?.stop();
  for (const p of [...stagingPaths, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

// ---- the sites (defined before beforeAll writes the configuration) ----
const adopt = defineSite('rel-adopt');
const cycle = defineSite('rel-cycle', { healthcheck: 'test -f parts/marker', 'keep-releases': '3' });
const health = defineSite('rel-health', { healthcheck: 'grep -q healthy parts/health.txt', 'healthcheck-timeout': '2' });
const broken = defineSite('rel-broken');
const locked = defineSite('rel-lock');
const crash = defineSite('rel-crash');
const full = defineSite('rel-full');
sites[broken.name].restart = `test ! -f ${broken.staging}/parts/break-restart`;
const denied = defineSite('rel-denied', { user: 'zope' });
const unreachable = defineSite('rel-unreachable');
const modes = defineSite('rel-modes');
const linkDest = defineSite('rel-linkdest');
const commitGit = defineSite('rel-git');
const commitHg = defineSite('rel-hg');
const reader = defineSite('rel-reader', { restart: 'true' });
const incomplete = defineSite('rel-incomplete');
const immutable = defineSite('rel-immutable');
const aon = [1, 2].map((n) => defineSite(`rel-aon${n}`, { healthcheck: 'grep -q healthy parts/health.txt', 'healthcheck-timeout': '2' }));

describe('releases on real servers', () => {
  test('the first push adopts a production deployed by the original; files removed on staging are gone; var stays production\'s', async () => {
    const p = prodPath(adopt);
    // What hostout.pushdeploy 1.0 left: live trees, no .hostout, production data.
    for (const [rel, c] of expectedTree(1, 50, 1)) {
      fs.mkdirSync(path.dirname(path.join(p, rel)), { recursive: true });
      fs.writeFileSync(path.join(p, rel), c);
      fs.utimesSync(path.join(p, rel), VERSION_EPOCH + 10, VERSION_EPOCH + 10);
    }
    fs.writeFileSync(path.join(p, 'eggs', 'left-over-from-an-old-build.txt'), 'old\n');
    fs.mkdirSync(path.join(p, 'var', 'filestorage'), { recursive: true });
    fs.writeFileSync(path.join(p, 'var', 'filestorage', 'Data.fs'), 'production data');
    fs.writeFileSync(path.join(p, 'var', 'new-in-2.txt'), 'production\'s own\n');
    const dataSum = sha256(path.join(p, 'var', 'filestorage', 'Data.fs'));
    writeStaging(adopt, 2, 50);
    const r = await ok(adopt.name, 'push');
    expect(r.out).toMatch(/adopting the trees deployed before hostout kept releases \(bin, eggs, parts, etc\) as release \d{8}T\d{6}Z-adopted/);
    expect(liveVersion(adopt, [2], 50, 1)).toBe(2);
    expect(fs.existsSync(path.join(p, 'eggs', 'left-over-from-an-old-build.txt'))).toBe(false);
    expect(sha256(path.join(p, 'var', 'filestorage', 'Data.fs'))).toBe(dataSum);
    expect(fs.readFileSync(path.join(p, 'var', 'new-in-2.txt'), 'utf8')).toBe('production\'s own\n');
    const { current, ids } = readReleases(adopt);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/-adopted$/);
    expect(current).toBe(ids[1]);
    // The adopted release keeps what production had, the left-over file included, and can be rolled back to.
    const back = await ok(adopt.name, 'rollback');
    expect(back.out).toMatch(/no 'restart' lines|restarted|rollback/);
    expect(fs.readFileSync(path.join(p, 'eggs', 'left-over-from-an-old-build.txt'), 'utf8')).toBe('old\n');
    expect(readReleases(adopt).current).toBe(ids[0]);
  });

  test('deploy, releases, rollback (seconds, restart lines run), rollback ID, keep-releases; disk cost of a release is what changed', async () => {
    const files = 2000;
    const p = prodPath(cycle);
    writeStaging(cycle, 1, files, 100);
    await ok(cycle.name, 'deploy');
    writeStaging(cycle, 2, files, 100);
    const dep = await ok(cycle.name, 'deploy');
    expect(dep.out).toMatch(/health check passed/);
    expect(dep.out).toMatch(/release \d{8}T\d{6}Z(-\d+)? is live \(flip [\d.]+ ms on production/);
    expect(liveVersion(cycle, [2], files, 100)).toBe(2);
    // Disk cost: only the changed 1% (and the markers) are new inodes; the rest are the very inodes of release 1 (hard links).
    let shared = 0;
    let own = 0;
    let changedBytes = 0;
    const release1 = readReleases(cycle).ids[0];
    for (const [rel, content] of expectedTree(2, files, 100)) {
      const st = fs.statSync(path.join(p, rel));
      const there = path.join(p, '.hostout', 'releases', release1, rel);
      if (fs.existsSync(there) && fs.statSync(there).ino === st.ino) shared += st.size;
      else own += st.size;
      if (/version 2/.test(content) || rel.includes('only-v2')) changedBytes += Buffer.byteLength(content);
    }
    console.log(`disk cost of release 2: ${own} bytes of its own (the changed files: ${changedBytes} bytes), ${shared} bytes shared with release 1 by hard links`);
    expect(own).toBe(changedBytes);
    expect(shared).toBeGreaterThan(own * 50);

    const list = await ok(cycle.name, 'releases');
    const rows = list.out.split('\n').filter((l) => /^[ *] \d{8}T/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^\* .*\(live\)$/);
    expect(rows[0]).toMatch(/by root \(deploy\)/);

    fs.rmSync(path.join(p, 'var', 'restarted'), { force: true });
    const back = await ok(cycle.name, 'rollback');
    console.log(`rollback took ${back.ms} ms (hostout start to exit)`);
    // Wall time of a whole hostout run on a shared 2-core machine; bench/deploy measures rollback on a quiet one.
    expect(back.ms).toBeLessThan(20000);
    expect(liveVersion(cycle, [1], files, 100)).toBe(1);
    expect(fs.readFileSync(path.join(p, 'var', 'restarted'), 'utf8')).toBe('restarted\n');
    const [first, second] = readReleases(cycle).ids;
    await ok(cycle.name, 'rollback', second);
    expect(liveVersion(cycle, [2], files, 100)).toBe(2);
    const bad = await hostout(cycle.name, 'rollback', '../../etc');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/is not a release id/);

    // keep-releases = 3: after two more deploys the oldest is pruned, never the live one.
    for (const v of [3, 4]) {
      writeStaging(cycle, v, files, 100);
      await ok(cycle.name, 'deploy');
    }
    const after = readReleases(cycle);
    expect(after.ids).toHaveLength(3);
    expect(after.ids).not.toContain(first);
    expect(after.current).toBe(after.ids[2]);
    expect(liveVersion(cycle, [4], files, 100)).toBe(4);
  });

  test('a file whose mode alone changes (same size and time) gets an inode of its own: the live and earlier releases keep their mode until the flip', async () => {
    const p = prodPath(modes);
    writeStaging(modes, 1, 60);
    const first = await ok(modes.name, 'push');
    expect(first.out).toMatch(/by cp -al/);
    const script = 'bin/pkg0/f0.py';
    const same = 'eggs/pkg0/f1.py';
    fs.chmodSync(path.join(modes.staging, script), 0o755);
    const before = fs.statSync(path.join(p, script));
    expect(before.mode & 0o777).toBe(0o644);
    const r = await ok(modes.name, 'push');
    expect(r.out).toMatch(/by cp -al; 1 file\(s\) whose attributes change copied first/);
    const { current, ids } = readReleases(modes);
    const previous = ids.filter((i) => i !== current).pop() as string;
    const old = fs.statSync(path.join(p, '.hostout', 'releases', previous, script));
    const now = fs.statSync(path.join(p, script));
    expect(now.mode & 0o777).toBe(0o755);
    expect(old.mode & 0o777).toBe(0o644);
    expect(old.ino).toBe(before.ino);
    expect(now.ino).not.toBe(old.ino);
    // Everything else is still shared between the two releases.
    expect(fs.statSync(path.join(p, same)).ino).toBe(fs.statSync(path.join(p, '.hostout', 'releases', previous, same)).ino);
    expect(liveVersion(modes, [1], 60, 1)).toBe(1);
  });

  test('through the --link-dest fallback, a file of the same size and time but another mode and content gets its new content; the earlier release keeps its own', async () => {
    const p = prodPath(linkDest);
    writeStaging(linkDest, 1, 20);
    const ini = path.join(linkDest.staging, 'etc', 'app.ini');
    fs.writeFileSync(ini, 'setting = AAAA\n');
    fs.chmodSync(ini, 0o644);
    fs.utimesSync(ini, VERSION_EPOCH + 0.25, VERSION_EPOCH + 0.25);
    await ok(linkDest.name, 'push');
    expect(fs.readFileSync(path.join(p, 'etc', 'app.ini'), 'utf8')).toBe('setting = AAAA\n');
    // A name a line cannot carry: staging cannot be listed, so prepare links with rsync --link-dest.
    fs.writeFileSync(path.join(linkDest.staging, 'eggs', 'odd\nname.py'), 'x\n');
    // Same size, same time to the nanosecond (an archive's whole-second times, cp -p), other mode and content.
    fs.writeFileSync(ini, 'setting = BBBB\n');
    fs.chmodSync(ini, 0o600);
    fs.utimesSync(ini, VERSION_EPOCH + 0.25, VERSION_EPOCH + 0.25);
    const r = await ok('-v', linkDest.name, 'push');
    expect(r.out).toMatch(/by rsync --link-dest/);
    expect(fs.readFileSync(path.join(p, 'etc', 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
    expect(fs.statSync(path.join(p, 'etc', 'app.ini')).mode & 0o777).toBe(0o600);
    expect(r.out).toMatch(/rsync took 1 file\(s\) of the same size and time but other attributes as unchanged: pushing them again, compared by checksum/);
    const { current, ids } = readReleases(linkDest);
    const previous = ids.filter((i) => i !== current).pop() as string;
    expect(fs.readFileSync(path.join(p, '.hostout', 'releases', previous, 'etc', 'app.ini'), 'utf8')).toBe('setting = AAAA\n');
  });

  test('a release records the staging checkout\'s commit (git, Mercurial), asked only of the tool whose checkout it is', async () => {
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e', HGUSER: 't <t@e>' };
    const sh = (cwd: string, cmd: string[]) => {
      const r = spawnSync(cmd[0], cmd.slice(1), { cwd, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    writeStaging(commitGit, 1, 10);
    sh(commitGit.staging, ['git', 'init', '-q']);
    sh(commitGit.staging, ['git', 'add', '-A']);
    sh(commitGit.staging, ['git', 'commit', '-qm', 'v1']);
    const sha = sh(commitGit.staging, ['git', 'rev-parse', '--short=12', 'HEAD']);
    const g = await ok('-v', commitGit.name, 'push');
    expect(g.out).not.toMatch(/\bhg (--cwd|-R)\b/);
    expect((await ok(commitGit.name, 'releases')).out).toMatch(new RegExp(`^\\* \\S+ .* at ${sha} by root \\(push\\)  \\(live\\)$`, 'm'));

    writeStaging(commitHg, 1, 10);
    sh(commitHg.staging, ['hg', 'init']);
    sh(commitHg.staging, ['hg', 'commit', '-qA', '-m', 'v1']);
    const id = sh(commitHg.staging, ['hg', 'id', '-i']);
    const h = await ok('-v', commitHg.name, 'push');
    expect(h.out).not.toMatch(/rev-parse/);
    expect((await ok(commitHg.name, 'releases')).out).toMatch(new RegExp(`^\\* \\S+ .* at ${id} by root \\(push\\)  \\(live\\)$`, 'm'));

    // Not a checkout: neither tool runs, and the release names no commit.
    const plain = await ok('-v', modes.name, 'releases');
    expect(plain.out).not.toMatch(/ at [0-9a-f]{12}/);
  });

  test('a failing health check rolls back (and --no-rollback keeps the new release)', async () => {
    const p = prodPath(health);
    writeStaging(health, 1, 20);
    fs.writeFileSync(path.join(health.staging, 'parts', 'health.txt'), 'healthy\n');
    await ok(health.name, 'deploy');
    writeStaging(health, 2, 20);
    fs.writeFileSync(path.join(health.staging, 'parts', 'health.txt'), 'broken\n');
    const r = await hostout(health.name, 'deploy');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/the health check 'grep -q healthy parts\/health.txt' did not pass within 2 s/);
    expect(r.out).toMatch(/rolled back to release \S+ and restarted it/);
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(fs.readFileSync(path.join(p, 'parts', 'health.txt'), 'utf8')).toBe('healthy\n');
    expect(fs.readFileSync(path.join(p, 'parts', 'marker'), 'utf8')).toBe('version 1\n');
    const kept = await hostout(health.name, 'deploy', '--no-rollback');
    expect(kept.code).toBe(1);
    expect(kept.out).toMatch(/not rolled back \(--no-rollback\)/);
    expect(fs.readFileSync(path.join(p, 'parts', 'marker'), 'utf8')).toBe('version 2\n');
  });

  test('deploy of two hosts at once is all or nothing: both prepare, both flip, and a failing health check on one flips both back', async () => {
    const write = (site: (typeof aon)[number], version: number, health: string) => {
      writeStaging(site, version, 20);
      fs.writeFileSync(path.join(site.staging, 'parts', 'health.txt'), `${health}\n`);
    };
    for (const site of aon) write(site, 1, 'healthy');
    // Every tree's marker says which release is live (health.txt is extra, so liveVersion does not apply).
    const markers = (site: (typeof aon)[number]) => TREES.map((t) => fs.readFileSync(path.join(prodPath(site), t, 'marker'), 'utf8'));
    const first = await ok('-P', '2', aon[0].name, aon[1].name, 'deploy');
    expect(first.out).toMatch(/all or nothing: prepare on /);
    for (const site of aon) expect(markers(site)).toEqual(TREES.map(() => 'version 1\n'));
    const restarted = (site: (typeof aon)[number]) => fs.statSync(path.join(prodPath(site), 'var', 'restarted')).mtimeMs;
    const before = aon.map(restarted);

    write(aon[0], 2, 'healthy');
    write(aon[1], 2, 'broken');
    const r = await hostout('-P', '2', aon[0].name, aon[1].name, 'deploy');
    expect(r.code).toBe(1);
    // Both went live on version 2 (the flip phase ran on both) before the health check failed on one.
    expect(r.out).toMatch(/all or nothing: flip on /);
    expect(r.out).toMatch(/the health check 'grep -q healthy parts\/health.txt' did not pass within 2 s/);
    expect(r.out).toMatch(/rolled back/);
    // Both are back on version 1 and were restarted there; the summary says which release each ends on.
    for (const site of aon) expect(markers(site)).toEqual(TREES.map(() => 'version 1\n'));
    expect(fs.readFileSync(path.join(prodPath(aon[1]), 'parts', 'health.txt'), 'utf8')).toBe('healthy\n');
    aon.forEach((site, i) => expect(restarted(site)).toBeGreaterThan(before[i]));
    expect(r.out).toMatch(new RegExp(`^${aon[0].name} .*rolled back`, 'm'));
    expect(r.out).not.toMatch(/^\s+at /m);
  });

  test('a failing restart line rolls back and restarts the previous release', async () => {
    const p = prodPath(broken);
    writeStaging(broken, 1, 20);
    await ok(broken.name, 'deploy');
    writeStaging(broken, 2, 20);
    fs.writeFileSync(path.join(broken.staging, 'parts', 'break-restart'), '');
    const r = await hostout(broken.name, 'deploy');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/exit status 1/);
    expect(r.out).toMatch(/deploy of release \S+ failed .*rolled back to release \S+ and restarted it/s);
    expect(liveVersion(broken, [1], 20, 1)).toBe(1);
    expect(fs.existsSync(path.join(p, 'parts', 'break-restart'))).toBe(false);
  });

  test('two deploys started at once: exactly one runs, the other exits 75 naming the holder; --lock-wait waits; a dead holder\'s lock is taken over; unlock', async () => {
    writeStaging(locked, 1, 500);
    sites[locked.name].restart = 'sleep 2';
    writeHostoutConfig(cfg, sites);
    const [a, b] = await Promise.all([hostout(locked.name, 'deploy'), hostout(locked.name, 'deploy')]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 75]);
    const loser = a.code === 75 ? a : b;
    expect(loser.out).toMatch(/production is locked by another deploy: root on \S+ \(pid \d+\), 'deploy' since \d{4}-\d\d-\d\dT/);
    expect(liveVersion(locked, [1], 500, 1)).toBe(1);

    // --lock-wait: the second waits for the first and then runs.
    writeStaging(locked, 2, 500);
    const first = start([locked.name, 'deploy']);
    await sleep(300);
    while (!fs.existsSync(path.join(prodPath(locked), '.hostout', 'lock', 'holder'))) await sleep(50);
    const waited = await hostout(locked.name, 'deploy', '--lock-wait', '60');
    expect((await first.done).code).toBe(0);
    expect(waited.code).toBe(0);
    expect(waited.out).toMatch(/waiting up to 60 s for the deploy lock of root on/);

    // SIGKILL while it holds the lock (during its restart line): the next command takes the lock over and says so.
    const killed = start([locked.name, 'deploy']);
    const holder = path.join(prodPath(locked), '.hostout', 'lock', 'holder');
    while (!fs.existsSync(holder) || !/"phase":"restart"/.test(fs.readFileSync(holder, 'utf8'))) await sleep(50);
    killed.child.kill('SIGKILL');
    await killed.done;
    const next = await ok(locked.name, 'deploy');
    expect(next.out).toMatch(/took over the deploy lock of root on \S+ \(pid \d+\), 'deploy' since \S+, during restart: its holder, pid \d+ on \S+, is gone/);

    // A holder on another staging host whose lease ran out.
    fs.mkdirSync(path.dirname(holder));
    fs.writeFileSync(holder, JSON.stringify({ token: 'elsewhere', stagingHost: 'staging2.example.com', bootId: 'x', user: 'ann', pid: 1, pidStart: '1', command: 'deploy', started: '2026-01-01T00:00:00Z', leaseUntil: Math.floor(Date.now() / 1000) - 5 }) + '\n');
    const lease = await ok(locked.name, 'push');
    expect(lease.out).toMatch(/took over the deploy lock of ann on staging2.example.com \(pid 1\), 'deploy' since 2026-01-01T00:00:00Z: its lease ran out \d+ s ago/);

    // A live holder elsewhere: exit 75 at once; unlock removes it and says whose it was.
    fs.mkdirSync(path.dirname(holder));
    fs.writeFileSync(holder, JSON.stringify({ token: 'busy', stagingHost: 'staging2.example.com', bootId: 'x', user: 'ann', pid: 7, pidStart: '1', command: 'push', started: '2026-01-01T00:00:00Z', leaseUntil: Math.floor(Date.now() / 1000) + 600 }) + '\n');
    const refused = await hostout(locked.name, 'push');
    expect(refused.code).toBe(75);
    expect(refused.out).toMatch(/locked by another deploy: ann on staging2.example.com \(pid 7\), 'push'.*hostout rel-lock unlock/s);
    const un = await ok(locked.name, 'unlock');
    expect(un.out).toMatch(/removed the deploy lock of ann on staging2.example.com \(pid 7\)/);
    expect(fs.existsSync(path.dirname(holder))).toBe(false);
    sites[locked.name].restart = 'true';
    writeHostoutConfig(cfg, sites);
  });

  test('an interrupted flip (the flip script stopped half-way, before or after its switch) is tidied by the next hostout command, which says so', async () => {
    writeStaging(crash, 1, 100);
    await ok(crash.name, 'push');
    writeStaging(crash, 2, 100);
    const prep = await ok(crash.name, 'prepare');
    const newId = /Return value: (\S+)/.exec(prep.out)![1];
    const { current } = readReleases(crash);
    const p = prodPath(crash);
    const h = path.join(p, '.hostout');
    // What a flip stopped before its switch leaves: the journal, and the link of a tree only the new release has (pointing at nothing).
    fs.writeFileSync(path.join(h, 'journal'), `flip ${current} ${newId}\n`);
    fs.symlinkSync('.hostout/current/products', path.join(p, 'products'));
    const list = await ok(crash.name, 'releases');
    expect(list.out).toMatch(new RegExp(`found an interrupted flip from ${current} to ${newId} .*: undone it, production is on release ${current}`));
    expect(liveVersion(crash, [1], 100, 1)).toBe(1);
    expect(fs.existsSync(path.join(h, 'journal'))).toBe(false);
    expect(fs.lstatSync(path.join(p, 'products'), { throwIfNoEntry: false })).toBeUndefined();
    // Stopped after its switch: current names the new release; the next command completes the flip.
    fs.writeFileSync(path.join(h, 'journal'), `flip ${current} ${newId}\n`);
    fs.symlinkSync(`releases/${newId}`, path.join(h, 'current.tmp'));
    fs.renameSync(path.join(h, 'current.tmp'), path.join(h, 'current'));
    fs.symlinkSync('.hostout/current/products', path.join(p, 'products'));
    const again = await ok(crash.name, 'releases');
    expect(again.out).toMatch(new RegExp(`found an interrupted flip from ${current} to ${newId} .*: completed it, production is on release ${newId}`));
    expect(liveVersion(crash, [2], 100, 1)).toBe(2);
    expect(fs.lstatSync(path.join(p, 'products'), { throwIfNoEntry: false })).toBeUndefined();
    // And back by the same switch.
    await ok(crash.name, 'flip', current);
    expect(liveVersion(crash, [1], 100, 1)).toBe(1);
    await ok(crash.name, 'flip', newId);
    expect(liveVersion(crash, [2], 100, 1)).toBe(2);
  });

  test('SIGKILL of hostout or of its connection at many points of a deploy of thousands of files: production is always one release (after the next command at most)', async () => {
    const files = 3000;
    let version = 1;
    writeStaging(crash, version, files);
    await ok(crash.name, 'deploy');
    // How long a whole deploy takes here, to spread the kills over it.
    writeStaging(crash, ++version, files);
    const whole = await ok(crash.name, 'deploy');
    const deployed = [version];
    const outcomes: string[] = [];
    const kills = 12;
    for (let k = 0; k < kills; k++) {
      writeStaging(crash, ++version, files);
      const byConnection = k % 3 === 2;
      const at = Math.round((whole.ms * (k + 0.5)) / kills);
      const run = start([crash.name, 'deploy']);
      await sleep(at);
      if (byConnection) for (const pid of connectionPids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      else run.child.kill('SIGKILL');
      const end = await run.done;
      expect(end.out).not.toMatch(/^\s+at /m);
      deployed.push(version);
      // At once, or after the next command for that host:
      let v: number;
      try {
        v = liveVersion(crash, deployed, files, 1);
      } catch {
        await ok(crash.name, 'releases');
        v = liveVersion(crash, deployed, files, 1);
      }
      outcomes.push(`${byConnection ? 'connection' : 'hostout'} killed at ${at} ms: ${end.signal ?? `exit ${end.code}`}, production on version ${v} (${v === version ? 'new' : 'old'})`);
    }
    console.log(`deploy of ${files} files took ${whole.ms} ms; kills:\n${outcomes.join('\n')}`);
    // And the next deploy works (taking over a dead holder's lock when there is one).
    writeStaging(crash, ++version, files);
    await ok(crash.name, 'deploy');
    expect(liveVersion(crash, [version], files, 1)).toBe(version);
  });

  test('a reader sampling six files every 2 ms through 20 deploys and 20 kill -9s never sees two releases at once nor a missing file', async () => {
    const files = 300;
    let version = 1;
    writeStaging(reader, version, files);
    // The first deploy converts the site's trees into links (once); the reader starts on the converted site.
    await ok(reader.name, 'deploy');
    const p = reader.staging;
    const out = `/tmp/reader-${id}.txt`;
    // Shell builtins only (read, echo), so that a sample takes well under a millisecond; then sleep 2 ms.
    const loop = `cd ${p} || exit 1; while [ ! -e .hostout/stop-reader ]; do
      s=; for f in bin/marker eggs/marker parts/marker etc/marker bin/pkg0/f0.py parts/pkg0/f4.py; do
        l=; { read -r l < "$f"; } 2>/dev/null || l=MISSING; s="$s \${l##* }"; done
      echo "$s"; sleep 0.002; done > ${out}`;
    const sampler = spawn('nsenter', ['-t', String(prod.pid), '-m', '--', 'sh', '-c', loop], { stdio: 'ignore' });
    const flips: number[] = [];
    const outcomes: string[] = [];
    try {
      await sleep(200);
      let lastMs = 3000;
      for (let k = 0; k < 40; k++) {
        writeStaging(reader, ++version, files);
        if (k % 2 === 0) {
          const r = await ok(reader.name, 'deploy');
          lastMs = r.ms;
          const f = /flip ([\d.]+) ms on production/.exec(r.out);
          if (f) flips.push(Number(f[1]));
          continue;
        }
        // kill -9 of hostout (or of its connection, every third kill) at a point spread over a deploy's time.
        const byConnection = k % 6 === 5;
        const at = Math.round((lastMs * ((k * 7) % 20 + 0.5)) / 20);
        const run = start([reader.name, 'deploy']);
        await sleep(at);
        if (byConnection) for (const pid of connectionPids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        else run.child.kill('SIGKILL');
        const end = await run.done;
        outcomes.push(`${byConnection ? 'connection' : 'hostout'} killed at ${at} ms: ${end.signal ?? `exit ${end.code}`}`);
      }
      // The last kill may have landed before its flip: one more deploy, not killed, makes the staged release live.
      await ok(reader.name, 'deploy');
      await ok(reader.name, 'releases');
      await sleep(200);
    } finally {
      fs.writeFileSync(path.join(prodPath(reader), '.hostout', 'stop-reader'), '');
      await new Promise((r) => sampler.on('close', r));
      fs.rmSync(path.join(prodPath(reader), '.hostout', 'stop-reader'));
    }
    const samples = inProduction(prod.pid, ['cat', out]).out.trim().split('\n');
    inProduction(prod.pid, ['rm', '-f', out]);
    let mixed = 0;
    let missing = 0;
    let switches = 0;
    // The reader reads its six files one after the other, so a switch that happens while it reads
    // (well under a millisecond of every 2) shows as a sample whose first files are of the release
    // before and the rest of the release after: the one thing a single rename may show such a
    // reader. Counted apart, and only when it is exactly that: one change point, from the previous
    // sample's release to the next sample's. Anything else with two releases in it is mixed: the
    // tree-by-tree renames of before gave e.g. `new new old old new old`.
    let straddled = 0;
    let previous = '';
    const bad: string[] = [];
    const split = samples.map((line) => line.trim().split(' '));
    const uniform = (words: string[] | undefined) => (words && new Set(words).size === 1 ? words[0] : undefined);
    split.forEach((words, i) => {
      const isMissing = words.includes('MISSING') || words.length !== 6;
      const versions = [...new Set(words.filter((w) => w !== 'MISSING'))];
      let isMixed = versions.length > 1;
      if (isMixed && !isMissing && versions.length === 2) {
        const cut = words.indexOf(versions[1]);
        const oneCut = words.slice(0, cut).every((w) => w === versions[0]) && words.slice(cut).every((w) => w === versions[1]);
        if (oneCut && uniform(split[i - 1]) === versions[0] && uniform(split[i + 1]) === versions[1]) {
          straddled++;
          isMixed = false;
        }
      }
      if (isMissing) missing++;
      if (isMixed) mixed++;
      if ((isMissing || isMixed) && bad.length < 10) bad.push(words.join(' '));
      if (previous && words[0] !== previous) switches++;
      previous = words[0];
    });
    flips.sort((a, b) => a - b);
    console.log(`reader: ${samples.length} samples of six files, ${mixed} mixed, ${missing} with a missing file, ${straddled} read while the switch happened; it saw the live release change ${switches} times; ` +
      `flip script (switch and links) ${flips[0]}–${flips[flips.length - 1]} ms, median ${flips[Math.floor(flips.length / 2)]} ms over ${flips.length} deploys; kills:\n${outcomes.join('\n')}`);
    expect(bad).toEqual([]);
    expect({ mixed, missing }).toEqual({ mixed: 0, missing: 0 });
    // A sample can straddle each switch at most once.
    expect(straddled).toBeLessThanOrEqual(switches);
    expect(samples.length).toBeGreaterThan(1000);
    expect(switches).toBeGreaterThanOrEqual(20);
    expect(liveVersion(reader, [version], files, 1)).toBe(version);
  }, 1_800_000);

  test('rollback to a release whose tree was deleted by hand is refused (exit 1, naming what is missing); production stays whole on its release', async () => {
    writeStaging(incomplete, 1, 20);
    await ok(incomplete.name, 'deploy');
    writeStaging(incomplete, 2, 20);
    await ok(incomplete.name, 'deploy');
    const { ids, current } = readReleases(incomplete);
    const older = ids[0];
    fs.rmSync(path.join(prodPath(incomplete), '.hostout', 'releases', older, 'etc'), { recursive: true });
    const r = await hostout(incomplete.name, 'rollback');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`the flip from ${current} to ${older} failed \\(exit status 4\\); production is still on release ${current} \\(nothing was switched\\).*release ${older} is incomplete: \\S+ has no etc`, 's'));
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(liveVersion(incomplete, [2], 20, 1)).toBe(2);
    expect(readReleases(incomplete).current).toBe(current);
  });

  test('a live tree that cannot be renamed (chattr +i) no longer splits a deploy; a flip that fails says which release is live and leaves no link of its own', async () => {
    const p = prodPath(immutable);
    writeStaging(immutable, 1, 20);
    await ok(immutable.name, 'deploy');
    // The live parts directory is immutable: the flip renamed it away (old flip: bin and eggs new, parts and etc old); the switch never touches it.
    const parts = fs.realpathSync(path.join(p, 'parts'));
    expect(spawnSync('chattr', ['+i', parts]).status).toBe(0);
    try {
      writeStaging(immutable, 2, 20);
      await ok(immutable.name, 'deploy');
      expect(liveVersion(immutable, [2], 20, 1)).toBe(2);
    } finally {
      spawnSync('chattr', ['-i', parts]);
    }
    // A release that adds a tree, and the site's directory made immutable while that release is transferred
    // (after the chown of the first round trip): the new tree's link cannot be made, so nothing is switched.
    const { current } = readReleases(immutable);
    writeStaging(immutable, 3, 20);
    fs.mkdirSync(path.join(immutable.staging, 'products', 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(immutable.staging, 'products', 'pkg', 'marker'), 'version 3\n');
    // A big file that keeps the transfer going for a while after products/ appears in next/.
    fs.writeFileSync(path.join(immutable.staging, 'products', 'pkg', 'zz-big.bin'), crypto.randomBytes(64 * 1024 * 1024));
    const run = start([immutable.name, 'deploy']);
    const appeared = path.join(p, '.hostout', 'next', 'products');
    const deadline = Date.now() + 60000;
    while (!fs.existsSync(appeared) && Date.now() < deadline) await sleep(5);
    let r: Run;
    try {
      expect(spawnSync('chattr', ['+i', p]).status).toBe(0);
      r = await run.done;
    } finally {
      spawnSync('chattr', ['-i', p]);
    }
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`the flip from ${current} to \\S+ failed \\(exit status 5\\); production is still on release ${current} \\(nothing was switched\\)`));
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(liveVersion(immutable, [2], 20, 1)).toBe(2);
    expect(readReleases(immutable).current).toBe(current);
    expect(fs.lstatSync(path.join(p, 'products'), { throwIfNoEntry: false })).toBeUndefined();
    fs.rmSync(path.join(immutable.staging, 'products'), { recursive: true });
  });

  test('remote disk full during the transfer: a clear error, production stays on its release, the partial release is removed', async () => {
    const files = 1000;
    writeStaging(full, 1, files);
    await ok(full.name, 'deploy');
    // Leave production less room than a completely new release needs.
    const df = spawnSync('df', ['-B1', '--output=used', prod.varBuildout as string], { encoding: 'utf8' });
    const used = Number(df.stdout.trim().split('\n')[1]);
    const size = used + 300 * 1024;
    expect(spawnSync('mount', ['-o', `remount,size=${size}`, prod.varBuildout as string]).status).toBe(0);
    try {
      writeStaging(full, 2, files);
      const r = await hostout(full.name, 'deploy');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/the transfer of the new release failed, production is still on release \S+ \(the partial release was removed\)\. production's disk is full\./);
      expect(r.out).not.toMatch(/^\s+at /m);
      expect(liveVersion(full, [1], files, 1)).toBe(1);
      expect(fs.existsSync(path.join(prodPath(full), '.hostout', 'next'))).toBe(false);
      expect(fs.existsSync(path.join(prodPath(full), '.hostout', 'lock'))).toBe(false);
    } finally {
      spawnSync('mount', ['-o', 'remount,size=4g', prod.varBuildout as string]);
    }
    await ok(full.name, 'deploy');
    expect(liveVersion(full, [2], files, 1)).toBe(2);
  });

  test('faults end clearly with production on one release: permission denied on the path, unreachable host', async () => {
    const p = prodPath(denied);
    writeStaging(denied, 1, 20);
    // Production's site belongs to root, and the login (zope) may not write it.
    fs.mkdirSync(p, { recursive: true });
    fs.chmodSync(p, 0o755);
    const r = await hostout(denied.name, 'push');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[rel-denied\] (cannot take the deploy lock \S+ on production: .*Permission denied|.*Permission denied)/);
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(fs.readdirSync(p)).toEqual([]);
    writeStaging(unreachable, 1, 20);
    const u = await hostout(unreachable.name, 'deploy');
    expect(u.code).not.toBe(0);
    expect(u.out).toMatch(/rel-unreachable/);
    expect(u.out).toMatch(/refused|unreachable|connect/i);
    expect(u.out).not.toMatch(/^\s+at /m);
  });

  test('--dry-run deploy shows the lock, the delta, the prepare and the flip, and changes nothing', async () => {
    writeStaging(adopt, 3, 50);
    const before = liveTree(adopt);
    const r = await ok('--dry-run', adopt.name, 'deploy');
    expect(r.out).toMatch(/--dry-run --itemize-changes/);
    expect(r.out).toMatch(/prepare: bin, eggs, parts, etc -> \S+\/\.hostout\/next/);
    // next/ starts as hard links to the live trees (cp -al), so the transfer needs no --link-dest.
    expect(r.out).toMatch(/cp -al -- "\$t" "\$n\/\$t"/);
    expect(r.out).toMatch(/unchanged files hard-linked to the live ones by cp -al/);
    expect(r.out).not.toMatch(/--link-dest=/);
    expect(r.out).toMatch(/flip\.sh/);
    expect(liveTree(adopt)).toEqual(before);
  });
});
