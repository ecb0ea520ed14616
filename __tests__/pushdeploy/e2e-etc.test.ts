/**
 * pushdeploy's deploy_etc and cook_resources end to end: the real
 * `node bin/hostout.js` process, real staging buildouts (Debian's zc.buildout,
 * offline) on this machine, and a production sshd in its own mount namespace
 * whose /etc and /usr/local/bin are copy-on-write overlays (etcOverlay), so
 * production may write them while this machine's stay untouched. Production
 * runs a real system supervisord configured from its /etc. The login is the
 * non-root `buildout` user with passwordless sudo. Needs root (CI is root).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { snapshotTree } from '../support/tree-snapshot';
import { BUILDOUT, startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { inProduction, repoRoot, siteSources, writeHostoutConfig } from '../../fixtures/site';
import { SystemSupervisor, writeInProduction } from '../../fixtures/site/system-supervisor';
import { writeTrustAndKey } from '../../fixtures/servers/test-home';

jest.setTimeout(180000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
/** Builds parts/system/etc and names its Plone site. */
const etcSite = `pd-etc-${id}`;
/** The plain fixture site: no parts/system/etc, no buildoutname. */
const plainSite = `pd-etc-plain-${id}`;
const etcPath = `/var/buildout/${etcSite}`;
const plainPath = `/var/buildout/${plainSite}`;
/** The supervisor program parts/system/etc describes; unique, so this machine's /etc surely has no such file. */
const program = `pd-etc-prog-${id}`;
const ploneSite = `Plone-${id}`;
const RESOURCECOOKER = '/usr/local/bin/resourcecooker.py';

let prod: SshServer;
let work: string;
let cfg: string;
let etcUpper: string;
let prodEtcSite: string; // production's copy of etcSite, as this machine sees it
let system: SystemSupervisor;

interface Run { code: number | null; out: string }

function hostout(args: string[]): Run {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 150000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function ok(args: string[]): string {
  const r = hostout(args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

function uidOf(user: string): number {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  return Number(line?.split(':')[2]);
}

/** A staging checkout at `target`: `sources` plus the fixture site's offline bootstrap.py, owned by the buildout user. */
function stagingCheckout(sources: string, target: string, edit: (cfg: string) => string = (c) => c): void {
  fs.cpSync(sources, target, { recursive: true, filter: (src) => !/(\.egg-info|__pycache__)$/.test(src) });
  fs.copyFileSync(path.join(siteSources(), 'bootstrap.py'), path.join(target, 'bootstrap.py'));
  const buildoutCfg = path.join(target, 'buildout.cfg');
  fs.writeFileSync(buildoutCfg, edit(fs.readFileSync(buildoutCfg, 'utf8')));
  spawnSync('chown', ['-R', BUILDOUT.name, target]);
}

function setOption(cfgText: string, option: string, value: string): string {
  const re = new RegExp(`^${option} = .*$`, 'm');
  if (!re.test(cfgText)) throw new Error(`fixture buildout.cfg has no '${option} =' line`);
  return cfgText.replace(re, `${option} = ${value}`);
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: [BUILDOUT.name], etcOverlay: true, overlayDirs: ['/usr/local/bin'] });
  etcUpper = prod.etcUpper as string;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-e2e-etc-'));
  fs.chmodSync(work, 0o755);
  const { knownHosts, key } = writeTrustAndKey(work, prod);

  stagingCheckout(path.join(repoRoot(), 'fixtures', 'site', 'system-etc'), etcPath, (c) =>
    setOption(setOption(c, 'program', program), 'buildoutname', ploneSite));
  stagingCheckout(siteSources(), plainPath);
  const common = {
    host: `127.0.0.1:${prod.port}`,
    'known-hosts-file': knownHosts,
    user: BUILDOUT.name,
    'identity-file': key,
    'remote-sudo': 'true',
    'buildout-user': BUILDOUT.name,
    'effective-user': 'zope',
    'bootstrap-python': '/usr/bin/python3',
    restart: 'true',
  };
  writeHostoutConfig(path.join(work, 'buildout.cfg'), {
    [etcSite]: { ...common, path: etcPath },
    [plainSite]: { ...common, path: plainPath },
  });
  cfg = path.join(work, 'buildout.cfg');
  // The real staging builds (the etc site's makes parts/system/etc).
  for (const site of [etcSite, plainSite]) {
    ok([site, 'bootstrap']);
    ok([site, 'buildout']);
  }
  // Production has the built site as a push leaves it (push has its own e2e tests; this suite tests what comes after).
  prodEtcSite = path.join(prod.varBuildout as string, etcSite);
  fs.cpSync(etcPath, prodEtcSite, { recursive: true });

  system = new SystemSupervisor(prod.pid, prod.varBuildout as string);
  system.install();
  await system.start();
});

