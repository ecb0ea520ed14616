/**
 * Faults a deploy must survive in bounded time, on the real servers (the real
 * `node bin/hostout.js` against a production sshd in its own mount namespace):
 * a file rewritten within the same second at the same size, a remote rsync
 * stopped (SIGSTOP) mid-transfer, a restart line that starts a daemon, and a
 * health check that ignores SIGTERM. Needs root (CI is root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { commandLine, descendants } from '../../fixtures/servers/proc-tree';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { liveRelease } from '../support/live-release';

jest.setTimeout(300000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(3).toString('hex');

let prod: SshServer;
let work: string;
let cfg: string;
const sites: Record<string, Record<string, string>> = {};
const stagingPaths: string[] = [];
/** Production processes a test stopped or left: killed at the end whatever happened. */
const toKill: number[] = [];

interface Run { code: number | null; out: string; ms: number }

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const t0 = Date.now();
  const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, out, ms: Date.now() - t0 }))) };
}

function hostout(...args: string[]): Promise<Run> {
  return start(args).done;
}

async function ok(...args: string[]): Promise<Run> {
  const r = await hostout(...args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r;
}

function defineSite(name: string, options: Record<string, string> = {}): { name: string; staging: string } {
  const p = `/var/buildout/${name}-${id}`;
  sites[name] = { path: p, restart: 'true', ...options };
  stagingPaths.push(p);
  return { name, staging: p };
}

function prodPath(site: { staging: string }): string {
  return path.join(prod.varBuildout as string, path.basename(site.staging));
}

/** A minimal staged buildout: `files` (relative path → content) in its trees. */
function writeStaging(site: { staging: string }, files: Record<string, string | Buffer>): void {
  fs.mkdirSync(path.join(site.staging, 'var'), { recursive: true });
  fs.writeFileSync(path.join(site.staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(site.staging, rel)), { recursive: true });
    fs.writeFileSync(path.join(site.staging, rel), content);
  }
}

function current(site: { staging: string }): string {
  return liveRelease(path.join(prodPath(site), '.hostout'));
}

/** Production's processes whose command line matches. */
function productionProcesses(re: RegExp): number[] {
  return descendants(prod.pid).filter((p) => re.test(commandLine(p)));
}

/** Every process on this machine with exactly that command line. */
function processesNamed(cmd: string): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => commandLine(p) === cmd);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mtime = defineSite('rl-mtime');
const attrs = defineSite('rl-attrs');
const stall = defineSite('rl-stall', { 'rsync-timeout': '10' });
const term = defineSite('rl-term');
const lost = defineSite('rl-lost');
const relapse = defineSite('rl-relapse', { restart: 'test ! -f var/break-restart' });
/** Sleeps no other process on this machine has (their command lines are looked for in every namespace). */
const DAEMON = `sleep 60.${Number.parseInt(id, 16)}`;
const STUBBORN = `sleep 120.${Number.parseInt(id, 16) + 1}`;
const daemon = defineSite('rl-daemon', { restart: `nohup ${DAEMON} > /dev/null 2>&1 &` });
const stubborn = defineSite('rl-stubborn', { healthcheck: `trap '' TERM; ${STUBBORN}`, 'healthcheck-timeout': '3' });

