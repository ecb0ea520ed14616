/**
 * Zero-downtime deploys across two hosts: two production sshds (each in its
 * own mount namespace with its own supervisord and two instances), one real
 * haproxy on the first host balancing all four, `hostout -P 2 web1 web2
 * deploy` while this test sends requests through haproxy. Needs root.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, waitUntil, writeHostoutConfig } from '../../fixtures/site';
import {
  Balancer, SiteSupervisor, ask, instancesOption, makeInstances, seedPorts, setRelease, startLoad, writeStagingSite, type AppInstance,
} from '../../fixtures/rolling';
import { liveRelease } from '../support/live-release';

jest.setTimeout(300000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `rollh-${id}`;
const sitePath = `/var/buildout/${site}`;
const WEB = ['web1', 'web2'];

let prods: SshServer[] = [];
let work: string;
let cfg: string;
const instances: AppInstance[][] = [];
const supervisors: SiteSupervisor[] = [];
let balancer: Balancer;

function hostout(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 280000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * hostout run while the load generator runs in this process: spawnSync would
 * block its event loop (no request sent, and every request in flight timing out).
 */
function hostoutAsync(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const prodSite = (k: number) => path.join(prods[k].varBuildout as string, site);
const live = (k: number) => liveRelease(path.join(prodSite(k), '.hostout'));

async function releasesAnswering(): Promise<string[]> {
  return Promise.all(instances.flat().map(async (i) => `${i.server}=${(await ask(i.port))?.release}`));
}

beforeAll(async () => {
  prods = await Promise.all(WEB.map(() => startProductionSshServer({ authorizeClientKeyFor: ['root'] })));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-rollh-'));
  writeStagingSite(sitePath, site, ['instance1', 'instance2'], { release: 'v1' });
  for (const [k, w] of WEB.entries()) {
    // Both hosts share this machine's loopback: each host's instances have ports and haproxy names of their own.
    instances.push((await makeInstances(2)).map((i, n) => ({ ...i, server: `${w}-${n + 1}` })));
    seedPorts(prodSite(k), instances[k]);
  }
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, prods.map((p) => p.knownHostsLine).join('\n') + '\n');
  cfg = path.join(work, 'buildout.cfg');
  const write = (socket: string) => writeHostoutConfig(cfg, Object.fromEntries(WEB.map((w, k) => [w, {
    host: `127.0.0.1:${prods[k].port}`, 'known-hosts-file': knownHosts, user: 'root', 'identity-file': prods[k].clientKeyPath,
    path: sitePath, hostname: site, restart: `supervisorctl restart ${site}:*`,
    instances: instancesOption(instances[k]), 'health-timeout': '30', 'drain-timeout': '10', 'canary-wait': '3',
    'haproxy-backend': 'plone',
    // haproxy runs on web1: web2 reaches its socket through web1's part.
    ...(k === 0 ? { 'haproxy-socket': socket } : { 'haproxy-host': 'web1' }),
  }])));
  write('/nonexistent');
  for (const w of WEB) {
    const r = hostout([w, 'push']);
    if (r.code !== 0) throw new Error(`push ${w}: ${r.out}`);
  }
  for (const k of [0, 1]) {
    supervisors.push(new SiteSupervisor(prods[k].pid, sitePath, prodSite(k)));
    await supervisors[k].start(instances[k]);
  }
  balancer = await Balancer.start(prods[0].pid, prods[0].varBuildout as string, instances.flat());
  write(balancer.socket);
});

