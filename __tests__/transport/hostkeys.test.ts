/**
 * Host keys and ~/.ssh/config against real sshd servers: known_hosts matches
 * (plain, hashed, [host]:port, several keys), a changed key refused with file
 * and line and nothing run, StrictHostKeyChecking yes/accept-new/no,
 * @revoked, ssh config HostName/Port/User/IdentityFile/UserKnownHostsFile,
 * and ProxyJump through a second sshd.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransportError } from '../../lib/errors';
import { defaultSshEnvironment } from '../../lib/transport/ssh-config';
import { RealTransportFactory } from '../../lib/transport';
import { generateKeyPair, startSshServer, type SshServer } from '../../fixtures/servers';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

let server: SshServer;
let jump: SshServer;
const homes: TestHome[] = [];
const factories: RealTransportFactory[] = [];

function freshHome(): TestHome {
  const h = makeTestHome();
  homes.push(h);
  return h;
}

function factoryFor(home: TestHome) {
  const r = realFactory(home);
  factories.push(r.factory);
  return r;
}

beforeAll(async () => {
  [server, jump] = await Promise.all([startSshServer(), startSshServer()]);
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await Promise.allSettled([server?.stop(), jump?.stop()]);
  for (const h of homes) h.cleanup();
});

describe('known_hosts', () => {
  it('refuses a changed key, names file and line, and runs nothing', async () => {
    const home = freshHome();
    const impostor = generateKeyPair(home.dir, 'impostor');
    const [type, b64] = impostor.publicKey.split(' ');
    fs.writeFileSync(home.knownHosts, `# comment\nother.example ${server.hostKeyPublic}\n[127.0.0.1]:${server.port} ${type} ${b64}\n`);
    const before = fs.readFileSync(home.knownHosts, 'utf8');
    const loginsBefore = server.acceptedLogins().length;
    const marker = `/tmp/hostout-mitm-${process.pid}`;
    for (const policy of ['yes', 'accept-new', 'no']) {
      const { factory } = factoryFor(home);
      const err = await factory.forHost('site', hostOptions(server, { 'strict-host-key-checking': policy }))
        .remote.run(`touch ${marker}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      const msg = (err as Error).message;
      expect(msg).toContain(`host key of [127.0.0.1]:${server.port} has CHANGED`);
      expect(msg).toContain(`${home.knownHosts}:3`);
      expect(msg).toContain(`ssh-keygen -f '${home.knownHosts}' -R '[127.0.0.1]:${server.port}'`);
    }
    expect(fs.existsSync(marker)).toBe(false);
    expect(server.acceptedLogins().length).toBe(loginsBefore);
    expect(fs.readFileSync(home.knownHosts, 'utf8')).toBe(before);
  });

  it('connect() begun early: the first command waits for that handshake, and reports its failure once without a second try', async () => {
    const connections = () => fs.readFileSync(server.logPath, 'utf8').split('\n').filter((l) => /Connection from 127\.0\.0\.1 /.test(l)).length;
    const home = freshHome();
    const impostor = generateKeyPair(home.dir, 'impostor');
    const [type, b64] = impostor.publicKey.split(' ');
    fs.writeFileSync(home.knownHosts, `[127.0.0.1]:${server.port} ${type} ${b64}\n`);
    const before = connections();
    const refused = factoryFor(home).factory.forHost('site', hostOptions(server));
    refused.remote.connect();
    // Let the early attempt fail before the command asks for the connection.
    await new Promise((r) => setTimeout(r, 1500));
    const err = (await refused.remote.run('true').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain(`host key of [127.0.0.1]:${server.port} has CHANGED`);
    expect(connections() - before).toBe(1);

    fs.writeFileSync(home.knownHosts, `${server.knownHostsLine}\n`);
    const logins = server.acceptedLogins().length;
    const good = factoryFor(home).factory.forHost('site', hostOptions(server));
    good.remote.connect();
    good.remote.connect();
    expect((await good.remote.run('echo ok')).stdout).toBe('ok\n');
    expect(server.acceptedLogins().length - logins).toBe(1);
  });

  it('a connection still being opened when the run closes is ended, not left open (it would keep hostout alive)', async () => {
    const log = () => fs.readFileSync(server.logPath, 'utf8');
    const home = freshHome();
    fs.writeFileSync(home.knownHosts, `${server.knownHostsLine}\n`);
    const { factory } = realFactory(home);
    const seen = (log().match(/Connection from 127\.0\.0\.1 port \d+/g) ?? []).length;
    factory.forHost('site', hostOptions(server)).remote.connect();
    // Close as soon as sshd has the TCP connection: the handshake is then under way.
    let port: string | undefined;
    for (let i = 0; i < 200 && !port; i++) {
      await new Promise((r) => setTimeout(r, 5));
      port = (log().match(/Connection from 127\.0\.0\.1 port (\d+)/g) ?? []).slice(seen)[0]?.split(' ').pop();
    }
    expect(port).toBeDefined();
    await factory.closeAll();
    const ended = new RegExp(`(Connection closed by|Disconnected from|Received disconnect from|Connection reset by|Close session).* port ${port}\\b`);
    for (let i = 0; i < 60 && !ended.test(log()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(log()).toMatch(ended);
  });

  it('unknown host: yes refuses with how to trust it, accept-new records it, no connects without recording', async () => {
    const home = freshHome();
    const { factory: strict } = factoryFor(home);
    const err = (await strict.forHost('site', hostOptions(server)).remote.run('true').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain(`the host key of [127.0.0.1]:${server.port} is not known`);
    expect(err.message).toContain(`ssh-keyscan -p ${server.port} 127.0.0.1 >> ${home.knownHosts}`);
    expect(fs.existsSync(home.knownHosts)).toBe(false);

    const { factory: no, log } = factoryFor(home);
    expect((await no.forHost('site', hostOptions(server, { 'strict-host-key-checking': 'no' })).remote.run('echo ok')).stdout).toBe('ok\n');
    expect(fs.existsSync(home.knownHosts)).toBe(false);
    expect(log.lines.some((l) => l.startsWith('warning: [site] not checking the unknown host key'))).toBe(true);

    const { factory: acceptNew } = factoryFor(home);
    expect((await acceptNew.forHost('site', hostOptions(server, { 'strict-host-key-checking': 'accept-new' })).remote.run('echo ok')).stdout).toBe('ok\n');
    expect(fs.readFileSync(home.knownHosts, 'utf8')).toBe(`${server.knownHostsLine}\n`);

    // now known: the default (yes) connects
    const { factory: again } = factoryFor(home);
    expect((await again.forHost('site', hostOptions(server)).remote.run('echo ok')).stdout).toBe('ok\n');
  });

  it('matches hashed entries, several keys per host, and refuses @revoked keys', async () => {
    const home = freshHome();
    const other = generateKeyPair(home.dir, 'other_ecdsa', 'ecdsa');
    const [otype, ob64] = other.publicKey.split(' ');
    fs.writeFileSync(home.knownHosts, `[127.0.0.1]:${server.port} ${otype} ${ob64}\n${server.knownHostsLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', home.knownHosts], { stdio: 'ignore' });
    const hashed = fs.readFileSync(home.knownHosts, 'utf8');
    expect(hashed).toMatch(/^\|1\|/);
    expect(hashed).not.toContain('127.0.0.1');
    const { factory } = factoryFor(home);
    expect((await factory.forHost('site', hostOptions(server)).remote.run('echo hashed')).stdout).toBe('hashed\n');

    fs.appendFileSync(home.knownHosts, `@revoked * ${server.hostKeyPublic}\n`);
    const { factory: f2 } = factoryFor(home);
    await expect(f2.forHost('site', hostOptions(server)).remote.run('true')).rejects.toThrow(/is marked @revoked in .*known_hosts:3/);
  });

  it('treats a host known only by another key type as unknown', async () => {
    const home = freshHome();
    const other = generateKeyPair(home.dir, 'other_rsa', 'rsa');
    const [otype, ob64] = other.publicKey.split(' ');
    fs.writeFileSync(home.knownHosts, `[127.0.0.1]:${server.port} ${otype} ${ob64}\n`);
    const { factory } = factoryFor(home);
    await expect(factory.forHost('site', hostOptions(server)).remote.run('true')).rejects.toThrow(/keys of other types are known for it: ssh-rsa at .*known_hosts:1/);
  });
});

describe('~/.ssh/config', () => {
  it('resolves HostName, Port, User, IdentityFile, UserKnownHostsFile and StrictHostKeyChecking', async () => {
    const home = freshHome();
    const pinned = path.join(home.dir, 'project_known_hosts');
    home.writeSshConfig([
      'Host staging',
      '  HostName 127.0.0.1',
      `  Port ${server.port}`,
      '  User root',
      `  IdentityFile ${server.clientKeyPath}`,
      `  UserKnownHostsFile ${pinned}`,
      '  StrictHostKeyChecking accept-new',
      '',
    ].join('\n'));
    const { factory } = factoryFor(home);
    const h = factory.forHost('first-site', { host: 'staging' });
    expect((await h.remote.run('id -un')).stdout).toBe('root\n');
    expect(fs.readFileSync(pinned, 'utf8')).toBe(`${server.knownHostsLine}\n`);
    expect(fs.existsSync(home.knownHosts)).toBe(false);
  });

  it('connects through ProxyJump via a second sshd', async () => {
    const home = freshHome();
    home.trust(server, jump);
    home.writeSshConfig([
      'Host bastion',
      '  HostName 127.0.0.1',
      `  Port ${jump.port}`,
      '  User root',
      `  IdentityFile ${jump.clientKeyPath}`,
      'Host prod',
      '  HostName 127.0.0.1',
      `  Port ${server.port}`,
      '  User root',
      `  IdentityFile ${server.clientKeyPath}`,
      '  ProxyJump bastion',
      '',
    ].join('\n'));
    const jumpLogins = jump.acceptedLogins().length;
    const targetLogins = server.acceptedLogins().length;
    const { factory } = factoryFor(home);
    const h = factory.forHost('site', { host: 'prod' });
    expect((await h.remote.run('echo via-jump')).stdout).toBe('via-jump\n');
    const src = fs.mkdtempSync(path.join(home.dir, 'jump-src-'));
    fs.writeFileSync(path.join(src, 'file'), 'through the bastion');
    const dest = `/tmp/hostout-jump-${process.pid}`;
    await h.rsync({ from: `${src}/`, to: `${dest}/`, direction: 'push' });
    expect(fs.readFileSync(path.join(dest, 'file'), 'utf8')).toBe('through the bastion');
    fs.rmSync(dest, { recursive: true, force: true });
    expect(jump.acceptedLogins().length).toBe(jumpLogins + 1);
    expect(server.acceptedLogins().length).toBe(targetLogins + 1);
  });

  it('reads the ssh config of $HOME, or $HOSTOUT_SSH_CONFIG, never a fixed /root/.ssh', () => {
    expect(defaultSshEnvironment({ HOME: '/tmp/h', USER: 'u' })).toMatchObject({ home: '/tmp/h', configPath: '/tmp/h/.ssh/config', localUser: 'u' });
    expect(defaultSshEnvironment({ HOME: '/tmp/h', USER: 'u', HOSTOUT_SSH_CONFIG: '/tmp/cfg', SSH_AUTH_SOCK: '/tmp/a' }))
      .toMatchObject({ configPath: '/tmp/cfg', agentSocket: '/tmp/a' });
  });
});
