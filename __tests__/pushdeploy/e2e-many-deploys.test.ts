/**
 * pushdeploy's deploy across several hosts (all or nothing) on four real
 * production sshds (each in its own mount namespace with its own
 * /var/buildout), the real `hostout` process: the deploy lock held by the run
 * from each host's prepare to the run's end, Ctrl-C and SIGTERM in the middle
 * of the activation, another deploy started between the phases (the run is
 * stopped there with SIGSTOP), and pruning. Needs root (CI is root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { liveRelease } from '../support/live-release';

jest.setTimeout(600_000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `md-e2e-${id}`;
const staging = `/var/buildout/${site}`;
const WEB = ['web1', 'web2', 'web3', 'web4'];
const TREES = ['bin', 'eggs', 'parts', 'etc'];

let servers: SshServer[] = [];
let work: string;
let cfg: string;
let parts: Record<string, Record<string, string>> = {};

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string }

function start(args: string[]): { child: ChildProcess; done: Promise<Run>; out: () => string } {
  const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { child, done, out: () => out };
}

function hostout(...args: string[]): Run {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

/** Every host's part with `options` added (restart lines, keep-releases…). */
function configure(options: Record<string, string>): void {
  for (const w of WEB) parts[w] = { ...parts[w], ...options };
  writeHostoutConfig(cfg, parts);
}

/** Staging's trees for `version`: every tree's marker (and a few files) say the version. */
function writeStaging(version: number): void {
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  for (const t of TREES) {
    fs.mkdirSync(path.join(staging, t, 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(staging, t, 'marker'), `version ${version}\n`);
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(staging, t, 'pkg', `f${i}.py`), `# ${t} ${i}\n${'x'.repeat(500 + i)}\n`);
  }
  fs.mkdirSync(path.join(staging, 'var', 'log'), { recursive: true });
}

const prodSite = (i: number) => path.join(servers[i].varBuildout as string, site);
const hostoutDir = (i: number) => path.join(prodSite(i), '.hostout');

/** The version every tree of host i says; throws when its trees are of different versions. */
function liveVersion(i: number): number {
  const seen = TREES.map((t) => fs.readFileSync(path.join(prodSite(i), t, 'marker'), 'utf8').trim());
  if (new Set(seen).size !== 1) throw new Error(`${WEB[i]} is on no single release: ${seen.join(', ')}`);
  return Number(/version (\d+)/.exec(seen[0])![1]);
}

function current(i: number): string {
  return liveRelease(hostoutDir(i));
}

function releaseIds(i: number): string[] {
  return fs.readdirSync(path.join(hostoutDir(i), 'releases')).sort();
}

