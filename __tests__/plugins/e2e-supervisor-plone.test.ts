/**
 * hostout.supervisor and hostout.plone end to end: the real `node
 * bin/hostout.js` process, a buildout.cfg written as the plugins' READMEs show
 * (`extends = hostout.supervisor`), and a production sshd in its own mount
 * namespace (its /etc an overlay, for supervisorboot's init script). Each site
 * on production has its own real supervisord (bin/supervisord and
 * bin/supervisorctl as collective.recipe.supervisor makes them: the system
 * supervisor with the site's etc/supervisord.conf) and a fixture bin/repozo
 * with repozo's command line. The login is the non-root `buildout` user with
 * passwordless sudo. Needs root (CI is root).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILDOUT, startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { isAlive, registerPid, unregisterPid, waitForExit } from '../../fixtures/servers/process-registry';
import { inProduction, repoRoot, sha256 } from '../../fixtures/site';
import { writeKnownHosts } from '../../fixtures/servers/test-home';

jest.setTimeout(180000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const REPOZO = path.join(repoRoot(), 'fixtures', 'site', 'plone', 'repozo');
const id = crypto.randomBytes(4).toString('hex');
const SITES = { site: `sv-${id}`, target: `sv-target-${id}` } as const;
type Site = keyof typeof SITES;

let prod: SshServer;
let work: string;
const registered: number[] = [];

interface Run { code: number | null; out: string }

function hostout(args: string[], cwd = work): Run {
  const r = spawnSync('node', [HOSTOUT, '-c', path.join(work, 'buildout.cfg'), ...args], {
    cwd, encoding: 'utf8', timeout: 150000, env: { ...process.env, CI: 'true' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function ok(args: string[]): string {
  const r = hostout(args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

/** A site's directory as production sees it, and as this machine sees it. */
const remote = (s: Site) => `/var/buildout/${SITES[s]}`;
const local = (s: Site, ...p: string[]) => path.join(prod.varBuildout as string, SITES[s], ...p);

/** supervisorctl of a site, run inside production (as the tests' observer, not through hostout). */
function ctl(s: Site, ...args: string[]) {
  return inProduction(prod.pid, [`${remote(s)}/bin/supervisorctl`, ...args], true);
}
function appPid(s: Site): number {
  return Number.parseInt(ctl(s, 'pid', 'app').out.trim(), 10) || 0;
}
function daemonPid(s: Site): number | undefined {
  try {
    return Number.parseInt(fs.readFileSync(local(s, 'var', 'supervisord.pid'), 'utf8'), 10) || undefined;
  } catch {
    return undefined;
  }
}
function track(s: Site): void {
  const pid = daemonPid(s);
  if (pid && !registered.includes(pid)) { registerPid(pid); registered.push(pid); }
}

