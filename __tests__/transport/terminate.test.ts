/**
 * SIGTERM and SIGKILL of a hostout-like process (the compiled transport in
 * dist/, built by the e2e project's globalSetup) in the middle of an rsync push, on
 * the real servers. On SIGTERM the child does what the CLI's signal handler
 * does (lib/cli/run.ts: closeAll(), exit 143), and closeAll() must stop the
 * local rsync, disconnect and remove the private temp dir; after a SIGKILL,
 * which nothing can handle, the next run removes the dead run's private dir.
 * Production keeps no temp file either way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { dist } from '../support/built';
import { commandLine, descendants } from '../../fixtures/servers/proc-tree';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

const DIST = dist('lib');
let prod: SshServer;
let home: TestHome;
let src: string;

beforeAll(async () => {
  prod = await startProductionSshServer();
  home = makeTestHome();
  home.trust(prod);
  src = fs.mkdtempSync(path.join(home.dir, 'big-'));
  fs.writeFileSync(path.join(src, 'big.so'), crypto.randomBytes(150 * 1024 * 1024));
});

afterAll(async () => {
  await prod?.stop();
  home?.cleanup();
});

function privateDirsOf(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`hostout--${pid}-`));
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
}

/** A child that pushes the big file through rsync (slowly: --bwlimit), like `hostout site push` would. */
function startPushingChild(name: string): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const script = path.join(home.dir, `${name}.js`);
  fs.writeFileSync(script, `
    const { RealTransportFactory } = require(${JSON.stringify(path.join(DIST, 'transport/index.js'))});
    const { createPlainLogger } = require(${JSON.stringify(path.join(DIST, 'log.js'))});
    const f = new RealTransportFactory({ log: createPlainLogger('normal'), interactive: false, sshEnv: ${JSON.stringify(home.sshEnv)} });
    process.on('SIGTERM', () => { console.error('Terminated.'); f.closeAll().finally(() => process.exit(143)); });
    f.forHost('site', ${JSON.stringify(hostOptions(prod, { 'rsync-compress': 'no' }))})
      .rsync({ from: ${JSON.stringify(`${src}/`)}, to: '/var/buildout/${name}/', direction: 'push', extra: ['--bwlimit=20m'] })
      .then(() => { console.error('push finished'); process.exit(0); }, (e) => { console.error('push failed: ' + e.message); process.exit(1); });
  `);
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

async function waitUntilPushing(name: string, output: () => string): Promise<void> {
  const dest = path.join(prod.varBuildout as string, name);
  const deadline = Date.now() + 60000;
  const bytes = () => filesUnder(dest).reduce((n, f) => n + fs.statSync(path.join(dest, f)).size, 0);
  while (bytes() < 4 * 1024 * 1024) {
    if (Date.now() > deadline) throw new Error(`the push never got going: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('SIGTERM mid-push: closeAll() stops rsync and removes the private dir, exit 143 at once; production keeps no temp file', async () => {
  const { child, output, exited } = startPushingChild('term');
  try {
    await waitUntilPushing('term', output);
    const pid = child.pid as number;
    expect(privateDirsOf(pid)).toHaveLength(1);
    const rsyncs = descendants(pid).filter((p) => /rsync/.test(commandLine(p)));
    expect(rsyncs.length).toBeGreaterThan(0);
    const sentAt = Date.now();
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 15000)))]);
    clearTimeout(timer);
    expect(result).toEqual({ code: 143, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(10000);
    expect(output()).toContain('Terminated.');
    expect(privateDirsOf(pid)).toEqual([]);
    expect(rsyncs.filter((p) => commandLine(p) !== '')).toEqual([]);
    // Production's rsync saw its input end; its wrapper removed the temp dir.
    const dest = path.join(prod.varBuildout as string, 'term');
    for (let i = 0; i < 200 && filesUnder(dest).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(filesUnder(dest)).toEqual([]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

it('SIGKILL mid-push leaves the private dir, and the next run removes it (not a live run\'s)', async () => {
  const { child, output, exited } = startPushingChild('kill');
  const pid = child.pid as number;
  try {
    await waitUntilPushing('kill', output);
    child.kill('SIGKILL');
    await exited;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  expect(privateDirsOf(pid)).toHaveLength(1);
  // A dir named for a live process (production's sshd) is not touched.
  const live = path.join(os.tmpdir(), `hostout--${prod.pid}-AbCdEfGhIjKl`);
  fs.mkdirSync(live, { mode: 0o700 });
  // And one whose process ended long ago.
  const deadPid = spawnSync('true').pid as number;
  const dead = path.join(os.tmpdir(), `hostout--${deadPid}-ZyXwVuTsRqPo`);
  fs.mkdirSync(dead, { mode: 0o700 });
  try {
    const { factory } = realFactory(home);
    const small = fs.mkdtempSync(path.join(home.dir, 'small-'));
    fs.writeFileSync(path.join(small, 'f'), 'x');
    await factory.forHost('site', hostOptions(prod)).rsync({ from: `${small}/`, to: '/var/buildout/after-kill/', direction: 'push' });
    expect(privateDirsOf(process.pid)).toHaveLength(1); // ours, while the factory is open
    await factory.closeAll();
    expect(privateDirsOf(pid)).toEqual([]);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(privateDirsOf(process.pid)).toEqual([]);
  } finally {
    fs.rmSync(live, { recursive: true, force: true });
    fs.rmSync(dead, { recursive: true, force: true });
  }
});