const lockHeld = (i: number) => fs.existsSync(path.join(hostoutDir(i), 'lock'));
const row = (out: string, host: string) => out.split('\n').find((l) => l.startsWith(`${host} `)) ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  servers = await Promise.all(WEB.map(() => startProductionSshServer({ varBuildoutOnTmpfs: true, authorizeClientKeyFor: ['root', 'zope'] })));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'md-e2e-'));
  fs.mkdirSync(staging, { recursive: true });
  writeStaging(1);
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
  parts = Object.fromEntries(WEB.map((w, i) => {
    const key = path.join(work, `key${i}`);
    fs.copyFileSync(servers[i].clientKeyPath, key);
    fs.chmodSync(key, 0o600);
    return [w, {
      host: `127.0.0.1:${servers[i].port}`, 'identity-file': key, 'known-hosts-file': knownHosts,
      user: 'root', path: staging, 'buildout-user': 'root', 'effective-user': 'zope', restart: 'true',
    }];
  }));
  cfg = path.join(work, 'buildout.cfg');
  configure({});
  const first = hostout('-P', '4', ...WEB, 'deploy');
  if (first.code !== 0) throw new Error(`the first deploy failed:\n${first.out}`);
});

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  for (const p of [staging, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('a deploy across four hosts', () => {
  test('prunes every host to keep-releases, every time, and gives every lock back', () => {
    configure({ 'keep-releases': '2', restart: 'true' });
    for (const v of [2, 3, 4]) {
      writeStaging(v);
      const r = hostout('-P', '4', ...WEB, 'deploy');
      expect({ v, code: r.code }).toEqual({ v, code: 0 });
      for (const [i, w] of WEB.entries()) {
        expect({ w, v, live: liveVersion(i) }).toEqual({ w, v, live: v });
        expect({ w, v, releases: releaseIds(i).length }).toEqual({ w, v, releases: 2 });
        expect(releaseIds(i)).toContain(current(i));
        expect({ w, locked: lockHeld(i) }).toEqual({ w, locked: false });
      }
    }
  });

  test.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s at the first activate: every host back on the release before, the summary says which, exit %d, no lock left', async (signal, status) => {
    configure({ 'keep-releases': '3', restart: 'sleep 4' });
    const before = WEB.map((_, i) => ({ version: liveVersion(i), release: current(i) }));
    writeStaging(before[0].version + 1);
    const run = start(['-P', '4', ...WEB, 'deploy']);
    try {
      // The first restart line runs: every host flipped, at least one is activating.
      await waitFor('the first restart line', () => /^\[web\d\] run: sleep 4$/m.test(run.out()));
      await sleep(300);
      run.child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no exit after ${signal}:\n${run.out()}`)), 180_000); });
      const r = await Promise.race([run.done, late]).finally(() => clearTimeout(timer));
      expect({ code: r.code, out: r.code === status ? '' : r.out }).toEqual({ code: status, out: '' });
      for (const [i, w] of WEB.entries()) {
        expect({ w, live: liveVersion(i), current: current(i) }).toEqual({ w, live: before[i].version, current: before[i].release });
        // The summary names the release each host ends on (never '?'), and nothing was locked out by the run's own lock.
        expect(row(r.out, w)).toMatch(new RegExp(`^${w} .*(rolled back|interrupted \\(${status}\\)) +${before[i].release} +${before[i].release} +`));
        expect({ w, locked: lockHeld(i) }).toEqual({ w, locked: false });
      }
      expect(r.out).not.toMatch(/failed \(75\)|locked by another deploy/);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  test.each(['1', '3'])('another deploy between the run\'s prepare and its flip is locked out (75), and nothing of the run is pruned (keep-releases = %s)', async (keep) => {
    configure({ 'keep-releases': keep, restart: 'true' });
    const before = liveVersion(0);
    writeStaging(before + 1);
    // -P 1: web1 prepares first; the run is stopped (SIGSTOP) once web1's prepare command has ended.
    const run = start(['--json', '-P', '1', ...WEB, 'deploy']);
    try {
      const prepareEnded = () => run.out().split('\n').some((l) => {
        if (!l.startsWith('{') || !l.endsWith('}')) return false;
        try {
          const e = JSON.parse(l) as { type: string; host?: string; command?: string };
          return e.type === 'command-end' && e.host === 'web1' && e.command === 'prepare';
        } catch {
          return false; // a line of stderr written into the middle of it
        }
      });
      await waitFor("web1's prepare", prepareEnded);
      run.child.kill('SIGSTOP');
      const other = hostout('web1', 'deploy');
      expect({ code: other.code, out: other.code === 75 ? '' : other.out }).toEqual({ code: 75, out: '' });
      expect(other.out).toMatch(new RegExp(`locked by another deploy: root on \\S+ \\(pid ${run.child.pid}\\), 'deploy'`));
      // The run holds web1's lock between its phases, not only during one.
      expect(JSON.parse(fs.readFileSync(path.join(hostoutDir(0), 'lock', 'holder'), 'utf8'))).toMatchObject({ pid: run.child.pid, command: 'deploy' });
      run.child.kill('SIGCONT');
      const r = await run.done;
      expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });
      for (const [i, w] of WEB.entries()) {
        expect({ w, live: liveVersion(i) }).toEqual({ w, live: before + 1 });
        expect(releaseIds(i).length).toBeLessThanOrEqual(Number(keep));
        expect({ w, locked: lockHeld(i) }).toEqual({ w, locked: false });
      }
    } finally {
      if (run.child.exitCode === null) {
        run.child.kill('SIGCONT');
        run.child.kill('SIGKILL');
      }
    }
  });
});