afterAll(async () => {
  await balancer?.stop().catch(() => undefined);
  for (const s of supervisors) await s.stop().catch(() => undefined);
  await Promise.allSettled(prods.map((p) => p.stop()));
  for (const p of [sitePath, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('zero-downtime deploys across two hosts (-P 2)', () => {
  test('hosts prepare at once, then go live one at a time (web1 rolled before web2 flips): no request fails', async () => {
    setRelease(sitePath, { release: 'v2' });
    const load = startLoad(balancer.port);
    const r = await hostoutAsync(['-P', '2', ...WEB, 'deploy']);
    const result = await load.stop();
    expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.requests).toBeGreaterThan(50);
    expect(await releasesAnswering()).toEqual(['web1-1=v2', 'web1-2=v2', 'web2-1=v2', 'web2-2=v2']);
    const at = (s: string) => r.out.indexOf(s);
    expect(at('all or nothing: flip on web1')).toBeGreaterThan(at('all or nothing: prepare on web1 web2'));
    expect(at('[web1] roll instance2: ready')).toBeGreaterThan(at('all or nothing: flip on web1'));
    expect(at('all or nothing: flip on web2')).toBeGreaterThan(at('[web1] roll instance2: ready'));
    expect(at('[web2] roll instance1: drain')).toBeGreaterThan(at('all or nothing: flip on web2'));
    expect(balancer.adminStates()).toEqual({ 'web1-1': 0, 'web1-2': 0, 'web2-1': 0, 'web2-2': 0 });
  });

  test('--canary: the first host is watched before the other flips', async () => {
    setRelease(sitePath, { release: 'v3' });
    const load = startLoad(balancer.port);
    const r = await hostoutAsync(['--canary', '-P', '2', ...WEB, 'deploy']);
    const result = await load.stop();
    expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });
    expect(result.failed).toBe(0);
    expect(result.requests).toBeGreaterThan(50);
    const at = (s: string) => r.out.indexOf(s);
    expect(at('[web1] canary: every instance stayed healthy for')).toBeGreaterThan(at('[web1] roll instance2: ready'));
    expect(at('all or nothing: flip on web2')).toBeGreaterThan(at('[web1] canary: every instance stayed healthy'));
    expect(await releasesAnswering()).toEqual(['web1-1=v3', 'web1-2=v3', 'web2-1=v3', 'web2-2=v3']);
  });

  test('a release broken on web2 only: web2 stops at its first instance, both hosts flip back and roll back, no request fails, exit 1', async () => {
    fs.writeFileSync(path.join(prodSite(1), 'var', 'fail.json'), '["v4"]\n');
    const before = [live(0), live(1)];
    setRelease(sitePath, { release: 'v4' });
    const load = startLoad(balancer.port);
    const r = await hostoutAsync([`web2:health-timeout=6`, '-P', '2', ...WEB, 'deploy']);
    const result = await load.stop();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/web2.*instance instance1 did not become healthy within 6 s/);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.requests).toBeGreaterThan(50);
    expect([live(0), live(1)]).toEqual(before);
    expect(await releasesAnswering()).toEqual(['web1-1=v3', 'web1-2=v3', 'web2-1=v3', 'web2-2=v3']);
    expect(r.out).toMatch(/^web1 .* rolled back/m);
    expect(balancer.adminStates()).toEqual({ 'web1-1': 0, 'web1-2': 0, 'web2-1': 0, 'web2-2': 0 });
  });

  test('Ctrl-C (a real SIGINT) while web2 restarts an instance, web1 already live on the new release: web2\'s instance restarted again and ready (haproxy on web1), then both hosts back on the release before, every instance running it and ready, no lock left, the summary says each host\'s release, exit 130', async () => {
    // Instances that stop slowly (3 s after SIGTERM, as a Zope does), so that the signal surely lands in a restart.
    setRelease(sitePath, { release: 'v5', stopDelay: 3 });
    const first = await hostoutAsync(['-P', '2', ...WEB, 'deploy']);
    expect({ code: first.code, out: first.code === 0 ? '' : first.out }).toEqual({ code: 0, out: '' });
    const before = [live(0), live(1)];
    const answering = await releasesAnswering();
    expect(answering).toEqual(['web1-1=v5', 'web1-2=v5', 'web2-1=v5', 'web2-2=v5']);
    setRelease(sitePath, { release: 'v6', stopDelay: 3 });
    const load = startLoad(balancer.port);
    const child = spawn('node', [HOSTOUT, '-c', cfg, '-P', '2', ...WEB, 'deploy'], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240000);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve)).finally(() => clearTimeout(timer));
    // Mid-roll of the second host: supervisord is stopping web2's instance1 for its restart line.
    let restarting = false;
    await waitUntil(() => {
      if (!restarting) restarting = out.includes('[web2] roll instance1: restart: ');
      return restarting && supervisors[1].states().instance1 === 'STOPPING';
    }, "web2's instance1 to be stopping for the restart", 120000);
    child.kill('SIGINT');
    const code = await closed;
    const result = await load.stop();
    expect({ code, out: code === 130 ? '' : out }).toEqual({ code: 130, out: '' });
    // web1 had gone live on v6 and rolled; web2's cut restart was finished, its server set ready through web1's haproxy.
    expect(out).toMatch(/\[web1\] roll instance2: ready/);
    expect(out).toMatch(/\[web2\] roll interrupted: instance1 restarted again, healthy and set back to ready in haproxy/);
    // Then every host flipped back and its instances rolled back.
    expect([live(0), live(1)]).toEqual(before);
    expect(await releasesAnswering()).toEqual(answering);
    // No server drained or in maintenance, every instance running under supervisord, no deploy lock left.
    expect(balancer.adminStates()).toEqual({ 'web1-1': 0, 'web1-2': 0, 'web2-1': 0, 'web2-2': 0 });
    expect(supervisors.map((s) => s.states())).toEqual([{ instance1: 'RUNNING', instance2: 'RUNNING' }, { instance1: 'RUNNING', instance2: 'RUNNING' }]);
    expect([0, 1].map((k) => fs.existsSync(path.join(prodSite(k), '.hostout', 'lock')))).toEqual([false, false]);
    // The summary: which release each host ends on (the one before, never '?').
    for (const [k, w] of WEB.entries()) {
      expect(out.split('\n').find((l) => l.startsWith(`${w} `))).toMatch(new RegExp(`^${w} .*(rolled back|interrupted \\(130\\)) +${before[k]} +${before[k]} +`));
    }
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
  });
});