beforeAll(async () => {
  prod = await startProductionSshServer({ varBuildoutOnTmpfs: true, authorizeClientKeyFor: ['root', 'zope'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-rl-'));
  fs.chmodSync(work, 0o755);
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, prod.knownHostsLine + '\n');
  const key = path.join(work, 'client_key');
  fs.copyFileSync(prod.clientKeyPath, key);
  fs.chmodSync(key, 0o600);
  for (const part of Object.values(sites)) {
    Object.assign(part, { host: `127.0.0.1:${prod.port}`, user: 'root', 'identity-file': key, 'known-hosts-file': knownHosts, 'buildout-user': 'root', 'effective-user': 'zope', ...part });
  }
  cfg = path.join(work, 'buildout.cfg');
  writeHostoutConfig(cfg, sites);
});

afterEach(() => {
  for (const pid of toKill.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

afterAll(async () => {
  await prod?.stop();
  for (const p of [...stagingPaths, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

test('a file rewritten at the same size within the same second is deployed (rsync compares nanoseconds)', async () => {
  const ini = path.join(mtime.staging, 'etc', 'app.ini');
  const second = Math.floor(Date.now() / 1000) - 3600;
  writeStaging(mtime, { 'etc/app.ini': 'setting = AAAA\n', 'bin/marker': 'x\n' });
  fs.utimesSync(ini, second + 0.2, second + 0.2);
  await ok(mtime.name, 'deploy');
  expect(fs.readFileSync(path.join(prodPath(mtime), 'etc', 'app.ini'), 'utf8')).toBe('setting = AAAA\n');
  fs.writeFileSync(ini, 'setting = BBBB\n');
  fs.utimesSync(ini, second + 0.7, second + 0.7);
  const first = await ok(mtime.name, 'deploy');
  expect(fs.readFileSync(path.join(prodPath(mtime), 'etc', 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
  // Not counted as a file whose attributes only change: rsync writes it anew.
  expect(first.out).not.toMatch(/whose attributes change copied first/);
  await ok(mtime.name, 'deploy');
  expect(fs.readFileSync(path.join(prodPath(mtime), 'etc', 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
});

test('a file rewritten at the same size and given the same time to the nanosecond, with another mode, is deployed with its new content (the attribute-only path checks content)', async () => {
  const ini = path.join(attrs.staging, 'etc', 'app.ini');
  writeStaging(attrs, { 'etc/app.ini': 'setting = AAAA\n', 'bin/marker': 'x\n' });
  fs.chmodSync(ini, 0o644);
  await ok(attrs.name, 'deploy');
  const before = current(attrs);
  expect(fs.readFileSync(path.join(prodPath(attrs), 'etc', 'app.ini'), 'utf8')).toBe('setting = AAAA\n');
  // Its old time back to the nanosecond (as cp -p, tar or touch -r give it), after a rewrite at the same size.
  const ns = fs.statSync(ini, { bigint: true }).mtimeNs;
  fs.writeFileSync(ini, 'setting = BBBB\n');
  fs.chmodSync(ini, 0o640);
  const t = `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
  expect(spawnSync('touch', ['-m', '-d', t, ini]).status).toBe(0);
  expect(fs.statSync(ini, { bigint: true }).mtimeNs).toBe(ns);
  const r = await ok('-v', attrs.name, 'deploy');
  const live = path.join(prodPath(attrs), 'etc', 'app.ini');
  expect(fs.readFileSync(live, 'utf8')).toBe('setting = BBBB\n');
  expect(fs.statSync(live).mode & 0o777).toBe(0o640);
  expect(fs.statSync(live, { bigint: true }).mtimeNs).toBe(ns);
  expect(r.out).toMatch(/1 file\(s\) whose attributes change copied first/);
  // The release before keeps its content and mode (a rollback goes back to exactly it).
  const old = path.join(prodPath(attrs), '.hostout', 'releases', before, 'etc', 'app.ini');
  expect(fs.readFileSync(old, 'utf8')).toBe('setting = AAAA\n');
  expect(fs.statSync(old).mode & 0o777).toBe(0o644);
});

test('the remote rsync stopped (SIGSTOP) mid-transfer: deploy ends after rsync-timeout with exit 74, production on the old release, the partial release removed', async () => {
  writeStaging(stall, { 'bin/marker': 'v1\n' });
  await ok(stall.name, 'deploy');
  const before = current(stall);
  expect(before).not.toBe('');
  writeStaging(stall, { 'bin/marker': 'v2\n', 'parts/huge.so': crypto.randomBytes(150 * 1024 * 1024) });
  const run = hostout(stall.name, 'deploy');
  let stoppedAt = 0;
  const next = path.join(prodPath(stall), '.hostout', 'next');
  for (const deadline = Date.now() + 120000; Date.now() < deadline && !stoppedAt;) {
    // Both processes of the receiving rsync (it forks a generator and a receiver), once the transfer is under way.
    const rsyncs = productionProcesses(/^rsync --server/);
    const partial = fs.existsSync(next) ? fs.readdirSync(path.join(next), { recursive: true }).length : 0;
    if (rsyncs.length === 2 && partial > 0) {
      toKill.push(...rsyncs);
      for (const pid of rsyncs) process.kill(pid, 'SIGSTOP');
      stoppedAt = Date.now();
    } else await sleep(20);
  }
  expect(stoppedAt).toBeGreaterThan(0);
  const r = await run;
  const ms = Date.now() - stoppedAt;
  expect(r.code).toBe(74);
  expect(ms).toBeLessThan(10000 + 20000);
  expect(r.out).toMatch(/the transfer of the new release failed, production is still on release \S+ \(the partial release was removed\)\. no data moved for 10 s \(rsync-timeout\)/);
  expect(current(stall)).toBe(before);
  expect(fs.existsSync(next)).toBe(false);
  expect(fs.existsSync(path.join(prodPath(stall), '.hostout', 'lock'))).toBe(false);
  expect(fs.readFileSync(path.join(prodPath(stall), 'bin', 'marker'), 'utf8')).toBe('v1\n');
});

test('a restart line that starts a daemon returns when the line ends, as under OpenSSH (not when the daemon does)', async () => {
  writeStaging(daemon, { 'bin/marker': 'x\n' });
  await ok(daemon.name, 'deploy');
  for (const pid of processesNamed(DAEMON)) process.kill(pid, 'SIGKILL');
  const r = await ok(daemon.name, 'activate');
  // The daemon still runs (it left production's sshd, so it is looked for everywhere): the line started it and hostout did not wait for it.
  const sleepers = processesNamed(DAEMON);
  toKill.push(...sleepers);
  expect(sleepers.length).toBe(1);
  expect(r.ms).toBeLessThan(30000);
});

test('a health check that ignores SIGTERM is killed when healthcheck-timeout runs out', async () => {
  writeStaging(stubborn, { 'bin/marker': 'x\n' });
  // The first deploy makes the release live, then fails its health check (there is nothing to roll back to).
  const first = await hostout(stubborn.name, 'deploy');
  expect(first.code).toBe(1);
  const r = await hostout(stubborn.name, 'activate');
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/the health check .* did not pass within 3 s/);
  // 3 s, SIGKILL 2 s later, and a loaded machine's start-up and lock round trips; it took the check's whole 120 s before.
  expect(r.ms).toBeLessThan(60000);
  // Nothing of it is left on production.
  await sleep(500);
  expect(processesNamed(STUBBORN)).toEqual([]);
});

test('SIGTERM mid-transfer: hostout exits 143 at once (no grace waits), "Terminated." printed', async () => {
  writeStaging(term, { 'bin/marker': 'v1\n' });
  await ok(term.name, 'deploy');
  writeStaging(term, { 'bin/marker': 'v2\n', 'parts/huge.so': crypto.randomBytes(150 * 1024 * 1024) });
  const { child, done } = start(['-v', term.name, 'deploy']);
  const next = path.join(prodPath(term), '.hostout', 'next');
  let signalled = 0;
  for (const deadline = Date.now() + 120000; Date.now() < deadline && !signalled;) {
    const partial = fs.existsSync(next) ? fs.readdirSync(next, { recursive: true }).length : 0;
    if (productionProcesses(/^rsync --server/).length > 0 && partial > 0) {
      child.kill('SIGTERM');
      signalled = Date.now();
    } else await sleep(20);
  }
  expect(signalled).toBeGreaterThan(0);
  const r = await done;
  const ms = Date.now() - signalled;
  if (ms >= 4000) console.log(`SIGTERM took ${ms} ms:\n${r.out.split('\n').slice(-40).join('\n')}`);
  expect(r.out).toMatch(/Terminated\./);
  expect(r.code).toBe(143);
  expect(ms).toBeLessThan(4000);
});

test('a restart line that fails after the rollback too: the message says so in plain words', async () => {
  writeStaging(relapse, { 'bin/marker': 'v1\n' });
  await ok(relapse.name, 'deploy');
  const before = current(relapse);
  writeStaging(relapse, { 'bin/marker': 'v2\n' });
  // var/ is production's own, not part of a release: the restart line fails on either release.
  fs.writeFileSync(path.join(prodPath(relapse), 'var', 'break-restart'), '');
  const r = await hostout(relapse.name, 'deploy');
  expect(r.code).toBe(1);
  expect(r.out).toMatch(new RegExp(`rolled back to release ${before}, but restarting it failed too: `));
  expect(r.out).not.toMatch(/and but/);
  expect(current(relapse)).toBe(before);
});

test('the connection lost mid-transfer (production\'s sshd session killed): deploy exits 74, as docs/cli.md says', async () => {
  writeStaging(lost, { 'bin/marker': 'v1\n' });
  await ok(lost.name, 'deploy');
  const before = current(lost);
  writeStaging(lost, { 'bin/marker': 'v2\n', 'parts/huge.so': crypto.randomBytes(150 * 1024 * 1024) });
  const run = hostout(lost.name, 'deploy');
  const next = path.join(prodPath(lost), '.hostout', 'next');
  let killed = false;
  for (const deadline = Date.now() + 120000; Date.now() < deadline && !killed;) {
    const partial = fs.existsSync(next) ? fs.readdirSync(next, { recursive: true }).length : 0;
    // hostout's one connection: the sshd session processes (children of the listener) above the rsync.
    const sessions = descendants(prod.pid).filter((p) => /^sshd: root@notty/.test(commandLine(p)));
    if (productionProcesses(/^rsync --server/).length > 0 && partial > 0 && sessions.length > 0) {
      for (const pid of sessions) process.kill(pid, 'SIGKILL');
      killed = true;
    } else await sleep(20);
  }
  expect(killed).toBe(true);
  const r = await run;
  expect(r.code).toBe(74);
  expect(r.out).toMatch(/the transfer of the new release failed, production is still on release \S+ .*the ssh connection to root@127\.0\.0\.1:\d+ was lost/);
  expect(current(lost)).toBe(before);
});