function writeSite(s: Site): void {
  const dir = local(s);
  const conf = `${remote(s)}/etc/supervisord.conf`;
  const files: Record<string, [string, number]> = {
    'etc/supervisord.conf': [[
      '[unix_http_server]', `file = ${remote(s)}/var/supervisor.sock`, '',
      '[supervisord]', `pidfile = ${remote(s)}/var/supervisord.pid`, `logfile = ${remote(s)}/var/supervisord.log`, `childlogdir = ${remote(s)}/var`, '',
      '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface', '',
      '[supervisorctl]', `serverurl = unix://${remote(s)}/var/supervisor.sock`, '',
      '[program:app]', 'command = /bin/sleep 3600', 'startsecs = 0', '',
    ].join('\n'), 0o644],
    'bin/supervisord': [`#!/bin/sh\nexec /usr/bin/supervisord -c ${conf} "$@"\n`, 0o755],
    'bin/supervisorctl': [`#!/bin/sh\nexec /usr/bin/supervisorctl -c ${conf} "$@"\n`, 0o755],
    'bin/repozo': [fs.readFileSync(REPOZO, 'utf8'), 0o755],
    // What bootstrap leaves: the core predeploy checks for it.
    'bin/buildout': ['#!/bin/sh\nexit 0\n', 0o755],
  };
  for (const [rel, [text, mode]] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text, { mode });
  }
  fs.mkdirSync(path.join(dir, 'var', 'filestorage'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'var', 'filestorage', 'Data.fs'), Buffer.concat([Buffer.from('FS21'), crypto.randomBytes(64 * 1024)]));
  fs.mkdirSync(path.join(dir, 'var', 'blobstorage', '0x00'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'var', 'blobstorage', '0x00', `${s}.blob`), crypto.randomBytes(16 * 1024));
  spawnSync('chown', ['-R', BUILDOUT.name, dir]);
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: [BUILDOUT.name], etcOverlay: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-supervisor-plone-'));
  writeKnownHosts(path.join(work, 'known_hosts'), prod);
  fs.copyFileSync(prod.clientKeyPath, path.join(work, 'client_key'));
  fs.chmodSync(path.join(work, 'client_key'), 0o600);
  for (const s of Object.keys(SITES) as Site[]) writeSite(s);
  // The local buildout: fsget recovers into it with its own bin/repozo.
  fs.mkdirSync(path.join(work, 'bin'));
  fs.copyFileSync(REPOZO, path.join(work, 'bin', 'repozo'));
  fs.chmodSync(path.join(work, 'bin', 'repozo'), 0o755);
  const part = (s: Site) => [
    `[${s}]`, 'recipe = collective.hostout', `host = 127.0.0.1:${prod.port}`, 'extends = hostout.supervisor hostout.plone',
    `user = ${BUILDOUT.name}`, `identity-file = ${path.join(work, 'client_key')}`, `known-hosts-file = ${path.join(work, 'known_hosts')}`,
    `path = ${remote(s)}`, '',
  ];
  fs.writeFileSync(path.join(work, 'buildout.cfg'), ['[buildout]', 'parts = site target', '', ...part('site'), ...part('target')].join('\n'));
});

