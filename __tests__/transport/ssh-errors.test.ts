/**
 * The one classification of ssh2's errors (ssh-errors.ts), each failure
 * produced for real against an in-process ssh2 Server (or a bare TCP server
 * for what comes before ssh), through the connection code hostout uses, and
 * checked for its error kind, exit status and message.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server, utils, type Connection } from 'ssh2';
import { TransportError } from '../../lib/errors';
import { createRecordingLogger } from '../../lib/log';
import { ConnectionPool } from '../../lib/transport/connection';
import { resolveHostSettings, type HostSettings } from '../../lib/transport/host-settings';
import { classifySshError, isEncryptedKeyError } from '../../lib/transport/ssh-errors';
import type { SshEnvironment } from '../../lib/transport/ssh-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-ssh-errors-'));
const sshEnv: SshEnvironment = { home: tmp, configPath: path.join(tmp, 'no-config'), localUser: 'me' };
const hostKey = utils.generateKeyPairSync('ed25519').private;
const pools: ConnectionPool[] = [];
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const clients = new Set<Connection>();

afterEach(async () => {
  for (const p of pools.splice(0)) p.closeAll();
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const c of clients) c.end();
  clients.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function listen<S extends net.Server>(server: S): Promise<number> {
  servers.push(server);
  server.on('connection', (s: unknown) => {
    if (!(s instanceof net.Socket)) return; // an ssh2 Server's clients: sshServer() keeps them
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** An ssh2 server on 127.0.0.1; `onClient` decides what it does with each client. */
function sshServer(onClient: (client: Connection) => void): Promise<number> {
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    onClient(client);
  });
  return listen(server as unknown as net.Server);
}

function settingsFor(port: number, extra: Record<string, string> = {}): HostSettings {
  return resolveHostSettings('site', {
    host: '127.0.0.1', port: String(port), user: 'deploy', password: 'not-the-password',
    'strict-host-key-checking': 'no', 'known-hosts-file': path.join(tmp, 'known_hosts'), ...extra,
  }, sshEnv);
}

/** Open a connection the way the ssh backend does; resolves with the TransportError it fails with. */
async function connectError(settings: HostSettings): Promise<TransportError> {
  const pool = new ConnectionPool({ log: createRecordingLogger(), sshEnv });
  pools.push(pool);
  const err = await pool.get(settings, settings.login).client().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

describe('ssh errors, each against a real server', () => {
  it('nothing listens on the port: refused, unreachable (69)', async () => {
    const port = await listen(net.createServer());
    await new Promise((r) => servers.pop()?.close(r));
    const err = await connectError(settingsFor(port));
    expect(classifySshError(err.cause as Error)).toBe('refused');
    expect([err.kind, err.exitCode]).toEqual(['unreachable', 69]);
    expect(err.message).toBe(`[site] connection refused by 127.0.0.1 port ${port}: is sshd running there, and is the port right?`);
  });

  it('the server refuses every authentication method: auth (77), naming what was tried', async () => {
    const port = await sshServer((client) => {
      client.on('authentication', (ctx) => ctx.reject(['password']));
      client.on('error', () => undefined);
    });
    const err = await connectError(settingsFor(port));
    expect(classifySshError(err.cause as Error)).toBe('auth');
    expect([err.kind, err.exitCode]).toEqual(['auth', 77]);
    expect(err.message).toBe(`[site] authentication failed for deploy@127.0.0.1 port ${port} (tried password)`);
  });

  it('the server ends the connection after the key exchange, before authentication: closed, unreachable (69)', async () => {
    const port = await sshServer((client) => {
      client.on('handshake', () => client.end());
      client.on('error', () => undefined);
    });
    const started = Date.now();
    const err = await connectError(settingsFor(port));
    expect(classifySshError(err.cause as Error)).toBe('closed');
    expect([err.kind, err.exitCode]).toEqual(['unreachable', 69]);
    expect(err.message).toMatch(new RegExp(`^\\[site\\] 127\\.0\\.0\\.1 port ${port} closed the connection during the ssh handshake`));
    // Not mistaken for the connect timeout (20 s): the server said goodbye at once.
    expect(Date.now() - started).toBeLessThan(15000);
  });

  it('the server closes the TCP connection before saying anything: closed, unreachable (69)', async () => {
    const port = await listen(net.createServer((s) => s.destroy()));
    const err = await connectError(settingsFor(port));
    expect(classifySshError(err.cause as Error)).toBe('closed');
    expect([err.kind, err.exitCode]).toEqual(['unreachable', 69]);
    expect(err.message).toMatch(new RegExp(`^\\[site\\] 127\\.0\\.0\\.1 port ${port} closed the connection during the ssh handshake`));
  });

  it('the server accepts and never answers: timeout, unreachable (69), within the connect timeout', async () => {
    const port = await listen(net.createServer(() => undefined));
    const started = Date.now();
    const err = await connectError({ ...settingsFor(port), connectTimeoutMs: 1500 });
    expect(classifySshError(err.cause as Error)).toBe('timeout');
    expect([err.kind, err.exitCode]).toEqual(['unreachable', 69]);
    expect(err.message).toBe(`[site] timed out after 1.5 s connecting to 127.0.0.1 port ${port} (no ssh handshake); set ConnectTimeout in ~/.ssh/config to wait longer`);
    expect(Date.now() - started).toBeLessThan(10000);
  });

  it('an unknown host key with strict checking: hostkey (76)', async () => {
    const port = await sshServer((client) => client.on('error', () => undefined));
    const err = await connectError(settingsFor(port, { 'strict-host-key-checking': 'yes' }));
    expect([err.kind, err.exitCode]).toEqual(['hostkey', 76]);
    expect(err.message).toMatch(/host key/i);
  });

  it('a name that does not resolve: unknown host, unreachable (69)', async () => {
    const err = await connectError(resolveHostSettings('site', { host: 'no-such-host.invalid', user: 'deploy', password: 'x' }, sshEnv));
    expect(classifySshError(err.cause as Error)).toBe('unknown-host');
    expect([err.kind, err.exitCode]).toEqual(['unreachable', 69]);
    expect(err.message).toBe("[site] unknown host 'no-such-host.invalid' (DNS lookup failed)");
  });
});

describe('ssh errors that carry only a message', () => {
  it('ssh2\'s keepalive timeout is told from its handshake timeout (the same level) by its message', () => {
    expect(classifySshError(Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }))).toBe('keepalive');
    expect(classifySshError(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }))).toBe('timeout');
  });

  it('ssh2\'s refusal of an encrypted key without its passphrase', () => {
    const encrypted = utils.generateKeyPairSync('ed25519', { passphrase: 'secret words', cipher: 'aes256-ctr', rounds: 2 }).private;
    const parsed = utils.parseKey(encrypted);
    expect(parsed).toBeInstanceOf(Error);
    expect(isEncryptedKeyError(parsed as Error)).toBe(true);
    expect(isEncryptedKeyError(utils.parseKey('not a key') as Error)).toBe(false);
  });
});
