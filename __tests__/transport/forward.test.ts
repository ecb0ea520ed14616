/**
 * remote.httpGet and remote.socketExchange against a real sshd: an HTTP
 * server and a unix-socket server on this machine (the sshd shares its
 * loopback and /tmp), reached through channels of the ssh connection; what a
 * refused port, a missing socket and a silent service give; and a preview
 * (--dry-run) that sends read-only exchanges and records the others; after
 * stop() (Ctrl-C), only the calls marked `cleanup` (a command too).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandError, InterruptedError } from '../../lib/errors';
import { createRecordingLogger } from '../../lib/log';
import { HostTransportFactory, RealTransportFactory } from '../../lib/transport';
import { freePort, startSshServer, type SshServer } from '../../fixtures/servers';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

let server: SshServer;
let home: TestHome;
let web: http.Server;
let webPort: number;
let dir: string;
let socketPath: string;
let silentPath: string;
const received: string[] = [];
const servers: net.Server[] = [];
const factories: Array<RealTransportFactory | HostTransportFactory> = [];

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = makeTestHome();
  home.trust(server);
  web = http.createServer((req, res) => {
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'text/plain' });
    res.end(`you asked for ${req.url} as ${req.headers.host}`);
  });
  webPort = await freePort();
  await new Promise<void>((r) => web.listen(webPort, '127.0.0.1', r));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-forward-'));
  socketPath = path.join(dir, 'admin.sock');
  silentPath = path.join(dir, 'silent.sock');
  // Like haproxy's runtime API: one command per connection, answered, then closed.
  const answering = net.createServer((c) => {
    c.on('data', (d) => {
      received.push(d.toString('utf8'));
      c.end(`answer to ${d.toString('utf8').trim()}\n`);
    });
  });
  const silent = net.createServer(() => undefined);
  for (const [s, p] of [[answering, socketPath], [silent, silentPath]] as const) {
    servers.push(s);
    await new Promise<void>((r) => s.listen(p, r));
  }
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await new Promise((r) => web?.close(r));
  for (const s of servers) s.close();
  await server?.stop();
  home?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('remote.httpGet', () => {
  it('asks the host itself for the URL and returns any status with the body', async () => {
    const { factory } = realFactory(home);
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    expect(await h.remote.httpGet(`http://127.0.0.1:${webPort}/health?x=1`)).toEqual({ status: 200, body: `you asked for /health?x=1 as 127.0.0.1:${webPort}` });
    expect((await h.remote.httpGet(`http://127.0.0.1:${webPort}/missing`)).status).toBe(404);
  });

  it('a port where nothing listens is a CommandError naming the URL and the host; a bad URL a ConfigError', async () => {
    const { factory } = realFactory(home);
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    const closed = await freePort();
    const e = await h.remote.httpGet(`http://127.0.0.1:${closed}/`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as Error).message).toMatch(new RegExp(`http-get http://127\\.0\\.0\\.1:${closed}/ on root@127\\.0\\.0\\.1:\\d+ failed: cannot open 127\\.0\\.0\\.1:${closed}`));
    await expect(h.remote.httpGet('https://127.0.0.1/')).rejects.toMatchObject({ exitCode: 2 });
    // The connection is still good for the next call.
    expect((await h.remote.httpGet(`http://127.0.0.1:${webPort}/`)).status).toBe(200);
  });
});

describe('remote.socketExchange', () => {
  it('writes to a unix socket on the host and returns what it answers before closing', async () => {
    const { factory } = realFactory(home);
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    expect(await h.remote.socketExchange(socketPath, 'show stat\n')).toBe('answer to show stat\n');
  });

  it('a missing socket is a CommandError; a service that never answers ends within the timeout', async () => {
    const { factory } = realFactory(home);
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    await expect(h.remote.socketExchange(`${socketPath}.missing`, 'x\n')).rejects.toThrow(/socket .*admin\.sock\.missing <- x on root@.* failed: cannot open the unix socket/);
    const t = Date.now();
    await expect(h.remote.socketExchange(silentPath, 'x\n', { timeoutMs: 1500 })).rejects.toThrow(/did not answer within 2 s/);
    expect(Date.now() - t).toBeLessThan(10000);
  });

  it('--dry-run sends a read-only exchange and records the others without sending them', async () => {
    const records: string[] = [];
    const factory = new HostTransportFactory({ mode: 'preview', log: createRecordingLogger(), interactive: false, sshEnv: home.sshEnv, recorder: { onRecord: (l) => records.push(l) } });
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    received.length = 0;
    expect(await h.remote.socketExchange(socketPath, 'show stat\n', { readOnly: true })).toBe('answer to show stat\n');
    expect(await h.remote.socketExchange(socketPath, 'set server plone/i1 state drain\n')).toBe('');
    expect(received).toEqual(['show stat\n']);
    expect(records).toEqual([expect.stringMatching(/^\[site\] socket\(root@127\.0\.0\.1:\d+\): .*admin\.sock <- set server plone\/i1 state drain$/)]);
  });
});

describe('after stop() (Ctrl-C): calls marked cleanup', () => {
  it('every other remote call is refused; a command or an exchange marked cleanup runs over a new connection, and the run waits while they run and a moment after', async () => {
    const { factory } = realFactory(home);
    factories.push(factory);
    const h = factory.forHost('site', hostOptions(server));
    expect((await h.remote.run('echo before')).stdout.trim()).toBe('before');
    await factory.stop();
    expect(factory.cleaningUp()).toBe(false);
    await expect(h.remote.run('echo refused')).rejects.toBeInstanceOf(InterruptedError);
    await expect(h.remote.socketExchange(socketPath, 'show stat\n')).rejects.toBeInstanceOf(InterruptedError);
    // A cleanup command runs (a new login: stop() closed the connection), and counts while it runs.
    const running = h.remote.run('sleep 1; echo started again', { cleanup: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(factory.cleaningUp()).toBe(true);
    expect((await running).stdout.trim()).toBe('started again');
    expect(await h.remote.socketExchange(socketPath, 'set server plone/i1 state ready\n', { cleanup: true })).toBe('answer to set server plone/i1 state ready\n');
    // The next cleanup call of a sequence (a health check half a second later) is waited for too…
    expect(factory.cleaningUp()).toBe(true);
    // …but not for ever.
    await new Promise((r) => setTimeout(r, 2500));
    expect(factory.cleaningUp()).toBe(false);
    await factory.closeAll();
  });
});
