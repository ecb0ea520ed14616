/**
 * Files a configuration names, through the real hostout process: a device, a
 * FIFO, /proc/self/mem or a file that is not configuration ends at once with
 * exit 2 naming the option and the file, never reads on (the old code read
 * `identity-file = /dev/zero` for 953 s, a FIFO forever), never prints the
 * file's content (`extends = /proc/self/environ` printed the environment) and
 * never a stack trace (EIO from /proc/self/mem was exit 70). Also `--resolve`:
 * exit 2 for configuration errors, as every host command, and a few lines per
 * error however many values it breaks.
 * The files named by ~/.ssh/config (IdentityFile, UserKnownHostsFile) are
 * read when connecting: those cases run against a real sshd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { hostout } from '../support/run-cli';
import { useDirWithFifo } from '../support/fifo-dir';

/** Generous on a loaded machine; the old code took minutes or never ended (spawnSync kills it at 60 s). */
const AT_ONCE_MS = 20_000;
const SECRET = 'hostout-test-secret-4f9c1e';

const scratch = useDirWithFifo('hostout-named-files-');

function site(name: string, hostLines: string[], extra = ''): string {
  const d = path.join(scratch.dir, name);
  fs.mkdirSync(d);
  fs.writeFileSync(
    path.join(d, 'buildout.cfg'),
    ['[buildout]', 'parts = h1', '', '[h1]', 'recipe = collective.hostout', 'host = 127.0.0.1', 'path = /tmp', ...hostLines, extra].join('\n'),
  );
  return d;
}

function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const r = hostout(args, cwd, env);
  return { ...r, ms: Date.now() - started };
}

describe('a host option naming a file that is not a bounded regular file: exit 2 at once, naming option and file', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['identity-file = /dev/zero', () => '/dev/zero', /identity-file = \/dev\/zero: it is a character device, not a regular file/],
    ['identity-file = a FIFO', () => scratch.fifo, /identity-file = .*\/pipe: it is a FIFO \(named pipe\), not a regular file/],
    ['identity-file = /proc/self/mem', () => '/proc/self/mem', /identity-file = \/proc\/self\/mem: reading it failed \(EIO\)/],
    ['known-hosts-file = /dev/zero', () => '/dev/zero', /known-hosts-file = \/dev\/zero: it is a character device, not a regular file/],
    ['buildout-identity-file = a FIFO', () => scratch.fifo, /buildout-identity-file = .*\/pipe: it is a FIFO \(named pipe\), not a regular file/],
    ['fabfiles = /dev/zero', () => '/dev/zero', /fabfiles = \/dev\/zero: it is a character device, not a regular file/],
    ['fabfiles = a FIFO', () => scratch.fifo, /fabfiles = .*\/pipe: it is a FIFO \(named pipe\), not a regular file/],
    ['extends = /dev/zero', () => '/dev/zero', /extends = \/dev\/zero: it is a character device, not a regular file/],
  ];
  test.each(cases)('%s', (label, file, message) => {
    const option = label.split(' = ')[0];
    const d = site(`opt-${option}-${label.length}-${Math.random().toString(36).slice(2)}`, [`${option} = ${file()}`]);
    const r = timed(['h1', 'run', 'true', '--dry-run', '--offline'], d);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`^hostout: \\[h1\\] ${message.source}\\n$`));
    expect(r.ms).toBeLessThan(AT_ONCE_MS);
  });
});

describe('a file that is not configuration is never echoed', () => {
  test('extends = /proc/self/environ: exit 2, names file and line, prints nothing of the environment', () => {
    const d = path.join(scratch.dir, 'environ');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'buildout.cfg'), '[buildout]\nextends = /proc/self/environ\nparts =\n');
    const r = timed(['-c', 'buildout.cfg', '--resolve'], d, { HOSTOUT_TEST_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'hostout: /proc/self/environ, line 1: cannot parse this line (not shown: nothing before it says the file is configuration): ' +
        'the file has no [section] header before this line\n',
    );
    expect(r.stderr + r.stdout).not.toContain(SECRET);
    expect(r.stderr).not.toContain('PATH=');
  });

  test('a .env file extended by mistake: its first line is not shown either', () => {
    const d = path.join(scratch.dir, 'dotenv');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, '.env'), `API_TOKEN=${SECRET}\n`);
    fs.writeFileSync(path.join(d, 'buildout.cfg'), '[buildout]\nextends = .env\nparts =\n');
    const r = timed(['-c', 'buildout.cfg', '--resolve'], d);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: \.env, line 1: cannot parse this line \(not shown/);
    expect(r.stderr).not.toContain(SECRET);
  });

  test('fabfiles = /proc/self/environ: exit 2, nothing of the environment', () => {
    const d = site('fab-environ', ['fabfiles = /proc/self/environ']);
    const r = timed(['h1', 'run', 'true', '--dry-run', '--offline'], d, { HOSTOUT_TEST_SECRET: SECRET });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: \[h1\] fabfile '\/proc\/self\/environ' .* could not be loaded/);
    expect(r.stderr).not.toContain(SECRET);
  });

  test('extends = /proc/self/mem: exit 2 naming the extends line, no stack trace (was exit 70)', () => {
    const d = path.join(scratch.dir, 'mem');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'buildout.cfg'), '[buildout]\nextends = /proc/self/mem\nparts =\n');
    const r = timed(['-c', 'buildout.cfg', '--resolve'], d);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: 'hostout: buildout.cfg, line 2: cannot open extended file /proc/self/mem: reading it failed (EIO)\n',
    });
  });
});

