/**
 * Passphrase-protected identity files (`ssh-keygen -N`, in OpenSSH's own
 * format and `-m PEM`) against the real sshd: without a passphrase the error
 * says the key is encrypted and how to give one; with the
 * identity-passphrase option, $HOSTOUT_IDENTITY_PASSPHRASE, or typed at the
 * prompt, the login works and the passphrase is never printed; when
 * ssh-agent holds the key, nothing is asked; a wrong passphrase says so.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransportError } from '../../lib/errors';
import type { RealTransportFactory } from '../../lib/transport';
import { startSshAgent, startSshServer, type SshAgent, type SshServer } from '../../fixtures/servers';
import { makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

const PASSPHRASE = "Open 'sesame' $HOME `x`";
let server: SshServer;
let home: TestHome;
let agent: SshAgent | undefined;
const factories: RealTransportFactory[] = [];
const keys: Record<'openssh' | 'pem', string> = { openssh: '', pem: '' };

beforeAll(async () => {
  server = await startSshServer();
  home = makeTestHome();
  home.trust(server);
  const dir = path.join(home.dir, 'keys');
  fs.mkdirSync(dir);
  keys.openssh = path.join(dir, 'id_openssh');
  keys.pem = path.join(dir, 'id_pem');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'openssh', '-f', keys.openssh], { stdio: 'ignore' });
  execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-m', 'PEM', '-N', PASSPHRASE, '-C', 'pem', '-f', keys.pem], { stdio: 'ignore' });
  expect(fs.readFileSync(keys.openssh, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
  expect(fs.readFileSync(keys.pem, 'utf8')).toMatch(/BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED/);
  for (const k of Object.values(keys)) server.authorize('root', fs.readFileSync(`${k}.pub`, 'utf8').trim());
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await agent?.stop();
  await server?.stop();
  home?.cleanup();
});

function options(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { host: `${server.host}:${server.port}`, user: 'root', 'identity-file': key, ...extra };
}

function factory(...args: Parameters<typeof realFactory> extends [unknown, ...infer R] ? R : never) {
  const r = realFactory(home, ...args);
  factories.push(r.factory);
  return r;
}

describe.each(['openssh', 'pem'] as const)('%s key', (format) => {
  it('without a passphrase (and no terminal): says the key is encrypted and how to give its passphrase', async () => {
    const { factory: f } = factory();
    const err = (await f.forHost('site', options(keys[format])).remote.run('true').catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.kind).toBe('auth');
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      `[site] cannot log in to root@127.0.0.1:${server.port}: identity file ${keys[format]} is encrypted (passphrase-protected) and no passphrase was given: ` +
        `set identity-passphrase for the host or HOSTOUT_IDENTITY_PASSPHRASE, add the key to ssh-agent (ssh-add ${keys[format]}), or run hostout on a terminal to be asked`,
    );
  });

  it('with identity-passphrase: logs in, and the passphrase appears nowhere in the output', async () => {
    const { factory: f, log } = factory();
    const h = f.forHost('site', options(keys[format], { 'identity-passphrase': PASSPHRASE }));
    const r = await h.remote.run(`echo ${JSON.stringify('logged in')}; echo ${"'" + PASSPHRASE.replace(/'/g, "'\\''") + "'"} >&2`, { echo: true });
    expect(r.stdout).toBe('logged in\n');
    expect(log.lines.join('\n')).not.toContain(PASSPHRASE);
    expect(log.lines.join('\n')).toContain('********');
    expect(server.acceptedLogins('root').some((l) => l.startsWith('Accepted publickey'))).toBe(true);
  });

  it('with $HOSTOUT_IDENTITY_PASSPHRASE: logs in', async () => {
    process.env.HOSTOUT_IDENTITY_PASSPHRASE = PASSPHRASE;
    try {
      const { factory: f } = factory();
      expect((await f.forHost('site', options(keys[format])).remote.run('echo env')).stdout).toBe('env\n');
    } finally {
      delete process.env.HOSTOUT_IDENTITY_PASSPHRASE;
    }
  });

  it('on a terminal: asks once, naming the file, and logs in', async () => {
    const questions: string[] = [];
    const { factory: f } = factory({}, async (q) => {
      questions.push(q);
      return PASSPHRASE;
    });
    const h = f.forHost('site', options(keys[format]));
    await h.remote.run('true');
    await h.remote.run('true');
    expect(questions).toEqual([`[site] passphrase for identity file ${keys[format]}: `]);
  });

  it('a wrong passphrase fails at once, saying where it came from', async () => {
    const { factory: f } = factory();
    const err = (await f.forHost('site', options(keys[format], { 'identity-passphrase': 'not it' })).remote.run('true').catch((e: unknown) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toBe(`[site] the passphrase (from identity-passphrase) does not decrypt identity file ${keys[format]}`);
  });
});

it('when ssh-agent holds the encrypted key, the agent logs in and nothing is asked', async () => {
  agent = await startSshAgent();
  // The agent gets the key decrypted (ssh-add would ask for the passphrase): a decrypted copy of the same key.
  for (const k of Object.values(keys)) {
    const copy = `${k}-decrypted`;
    fs.copyFileSync(k, copy);
    fs.chmodSync(copy, 0o600);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', PASSPHRASE, '-N', '', '-f', copy], { stdio: 'ignore' });
    agent.add(copy);
  }
  for (const k of Object.values(keys)) {
    const { factory: f, log } = factory({ agentSocket: agent.socketPath }, async () => {
      throw new Error('asked for a passphrase although the agent holds the key');
    });
    expect((await f.forHost('site', options(k)).remote.run('echo agent')).stdout).toBe('agent\n');
    expect(log.lines.some((l) => l.includes(`identity file ${k} is encrypted; ssh-agent holds it`))).toBe(true);
  }
});
