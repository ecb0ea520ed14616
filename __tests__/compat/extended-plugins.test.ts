/**
 * Buildouts that extend the plugins people used with collective.hostout and
 * that are gone (fixtures/compat/extended-plugins, a 2011 Plone buildout):
 * hostout.ubuntu, hostout.debian and hostout.redhat map to the built-in OS
 * bootstrap; hostout.cloud is not supported, says so, and the host's other
 * commands work (on a real sshd).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

let site: string;
let home: string;
let server: SshServer | undefined;

beforeAll(() => {
  site = mkdtempSync(path.join(os.tmpdir(), 'hostout-extended-'));
  cpSync(path.join(ROOT, 'fixtures', 'compat', 'extended-plugins'), site, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'hostout-extended-home-'));
});
afterAll(async () => {
  await server?.stop();
  for (const d of [site, home, EMPTY_HOME]) rmSync(d, { recursive: true, force: true });
});

const run = (args: string[]) => hostout(args, site, { HOME: home });

describe.each([
  ['ubuntu-prod', 'hostout.ubuntu', /apt-get -yq install python2\.6 virtualenv python2\.6-dev build-essential/],
  ['debian-prod', 'hostout.debian', /apt-get -yq install python2\.6 virtualenv python2\.6-dev build-essential/],
  ['redhat-prod', 'hostout.redhat', /dnf -y install python2 python2-devel python2-virtualenv gcc make/],
])('%s (extends = %s)', (host, plugin, installer) => {
  test('lists its commands (the built-ins), exit 0', () => {
    const r = run([host]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('\nValid commands are:\n');
    expect(r.stderr).toMatch(/\n {3}bootstrap +: Install packages and users/);
    expect(r.stderr).not.toContain('hostout: ');
  });

  test("bootstrap's plan: the built-in steps, and the plugin's OS installer for Python; -v says where the plugin went", () => {
    // (Offline, bootstrap assumes Python is there: bootstrap_python shows the installer it would run.)
    const r = run(['-v', '--dry-run', '--offline', host, 'bootstrap', 'bootstrap_python']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[${host}] extends = ${plugin}: its OS bootstrap is built into hostout`);
    expect(r.stdout).toMatch(installer);
    expect(r.stdout).toContain("Hostout: Running command 'bootstrap_buildout' from 'collective.hostout'");
    // Without -v, no note.
    expect(run(['--dry-run', '--offline', host, 'bootstrap']).stdout).not.toContain('is built into hostout');
  });
});

test('hostout.ubuntu and hostout.debian: installPIL (and installPIP) exit 2 with the reason', () => {
  const r = run(['ubuntu-prod', 'installPIL']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('[ubuntu-prod] installPIL of hostout.ubuntu is not supported by hostout: it installed PIL with easy_install');
  expect(r.stderr).toContain('Pillow');
  expect(run(['debian-prod', 'installPIP']).code).toBe(2);
});

describe('cloud-prod (extends = hostout.cloud)', () => {
  test('lists its commands, the cloud ones marked not supported, exit 0', () => {
    const r = run(['cloud-prod']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\n {3}create +: Not supported \(hostout\.cloud\): create the VM\n/);
    expect(r.stderr).toMatch(/\n {3}deploy +: /);
    expect(r.stderr).not.toContain('did you mean');
  });

  test('a cloud command: exit 2, says why and what to do instead, nothing connects', () => {
    const r = run(['cloud-prod', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[cloud-prod] create of hostout.cloud is not supported by hostout: it created cloud VMs with apache-libcloud (Python)');
    expect(r.stderr).toContain('set host (and user, identity-file) in the part');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('the other commands run on the real host as configured, after one warning', async () => {
    server = await startSshServer({ authorizeClientKeyFor: ['root'] });
    mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(home, '.ssh', 'known_hosts'), server.knownHostsLine + '\n');
    const remote = mkdtempSync(path.join(os.tmpdir(), 'hostout-extended-remote-'));
    try {
      const r = run([
        `cloud-prod:host=127.0.0.1:${server.port}`, 'cloud-prod:user=root', `cloud-prod:identity-file=${server.clientKeyPath}`, `cloud-prod:path=${remote}`,
        'cloud-prod', 'run', 'pwd',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(remote);
      expect(r.stderr.match(/warning: \[cloud-prod\] extends = hostout\.cloud: not supported/g)).toHaveLength(1);
      expect(r.stderr).toContain(`the others run on host = 127.0.0.1:${server.port} as configured`);
    } finally {
      rmSync(remote, { recursive: true, force: true });
    }
  }, 120_000);
});
