import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, CommandError } from '../../lib/errors';
import { createRecordingLogger } from '../../lib/log';
import { createTransportFactory, RecordingTransportFactory } from '../../lib/transport';
import type { SshEnvironment } from '../../lib/transport/ssh-config';
import { withCwdAndEnv } from '../../lib/transport/command-line';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-rec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sshEnv: SshEnvironment = { home: tmp, configPath: path.join(tmp, 'no-config'), localUser: 'me' };

describe('RecordingTransportFactory', () => {
  it('records every call in order with user@host:port, quoting and the default shell', async () => {
    const lines: string[] = [];
    const f = new RecordingTransportFactory({ sshEnv, onRecord: (l) => lines.push(l) });
    const h = f.forHost('first-site', { host: 'example.com:2222', user: 'root', 'buildout-user': 'plone', 'buildout-password': 'pw' });
    await h.remote.run('bin/buildout', { cwd: '/var/buildout/my site' });
    await h.remote.run('id', { as: 'buildout' });
    await h.remote.sudo('supervisorctl restart all', { user: 'zope' });
    await h.remote.put('/tmp/a', '/tmp/b', { mode: 0o644 });
    await h.remote.get('/tmp/b', '/tmp/c');
    expect(await h.remote.exists('/var/buildout')).toBe(false);
    await h.local.run('echo hi', { cwd: '/srv' });
    await h.rsync({ from: '/srv/site/bin', to: '/srv/site/', direction: 'push', delete: true, exclude: ['*.pyc', 'var'], remoteSudo: true });
    expect(f.records).toEqual([
      `[first-site] remote(root@example.com:2222): /bin/bash -l -c 'cd '\\''/var/buildout/my site'\\'' && bin/buildout'`,
      `[first-site] remote(plone@example.com:2222): /bin/bash -l -c id`,
      `[first-site] remote(root@example.com:2222): sudo -H -u zope -- /bin/bash -l -c 'supervisorctl restart all'`,
      '[first-site] put(root@example.com:2222): /tmp/a -> /tmp/b (mode 0644)',
      '[first-site] get(root@example.com:2222): /tmp/b -> /tmp/c',
      '[first-site] exists(root@example.com:2222): /var/buildout',
      '[first-site] local: cd /srv && echo hi',
      `[first-site] rsync: rsync --delete '--exclude=*.pyc' --exclude=var -pthlrz --compress-choice=lz4 --modify-window=-1 --timeout=60 '--rsync-path=sudo rsync' --rsh hostout-ssh-tunnel /srv/site/bin root@example.com:/srv/site/`,
    ]);
    expect(lines).toEqual(f.records);
  });

  it('rsync-compress: lz4 by default, another algorithm by name, none with no; anything else is a config error', async () => {
    const argvFor = async (value?: string) => {
      const f = new RecordingTransportFactory({ sshEnv });
      const h = f.forHost('h', { host: 'h.example', user: 'u', ...(value === undefined ? {} : { 'rsync-compress': value }) });
      await h.rsync({ from: '/a/', to: '/b', direction: 'push' });
      return f.records[0];
    };
    expect(await argvFor()).toBe('[h] rsync: rsync -pthlrz --compress-choice=lz4 --modify-window=-1 --timeout=60 --rsh hostout-ssh-tunnel /a/ u@h.example:/b');
    expect(await argvFor('ZSTD')).toBe('[h] rsync: rsync -pthlrz --compress-choice=zstd --modify-window=-1 --timeout=60 --rsh hostout-ssh-tunnel /a/ u@h.example:/b');
    expect(await argvFor('no')).toBe('[h] rsync: rsync -pthlr --modify-window=-1 --timeout=60 --rsh hostout-ssh-tunnel /a/ u@h.example:/b');
    expect(await argvFor('false')).toBe('[h] rsync: rsync -pthlr --modify-window=-1 --timeout=60 --rsh hostout-ssh-tunnel /a/ u@h.example:/b');
    await expect(argvFor('fast')).rejects.toThrow("[h] rsync-compress must be one of lz4, zstd, zlibx, zlib, no, not 'fast'");
  });

  it('rsync-timeout: 60 s by default, whole seconds, 0 for none; anything else is a config error', async () => {
    const argvFor = async (value: string) => {
      const f = new RecordingTransportFactory({ sshEnv });
      await f.forHost('h', { host: 'h.example', user: 'u', 'rsync-timeout': value }).rsync({ from: '/a/', to: '/b', direction: 'push' });
      return f.records[0];
    };
    expect(await argvFor('')).toMatch(/ --modify-window=-1 --timeout=60 --rsh /);
    expect(await argvFor(' 15 ')).toMatch(/ --modify-window=-1 --timeout=15 --rsh /);
    expect(await argvFor('0')).toMatch(/ --modify-window=-1 --rsh /);
    await expect(argvFor('1m')).rejects.toThrow("[h] rsync-timeout must be a whole number of seconds (0: no timeout), not '1m'");
  });

  it('a command with cwd or env runs grouped, so a trailing & backgrounds the command alone (as typed without cwd)', () => {
    const line = withCwdAndEnv('nohup daemon > /dev/null 2>&1 &', { cwd: '/srv/site', env: { A: 'b' } });
    expect(line.actual).toBe("cd /srv/site && export A=b && { nohup daemon > /dev/null 2>&1 &\n}");
    expect(line.shown).toBe("cd /srv/site && export A=b && nohup daemon > /dev/null 2>&1 &");
    expect(withCwdAndEnv('echo a # note', {}).actual).toBe('echo a # note');
    // The shell runs it as meant: `b` in the directory too, the line's own comment ended by the newline.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cwd-group-'));
    try {
      const r = spawnSync('/bin/sh', ['-c', withCwdAndEnv('true & pwd # a comment', { cwd: dir }).actual], { encoding: 'utf8' });
      expect(r.stdout.trim()).toBe(fs.realpathSync(dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('masks passwords and honours the shell option (empty: no wrapper)', async () => {
    const f = new RecordingTransportFactory({ sshEnv });
    const h = f.forHost('h', { host: 'h.example', user: 'u', password: 's3cret!', shell: '' });
    await h.remote.run('echo s3cret! > /tmp/x');
    expect(f.records).toEqual(['[h] remote(u@h.example:22): echo ******** > /tmp/x']);
  });

  it('refuses sudo with no-sudo, and answers canned responses', async () => {
    const f = new RecordingTransportFactory({
      sshEnv,
      exists: (p) => p === '/yes',
      responses: [{ match: 'false', result: { code: 1, stderr: 'nope' } }, { match: /uname/, result: { stdout: 'Linux\n' } }],
    });
    const h = f.forHost('h', { host: 'h.example', 'no-sudo': 'True' });
    await expect(h.remote.sudo('id')).rejects.toBeInstanceOf(ConfigError);
    expect((await h.remote.run('uname')).stdout).toBe('Linux\n');
    await expect(h.remote.run('false')).rejects.toBeInstanceOf(CommandError);
    expect((await h.remote.run('false', { allowFailure: true })).code).toBe(1);
    expect(await h.remote.exists('/yes')).toBe(true);
    expect(f.records[0]).toBe('[h] remote(me@h.example:22): /bin/bash -l -c uname'); // the refused sudo recorded nothing
  });

  it('uses ~/.ssh/config for HostName, Port and User', async () => {
    const cfg = path.join(tmp, 'config');
    fs.writeFileSync(cfg, 'Host prod\n  HostName 10.1.2.3\n  Port 2200\n  User deploy\n');
    const f = new RecordingTransportFactory({ sshEnv: { ...sshEnv, configPath: cfg } });
    await f.forHost('site', { host: 'prod' }).remote.run('true');
    expect(f.records).toEqual(['[site] remote(deploy@10.1.2.3:2200): /bin/bash -l -c true']);
  });

  it('createTransportFactory gives the recording transport under dryRun with offline', async () => {
    const lines: string[] = [];
    const f = createTransportFactory({ dryRun: true, offline: true, log: createRecordingLogger(), onRecord: (l) => lines.push(l), sshEnv });
    expect(f).toBeInstanceOf(RecordingTransportFactory);
    await f.forHost('x', { host: 'x.example', user: 'root' }).local.run('ls', { as: 'nobody' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[x\] local: (sudo -H -u nobody -- \/bin\/sh -c ls|su -s \/bin\/sh nobody -c ls)$/);
  });
});
