/**
 * Ctrl-C, SIGTERM and timeouts, against real processes: the real hostout
 * process is interrupted mid-command and must disconnect and exit at once; a
 * port that accepts TCP but never speaks ssh gives the timeout message.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TransportError } from '../../lib/errors';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';
import { HOSTOUT_BIN } from '../support/built';

let server: SshServer;
let home: TestHome;

beforeAll(async () => {
  server = await startSshServer();
  home = makeTestHome();
  home.trust(server);
});

afterAll(async () => {
  await server?.stop();
  home?.cleanup();
});

it('Ctrl-C (and SIGTERM) stops a running hostout: connection closed, `Stopped.`, exit 130 (143)', async () => {
  const site = fs.mkdtempSync(path.join(home.dir, 'site-'));
  fs.writeFileSync(path.join(site, 'buildout.cfg'), [
    '[buildout]', 'parts = box', '',
    '[box]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root',
    `identity-file = ${server.clientKeyPath}`, 'path = /tmp', 'shell =', '',
  ].join('\n'));
  for (const [signal, status, said] of [['SIGINT', 130, 'Stopped.'], ['SIGTERM', 143, 'Terminated.']] as const) {
    const logBefore = fs.readFileSync(server.logPath, 'utf8').length;
    const child = spawn(process.execPath, [HOSTOUT_BIN, 'box', 'run', 'echo started; sleep 60'], {
      cwd: site, env: { ...process.env, HOME: home.dir, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    try {
      const deadline = Date.now() + 60000;
      while (!out.includes('started')) {
        if (Date.now() > deadline) throw new Error(`hostout never started its command: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const sentAt = Date.now();
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 15000)))]);
      clearTimeout(timer);
      expect(result).toEqual({ code: status, signal: null });
      expect(Date.now() - sentAt).toBeLessThan(15000);
      expect(out).toContain(said);
      // sshd saw the client go away
      const deadline2 = Date.now() + 10000;
      while (!/Disconnected from user root|Connection closed by 127\.0\.0\.1|Received disconnect from 127\.0\.0\.1/.test(fs.readFileSync(server.logPath, 'utf8').slice(logBefore))) {
        if (Date.now() > deadline2) throw new Error('sshd never logged the disconnect');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
});

it('gives a timeout message when the port never answers the ssh handshake', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((sock) => sockets.push(sock)); // accept and say nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    home.writeSshConfig(`Host silent\n  HostName 127.0.0.1\n  Port ${port}\n  ConnectTimeout 1\n`);
    const { factory } = realFactory(home);
    const err = await factory.forHost('site', { host: 'silent', user: 'root', 'identity-file': server.clientKeyPath }).remote.run('true').catch((e: unknown) => e);
    await factory.closeAll();
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe(`[site] timed out after 1 s connecting to 127.0.0.1 port ${port} (no ssh handshake); set ConnectTimeout in ~/.ssh/config to wait longer`);
  } finally {
    for (const sock of sockets) sock.destroy();
    silent.close();
  }
});
