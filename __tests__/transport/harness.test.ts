/**
 * The harness itself: real sshd servers, the production mount namespace, the
 * test users and the agent, checked with the real OpenSSH client.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startProductionSshServer, startSshAgent, startSshServer, type SshAgent, type SshServer } from '../../fixtures/servers';
import { waitForExit } from '../../fixtures/servers/process-registry';
import { dist } from '../support/built';
import { writeKnownHosts } from '../../fixtures/servers/test-home';

let staging: SshServer | undefined;
let production: SshServer | undefined;
let agent: SshAgent | undefined;

beforeAll(async () => {
  staging = await startSshServer({ authorizeClientKeyFor: ['root', 'zope'] });
  production = await startProductionSshServer();
  agent = await startSshAgent();
});

afterAll(async () => {
  await Promise.allSettled([staging?.stop(), production?.stop(), agent?.stop()]);
});

function ssh(server: SshServer, user: string, command: string, env: NodeJS.ProcessEnv = process.env, key = server.clientKeyPath): string {
  const knownHosts = path.join(server.dir, 'known_hosts_for_test');
  writeKnownHosts(knownHosts, server);
  return execFileSync('ssh', [
    '-F', '/dev/null', '-i', key, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-p', String(server.port), `${user}@127.0.0.1`, command,
  ], { encoding: 'utf8', env, timeout: 30000 });
}

it('starts sshd on a random port with its own host key, and logs each login', () => {
  const s = staging as SshServer;
  expect(s.port).toBeGreaterThan(0);
  expect(s.knownHostsLine).toBe(`[127.0.0.1]:${s.port} ${s.hostKeyPublic}`);
  expect(ssh(s, 'zope', 'id -un').trim()).toBe('zope');
  expect(ssh(s, 'root', 'id -un').trim()).toBe('root');
  expect(s.acceptedLogins('zope')).toHaveLength(1);
  expect(s.acceptedLogins()).toHaveLength(2);
});

it('gives production its own /var/buildout, invisible to staging', () => {
  const p = production as SshServer;
  const marker = `prod-only-${process.pid}`;
  fs.writeFileSync(path.join(p.varBuildout as string, marker), 'x');
  expect(ssh(p, 'root', 'ls /var/buildout').split('\n')).toContain(marker);
  expect(fs.existsSync(path.join('/var/buildout', marker))).toBe(false);
  expect(ssh(staging as SshServer, 'root', `test -e /var/buildout/${marker} && echo yes || echo no`).trim()).toBe('no');
});

it('authenticates through the private ssh-agent', () => {
  const a = agent as SshAgent;
  const s = staging as SshServer;
  a.add(s.clientKeyPath);
  const env = { ...process.env, SSH_AUTH_SOCK: a.socketPath };
  const out = execFileSync('ssh-add', ['-l'], { env, encoding: 'utf8' });
  expect(out).toContain('client_key');
});

it('stops by pid and frees the port', async () => {
  const s = await startSshServer();
  const { pid } = s;
  await s.stop();
  expect(() => process.kill(pid, 0)).toThrow();
  expect(fs.existsSync(s.dir)).toBe(false);
});

it('kills its servers when the test process itself is killed with SIGTERM, and removes their temp directories', async () => {
  const servers = dist('fixtures', 'servers', 'index.js');
  const child = spawn(process.execPath, ['-e', `
    require(${JSON.stringify(servers)}).startProductionSshServer().then((s) => console.log(JSON.stringify([s.pid, s.dir, s.varBuildout])));
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [sshdPid, dir, varBuildout] = await new Promise<[number, string, string]>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as [number, string, string]));
    child.once('exit', () => reject(new Error('the child ended before starting sshd')));
  });
  expect(fs.existsSync(dir) && fs.existsSync(varBuildout)).toBe(true);
  expect(() => process.kill(sshdPid, 0)).not.toThrow();
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGTERM');
  expect(await ended).toBe('SIGTERM');
  expect(await waitForExit(sshdPid, 5000)).toBe(true);
  expect([fs.existsSync(dir), fs.existsSync(varBuildout)]).toEqual([false, false]);
});

it('can give production a tmpfs /var/buildout, unmounted and removed by stop()', async () => {
  const p = await startProductionSshServer({ varBuildoutOnTmpfs: true });
  const dir = p.varBuildout as string;
  try {
    expect(execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', dir], { encoding: 'utf8' }).trim()).toBe('tmpfs');
    fs.writeFileSync(path.join(dir, 'marker'), 'on tmpfs');
    expect(ssh(p, 'root', 'cat /var/buildout/marker')).toBe('on tmpfs');
  } finally {
    await p.stop();
  }
  expect(fs.existsSync(dir)).toBe(false);
  expect(execFileSync('findmnt', ['-n', '-o', 'TARGET'], { encoding: 'utf8' }).split('\n')).not.toContain(dir);
});
