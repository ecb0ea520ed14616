/** The built-in collective.hostout commands: the exact command sequence each one records. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandError, ConfigError } from '../../lib/errors';
import { buildoutFromObject } from '../../lib/hostout/buildout-view';
import { Runtime } from '../../lib/hostout/dispatch';
import { loadHost } from '../../lib/hostout/hosts';
import { createRecordingLogger } from '../../lib/log';
import { RecordingTransportFactory, type RecordingOptions } from '../../lib/transport';
import { NO_SSH } from '../support/runtime';
import { readVersionsFile, versionsFileText, zcBuildoutVersion } from '../../plugins/builtin';
import type { CommandContext } from '../../lib/hostout/types';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-builtin-'));
  writeFileSync(path.join(dir, 'buildout.cfg'), '[buildout]\nextends =\n    base.cfg\n    http://example.com/remote.cfg\nparts = prod\n');
  writeFileSync(path.join(dir, 'base.cfg'), '[buildout]\nextends = versions.cfg\n');
  writeFileSync(path.join(dir, 'versions.cfg'), '[versions]\nzc.buildout = 2.13.2\n');
  writeFileSync(path.join(dir, 'hostoutversions.cfg'), '[versions]\nfoo = 1.0\n');
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc', 'a.conf'), 'a');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(options: Record<string, string> = {}, recording: RecordingOptions = {}) {
  const bo = buildoutFromObject(dir, {
    buildout: { parts: 'prod' },
    prod: { recipe: 'collective.hostout', host: 'prod.example.com', user: 'admin', 'buildout-user': 'bob', path: '/srv/site', ...options },
  });
  const def = await loadHost(bo, 'prod', { buildoutDirectory: dir, ssh: NO_SSH });
  const transport = new RecordingTransportFactory({ sshEnv: NO_SSH, ...recording });
  const log = createRecordingLogger();
  const rt = new Runtime([def], { transport, log, dryRun: true, buildoutDirectory: dir });
  // Strip the host prefix and the login shell wrapper so assertions read like the commands.
  const recs = () => transport.records.map((r) => r.replace(/^\[prod\] /, ''));
  return { rt, transport, log, recs };
}

const L = 'admin@prod.example.com:22';
const B = 'bob@prod.example.com:22';

test('run: as the buildout user, in the buildout directory, the words joined', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'run', ['ls', '-la', '$HOME']);
  expect(recs()).toEqual([`remote(${B}): /bin/bash -l -c 'cd /srv/site && ls -la $HOME'`]);
});

test('sudo: as the login user through sudo; refused with no-sudo', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'sudo', ['whoami']);
  expect(recs()).toHaveLength(1);
  expect(recs()[0]).toMatch(new RegExp(`^remote\\(${L}\\): sudo .*cd /srv/site && whoami`));
  const blocked = await setup({ 'no-sudo': 'true' });
  await expect(blocked.rt.run('prod', 'sudo', ['whoami'])).rejects.toThrow(/no-sudo is set/);
  expect(blocked.recs()).toEqual([]);
});

test('put: a directory tree, relative to the remote path; get: back to the buildout', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'put', ['etc']);
  await rt.run('prod', 'get', ['var/log/x.log', 'x.log']);
  expect(recs()).toEqual([
    `remote(${B}): /bin/bash -l -c 'cd /srv/site && mkdir -p /srv/site/etc'`,
    `put(${B}): ${dir}/etc/a.conf -> /srv/site/etc/a.conf`,
    `get(${B}): /srv/site/var/log/x.log -> ${dir}/x.log`,
  ]);
  await expect(rt.run('prod', 'put')).rejects.toThrow(CommandError);
});

test('deploy: predeploy → uploadeggs → uploadbuildout → buildout → postdeploy, each dispatched', async () => {
  const { rt, log, recs } = await setup(
    { 'pre-commands': `${'${buildout:directory}'}/bin/stop "now"`.replace('${buildout:directory}', dir), 'post-commands': 'bin/start', 'sudo-parts': 'nginx' },
    { exists: (p) => p === '/srv/site/bin/buildout' },
  );
  await rt.run('prod', 'deploy');
  const running = log.lines.filter((l) => l.startsWith('Hostout: Running'));
  expect(running).toEqual([
    "Hostout: Running command 'deploy' from 'collective.hostout'",
    "Hostout: Running command 'predeploy' from 'collective.hostout'",
    "Hostout: Running command 'precommands' from 'collective.hostout'",
    "Hostout: Running command 'uploadeggs' from 'collective.hostout'",
    "Hostout: Running command 'uploadbuildout' from 'collective.hostout'",
    "Hostout: Running command 'buildout' from 'collective.hostout'",
    "Hostout: Running command 'postdeploy' from 'collective.hostout'",
  ]);
  const r = recs();
  expect(r[0]).toBe(`exists(${B}): /srv/site/bin/buildout`);
  // pre-command: the local buildout path became the remote one; quoted as one sh -c word.
  expect(r[1]).toMatch(/^remote\(admin@prod\.example\.com:22\): sudo .*sh -c .*\/srv\/site\/bin\/stop "now"/);
  // What is already in the remote dist (the original's `ls`), so only missing releases are uploaded.
  // A dry run asks for the listing on its own (read-only) and records the real step, which creates the directory first.
  expect(r[2]).toBe(`remote(${B}): /bin/bash -l -c 'ls -1 /srv/buildout-cache/downloads/dist'`);
  r.splice(2, 1);
  expect(r[2]).toBe(`remote(${B}): /bin/bash -l -c 'mkdir -p /srv/buildout-cache/downloads/dist && ls -1 /srv/buildout-cache/downloads/dist'`);
  expect(r[3]).toContain("printf '\\''%s'\\'' '\\''[buildout]\ndevelop =\nauto-checkout =\n[versions]\n'\\'' > pinned.cfg");
  expect(r[4]).toMatch(new RegExp(`^exists\\(${B}\\): /srv/buildout-cache/downloads/dist/deploy_[0-9a-f]{12}\\.tgz$`));
  // The tarball holds buildout.cfg and the local files its extends reach (the URL is skipped).
  expect(r[5]).toMatch(/^local: cd .* && mkdir -p .*\/dist && tar -czf .*deploy_[0-9a-f]{12}\.tgz buildout.cfg base.cfg versions.cfg$/);
  expect(r[6]).toBe(`remote(${B}): /bin/bash -l -c 'mkdir -p /srv/buildout-cache/downloads/dist'`);
  expect(r[7]).toMatch(/^put\(bob@prod\.example\.com:22\): .*\/dist\/deploy_\w+\.tgz -> \/srv\/buildout-cache\/downloads\/dist\/deploy_\w+\.tgz$/);
  expect(r[8]).toMatch(/cd \/srv\/site && tar -p -xzf \/srv\/buildout-cache\/downloads\/dist\/deploy_\w+\.tgz'$/);
  // buildout: the generated cfg (extends, caches, the local versions file), then bin/buildout -c it.
  expect(r[9]).toContain('extends = buildout.cfg pinned.cfg');
  expect(r[9]).toContain('eggs-directory = /srv/buildout-cache/eggs');
  expect(r[9]).toContain('foo = 1.0');
  expect(r[9]).toMatch(/> prod-[0-9a-f]{12}\.cfg'$/);
  expect(r[10]).toContain('test -f pinned.cfg ||');
  expect(r[11]).toMatch(/cd \/srv\/site && bin\/buildout -c prod-[0-9a-f]{12}\.cfg'$/);
  expect(r[12]).toContain('find var -exec chmod g+w');
  expect(r[13]).toMatch(/sudo .*bin\/buildout -c prod-\w+\.cfg install nginx/);
  expect(r[14]).toMatch(/sudo .*sh -c .*bin\/start/);
  expect(r).toHaveLength(15);
});

test('predeploy: a host that is not bootstrapped is a clear CommandError, nothing else runs', async () => {
  const { rt, recs } = await setup({}, { exists: false });
  await expect(rt.run('prod', 'deploy')).rejects.toThrow("[prod] /srv/site/bin/buildout does not exist: the host does not seem to be bootstrapped; run 'hostout prod bootstrap' first");
  expect(recs()).toEqual([`exists(${B}): /srv/site/bin/buildout`]);
});

test('deploy --dry-run --offline: bin/buildout is assumed to exist (and marked so), so the whole plan is shown', async () => {
  // What the command line's offline dry run uses: no canned answers, assumptions marked.
  const { rt, recs, log } = await setup({}, { markAssumed: true });
  await rt.run('prod', 'deploy');
  expect(recs().slice(0, 2)).toEqual([`exists(${B}): /srv/site/bin/buildout`, '  (assumed, not asked: /srv/site/bin/buildout exists)']);
  expect(log.lines).toContain("Hostout: Running command 'postdeploy' from 'collective.hostout'");
  expect(recs().some((l) => /bin\/buildout -c prod-[0-9a-f]{12}\.cfg'$/.test(l))).toBe(true);
});

test('uploadeggs --dry-run --offline: the version is what setup.py writes (marked assumed), and the upload of the release is listed', async () => {
  const src = path.join(dir, 'src/hellowsgi');
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(src, 'setup.py'), "from setuptools import setup\nsetup(\n    name='hellowsgi',\n    version='0.1',\n    packages=['hellowsgi'],\n)\n");
  const { rt, recs, log } = await setup({ develop: 'src/hellowsgi' }, { markAssumed: true });
  await rt.run('prod', 'uploadeggs');
  const r = recs();
  const hash = /--tag-build \+h([0-9a-f]{12})/.exec(r.join('\n'))![1];
  const release = `hellowsgi-0.1+h${hash}.zip`;
  expect(log.lines).toContain('[prod]   (assumed, not asked: src/hellowsgi is hellowsgi 0.1, as written in its setup files)');
  expect(log.lines).toContain('[prod]   (assumed, not asked: /srv/buildout-cache/downloads/dist holds none of these releases yet)');
  expect(r).toContain(`put(${B}): ${path.join(dir, 'dist', `hellowsgi-h${hash}`, release)} -> /tmp/${release}`);
  const pinned = r.find((l) => l.includes('> pinned.cfg'))!;
  // The real run's pin (setuptools prints 0.1), not `0+h…`.
  expect(pinned).toContain(`[versions]\nhellowsgi = 0.1+h${hash}\n`);
  rmSync(path.join(dir, 'src'), { recursive: true, force: true });
});

test('buildout: arguments are passed on, each quoted', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'buildout', ['-N', 'install', "it's"]);
  expect(recs()[2]).toMatch(/bin\/buildout -c prod-\w+\.cfg -N install '\\''it'\\''\\'\\'''\\''s'\\''/);
});

test('uploadeggs: releases each develop egg with a content-hash version and uploads what is missing', async () => {
  const src = path.join(dir, 'src/my.pkg');
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(src, 'setup.py'), "from setuptools import setup\nsetup(name='my.pkg', version='1.2')\n");
  const { rt, recs } = await setup({ develop: 'src/my.pkg' }, {
    responses: [
      { match: 'setup.py --name --version', result: { stdout: 'my.pkg\n1.2\n' } },
      { match: 'ls -1', result: { stdout: 'my.pkg-1.2.zip\n' } },
    ],
  });
  await rt.run('prod', 'uploadeggs');
  const r = recs();
  expect(r[0]).toBe(`local: cd ${src} && python3 setup.py --name --version`);
  // The release is tagged with the content hash (a PEP 440 local version), as an sdist and a pure-Python egg.
  const tag = /egg_info --tag-build (\+h[0-9a-f]{12}) sdist --formats=zip --dist-dir (\S+)/.exec(r[1]);
  expect(tag).not.toBeNull();
  expect(tag![2]).toBe(path.join(dir, 'dist', `my.pkg-h${tag![1].slice(2)}`));
  expect(r[1]).toContain(`bdist_egg --dist-dir ${tag![2]}/.egg`);
  // A dry run asks what the host has (read-only), records the real step, and shows the upload of the sdist it would build.
  expect(r[2]).toBe(`remote(${B}): /bin/bash -l -c 'ls -1 /srv/buildout-cache/downloads/dist'`);
  expect(r[3]).toBe(`remote(${B}): /bin/bash -l -c 'mkdir -p /srv/buildout-cache/downloads/dist && ls -1 /srv/buildout-cache/downloads/dist'`);
  expect(r[4]).toBe(`put(${B}): ${tag![2]}/my.pkg-1.2${tag![1]}.zip -> /tmp/my.pkg-1.2${tag![1]}.zip`);
  expect(r[5]).toContain(`mv -f /tmp/my.pkg-1.2${tag![1]}.zip /srv/buildout-cache/downloads/dist/my.pkg-1.2${tag![1]}.zip`);
  // The pin is the tagged version.
  expect(r[6]).toContain(`[versions]\nmy.pkg = 1.2${tag![1]}\n`);
  expect(r).toHaveLength(7);
  // A changed file makes a new version; build output does not.
  const before = tag![1];
  mkdirSync(path.join(src, 'build'), { recursive: true });
  writeFileSync(path.join(src, 'build', 'junk.txt'), 'x');
  const again = await setup({ develop: 'src/my.pkg' }, { responses: [{ match: 'setup.py --name --version', result: { stdout: 'my.pkg\n1.2\n' } }] });
  await again.rt.run('prod', 'uploadeggs');
  expect(again.recs()[1]).toContain(`--tag-build ${before} `);
  writeFileSync(path.join(src, 'setup.py'), "from setuptools import setup\nsetup(name='my.pkg', version='1.2')  # changed\n");
  const changed = await setup({ develop: 'src/my.pkg' }, { responses: [{ match: 'setup.py --name --version', result: { stdout: 'my.pkg\n1.2\n' } }] });
  await changed.rt.run('prod', 'uploadeggs');
  expect(changed.recs()[1]).not.toContain(`--tag-build ${before} `);
  rmSync(path.join(dir, 'src'), { recursive: true, force: true });
});

test('bootstrap: detect the OS, create users, check python, then bootstrap_buildout', async () => {
  const { rt, log, recs } = await setup({}, {
    responses: [
      { match: 'lsb_release', result: { stdout: 'Debian\n' } },
      { match: /egrep .*&& egrep/, result: { code: 1 } },
      { match: 'python3 -V', result: { code: 1 } },
      { match: /remote\(bob@[^)]*\): \/bin\/bash -l -c 'mkdir -p \/srv\/site /, result: { code: 1 } },
    ],
  });
  await rt.run('prod', 'bootstrap');
  const steps = log.lines.filter((l) => l.startsWith('Hostout: Running')).map((l) => /'(\w+)'/.exec(l)![1]);
  expect(steps).toEqual(['bootstrap', 'detecthostos', 'bootstrap_users', 'bootstrap_python_debian', 'bootstrap_python_ubuntu',
    'bootstrap_buildout', 'requireOwnership', 'requireOwnership']);
  expect(log.lines).toContain('Detected Hostos = debian');
  const r = recs().join('\n');
  expect(r).toMatch(/groupadd buildout \|\| echo "group exists"/);
  expect(r).toMatch(/useradd -M -g buildout bob/);
  // effective-user defaults to buildout-user: one user to create, not two.
  expect(r.match(/useradd -M/g)).toHaveLength(1);
  expect(r).toMatch(/apt-get -yq install python3 python3-venv python3-dev build-essential/);
  expect(r).toMatch(/chown -R -- bob:buildout \/srv\/site/);
  expect(r).toMatch(/python3 -m venv \./);
  expect(r).toMatch(/bin\/python -m pip install -q zc.buildout/);
});

test('bootstrap: the hostos option skips detection; an OS without a python installer is a clear error', async () => {
  const { rt, recs } = await setup({ hostos: 'Plan9' }, { responses: [{ match: 'python3 -V', result: { code: 1 } }] });
  await expect(rt.run('prod', 'bootstrap')).rejects.toThrow(/python3 is not installed and hostout has no installer for this OS/);
  expect(recs().some((l) => l.includes('lsb_release'))).toBe(false);
});

test('install_bootscript / uninstall_bootscript / setowners / requireOwnership quote every value', async () => {
  const { rt, recs } = await setup({ 'effective-user': 'zope' });
  await rt.run('prod', 'install_bootscript', ['bin/supervisord', 'bin/supervisorctl shutdown', 'my site']);
  await rt.run('prod', 'uninstall_bootscript', ['my site']);
  await rt.run('prod', 'setowners');
  const r = recs();
  expect(r[0]).toContain('/etc/init.d/buildout-my site');
  expect(r[1]).toContain('update-rc.d');
  expect(r[2]).toContain('update-rc.d -f');
  expect(r[2]).not.toMatch(/'\s*;/);
  expect(r[3]).toContain('rm -f');
  expect(r.slice(4).join('\n')).toMatch(/chown -R -- zope:buildout \/srv\/site\/var/);
  await expect(rt.run('prod', 'install_bootscript')).rejects.toThrow(CommandError);
});

test('copy_key: as the login user for itself, with sudo for another user', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'copy_key', ['admin', 'ssh-ed25519 AAAA me@here']);
  await rt.run('prod', 'copy_key', ['bob', 'ssh-ed25519 AAAA me@here']);
  expect(recs()[0]).toMatch(/^remote\(admin@prod\.example\.com:22\): \/bin\/bash -l -c .*mkdir -p ~admin\/.ssh/);
  expect(recs()[1]).toMatch(/sudo .*~bob\/.ssh\/authorized_keys/);
});

test('a plugin that fails to load is a ConfigError naming it', async () => {
  const bo = buildoutFromObject(dir, { buildout: { parts: 'prod' }, prod: { recipe: 'collective.hostout', extends: 'hostout.nosuchplugin' } });
  await expect(loadHost(bo, 'prod', { buildoutDirectory: dir, ssh: NO_SSH })).rejects.toThrow(ConfigError);
  await expect(loadHost(bo, 'prod', { buildoutDirectory: dir, ssh: NO_SSH })).rejects.toThrow(/extends = hostout.nosuchplugin: no section, shipped plugin, npm package/);
});

describe('python-version 2.x (what a generated hostout.cfg of a Python 2 buildout carries)', () => {
  afterEach(() => rmSync(path.join(dir, 'py2versions.cfg'), { force: true }));

  test('bootstrap_buildout: virtualenv (Python 2 has no venv), zc.buildout pinned to the original default 1.4.3', async () => {
    const { rt, recs } = await setup({ 'python-version': '2.7.18.final.0' });
    await rt.run('prod', 'bootstrap_buildout');
    const r = recs().join('\n');
    expect(r).not.toMatch(/-m venv/);
    expect(r).toMatch(/grep -q '\\''\^Python 2\.7'\\'' \|\| \{ virtualenv-2\.7 \. \|\| virtualenv -p python2\.7 \. ; \}/);
    expect(r).toMatch(/bin\/python -m pip install -q zc\.buildout==1\.4\.3'/);
  });

  test('bootstrap_buildout: zc.buildout pinned from the versions file; the zc.buildout-version option wins', async () => {
    writeFileSync(path.join(dir, 'py2versions.cfg'), '[versions]\nzc.buildout = 1.7.1\nfoo = 2\n');
    let { rt, recs } = await setup({ 'python-version': '2.7.18.final.0', versionsfile: 'py2versions.cfg' });
    await rt.run('prod', 'bootstrap_buildout');
    expect(recs().join('\n')).toMatch(/pip install -q zc\.buildout==1\.7\.1'/);
    ({ rt, recs } = await setup({ 'python-version': '2.7.18.final.0', versionsfile: 'py2versions.cfg', 'zc.buildout-version': '2.5.3' }));
    await rt.run('prod', 'bootstrap_buildout');
    expect(recs().join('\n')).toMatch(/pip install -q zc\.buildout==2\.5\.3'/);
    // Python 3: the versions file's pin applies too.
    ({ rt, recs } = await setup({ versionsfile: 'py2versions.cfg' }));
    await rt.run('prod', 'bootstrap_buildout');
    expect(recs().join('\n')).toMatch(/python3 -m venv \..*\n.*pip install -q zc\.buildout==1\.7\.1'/);
  });

  test('bootstrap_python_ubuntu installs virtualenv, not the python2.7-venv package Debian never had', async () => {
    const { rt, recs } = await setup({ 'python-version': '2.7.18.final.0' });
    await rt.run('prod', 'bootstrap_python_ubuntu');
    expect(recs().join('\n')).toMatch(/apt-get -yq install python2\.7 virtualenv python2\.7-dev build-essential/);
  });
});

test('bootstrap with a separate buildout-user and no key: stops before anything changes, saying what to configure', async () => {
  const { rt, recs } = await setup({}, { responses: [{ match: `remote(${B}): /bin/bash -l -c true`, result: { code: 255 } }] });
  await expect(rt.run('prod', 'bootstrap')).rejects.toThrow(ConfigError);
  await expect((await setup({}, { responses: [{ match: `remote(${B}): /bin/bash -l -c true`, result: { code: 255 } }] })).rt.run('prod', 'bootstrap'))
    .rejects.toThrow(/Set identity-file = <a private key>.*or buildout-password.*ssh-keygen -t rsa -b 4096 -N '' -f .*hostout_rsa\. Nothing was changed on the host\./);
  // Only the login probe as the buildout user ran: no detection, no users, nothing.
  expect(recs()).toEqual([`remote(${B}): /bin/bash -l -c true`]);
});

test('requireOwnership: a POSIX find test, no GNU-only stat --format (FreeBSD has no --format)', async () => {
  const { rt, recs } = await setup();
  await rt.run('prod', 'requireOwnership', ['/srv/site', 'bob', 'buildout', 'recursive']);
  expect(recs()).toHaveLength(1);
  expect(recs()[0]).not.toMatch(/stat /);
  expect(recs()[0]).toMatch(/\[ -n "\$\(find \/srv\/site -prune -user bob -group buildout\)" \] \|\| chown -R -- bob:buildout \/srv\/site/);
});

describe("the original's other commands", () => {
  test('bootstrap_python with hostos = ubuntu runs the apt installer (it said "no installer for this OS")', async () => {
    const { rt, recs, log } = await setup({ hostos: 'ubuntu' });
    await rt.run('prod', 'bootstrap_python');
    expect(log.lines.filter((l) => l.startsWith('Hostout: Running')).map((l) => /'(\w+)'/.exec(l)![1])).toEqual(['bootstrap_python', 'detecthostos', 'bootstrap_python_ubuntu']);
    expect(recs().join('\n')).toMatch(/apt-get -yq install python3 python3-venv python3-dev build-essential/);
    // An OS without an installer: the error names it.
    await expect((await setup({ hostos: 'Gentoo' })).rt.run('prod', 'bootstrap_python')).rejects.toThrow(/no installer for this OS \('gentoo'.*bootstrap_python_gentoo/);
  });

  test('bootstrap_python_redhat: dnf, else yum, with sudo; Python 2 is python2 and its virtualenv; refused with no-sudo', async () => {
    let { rt, recs } = await setup({ 'python-version': '3.11' });
    await rt.run('prod', 'bootstrap_python_redhat');
    expect(recs()).toHaveLength(1);
    expect(recs()[0]).toMatch(new RegExp(`^remote\\(${L}\\): sudo .*if command -v dnf >/dev/null 2>&1; then dnf -y install python3.11 python3.11-devel gcc make; else yum -y install python3.11 python3.11-devel gcc make; fi`));
    ({ rt, recs } = await setup({ 'python-version': '2.7.18.final.0' }));
    await rt.run('prod', 'bootstrap_python_redhat');
    expect(recs()[0]).toContain('dnf -y install python2 python2-devel python2-virtualenv gcc make;');
    ({ rt, recs } = await setup({ hostos: 'CentOS' }));
    await rt.run('prod', 'bootstrap_python');
    expect(recs().join('\n')).toContain('dnf -y install python3 python3-devel gcc make');
    const blocked = await setup({ 'no-sudo': 'true' });
    await expect(blocked.rt.run('prod', 'bootstrap_python_redhat')).rejects.toThrow(/no-sudo is set/);
    expect(blocked.recs()).toEqual([]);
  });

  test.each(['proxy_cmd', 'bootstrap_python_buildout', 'bootstrap_python_slackware', 'bootstrap_allowsudo', 'dockerfile', 'dockerbuild'])(
    '%s: exit 2 with the reason and what to use instead, nothing run', async (command) => {
      const { rt, recs } = await setup();
      const err = await rt.run('prod', command).catch((e: unknown) => e);
      expect(err).toMatchObject({ exitCode: 2 });
      expect((err as Error).message).toMatch(new RegExp(`^\\[prod\\] ${command} is not supported by hostout: .+\\. Instead: .+`));
      expect(recs()).toEqual([]);
    });

  test('force-python-compile: bootstrap reaches bootstrap_python_buildout, which says why it cannot (exit 2)', async () => {
    const { rt } = await setup({ 'buildout-user': 'admin', 'force-python-compile': 'true', hostos: 'ubuntu' }, { responses: [{ match: ' -V', result: { code: 127 } }] });
    await expect(rt.run('prod', 'bootstrap')).rejects.toThrow(/bootstrap_python_buildout is not supported by hostout: .*collective\/buildout\.python/);
  });

  test('runescalatable: as the buildout user, then the login user, then sudo, in the buildout directory', async () => {
    const { rt, recs } = await setup({}, { responses: [{ match: `remote(${B})`, result: { code: 1 } }, { match: 'sudo', result: { code: 0 } }, { match: `remote(${L})`, result: { code: 1 } }] });
    await rt.run('prod', 'runescalatable', ['touch', 'x']);
    expect(recs()).toEqual([
      `remote(${B}): /bin/bash -l -c 'cd /srv/site && touch x'`,
      `remote(${L}): /bin/bash -l -c 'cd /srv/site && touch x'`,
      expect.stringMatching(new RegExp(`^remote\\(${L}\\): sudo .*cd /srv/site && touch x`)),
    ]);
  });

  test('get_url and hotfix: a URL of a known scheme, names inside the buildout; each value quoted', async () => {
    const { rt, recs } = await setup();
    await rt.run('prod', 'get_url', ['https://example.com/dl/my%20file.tgz']);
    expect(recs()[0]).toContain("cd /srv/site && if command -v curl >/dev/null 2>&1; then curl -fsSL -o '\\''my file.tgz'\\'' https://example.com/dl/my%20file.tgz;");
    for (const bad of [['-K/etc/passwd'], ['http://example.com/x', '../up'], ['http://example.com/x', '/abs'], ['ftp:/nothing']]) {
      await expect(rt.run('prod', 'get_url', bad)).rejects.toMatchObject({ exitCode: 2 });
    }
    await expect(rt.run('prod', 'hotfix', ['http://example.com/Hotfix.zip', '-rf'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(rt.run('prod', 'hotfix', ['http://example.com/'])).rejects.toThrow(/names no file/);
  });
});

describe('buildout files hostout reads are read as buildout reads them; the versions file it writes is written by ini', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-versions-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ctxFor = (versions: string) => ({ options: { versionsfile: 'versions.cfg', versions }, buildoutDirectory: dir, dryRun: false }) as unknown as CommandContext;

  test('a dotted versions section ([versions.py3]) with a continuation line: its pins, as buildout reads them', () => {
    writeFileSync(path.join(dir, 'versions.cfg'), '[versions]\nzc.buildout = 1.7.1\n\n[versions.py3]\nzc.buildout = 2.13.2\nlong = 1.0\n  continued\n');
    expect(readVersionsFile(ctxFor('versions.py3'))).toEqual({ 'zc.buildout': '2.13.2', long: '1.0\ncontinued' });
    expect(zcBuildoutVersion(ctxFor('versions.py3'))).toBe('2.13.2');
    expect(zcBuildoutVersion(ctxFor('versions'))).toBe('1.7.1');
  });

  test('the versions file written for [versions.py3] has that section (ini would write [versions\\.py3]) and reads back', () => {
    const text = versionsFileText('versions.py3', { 'zc.buildout': '2.13.2', 'plone.app.z': '1.0' });
    expect(text.split('\n').slice(1, 2)).toEqual(['[versions.py3]']);
    writeFileSync(path.join(dir, 'versions.cfg'), text);
    expect(readVersionsFile(ctxFor('versions.py3'))).toEqual({ 'zc.buildout': '2.13.2', 'plone.app.z': '1.0' });
  });
});
