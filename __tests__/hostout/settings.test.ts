/**
 * One settings object per host: what a plugin reads in ctx.options (user,
 * port, identity-file, buildout-user, no-sudo) is what the transport
 * connects with, because both come from the same computation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../lib/errors';
import { buildoutFromObject } from '../../lib/hostout/buildout-view';
import { Runtime } from '../../lib/hostout/dispatch';
import { loadHosts } from '../../lib/hostout/hosts';
import { createRecordingLogger } from '../../lib/log';
import { RecordingTransportFactory } from '../../lib/transport';
import type { SshEnvironment } from '../../lib/transport/ssh-config';

let dir: string;
let ssh: SshEnvironment;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-settings-'));
  writeFileSync(path.join(dir, 'config'), 'Host aliased\n  HostName 10.9.8.7\n  Port 2200\n  User cfguser\n  IdentityFile ~/keys/cfg\n');
  ssh = { home: dir, configPath: path.join(dir, 'config'), localUser: 'me' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function seen(part: Record<string, string>) {
  const bo = buildoutFromObject(dir, { buildout: { parts: 'h' }, h: { recipe: 'collective.hostout', path: '/srv/h', ...part } });
  const [host] = await loadHosts(bo, { ssh });
  const transport = new RecordingTransportFactory({ sshEnv: ssh });
  let options: Readonly<Record<string, string>> = {};
  const probe = {
    id: 'probe', file: '/virtual/probe',
    plugin: { name: 'probe', commands: { probe: { description: '', run: async (ctx: { options: Readonly<Record<string, string>>; remote: { run(c: string): Promise<unknown> } }) => { options = ctx.options; await ctx.remote.run('true'); } } } },
  };
  const rt = new Runtime([{ ...host, sets: [probe, ...host.sets] }], { transport, log: createRecordingLogger(), dryRun: true, buildoutDirectory: dir });
  await rt.run('h', 'probe');
  return { options, record: transport.records[0], settings: host.settings! };
}

test.each([
  ['[::1]:2222', '::1', '2222'],
  ['[::1]', '::1', '22'],
  ['example.com:2201', 'example.com', '2201'],
  ['example.com', 'example.com', '22'],
])('host = %s: the plugin sees the port the transport connects to', async (hostValue, hostname, port) => {
  const { options, record, settings } = await seen({ host: hostValue, user: 'u' });
  expect(options.port).toBe(port);
  expect(settings.port).toBe(Number(port));
  expect(settings.hostname).toBe(hostname);
  expect(record).toBe(`[h] remote(u@${hostname}:${port}): /bin/bash -l -c true`);
});

test('~/.ssh/config: HostName, Port, User and IdentityFile reach both the options and the connection', async () => {
  const { options, record, settings } = await seen({ host: 'aliased' });
  expect(options).toMatchObject({ port: '2200', user: 'cfguser', 'buildout-user': 'cfguser', 'effective-user': 'cfguser', 'identity-file': path.join(dir, 'keys/cfg') });
  expect(settings.login.user).toBe('cfguser');
  expect(record).toBe('[h] remote(cfguser@10.9.8.7:2200): /bin/bash -l -c true');
});

test('an explicit port option is used when host has none; host:port wins over it', async () => {
  expect((await seen({ host: 'example.com', port: '2022', user: 'u' })).options.port).toBe('2022');
  expect((await seen({ host: 'example.com:2023', port: '2022', user: 'u' })).record).toContain('u@example.com:2023');
});

test('no-sudo: one reading of yes/no for the options and the transport', async () => {
  for (const [raw, expected] of [['yes', true], ['TRUE', true], ['on', true], ['no', false], ['', false]] as const) {
    const { options, settings } = await seen({ host: 'example.com', user: 'u', 'no-sudo': raw });
    expect(options['no-sudo']).toBe(String(expected));
    expect(settings.noSudo).toBe(expected);
  }
});

test('a host whose port is not a number is a ConfigError naming the host and option', async () => {
  const bo = buildoutFromObject(dir, { buildout: { parts: 'h' }, h: { recipe: 'collective.hostout', path: '/srv/h', host: 'example.com', port: 'abc' } });
  const [host] = await loadHosts(bo, { ssh });
  expect(host.error).toBeInstanceOf(ConfigError);
  expect(host.error?.message).toBe("[h] port must be a number, not 'abc'");
  expect(host.error?.host).toBe('h');
});
