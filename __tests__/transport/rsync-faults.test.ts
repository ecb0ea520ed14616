/**
 * Production dying in the middle of a large push, through both rsync relays,
 * on the real servers: the remote `rsync --server` killed (the OOM killer),
 * the sshd session killed, every production process killed (a crash whose
 * kernel still closes the sockets), the TCP connection reset, and the
 * connection going silent (a crash nobody reports: only keepalives notice).
 * Each must end within a bound with a message that says what happened and
 * the error class (so the exit status) that says which fault it was, and
 * leave no relay or rsync process behind.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError, HostoutError, TransportError } from '../../lib/errors';
import { KEEPALIVE_INTERVAL_MS, KEEPALIVE_COUNT_MAX } from '../../lib/transport/connection';
import type { RealTransportFactory } from '../../lib/transport';
import type { RsyncRelay } from '../../lib/transport/rsync-tunnel';
import { RELAY_STALL_GRACE_MS } from '../../lib/transport/rsync';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { ancestryUnder, commandLine, descendants } from '../../fixtures/servers/proc-tree';
import { isAlive } from '../../fixtures/servers/process-registry';
import { startTcpProxy, type TcpProxy } from '../../fixtures/servers/tcp-proxy';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

/** How long a fault that production's kernel reports (a closed or reset socket, a dead process) may take to end the run. */
const REPORTED_FAULT_BOUND_MS = 15000;
/** A silent connection is noticed by keepalives: (count + 1) intervals after the last answer, plus slack for a loaded machine. */
const SILENT_FAULT_BOUND_MS = (KEEPALIVE_COUNT_MAX + 1) * KEEPALIVE_INTERVAL_MS + 10000;

let home: TestHome;
let src: string;
const servers: SshServer[] = [];
const proxies: TcpProxy[] = [];
const factories: RealTransportFactory[] = [];

beforeAll(() => {
  home = makeTestHome();
  src = fs.mkdtempSync(path.join(home.dir, 'huge-'));
  // 200 MB that no compression shrinks: the push is mid-file for seconds.
  const fd = fs.openSync(path.join(src, 'huge.so'), 'w');
  for (let i = 0; i < 200; i++) fs.writeSync(fd, crypto.randomBytes(1024 * 1024));
  fs.closeSync(fd);
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await Promise.allSettled(proxies.map((p) => p.close()));
  await Promise.allSettled(servers.map((s) => s.stop()));
  home?.cleanup();
});

async function production(): Promise<SshServer> {
  const prod = await startProductionSshServer();
  servers.push(prod);
  home.trust(prod);
  return prod;
}

async function proxyTo(prod: SshServer): Promise<TcpProxy> {
  const proxy = await startTcpProxy(prod.port);
  proxies.push(proxy);
  fs.appendFileSync(home.knownHosts, `[127.0.0.1]:${proxy.port} ${prod.hostKeyPublic}\n`);
  return proxy;
}

/** Sum of the sizes of every file under dir. */
function bytesUnder(dir: string): number {
  let total = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : fs.lstatSync(p).size;
  }
  return total;
}

