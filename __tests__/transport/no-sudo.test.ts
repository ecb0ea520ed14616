/** One no-sudo refusal (lib/transport/no-sudo.ts): the transport's for remote.sudo and the one plugins call. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../lib/errors';
import * as api from '../../lib';
import { RecordingTransportFactory } from '../../lib/transport';
import { resolveHostSettings } from '../../lib/transport/host-settings';
import { refuseSudo } from '../../lib/transport/no-sudo';
import type { SshEnvironment } from '../../lib/transport/ssh-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-no-sudo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sshEnv: SshEnvironment = { home: tmp, configPath: path.join(tmp, 'no-config'), localUser: 'me' };

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('did not throw');
}

describe('refuseSudo', () => {
  it('refuses the same way from a host\'s settings and from a plugin\'s ctx, for every true word', () => {
    for (const word of ['yes', 'TRUE', 'on', '1']) {
      const settings = resolveHostSettings('site', { host: 'example.com', 'no-sudo': word }, sshEnv);
      const fromSettings = thrown(() => refuseSudo(settings, 'install python'));
      const fromCtx = thrown(() => refuseSudo({ name: 'site', options: { 'no-sudo': word } }, 'install python'));
      for (const e of [fromSettings, fromCtx]) {
        expect(e.message).toContain('cannot install python: no-sudo is set for this host');
        expect([e.host, e.option, e.exitCode]).toEqual(['site', 'no-sudo', 2]);
      }
    }
  });

  it('lets sudo through when no-sudo is unset or false', () => {
    expect(() => refuseSudo(resolveHostSettings('site', { host: 'example.com' }, sshEnv), 'x')).not.toThrow();
    expect(() => refuseSudo({ name: 'site', options: { 'no-sudo': 'false' } }, 'x')).not.toThrow();
  });

  it('is what the transport does for remote.sudo, before anything is recorded', async () => {
    const f = new RecordingTransportFactory({ sshEnv });
    const h = f.forHost('site', { host: 'example.com', 'no-sudo': 'yes' });
    await expect(h.remote.sudo('id')).rejects.toThrow("cannot run 'id' with sudo: no-sudo is set for this host");
    expect(f.records).toEqual([]);
  });

  it('is the function the public API gives plugins', () => {
    expect(api.refuseSudo).toBe(refuseSudo);
  });
});
