/**
 * How many times a deploy waits for production's answer (its round trips
 * besides the login and the rsync transfers: the remote, sudo, put and get
 * steps, counted per host in --json's run-end `roundTrips`), on real
 * production sshds. A 1% deploy needs two per host: one that takes the lock,
 * reads the releases and starts .hostout/next, one that records the release,
 * flips, runs the restart line, prunes and unlocks. The counts are pinned so
 * that a new step cannot silently add one. Needs root (CI is root).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { liveRelease } from '../support/live-release';

jest.setTimeout(300_000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `rt-e2e-${id}`;
const staging = `/var/buildout/${site}`;
const WEB = ['web1', 'web2'];
const TREES = ['bin', 'eggs', 'parts', 'etc'];

let servers: SshServer[] = [];
let work: string;
let cfg: string;
let parts: Record<string, Record<string, string>> = {};

interface Event { type: string; host?: string; kind?: string; line?: string; summary?: Array<{ host: string; roundTrips?: number; result: string }> }

function hostout(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function events(stdout: string): Event[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
}

/** Staging's trees, 100 files each; `touch` rewrites one file in a hundred. */
function writeStaging(version: number, touch = false): void {
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  for (const t of TREES) {
    fs.mkdirSync(path.join(staging, t, 'pkg'), { recursive: true });
    for (let i = 0; i < 100; i++) {
      const f = path.join(staging, t, 'pkg', `f${i}.py`);
      if (!touch || i === 7 || !fs.existsSync(f)) fs.writeFileSync(f, `# ${t} ${i} version ${version}\n${'x'.repeat(500 + i)}\n`);
    }
  }
  fs.mkdirSync(path.join(staging, 'var', 'log'), { recursive: true });
}

const prodSite = (i: number) => path.join(servers[i].varBuildout as string, site);

/** A --json deploy of `hosts`: its round trips per host from the run end, and the remote steps themselves. */
function deploy(hosts: string[]): { roundTrips: Record<string, number>; steps: Record<string, string[]>; out: string } {
  const r = hostout('--json', '-P', String(hosts.length), ...hosts, 'deploy');
  if (r.code !== 0) throw new Error(`deploy failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  const ev = events(r.stdout);
  const end = ev[ev.length - 1];
  expect(end.type).toBe('run-end');
  const roundTrips = Object.fromEntries(hosts.map((h) => [h, end.summary!.find((s) => s.host === h)?.roundTrips ?? 0]));
  const steps = Object.fromEntries(hosts.map((h) => [h, ev.filter((e) => e.type === 'step' && e.host === h && ['remote', 'sudo', 'put', 'get'].includes(e.kind ?? '')).map((e) => `${e.kind}: ${(e.line ?? '').split('\n')[0].slice(0, 100)}`)]));
  return { roundTrips, steps, out: `${r.stdout}\n${r.stderr}` };
}

beforeAll(async () => {
  servers = await Promise.all(WEB.map(() => startProductionSshServer({ varBuildoutOnTmpfs: true, authorizeClientKeyFor: ['root', 'zope'] })));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-e2e-'));
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
      user: 'root', path: staging, 'buildout-user': 'root', 'effective-user': 'zope', restart: 'touch restarted', 'keep-releases': '2',
    }];
  }));
  cfg = path.join(work, 'buildout.cfg');
  writeHostoutConfig(cfg, parts);
});

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  for (const p of [staging, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('round trips of a deploy (--json run-end roundTrips)', () => {
  test('one host, a 1% change: two round trips (lock + releases + next; record + flip + restart + prune + unlock)', () => {
    deploy(['web1']);
    for (let v = 2; v <= 3; v++) {
      writeStaging(v, true);
      const before = liveRelease(path.join(prodSite(0), '.hostout'));
      const r = deploy(['web1']);
      if (process.env.HOSTOUT_SHOW_STEPS) process.stderr.write(`web1 steps, deploy ${v}:\n${r.steps.web1.join('\n')}\n`);
      expect({ v, steps: r.steps.web1.length, roundTrips: r.roundTrips.web1 }).toEqual({ v, steps: 2, roundTrips: 2 });
      // It did deploy: a new release live, the restart line ran in it, old releases pruned, no lock left.
      expect(liveRelease(path.join(prodSite(0), '.hostout'))).not.toBe(before);
      expect(fs.readFileSync(path.join(prodSite(0), 'bin', 'pkg', 'f7.py'), 'utf8')).toContain(`version ${v}`);
      expect(fs.existsSync(path.join(prodSite(0), 'restarted'))).toBe(true);
      expect(fs.readdirSync(path.join(prodSite(0), '.hostout', 'releases')).length).toBe(2);
      expect(fs.existsSync(path.join(prodSite(0), '.hostout', 'lock'))).toBe(false);
    }
  });

  test('two hosts, all or nothing: each host stays within its count', () => {
    deploy(WEB);
    writeStaging(4, true);
    const r = deploy(WEB);
    if (process.env.HOSTOUT_SHOW_STEPS) process.stderr.write(`steps across hosts:\n${JSON.stringify(r.steps, null, 1)}\n`);
    for (const [i, w] of WEB.entries()) {
      expect({ w, roundTrips: r.roundTrips[w] }).toEqual({ w, roundTrips: MULTI_HOST_ROUND_TRIPS });
      expect(fs.readFileSync(path.join(prodSite(i), 'bin', 'pkg', 'f7.py'), 'utf8')).toContain('version 4');
      expect(fs.existsSync(path.join(prodSite(i), '.hostout', 'lock'))).toBe(false);
    }
  });
});

/**
 * Per host of a deploy across hosts (all or nothing, each phase a command of its own): prepare (lock +
 * releases + next; its release is recorded by the flip's round trip), flip (record + flip, from the
 * releases the prepare left: the run held the lock since), activate (deploy_etc, the lock's phase note and
 * the restart lines in one), finish (prune from the releases the flip left + unlock).
 */
const MULTI_HOST_ROUND_TRIPS = 4;