/** Every file under dir, relative, sorted. */
function filesUnder(dir: string, rel = ''): string[] {
  if (!fs.existsSync(path.join(dir, rel))) return [];
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

/** Our rsync children and the relays under them (not production's side: its sshd is our child too). */
function ourRsyncTree(): number[] {
  const remote = new Set(servers.flatMap((s) => [s.pid, ...descendants(s.pid)]));
  return descendants(process.pid).filter((p) => !remote.has(p) && /rsync/.test(commandLine(p)));
}

/** The production `rsync --server` and the sshd processes above it. */
function remoteRsync(prod: SshServer): { rsync?: number; sshdSession?: number } {
  const rsync = descendants(prod.pid).find((p) => commandLine(p).startsWith('rsync --server'));
  if (rsync === undefined) return {};
  const chain = ancestryUnder(rsync, prod.pid);
  return { rsync, sshdSession: chain[chain.length - 1] };
}

interface Outcome {
  error: HostoutError;
  ms: number;
}

/**
 * Push the 200 MB file; once a few MB of it have arrived on production,
 * run `fault`, and time how long the push takes to fail from then on.
 */
async function pushAndBreak(
  relay: RsyncRelay, prod: SshServer, target: { port: number }, name: string, fault: () => void, options: Record<string, string> = {},
): Promise<Outcome> {
  const { factory } = realFactory(home, {}, undefined, relay);
  factories.push(factory);
  const h = factory.forHost('site', { ...hostOptions(prod), host: `127.0.0.1:${target.port}`, 'rsync-compress': 'no', ...options });
  const dest = path.join(prod.varBuildout as string, name);
  let settled = false;
  const push = h.rsync({ from: `${src}/`, to: `/var/buildout/${name}/`, direction: 'push' }).then(
    () => {
      settled = true;
      return undefined;
    },
    (e: unknown) => {
      settled = true;
      return e;
    },
  );
  const deadline = Date.now() + 60000;
  while (bytesUnder(dest) < 8 * 1024 * 1024) {
    if (settled) throw new Error(`the push ended before the fault: ${String(await push)}`);
    if (Date.now() > deadline) throw new Error('the push never got going');
    await new Promise((r) => setTimeout(r, 20));
  }
  const at = Date.now();
  fault();
  const error = (await push) as HostoutError;
  const ms = Date.now() - at;
  await factory.closeAll();
  return { error, ms };
}

/** Processes a test stopped (SIGSTOP): killed at the end of the test whatever happened. */
const stoppedByTest: number[] = [];
afterEach(() => {
  for (const pid of stoppedByTest.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

function stop(pids: number[]): void {
  expect(pids.length).toBeGreaterThan(0);
  stoppedByTest.push(...pids);
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
}

/** Every process of production's `rsync --server` (the receiver forks: generator and receiver). */
function remoteRsyncs(prod: SshServer): number[] {
  return descendants(prod.pid).filter((p) => commandLine(p).startsWith('rsync --server'));
}

/** Bound for a stall: the rsync-timeout the test sets, the remote grace, and slack for a loaded machine. */
const STALL_TIMEOUT_S = 10;

async function expectNoProcessesLeft(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (ourRsyncTree().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(ourRsyncTree().map((p) => commandLine(p))).toEqual([]);
}

describe.each(['perl', 'node'] as const)('relay %s', (relay) => {
  it('the remote rsync killed by SIGKILL mid-file (the OOM killer): fails at once, naming the signal', async () => {
    const prod = await production();
    const { error, ms } = await pushAndBreak(relay, prod, prod, `oom-${relay}`, () => {
      const { rsync } = remoteRsync(prod);
      expect(rsync).toBeDefined();
      process.kill(rsync as number, 'SIGKILL');
    });
    expect(ms).toBeLessThan(REPORTED_FAULT_BOUND_MS);
    // The temp file went with the run's temp dir (the wrapper outlives rsync), and the dir too.
    expect(filesUnder(path.join(prod.varBuildout as string, `oom-${relay}`), '')).toEqual([]);
    expect(fs.readdirSync(path.join(prod.varBuildout as string, `oom-${relay}`))).toEqual([]);
    expect(error).toBeInstanceOf(CommandError);
    expect(error.exitCode).toBe(1);
    expect((error as CommandError).signal).toBe('SIGKILL');
    expect(error.message).toMatch(/^\[site\] command failed on root@127\.0\.0\.1:\d+ with signal SIGKILL: rsync -pthlr /);
    await expectNoProcessesLeft();
  });

  it('the sshd session killed mid-file: the connection is lost, and hostout says so', async () => {
    const prod = await production();
    const { error, ms } = await pushAndBreak(relay, prod, prod, `session-${relay}`, () => {
      const { sshdSession } = remoteRsync(prod);
      expect(sshdSession).toBeDefined();
      expect(commandLine(sshdSession as number)).toMatch(/^sshd/);
      process.kill(sshdSession as number, 'SIGKILL');
    });
    expect(ms).toBeLessThan(REPORTED_FAULT_BOUND_MS);
    // rsync, cut off, exits and its wrapper removes the run's temp dir.
    const dest = path.join(prod.varBuildout as string, `session-${relay}`);
    for (let i = 0; i < 100 && filesUnder(dest).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(filesUnder(dest)).toEqual([]);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(/^\[site\] the ssh connection to root@127\.0\.0\.1:\d+ was lost while running: rsync --server /);
    await expectNoProcessesLeft();
  });

  it('production crashing mid-file (every production process killed): the connection is lost', async () => {
    const prod = await production();
    const { error, ms } = await pushAndBreak(relay, prod, prod, `crash-${relay}`, () => {
      // All at once, as a crash does: stopped first, so none runs (a wrapper's cleanup, say) while the others are killed.
      const all = [prod.pid, ...descendants(prod.pid)];
      for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
        for (const pid of all) {
          try {
            process.kill(pid, signal);
          } catch {
            // gone already
          }
        }
      }
    });
    expect(isAlive(prod.pid)).toBe(false);
    expect(ms).toBeLessThan(REPORTED_FAULT_BOUND_MS);
    // Nothing ran after the crash: the half-written file is in the temp area, which the next run clears.
    const left = filesUnder(path.join(prod.varBuildout as string, `crash-${relay}`));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.hostout-rsync-tmp\/[^/]+-\d+-\d+\/huge\.so\.\w{6}$/);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(/^\[site\] the ssh connection to root@127\.0\.0\.1:\d+ was lost while running: rsync --server /);
    await expectNoProcessesLeft();
  });

  it('the TCP connection reset mid-file: the connection is lost', async () => {
    const prod = await production();
    const proxy = await proxyTo(prod);
    const { error, ms } = await pushAndBreak(relay, prod, proxy, `reset-${relay}`, () => proxy.reset());
    expect(ms).toBeLessThan(REPORTED_FAULT_BOUND_MS);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(/^\[site\] the ssh connection to root@127\.0\.0\.1:\d+ was lost while running: rsync --server /);
    await expectNoProcessesLeft();
  });

  it('the remote rsync stopped (SIGSTOP) mid-file while sshd still answers: rsync-timeout ends it (74)', async () => {
    const prod = await production();
    const { error, ms } = await pushAndBreak(relay, prod, prod, `stopped-${relay}`, () => stop(remoteRsyncs(prod)), { 'rsync-timeout': String(STALL_TIMEOUT_S) });
    expect(ms).toBeLessThan(STALL_TIMEOUT_S * 1000 + 10000);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(new RegExp(`^\\[site\\] no data moved for ${STALL_TIMEOUT_S} s \\(rsync-timeout\\) to or from root@127\\.0\\.0\\.1:\\d+; gave up on: rsync --server `));
    await expectNoProcessesLeft();
  });

  it('both rsyncs stopped (SIGSTOP), so neither --timeout can fire: the relay\'s inactivity check ends it (74)', async () => {
    const prod = await production();
    const { error, ms } = await pushAndBreak(relay, prod, prod, `both-stopped-${relay}`, () => {
      stop(remoteRsyncs(prod));
      stop(ourRsyncTree().filter((p) => commandLine(p).startsWith('rsync ')));
    }, { 'rsync-timeout': String(STALL_TIMEOUT_S) });
    expect(ms).toBeLessThan(STALL_TIMEOUT_S * 1000 + RELAY_STALL_GRACE_MS + 10000);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(/no data moved for \d+ s \(rsync-timeout\)/);
    await expectNoProcessesLeft();
  });

  it('the connection going silent mid-file: keepalives notice within the documented bound', async () => {
    const prod = await production();
    const proxy = await proxyTo(prod);
    const { error, ms } = await pushAndBreak(relay, prod, proxy, `silent-${relay}`, () => proxy.blackhole());
    expect(ms).toBeLessThan(SILENT_FAULT_BOUND_MS);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('lost');
    expect(error.exitCode).toBe(74);
    expect(error.message).toMatch(/^\[site\] the ssh connection to root@127\.0\.0\.1:\d+ went silent \(no answer to 3 keepalives in 20 s\) while running: rsync --server /);
    await expectNoProcessesLeft();
  });
});

it('the next push clears temp files a crashed rsync left (not written for an hour), keeps a live run\'s, and leaves no temp area', async () => {
  const prod = await production();
  const dest = path.join(prod.varBuildout as string, 'stale');
  const area = path.join(dest, '.hostout-rsync-tmp');
  fs.mkdirSync(path.join(area, 'staging-1-1'), { recursive: true });
  fs.mkdirSync(path.join(area, 'staging-2-1'), { recursive: true });
  fs.writeFileSync(path.join(area, 'staging-1-1', 'huge.so.rXyGnw'), Buffer.alloc(1024 * 1024));
  const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
  fs.utimesSync(path.join(area, 'staging-1-1', 'huge.so.rXyGnw'), twoHoursAgo, twoHoursAgo);
  fs.writeFileSync(path.join(area, 'staging-2-1', 'live.so.AbCdEf'), 'being written');
  const small = fs.mkdtempSync(path.join(home.dir, 'small-'));
  fs.writeFileSync(path.join(small, 'a.txt'), 'a');
  const { factory } = realFactory(home);
  factories.push(factory);
  const h = factory.forHost('site', hostOptions(prod));
  await h.rsync({ from: `${small}/`, to: '/var/buildout/stale/', direction: 'push', delete: true });
  expect(filesUnder(dest)).toEqual(['.hostout-rsync-tmp/staging-2-1/live.so.AbCdEf', 'a.txt']);
  // Once the live one is gone too, the area goes with the next run.
  fs.rmSync(path.join(area, 'staging-2-1'), { recursive: true });
  await h.rsync({ from: `${small}/`, to: '/var/buildout/stale/', direction: 'push', delete: true });
  expect(fs.readdirSync(dest)).toEqual(['a.txt']);

  // A pull does the same on this machine.
  const local = fs.mkdtempSync(path.join(home.dir, 'pulled-'));
  const localArea = path.join(local, '.hostout-rsync-tmp', 'old-9-9');
  fs.mkdirSync(localArea, { recursive: true });
  fs.writeFileSync(path.join(localArea, 'a.txt.QwErTy'), 'half');
  fs.utimesSync(path.join(localArea, 'a.txt.QwErTy'), twoHoursAgo, twoHoursAgo);
  await h.rsync({ from: '/var/buildout/stale/', to: `${local}/`, direction: 'pull', delete: true });
  expect(fs.readdirSync(local)).toEqual(['a.txt']);
  await factory.closeAll();
});