describe('--resolve: configuration errors exit 2, a few lines each', () => {
  function resolveOf(name: string, text: string) {
    const d = path.join(scratch.dir, name);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'buildout.cfg'), text);
    return timed(['-c', 'buildout.cfg', '--resolve'], d);
  }

  test('10,000 options referring to an undefined section: exit 2, 6 lines on stderr, every error still in the JSON', () => {
    const opts = Array.from({ length: 10_000 }, (_, i) => `a${i} = \${missing:a}`).join('\n');
    const r = resolveOf('many', `[buildout]\nparts =\n[s]\n${opts}\n`);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe("hostout: [s:a0] buildout.cfg, line 4: The referenced section, 'missing', was not defined.");
    expect(lines[5]).toBe('hostout: … and 9995 more problems (10000 values in all; the JSON\'s "__errors__" lists each)');
    expect(Object.keys((JSON.parse(r.stdout) as { __errors__: object }).__errors__)).toHaveLength(10_000);
  });

  test('a <= chain of 600 sections ending in a missing one: one line naming a few of them', () => {
    const sections = Array.from({ length: 600 }, (_, i) => `[s${i}]\n<= s${i + 1}\na = ${i}\n`).join('');
    const r = resolveOf('chain', `[buildout]\nparts =\n${sections}[s600]\n<= missing\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hostout: [s0] buildout.cfg, line 1804: No section named 'missing' (also [s1], [s10] and 598 more)\n");
  });

  test('a macro loop: exit 2 (was 1), as a host command reports it', () => {
    const r = resolveOf('loop', '[buildout]\nparts =\n[s]\n<= s\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hostout: [s] buildout.cfg, line 4: Infinite extending loop 's'\n");
  });
});

describe('files named by ~/.ssh/config, read when connecting to a real sshd', () => {
  let server: SshServer;
  beforeAll(async () => {
    server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  function sshSite(name: string, sshConfig: string, hostLines: string[]) {
    const d = site(name, [`host = 127.0.0.1:${server.port}`, 'user = root', ...hostLines]);
    fs.writeFileSync(path.join(d, 'ssh_config'), sshConfig);
    fs.writeFileSync(path.join(d, 'known_hosts'), server.knownHostsLine + '\n');
    return d;
  }

  test('IdentityFile naming a FIFO: exit 2 at once naming it (a read would block forever)', () => {
    const d = sshSite('ssh-id-fifo', `Host *\n  IdentityFile ${scratch.fifo}\n  IdentitiesOnly yes\n`, []);
    fs.appendFileSync(path.join(d, 'buildout.cfg'), `\nknown-hosts-file = ${path.join(d, 'known_hosts')}\n`);
    const r = timed(['h1', 'run', 'true'], d, { HOSTOUT_SSH_CONFIG: path.join(d, 'ssh_config') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: \[h1\] identity-file = .*\/pipe: it is a FIFO \(named pipe\), not a regular file\n$/);
    expect(r.ms).toBeLessThan(AT_ONCE_MS);
  });

  test('UserKnownHostsFile = /dev/zero: exit 2 at once naming it', () => {
    const d = sshSite('ssh-kh-zero', `Host *\n  UserKnownHostsFile /dev/zero\n`, [`identity-file = ${server.clientKeyPath}`]);
    const r = timed(['h1', 'run', 'true'], d, { HOSTOUT_SSH_CONFIG: path.join(d, 'ssh_config') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hostout: (\[h1\] )?known-hosts-file = \/dev\/zero: it is a character device, not a regular file\n$/);
    expect(r.ms).toBeLessThan(AT_ONCE_MS);
  });

  test('HOSTOUT_SSH_CONFIG naming /dev/zero: exit 2 at once naming it', () => {
    const d = site('ssh-config-zero', [`host = 127.0.0.1:${server.port}`]);
    const r = timed(['h1', 'run', 'true', '--dry-run', '--offline'], d, { HOSTOUT_SSH_CONFIG: '/dev/zero' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ssh config file = \/dev\/zero: it is a character device, not a regular file\n$/);
    expect(r.ms).toBeLessThan(AT_ONCE_MS);
  });
});
