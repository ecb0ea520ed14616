/**
 * One list of a host's secrets (`secretsOf`): the transport's settings, the
 * step events and the CLI's output mask all mask the same values.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RecordingTransportFactory } from '../../lib/transport';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { secretsOf } from '../../lib/transport/secret';
import type { SshEnvironment } from '../../lib/transport/ssh-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-host-secrets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sshEnv: SshEnvironment = { home: tmp, configPath: path.join(tmp, 'no-config'), localUser: 'me' };

const OPTIONS = {
  host: 'example.com',
  user: 'root',
  password: 'login-pw',
  'buildout-password': 'buildout-pw',
  'sudo-password': 'sudo-pw',
  'identity-passphrase': 'key-phrase',
  'api-token': 'plugin-token',
  'deploy-secret': 'plugin-secret',
  'blank-password': '   ',
  path: '/var/buildout/site',
};

describe('secretsOf: the one list of a host\'s secrets', () => {
  it('holds every secret-named option, the extra values, each once, and no blank value', () => {
    expect(secretsOf(OPTIONS, ['key-phrase', undefined, 'from-env']).sort()).toEqual(
      ['buildout-pw', 'from-env', 'key-phrase', 'login-pw', 'plugin-secret', 'plugin-token', 'sudo-pw'],
    );
  });

  it('is what the transport\'s settings hold, the passphrase from the environment included', () => {
    const saved = process.env.HOSTOUT_IDENTITY_PASSPHRASE;
    process.env.HOSTOUT_IDENTITY_PASSPHRASE = 'env-phrase';
    try {
      const noPhrase: Record<string, string> = { ...OPTIONS };
      delete noPhrase['identity-passphrase'];
      expect(resolveHostSettings('site', noPhrase, sshEnv).secrets.sort()).toEqual(
        [...secretsOf(noPhrase), 'env-phrase'].sort(),
      );
    } finally {
      if (saved === undefined) delete process.env.HOSTOUT_IDENTITY_PASSPHRASE;
      else process.env.HOSTOUT_IDENTITY_PASSPHRASE = saved;
    }
    expect(resolveHostSettings('site', OPTIONS, sshEnv).secrets.sort()).toEqual(secretsOf(OPTIONS).sort());
  });

  it('the front masks a plugin\'s secret-named option as it masks the password', async () => {
    const f = new RecordingTransportFactory({ sshEnv });
    const h = f.forHost(resolveHostSettings('site', OPTIONS, sshEnv));
    await h.remote.run('curl -H "Authorization: plugin-token" https://x.example/ login-pw');
    expect(f.records.join('\n')).not.toMatch(/plugin-token|login-pw/);
  });
});
