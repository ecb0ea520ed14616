/**
 * Ctrl-C and timeouts, against real processes: a hostout-like child process
 * (the compiled transport in dist/, built by `npm test`'s pretest) is
 * interrupted mid-command and must disconnect and exit at once; a port that
 * accepts TCP but never speaks ssh gives the timeout message.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TransportError } from '../../lib/errors';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

const DIST = path.resolve(__dirname, '../../dist/lib/transport/real.js');
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

it('Ctrl-C closes the ssh connection and ends the process', async () => {
  expect(fs.existsSync(DIST)).toBe(true); // run `npx tsc -p tsconfig.build.json` (npm test does)
  const script = path.join(home.dir, 'interrupt-child.js');
  fs.writeFileSync(script, `
    const { RealTransportFactory } = require(${JSON.stringify(DIST)});
    const { createPlainLogger } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/lib/log.js'))});
    const f = new RealTransportFactory({ log: createPlainLogger('normal'), interactive: false, sshEnv: ${JSON.stringify(home.sshEnv)} });
    f.forHost('site', ${JSON.stringify(hostOptions(server, { shell: '' }))})
      .remote.run('echo started; sleep 60', { echo: true })
      .then(() => process.exit(0), (e) => { console.error('command ended: ' + e.message); });
  `);
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const deadline = Date.now() + 60000;
    while (!stderr.includes('[site] out: started')) {
      if (Date.now() > deadline) throw new Error(`the child never started its command: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const sentAt = Date.now();
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 15000)))]);
    clearTimeout(timer);
    expect(result).toEqual({ code: null, signal: 'SIGINT' });
    expect(Date.now() - sentAt).toBeLessThan(15000);
    expect(stderr).toContain('warning: interrupted: closing ssh connections');
    // sshd saw the client go away
    const deadline2 = Date.now() + 10000;
    while (!/Disconnected from user root|Connection closed by 127\.0\.0\.1|Received disconnect from 127\.0\.0\.1/.test(fs.readFileSync(server.logPath, 'utf8'))) {
      if (Date.now() > deadline2) throw new Error('sshd never logged the disconnect');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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