afterAll(async () => {
  for (const s of Object.keys(SITES) as Site[]) {
    const pid = prod ? daemonPid(s) : undefined;
    if (pid && isAlive(pid)) {
      ctl(s, 'shutdown');
      if (!(await waitForExit(pid, 10000))) process.kill(pid, 'SIGKILL');
    }
  }
  for (const pid of registered) unregisterPid(pid);
  await prod?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('hostout.supervisor', () => {
  test('supervisorstartup on a stopped site: bin/supervisord as the buildout user, then status', async () => {
    expect(ctl('site', 'status').code).toBe(4); // not running: supervisorctl cannot reach it
    const out = ok(['site', 'supervisorstartup']);
    track('site');
    expect(out).toContain("Hostout: Running command 'supervisorstartup' from 'hostout.supervisor'");
    expect(out).toMatch(/app\s+RUNNING\s+pid \d+/);
    const pid = daemonPid('site') as number;
    expect(fs.statSync(`/proc/${pid}`).uid).toBe(Number(spawnSync('id', ['-u', BUILDOUT.name], { encoding: 'utf8' }).stdout.trim()));
  });

  test('supervisorctl ARGS and the verbs reach the running supervisord', async () => {
    expect(ok(['site', 'supervisorctl', 'status'])).toMatch(/app\s+RUNNING/);
    ok(['site', 'stop', 'app']);
    expect(ctl('site', 'status', 'app').out).toMatch(/STOPPED/);
    ok(['site', 'start', 'app']);
    const before = appPid('site');
    expect(before).toBeGreaterThan(0);
    ok(['site', 'restart', 'app']);
    expect(appPid('site')).not.toBe(before);
    expect(ok(['site', 'status'])).toMatch(/app\s+RUNNING/);
  });

  test('a failing supervisorctl fails the command: exit 1, names host, command and status', () => {
    const r = hostout(['site', 'start', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('nosuch: ERROR (no such process)');
    expect(r.out).toMatch(/site.*supervisorctl.*start nosuch exited with status 1/);
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  test('supervisorstartup on a running site reloads it: the programs restart', () => {
    const before = appPid('site');
    const daemon = daemonPid('site');
    expect(ok(['site', 'supervisorstartup'])).toMatch(/app\s+RUNNING/);
    expect(appPid('site')).not.toBe(before);
    expect(daemonPid('site')).toBe(daemon);
  });

  test('predeploy stops the programs after the usual predeploy; postdeploy starts them after the usual postdeploy', () => {
    const pre = ok(['site', 'predeploy']);
    expect(pre.indexOf("Running command 'predeploy' from 'collective.hostout'")).toBeLessThan(pre.indexOf("Running command 'supervisorshutdown'"));
    expect(ctl('site', 'status', 'app').out).toMatch(/STOPPED/);
    const post = ok(['site', 'postdeploy']);
    expect(post.indexOf("Running command 'postdeploy' from 'collective.hostout'")).toBeLessThan(post.indexOf("Running command 'supervisorstartup'"));
    expect(ctl('site', 'status', 'app').out).toMatch(/RUNNING/);
  });

  test('supervisorboot installs an init script that starts supervisord as the effective user', () => {
    ok(['site', 'supervisorboot']);
    const script = inProduction(prod.pid, ['cat', '/etc/init.d/buildout-site-supervisor']).out;
    expect(script).toContain(`cd ${remote('site')} || exit 1`);
    expect(script).toContain(`start) sudo -u ${BUILDOUT.name} bin/supervisord ;;`);
    expect(script).toContain(`stop) sudo -u ${BUILDOUT.name} bin/supervisorctl shutdown ;;`);
    expect(fs.existsSync('/etc/init.d/buildout-site-supervisor')).toBe(false); // production's overlay, not this machine
  });
});

describe('hostout.plone (with the fixture bin/repozo)', () => {
  beforeAll(() => {
    ok(['target', 'supervisorstartup']);
    track('target');
  });

  test('fsbackup writes a gzipped backup of var/filestorage/Data.fs into var/backups/Data.fs', () => {
    ok(['site', 'fsbackup']);
    const backups = fs.readdirSync(local('site', 'var', 'backups', 'Data.fs'));
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/\.fsz$/);
  });

  test('fsrestore stops the programs, recovers Data.fs from the newest backup, starts them', () => {
    const good = sha256(local('site', 'var', 'filestorage', 'Data.fs'));
    ok(['site', 'fsbackup']);
    fs.writeFileSync(local('site', 'var', 'filestorage', 'Data.fs'), 'damaged');
    const before = appPid('site');
    const out = ok(['site', 'fsrestore']);
    expect(out).toMatch(/app: stopped[\s\S]*repozo: recovered[\s\S]*app: started/);
    expect(sha256(local('site', 'var', 'filestorage', 'Data.fs'))).toBe(good);
    expect(appPid('site')).not.toBe(before);
  });

  test('fsget backs up remotely and recovers the Data.fs into the local buildout', () => {
    ok(['site', 'fsget']);
    expect(sha256(path.join(work, 'var', 'filestorage', 'Data.fs'))).toBe(sha256(local('site', 'var', 'filestorage', 'Data.fs')));
  });

  test('fscopy TARGET: the target gets the Data.fs through its own fsrestore (its programs restarted)', () => {
    expect(sha256(local('target', 'var', 'filestorage', 'Data.fs'))).not.toBe(sha256(local('site', 'var', 'filestorage', 'Data.fs')));
    const before = appPid('target');
    ok(['site', 'fscopy', 'target']);
    expect(sha256(local('target', 'var', 'filestorage', 'Data.fs'))).toBe(sha256(local('site', 'var', 'filestorage', 'Data.fs')));
    expect(appPid('target')).not.toBe(before);
    expect(fs.readdirSync(local('target', 'var', 'backups', 'Data.fs')).length).toBeGreaterThan(0);
    // The private staging copy is gone.
    expect(inProduction(prod.pid, ['sh', '-c', 'ls -d /tmp/hostout-copy.* 2>/dev/null || true']).out).toBe('');
  });

  test('blobcopy TARGET: the target\'s blobstorage becomes the site\'s, with its programs stopped and started', () => {
    const before = appPid('target');
    ok(['site', 'blobcopy', 'target']);
    expect(fs.readdirSync(local('target', 'var', 'blobstorage', '0x00'))).toEqual(['site.blob']);
    expect(sha256(local('target', 'var', 'blobstorage', '0x00', 'site.blob'))).toBe(sha256(local('site', 'var', 'blobstorage', '0x00', 'site.blob')));
    expect(appPid('target')).not.toBe(before);
  });
});
