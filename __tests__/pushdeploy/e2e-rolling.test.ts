/**
 * Zero-downtime deploys end to end: the real `node bin/hostout.js`, a
 * production sshd in its own mount namespace running a real supervisord with
 * two instances of a small HTTP app (it listens only 2 s after it starts,
 * like Zope) and a real haproxy with an admin socket in front of them, while
 * this test sends requests through haproxy and counts the failed ones.
 * Needs root (CI is root); see fixtures/rolling.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, waitUntil, writeHostoutConfig } from '../../fixtures/site';
import {
  Balancer, SiteSupervisor, ask, instancesOption, makeInstances, seedPorts, setRelease, startLoad, waitForAll, writeStagingSite, type AppInstance,
} from '../../fixtures/rolling';
import { liveRelease } from '../support/live-release';

jest.setTimeout(240000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `roll-${id}`;
const group = `roll-${id}`;
const sitePath = `/var/buildout/${site}`;

let prod: SshServer;
let work: string;
let cfg: string;
let instances: AppInstance[];
let supervisor: SiteSupervisor;
let balancer: Balancer;
let prodSite: string;

function hostout(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 200000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * hostout run while the load generator runs in this process: spawnSync would
 * block its event loop (no request sent, and every request in flight timing out).
 */
function hostoutAsync(args: string[]): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, stdout });
    });
  });
}

const validEvent = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(repoRoot(), 'docs', 'events.schema.json'), 'utf8')));

interface RollStep { type: string; host: string; command?: string; plugin: string; kind: string; step: string; subject: string; durationMs: number; fields: Record<string, unknown> }

/** The roll's plugin-step events of a --json run's stdout (every event checked against docs/events.schema.json). */
function rollSteps(stdout: string): RollStep[] {
  const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  for (const e of events) if (!validEvent(e)) throw new Error(`invalid event ${JSON.stringify(e)}: ${JSON.stringify(validEvent.errors)}`);
  return events.filter((e): e is RollStep => e.type === 'plugin-step');
}

const named = (steps: RollStep[]) => steps.map((e) => `${e.kind} ${e.step} ${e.subject}`);

function ok(args: string[]): string {
  const r = hostout(args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

function live(): string {
  return liveRelease(path.join(prodSite, '.hostout'));
}

async function releasesAnswering(): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const i of instances) out[i.name] = (await ask(i.port))?.release;
  return out;
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: ['root'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-roll-'));
  instances = await makeInstances(2);
  writeStagingSite(sitePath, group, instances.map((i) => i.name), { release: 'v1' });
  prodSite = path.join(prod.varBuildout as string, site);
  seedPorts(prodSite, instances);
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, prod.knownHostsLine + '\n');
  const base = {
    host: `127.0.0.1:${prod.port}`, 'known-hosts-file': knownHosts, user: 'root', 'identity-file': prod.clientKeyPath,
    path: sitePath, hostname: group, restart: `supervisorctl restart ${group}:*`,
  };
  cfg = path.join(work, 'buildout.cfg');
  const rolling = { instances: instancesOption(instances), 'health-timeout': '30', 'drain-timeout': '10' };
  // The balancer's socket is only known once haproxy runs: the config is written after.
  const write = (socket: string) => writeHostoutConfig(cfg, {
    [site]: { ...base, ...rolling, 'haproxy-socket': socket, 'haproxy-backend': 'plone' },
    // The same site as deployed before this feature: every instance restarted at once.
    [`${site}-all`]: base,
    [`${site}-nobackend`]: { ...base, ...rolling, 'haproxy-socket': socket, 'haproxy-backend': 'nosuch' },
    [`${site}-nosocket`]: { ...base, ...rolling, 'haproxy-socket': `${socket}.missing`, 'haproxy-backend': 'plone' },
    [`${site}-broken`]: { ...base, ...rolling, 'health-timeout': '6', 'haproxy-socket': socket, 'haproxy-backend': 'plone' },
  });
  write('/nonexistent');
  ok([site, 'push']);
  supervisor = new SiteSupervisor(prod.pid, sitePath, prodSite);
  await supervisor.start(instances);
  balancer = await Balancer.start(prod.pid, prod.varBuildout as string, instances);
  write(balancer.socket);
});