afterAll(async () => {
  await system?.stop().catch(() => undefined);
  await prod?.stop();
  for (const p of [etcPath, plainPath, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('the production harness with etcOverlay', () => {
  test('a sudo write to /etc over ssh lands in the overlay, not in this machine\'s /etc; logins and user lookups work through it', () => {
    const probe = `hostout-overlay-probe-${id}`;
    const r = spawnSync('ssh', [
      '-i', path.join(work, 'client_key'), '-p', String(prod.port), '-o', `UserKnownHostsFile=${path.join(work, 'known_hosts')}`,
      '-o', 'BatchMode=yes', `${BUILDOUT.name}@127.0.0.1`,
      `sudo -n sh -c 'echo probe > /etc/${probe}' && getent passwd zope && id -un`,
    ], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^zope:x:\d+:/m);
    expect(r.stdout).toMatch(/^buildout$/m);
    expect(fs.readFileSync(path.join(etcUpper, probe), 'utf8')).toBe('probe\n');
    expect(fs.statSync(path.join(etcUpper, probe)).uid).toBe(0);
    expect(fs.existsSync(`/etc/${probe}`)).toBe(false);
    expect(inProduction(prod.pid, ['cat', `/etc/${probe}`]).out).toBe('probe\n');
  });
});

describe('deploy_etc on real servers', () => {
  const confRel = `supervisor/conf.d/${program}.conf`;
  const logrotateRel = `logrotate.d/${program}`;

  test('copies parts/system/etc into production\'s /etc (never this machine\'s) and supervisor rereads, adds and starts the program', async () => {
    const staged = path.join(etcPath, 'parts/system/etc');
    expect(fs.readFileSync(path.join(staged, confRel), 'utf8')).toMatch(new RegExp(`^\\[program:${program}\\]$`, 'm'));
    expect(system.status(program)).toMatch(/no such process/i);

    const out = ok([etcSite, 'deploy_etc']);
    expect(out).toMatch(/supervisorctl reread && supervisorctl update/);

    for (const rel of [confRel, logrotateRel]) {
      expect(fs.readFileSync(path.join(etcUpper, rel), 'utf8')).toBe(fs.readFileSync(path.join(staged, rel), 'utf8'));
      expect(fs.statSync(path.join(etcUpper, rel)).uid).toBe(0); // copied by root, through sudo
      expect(fs.existsSync(path.join('/etc', rel))).toBe(false);
    }
    await system.waitFor(() => /RUNNING/.test(system.status(program)), `${program} to run`);
    expect(system.status(program)).toMatch(new RegExp(`^${program}\\s+RUNNING\\s+pid \\d+`));
    // The program runs as the user its conf names: supervisor really loaded that file.
    const pid = Number(/pid (\d+)/.exec(system.status(program))?.[1]);
    expect(fs.statSync(`/proc/${pid}`).uid).toBe(uidOf('zope'));
  });

  test('a staging build without parts/system/etc changes nothing on production and exits 0', () => {
    expect(fs.existsSync(path.join(plainPath, 'parts/site'))).toBe(true); // built, just without system/etc
    const runningPid = () => /RUNNING\s+pid (\d+)/.exec(system.status(program))?.[1];
    const before = { etc: snapshotTree(etcUpper), var: snapshotTree(prod.varBuildout as string), pid: runningPid() };
    expect(before.pid).toBeDefined();
    const logins = prod.acceptedLogins().length;
    const out = ok([plainSite, 'deploy_etc']);
    expect(out).not.toMatch(/supervisorctl/);
    expect(snapshotTree(etcUpper)).toEqual(before.etc);
    expect(runningPid()).toBe(before.pid); // not restarted, not removed
    expect(prod.acceptedLogins().length).toBe(logins); // not even a login
    // The supervisord log and pid change by themselves; everything else under /var/buildout must not.
    const quiet = (files: string[]) => files.filter((l) => !l.includes('/.system-supervisor/'));
    expect(quiet(snapshotTree(prod.varBuildout as string))).toEqual(quiet(before.var));
  });

  test('a failing supervisorctl (no supervisord running) exits 1 naming host, command and exit status', async () => {
    await system.stop();
    const r = hostout([etcSite, 'deploy_etc']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`[${etcSite}]`);
    expect(r.out).toMatch(/supervisorctl reread/);
    expect(r.out).toMatch(/exit status [1-9]/);
    expect(r.out).not.toMatch(/^\s+at /m);
  });
});

describe('cook_resources on real servers', () => {
  const record = () => path.join(prodEtcSite, 'var', 'cook-record.txt');
  const recorded = (): string[] => (fs.existsSync(record()) ? fs.readFileSync(record(), 'utf8').trim().split('\n') : []);
  const cookArgs = ['arg=-O', `arg=${ploneSite}`, 'arg=run', `arg=${RESOURCECOOKER}`];

  /** A stand-in for Plone's bin/<name> (Plone cannot be installed here): records its uid and argv, exits `code`. */
  function instance(name: string, code: number): void {
    const recordInProduction = `${etcPath}/var/cook-record.txt`;
    writeInProduction(prod.pid, `${etcPath}/bin/${name}`, [
      '#!/bin/sh',
      '# Stand-in for a Plone instance script: who ran it, with which arguments.',
      `{ echo "${name} uid=$(id -u)"; for a in "$@"; do printf 'arg=%s\\n' "$a"; done; } >> ${recordInProduction}`,
      `exit ${code}`,
      '',
    ].join('\n'), 0o755);
  }

  function noInstance(name: string): void {
    fs.rmSync(path.join(prodEtcSite, 'bin', name), { force: true });
  }

  beforeAll(() => {
    fs.mkdirSync(path.dirname(record()), { recursive: true }); // the stand-ins record into production's var/
    // resourcecooker.py on production's PATH only (the /usr/local/bin overlay); `which` must resolve it there.
    writeInProduction(prod.pid, RESOURCECOOKER, '#!/usr/bin/python3\n# Stand-in for Products.ResourceRegistries\' resource cooker.\n', 0o755);
    expect(fs.existsSync(RESOURCECOOKER)).toBe(false);
  });

  beforeEach(() => fs.rmSync(record(), { force: true }));

  test('runs bin/instance -O <buildoutname> run <resourcecooker.py from PATH> as root through sudo, via a non-root login', () => {
    instance('instance', 0);
    instance('instance1', 0);
    const rootLogins = prod.acceptedLogins('root').length;
    ok([etcSite, 'cook_resources']);
    expect(recorded()).toEqual(['instance uid=0', ...cookArgs]);
    expect(prod.acceptedLogins(BUILDOUT.name).length).toBeGreaterThan(0);
    expect(prod.acceptedLogins('root').length).toBe(rootLogins);
  });

  test('falls back to bin/instance1 when bin/instance fails', () => {
    instance('instance', 1);
    instance('instance1', 0);
    ok([etcSite, 'cook_resources']);
    expect(recorded()).toEqual(['instance uid=0', ...cookArgs, 'instance1 uid=0', ...cookArgs]);
  });

  test('falls back to bin/instance1 when there is no bin/instance', () => {
    noInstance('instance');
    instance('instance1', 0);
    ok([etcSite, 'cook_resources']);
    expect(recorded()).toEqual(['instance1 uid=0', ...cookArgs]);
  });

  test('both failing: a warning naming the host and both exit statuses, and success, as the original (warn_only)', () => {
    instance('instance', 1);
    instance('instance1', 3);
    const r = hostout([etcSite, 'cook_resources']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`[${etcSite}] cook_resources: neither bin/instance nor bin/instance1 could cook the resources (exit status 1 and 3)`);
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(recorded()).toEqual(['instance uid=0', ...cookArgs, 'instance1 uid=0', ...cookArgs]);
  });

  test('no buildoutname in the staging buildout: exit 2 naming the file, nothing runs on production', () => {
    instance('instance', 0);
    const logins = prod.acceptedLogins().length;
    const r = hostout([plainSite, 'cook_resources']);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${plainPath}/buildout.cfg`);
    expect(r.out).toMatch(/buildoutname/);
    expect(r.out).not.toMatch(/^\s+at /m);
    expect(recorded()).toEqual([]);
    expect(prod.acceptedLogins().length).toBe(logins);
  });
});
