/**
 * RemoteShell against a real sshd: run, sudo (with and without a password),
 * the buildout user with its own key, put/get, exists, quoting, error
 * messages, password and agent logins, and one login per identity.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError, TransportError } from '../../lib/errors';
import { shellQuote } from '../../lib/transport/quote';
import { RealTransportFactory } from '../../lib/transport';
import {
  BUILDOUT, DEPLOY, freePort, generateKeyPair, startSshAgent, startSshServer, ZOPE, type SshAgent, type SshServer,
} from '../../fixtures/servers';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

let server: SshServer;
let home: TestHome;
let agent: SshAgent | undefined;
const factories: RealTransportFactory[] = [];

function track<T extends { factory: RealTransportFactory }>(x: T): T {
  factories.push(x.factory);
  return x;
}

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root', DEPLOY.name] });
  home = makeTestHome();
  home.trust(server);
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await Promise.allSettled([server?.stop(), agent?.stop()]);
  home?.cleanup();
});

describe('run', () => {
  it('runs in the login shell, with cwd and env quoted, and returns output and status', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server));
    const dir = `/tmp/hostout remote ${process.pid}`;
    await h.remote.run(`mkdir -p '${dir}'`);
    const r = await h.remote.run('pwd; echo "$GREETING"; id -un', { cwd: dir, env: { GREETING: "it's $HOME `x`" } });
    expect(r.stdout).toBe(`${dir}\nit's $HOME \`x\`\nroot\n`);
    expect(r.code).toBe(0);
    const failed = await h.remote.run('echo oops >&2; exit 3', { allowFailure: true });
    expect(failed).toEqual({ stdout: '', stderr: 'oops\n', code: 3 });
    expect((await h.remote.run('cat', { stdin: 'fed on stdin\n' })).stdout).toBe('fed on stdin\n');
    await h.remote.run(`rm -rf '${dir}'`);
  });

  it('passes arguments with spaces, quotes, $, backticks and newlines through without injection', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server));
    const canary = `/tmp/hostout-injected-${process.pid}`;
    const nasty = [`a b`, `it's`, `"dq"`, `$(touch ${canary})`, `\`touch ${canary}\``, `line1\nline2`, `$HOME`, `; touch ${canary}`];
    for (const shell of ['/bin/bash -l -c', '']) {
      const hh = factory.forHost(`site-${shell ? 'bash' : 'plain'}`, hostOptions(server, { shell }));
      const r = await hh.remote.run(`printf '<%s>' ${nasty.map(shellQuote).join(' ')}`);
      expect(r.stdout).toBe(nasty.map((w) => `<${w}>`).join(''));
      const s = await hh.remote.sudo(`printf '<%s>' ${nasty.map(shellQuote).join(' ')}`, { user: ZOPE.name });
      expect(s.stdout).toBe(nasty.map((w) => `<${w}>`).join(''));
    }
    expect(await h.remote.exists(canary)).toBe(false);
  });

  it('rejects a failing command with host, command, status and the last stderr lines', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server));
    const err = await h.remote.run('for i in $(seq 1 30); do echo "line $i" >&2; done; exit 7').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    const e = err as CommandError;
    expect(e.status).toBe(7);
    expect(e.host).toBe('site');
    expect(e.message).toContain(`[site] command failed on root@127.0.0.1:${server.port} with exit status 7: /bin/bash -l -c`);
    expect(e.message).toContain('line 30');
    expect(e.message).not.toContain('line 20\n');
    expect(e.exitCode).toBe(1);
  });
});

describe('sudo', () => {
  it('runs as root or another user when the login user needs no password', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server));
    expect((await h.remote.sudo('id -un')).stdout).toBe('root\n');
    expect((await h.remote.sudo('id -un; echo "$HOME"', { user: ZOPE.name })).stdout).toBe(`zope\n/home/zope\n`);
    // stdin reaches the command even though sudo -S shares stdin with the password
    expect((await h.remote.sudo('cat', { stdin: 'payload\n', user: ZOPE.name })).stdout).toBe('payload\n');
  });

  it('feeds the configured password on stdin, never in argv, logs or errors', async () => {
    const { factory, log } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server, { user: DEPLOY.name, 'sudo-password': DEPLOY.password }));
    const r = await h.remote.sudo('id -un; cat', { stdin: 'after the password\n' });
    expect(r.stdout).toBe('root\nafter the password\n');
    expect(r.stderr).toBe('');
    // the password never appears on a process command line on the server (ps shows argv of every process)
    const ps = await h.remote.sudo('ps -eo args');
    expect(ps.stdout).not.toContain(DEPLOY.password);
    expect(log.lines.join('\n')).not.toContain(DEPLOY.password);
    const fail = (await h.remote.sudo(`echo ${"'"}${DEPLOY.password.replace(/'/g, `'\\''`)}' >&2; exit 4`).catch((e: unknown) => e)) as CommandError;
    expect(fail).toBeInstanceOf(CommandError);
    expect(fail.message).not.toContain(DEPLOY.password);
    expect(fail.message).toContain('********');
  });

  it('asks once on a terminal when no password is configured, and refuses without one', async () => {
    const questions: string[] = [];
    const { factory } = track(realFactory(home, {}, async (q) => {
      questions.push(q);
      return DEPLOY.password;
    }));
    const h = factory.forHost('site', hostOptions(server, { user: DEPLOY.name }));
    expect((await h.remote.sudo('id -un')).stdout).toBe('root\n');
    expect((await h.remote.sudo('id -un', { user: ZOPE.name })).stdout).toBe('zope\n');
    expect(questions).toEqual([`[site] sudo password for deploy@127.0.0.1:${server.port}: `]);

    const { factory: batch } = track(realFactory(home));
    const b = batch.forHost('site', hostOptions(server, { user: DEPLOY.name }));
    await expect(b.remote.sudo('id -un')).rejects.toThrow(/asks for a password and none is configured/);

    const { factory: wrong } = track(realFactory(home));
    const w = wrong.forHost('site', hostOptions(server, { user: DEPLOY.name, 'sudo-password': 'not-it' }));
    await expect(w.remote.sudo('id -un')).rejects.toThrow(/rejected the password/);
  });

  it('refuses sudo when no-sudo is set', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server, { 'no-sudo': 'yes' }));
    await expect(h.remote.sudo('id')).rejects.toThrow(/no-sudo is set/);
  });
});

describe('identities and authentication', () => {
  it('runs as the buildout user with its own key on a second connection', async () => {
    const key = generateKeyPair(home.dir, 'buildout_key');
    server.authorize(BUILDOUT.name, key.publicKey);
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server, { 'buildout-user': BUILDOUT.name, 'buildout-identity-file': key.privateKeyPath }));
    expect((await h.remote.run('id -un', { as: 'buildout' })).stdout).toBe('buildout\n');
    expect((await h.remote.run('id -un')).stdout).toBe('root\n');
  });

  it('logs in with a password', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', { host: `127.0.0.1:${server.port}`, user: ZOPE.name, password: ZOPE.password });
    expect((await h.remote.run('id -un')).stdout).toBe('zope\n');
    expect(server.acceptedLogins(ZOPE.name).some((l) => l.includes('Accepted password for zope'))).toBe(true);
  });

  it('logs in with a key from ssh-agent', async () => {
    agent = await startSshAgent();
    const key = generateKeyPair(home.dir, 'agent_key');
    server.authorize(ZOPE.name, key.publicKey);
    agent.add(key.privateKeyPath);
    fs.rmSync(key.privateKeyPath); // only the agent has it now
    const { factory } = track(realFactory(home, { agentSocket: agent.socketPath }));
    const h = factory.forHost('site', { host: `127.0.0.1:${server.port}`, user: ZOPE.name });
    expect((await h.remote.run('id -un')).stdout).toBe('zope\n');
  });

  it('says clearly when the port refuses, the key is wrong, or there is nothing to log in with', async () => {
    const { factory } = track(realFactory(home));
    const port = await freePort();
    const refused = factory.forHost('refused', { host: `127.0.0.1:${port}`, user: 'root', 'identity-file': server.clientKeyPath });
    const e1 = (await refused.remote.run('true').catch((e: unknown) => e)) as TransportError;
    expect(e1).toBeInstanceOf(TransportError);
    expect(e1.message).toBe(`[refused] connection refused by 127.0.0.1 port ${port}: is sshd running there, and is the port right?`);

    const wrongKey = generateKeyPair(home.dir, 'unauthorized_key');
    const denied = factory.forHost('denied', hostOptions(server, { 'identity-file': wrongKey.privateKeyPath }));
    const e2 = (await denied.remote.run('true').catch((e: unknown) => e)) as TransportError;
    expect(e2).toBeInstanceOf(TransportError);
    expect(e2.message).toBe(`[denied] authentication failed for root@127.0.0.1 port ${server.port} (tried key ${wrongKey.privateKeyPath})`);

    // A configured key that does not exist is named (it is never skipped silently)…
    const missingKey = path.join(home.dir, 'missing');
    const missing = factory.forHost('missing', { host: `127.0.0.1:${server.port}`, user: 'root', 'identity-file': missingKey });
    await expect(missing.remote.run('true')).rejects.toThrow(`[missing] identity-file = ${missingKey}: no such file`);
    // …and with no key, agent or password at all, the message says there is nothing to log in with.
    const nothing = factory.forHost('nothing', { host: `127.0.0.1:${server.port}`, user: 'root' });
    await expect(nothing.remote.run('true')).rejects.toThrow(/no identity file, ssh-agent or password/);
  });

  it('reports a dropped connection', async () => {
    const { factory } = track(realFactory(home));
    // No wrapper: the login shell runs this compound line itself, so $PPID is this session's sshd process.
    const h = factory.forHost('site', hostOptions(server, { shell: '' }));
    // kill it from inside: the connection drops under the running command
    const err = await h.remote.run('kill -9 $PPID; sleep 5').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/^\[site\] the ssh connection to root@127\.0\.0\.1:\d+ was lost/);
    expect((err as TransportError).kind).toBe('lost');
    expect((err as TransportError).exitCode).toBe(74);
    expect((err as TransportError).host).toBe('site');
  });
});

describe('put, get, exists', () => {
  it('uploads with a mode, downloads, and tells whether paths exist', async () => {
    const { factory } = track(realFactory(home));
    const h = factory.forHost('site', hostOptions(server));
    const local = path.join(home.dir, 'up load.txt');
    fs.writeFileSync(local, 'hello\nworld\n');
    const remote = `/tmp/hostout put ${process.pid}.txt`;
    await h.remote.put(local, remote, { mode: 0o640 });
    expect((await h.remote.run(`stat -c %a ${JSON.stringify(remote)}; cat ${JSON.stringify(remote)}`)).stdout).toBe('640\nhello\nworld\n');
    expect(await h.remote.exists(remote)).toBe(true);
    expect(await h.remote.exists(`${remote}.missing`)).toBe(false);
    const back = path.join(home.dir, 'down load.txt');
    await h.remote.get(remote, back);
    expect(fs.readFileSync(back, 'utf8')).toBe('hello\nworld\n');
    await expect(h.remote.get('/nonexistent/file', back)).rejects.toThrow(/\[site\] get \/nonexistent\/file -> .* failed/);
    await h.remote.run(`rm -f ${JSON.stringify(remote)}`);
  });
});

describe('connection reuse', () => {
  it('logs in once per identity for many commands, transfers and rsyncs', async () => {
    // Login as `buildout` (passwordless sudo) and `zope` as the buildout user with its own key.
    const s = await startSshServer({ authorizeClientKeyFor: [BUILDOUT.name] });
    try {
      home.trust(s);
      const key = generateKeyPair(home.dir, 'reuse_zope_key');
      s.authorize(ZOPE.name, key.publicKey);
      const { factory } = track(realFactory(home));
      const h = factory.forHost('site', hostOptions(s, { user: BUILDOUT.name, 'buildout-user': ZOPE.name, 'buildout-identity-file': key.privateKeyPath }));
      const src = fs.mkdtempSync(path.join(home.dir, 'reuse-src-'));
      fs.chmodSync(src, 0o755);
      fs.writeFileSync(path.join(src, 'f'), 'x');
      const dest = `/tmp/hostout-reuse-${process.pid}`;
      const pulled = fs.mkdtempSync(path.join(home.dir, 'reuse-pulled-'));
      for (let i = 0; i < 3; i++) {
        await h.remote.run(`echo ${i}`);
        await h.remote.sudo('true');
        await h.remote.exists('/tmp');
        await h.rsync({ from: `${src}/`, to: `${dest}/`, direction: 'push' });
        await h.remote.run('true', { as: 'buildout' });
        await h.rsync({ from: `${dest}/`, to: `${pulled}/`, direction: 'pull', as: 'buildout' });
      }
      await h.remote.put(path.join(src, 'f'), `${dest}/g`);
      await h.remote.get(`${dest}/g`, path.join(pulled, 'g'));
      expect(fs.readFileSync(path.join(pulled, 'g'), 'utf8')).toBe('x');
      await factory.closeAll();
      expect(s.acceptedLogins(BUILDOUT.name)).toHaveLength(1);
      expect(s.acceptedLogins(ZOPE.name)).toHaveLength(1);
      expect(s.acceptedLogins()).toHaveLength(2);
      fs.rmSync(dest, { recursive: true, force: true });
    } finally {
      await s.stop();
    }
  }, 300000);
});