afterAll(async () => {
  await balancer?.stop().catch(() => undefined);
  await supervisor?.stop().catch(() => undefined);
  await prod?.stop();
  for (const p of [sitePath, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('zero-downtime deploys on real servers (haproxy, supervisord)', () => {
  test('deploy rolls the instances one at a time behind haproxy: no request fails, every instance runs the new release, none is left drained', async () => {
    setRelease(sitePath, { release: 'v2' });
    const pids = await Promise.all(instances.map((i) => ask(i.port)));
    const load = startLoad(balancer.port);
    const out = await hostoutAsync(['--json', site, 'deploy']);
    const result = await load.stop();
    expect({ code: out.code, out: out.code === 0 ? '' : out.out }).toEqual({ code: 0, out: '' });
    // --json: an event per step of each instance, in order, with its duration.
    const steps = rollSteps(out.stdout);
    expect(named(steps)).toEqual(['instance1', 'instance2'].flatMap((i) => ['drain', 'drained', 'restart', 'healthy', 'ready'].map((st) => `roll ${st} ${i}`)));
    for (const e of steps) {
      expect(e).toMatchObject({ host: site, command: 'deploy', plugin: 'hostout.pushdeploy', fields: { server: `plone/${e.subject}` } });
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    // The app listens 2 s after it starts: its health step took that long at least.
    for (const e of steps.filter((x) => x.step === 'healthy')) expect(e.durationMs).toBeGreaterThanOrEqual(1500);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(result.requests).toBeGreaterThan(50);
    expect(Object.keys(result.releases).sort()).toEqual(['v1', 'v2']);
    expect(await releasesAnswering()).toEqual({ instance1: 'v2', instance2: 'v2' });
    const after = await Promise.all(instances.map((i) => ask(i.port)));
    after.forEach((a, k) => expect(a?.pid).not.toBe(pids[k]?.pid));
    expect(balancer.adminStates()).toEqual({ instance1: 0, instance2: 0 });
    // One instance at a time: instance1 is ready again before instance2 is drained.
    const order = ['roll instance1: drain', 'roll instance1: healthy', 'roll instance1: ready', 'roll instance2: drain', 'roll instance2: ready']
      .map((l) => out.out.indexOf(l));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("the deploy as before this feature (restart = supervisorctl restart group:*) fails requests: what the roll removes", async () => {
    setRelease(sitePath, { release: 'v3' });
    const load = startLoad(balancer.port);
    const out = await hostoutAsync([`${site}-all`, 'deploy']);
    expect(out.code).toBe(0);
    await waitForAll(instances, 30000);
    const result = await load.stop();
    expect(result.failed).toBeGreaterThan(0);
    expect(await releasesAnswering()).toEqual({ instance1: 'v3', instance2: 'v3' });
    // haproxy's own checks bring both back before the next test.
    await new Promise((r) => setTimeout(r, 2000));
  });

  test('an instance that does not become healthy stops the roll: flipped back, the instance rolled back the same way, exit 1 naming host and instance, no request fails', async () => {
    const before = live();
    setRelease(sitePath, { release: 'v4-broken', status: 500 });
    const load = startLoad(balancer.port);
    const out = await hostoutAsync(['--json', `${site}-broken`, 'deploy']);
    const result = await load.stop();
    expect(out.code).toBe(1);
    // The failed roll's steps, then the rollback's own for the instance it restarted.
    expect(named(rollSteps(out.stdout))).toEqual([
      'roll drain instance1', 'roll drained instance1', 'roll restart instance1', 'roll healthy instance1',
      'rollback drain instance1', 'rollback drained instance1', 'rollback restart instance1', 'rollback healthy instance1', 'rollback ready instance1',
    ]);
    expect(rollSteps(out.stdout)[3].fields).toMatchObject({ ok: false });
    expect(result.requests).toBeGreaterThan(50);
    expect(out.out).toMatch(new RegExp(`${site}-broken.*instance1 did not become healthy within 6 s`));
    expect(out.out).toMatch(/rolled instance1 back \(drain, restart, health, ready\); instance2 never restarted: every instance runs release/);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(live()).toBe(before);
    expect(await releasesAnswering()).toEqual({ instance1: 'v3', instance2: 'v3' });
    expect(balancer.adminStates()).toEqual({ instance1: 0, instance2: 0 });
    setRelease(sitePath, { release: 'v3' });
  });

  test('an unknown haproxy backend or an unreachable admin socket is refused before anything changes (exit 2, what to set)', () => {
    const before = live();
    const releases = fs.readdirSync(path.join(prodSite, '.hostout', 'releases')).sort();
    setRelease(sitePath, { release: 'v5' });
    const noBackend = hostout([`${site}-nobackend`, 'deploy']);
    expect(noBackend.code).toBe(2);
    expect(noBackend.out).toMatch(/has no backend 'nosuch'.*set haproxy-backend/);
    const noSocket = hostout([`${site}-nosocket`, 'deploy']);
    expect(noSocket.code).toBe(2);
    expect(noSocket.out).toMatch(/cannot reach haproxy .*admin\.sock\.missing.*Set haproxy-socket/);
    expect(live()).toBe(before);
    expect(fs.readdirSync(path.join(prodSite, '.hostout', 'releases')).sort()).toEqual(releases);
    expect(noBackend.out + noSocket.out).not.toMatch(/\n\s+at /);
  });

  test('--dry-run prints the roll plan for each instance, asks haproxy for real and changes nothing', async () => {
    const pids = await Promise.all(instances.map((i) => ask(i.port)));
    const out = ok(['--dry-run', site, 'deploy']);
    expect(out).toMatch(/roll instance1: drain plone\/instance1 \(until 0 sessions, up to 10 s\), then restart: supervisorctl restart roll-\w+:instance1, then health: http:\/\/127\.0\.0\.1:\d+\/ \(up to 30 s\), then ready plone\/instance1/);
    expect(out).toMatch(/roll instance2: drain/);
    expect(out).toMatch(/socket\(root@127\.0\.0\.1:\d+\): \/var\/buildout\/.*admin\.sock <- set server plone\/instance1 state drain/);
    expect((await Promise.all(instances.map((i) => ask(i.port)))).map((a) => a?.pid)).toEqual(pids.map((a) => a?.pid));
    expect(balancer.adminStates()).toEqual({ instance1: 0, instance2: 0 });
  });

  test('the haproxy command talks to the runtime API through the ssh connection', () => {
    const out = ok([site, 'haproxy', 'show', 'servers', 'state', 'plone']);
    expect(out).toMatch(/instance1 127\.0\.0\.1/);
  });
});

describe('Ctrl-C during the roll (runs last: the deploy it stops leaves its release live)', () => {
  test.each([
    ['SIGINT', 130, 'v6'],
    ['SIGTERM', 143, 'v7'],
  ] as const)('%s while an instance is in hand: it is set back to ready in haproxy, exit %i', async (signal, status, release) => {
    setRelease(sitePath, { release });
    const load = startLoad(balancer.port);
    const child = spawn('node', [HOSTOUT, '-c', cfg, site, 'deploy'], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const onData = (c: Buffer) => {
      out += c.toString('utf8');
      if (!sent && out.includes('roll instance1: drain')) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const result = await load.stop();
    expect(sent).toBe(true);
    expect({ code, out: code === status ? '' : out }).toEqual({ code: status, out: '' });
    expect(out).toMatch(/roll interrupted: instance1 set back to ready in haproxy/);
    // Where each instance stands, and which release that is.
    expect(out).toMatch(/roll of roll-\w+ interrupted: instance1 (set back to ready \(its restart may not have finished\)|not restarted|restarted \(its restart, cut short, was run again\)), instance2 not restarted; release \S+ is live: the restarted instances run it, the others still run \S+/);
    expect(balancer.adminStates()).toEqual({ instance1: 0, instance2: 0 });
    expect(result.requests).toBeGreaterThan(0);
    // Whatever the restart reached, the instance runs under supervisord.
    expect(supervisor.states()).toEqual({ instance1: 'RUNNING', instance2: 'RUNNING' });
    await waitForAll(instances, 30000);
  });

  test('SIGINT while supervisorctl restarts an instance (its stop takes seconds): the restart is run again, the instance runs and is ready, no request fails, exit 130', async () => {
    // The instances run a release that stops slowly (4 s after SIGTERM), as a Zope does.
    setRelease(sitePath, { release: 'v8', stopDelay: 4 });
    ok([site, 'deploy']);
    setRelease(sitePath, { release: 'v9', stopDelay: 4 });
    const load = startLoad(balancer.port);
    const child = spawn('node', [HOSTOUT, '-c', cfg, site, 'deploy'], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let restarting = false;
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The signal lands while supervisord is stopping instance1 for hostout's restart line.
    await waitUntil(() => {
      if (!restarting) restarting = out.includes('roll instance1: restart: ');
      return restarting && supervisor.states().instance1 === 'STOPPING';
    }, 'instance1 to be stopping for the restart', 60000);
    child.kill('SIGINT');
    const code = await closed;
    const result = await load.stop();
    expect({ code, out: code === 130 ? '' : out }).toEqual({ code: 130, out: '' });
    expect(out).toMatch(/roll interrupted: the restart of instance1 was cut short; running it again: supervisorctl restart roll-\w+:instance1/);
    expect(out).toMatch(/roll interrupted: instance1 restarted again, healthy and set back to ready in haproxy/);
    expect(out).toMatch(/roll of roll-\w+ interrupted: instance1 restarted \(its restart, cut short, was run again\), instance2 not restarted; release \S+ is live: the restarted instances run it, the others still run \S+/);
    // Every instance runs under supervisord, none is left drained, and the visitors saw nothing.
    expect(supervisor.states()).toEqual({ instance1: 'RUNNING', instance2: 'RUNNING' });
    expect(balancer.adminStates()).toEqual({ instance1: 0, instance2: 0 });
    expect(result.requests).toBeGreaterThan(0);
    expect({ failed: result.failed, errors: result.errors }).toEqual({ failed: 0, errors: [] });
    expect(await releasesAnswering()).toEqual({ instance1: 'v9', instance2: 'v8' });
  });
});
