/**
 * rsync through the tunnelled ssh connection, against a staging sshd and a
 * production sshd in its own mount namespace: push and pull with excludes,
 * delete, remote sudo (with a sudo password), local sudo, awkward paths,
 * and errors.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError } from '../../lib/errors';
import { shellQuote } from '../../lib/transport/quote';
import { RealTransportFactory } from '../../lib/transport';
import type { RsyncRelay } from '../../lib/transport/rsync-tunnel';
import { DEPLOY, startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

let prod: SshServer;
let home: TestHome;
const factories: RealTransportFactory[] = [];

function factory(relay?: RsyncRelay) {
  const r = realFactory(home, {}, undefined, relay);
  factories.push(r.factory);
  return r;
}

/** A staging tree like pushdeploy ships: bin, parts, var with data that must not travel. */
function makeTree(root: string): void {
  const files: Record<string, string> = {
    'bin/instance': '#!/bin/sh\necho instance\n',
    'parts/instance/etc/zope.conf': 'conf',
    'eggs/foo.egg/foo.py': 'print(1)',
    'eggs/foo.egg/foo.pyc': 'compiled',
    'var/filestorage/Data.fs': 'DATA',
    "my dir/it's \"odd\" $x.txt": 'awkward',
  };
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  fs.chmodSync(path.join(root, 'bin/instance'), 0o755);
}

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort();
}

/** The relay an rsync of this process runs as its remote shell (rsync is our child, the relay its). */
function ourRelayPid(): number | undefined {
  const parentOf = (pid: string): number => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('rsync-tunnel-relay')) continue;
      if (parentOf(String(parentOf(pid))) === process.pid) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: ['root', DEPLOY.name] });
  home = makeTestHome();
  home.trust(prod);
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await prod?.stop();
  home?.cleanup();
});

// Both relays rsync can run as its remote shell (Perl by default, Node where there is no perl).
describe.each(['perl', 'node'] as const)('relay %s', (relay) => {
  it('pushes a tree to production with excludes and delete; staging\'s /var/buildout is untouched', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'staging-'));
    makeTree(staging);
    const prodSite = path.join(prod.varBuildout as string, `site-${relay}`);
    fs.mkdirSync(path.join(prodSite, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(prodSite, 'bin', 'stale'), 'old');
    fs.mkdirSync(path.join(prodSite, 'var'), { recursive: true });
    fs.writeFileSync(path.join(prodSite, 'var', 'Data.fs'), 'PRODUCTION DATA');

    const { factory: f } = factory(relay);
    const h = f.forHost('site', hostOptions(prod));
    await h.rsync({ from: `${staging}/`, to: `/var/buildout/site-${relay}/`, direction: 'push', delete: true, exclude: ['*.pyc', '/var'] });
    expect(listTree(prodSite)).toEqual([
      'bin/instance', 'eggs/foo.egg/foo.py', "my dir/it's \"odd\" $x.txt", 'parts/instance/etc/zope.conf', 'var/Data.fs',
    ]);
    expect(fs.readFileSync(path.join(prodSite, 'var', 'Data.fs'), 'utf8')).toBe('PRODUCTION DATA'); // excluded dirs are not deleted
    expect(fs.statSync(path.join(prodSite, 'bin/instance')).mode & 0o777).toBe(0o755);
    expect(fs.existsSync(`/var/buildout/site-${relay}/bin/instance`)).toBe(false);
    // the remote side sees the same at /var/buildout (its namespace)
    expect((await h.remote.run(`cat ${shellQuote(`/var/buildout/site-${relay}/my dir/it's "odd" $x.txt`)}`)).stdout).toBe('awkward');
  });

  it('sends a file rewritten at the same size within the same second (times compared to the nanosecond), on every push after it too', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'same-second-'));
    const ini = path.join(staging, 'etc', 'app.ini');
    fs.mkdirSync(path.dirname(ini));
    const second = Math.floor(Date.now() / 1000) - 3600;
    fs.writeFileSync(ini, 'setting = AAAA\n');
    fs.utimesSync(ini, second + 0.2, second + 0.2);
    const { factory: f } = factory(relay);
    const h = f.forHost('site', hostOptions(prod));
    const to = `/var/buildout/same-second-${relay}/`;
    const onProduction = path.join(prod.varBuildout as string, `same-second-${relay}`, 'etc', 'app.ini');
    await h.rsync({ from: `${staging}/`, to, direction: 'push' });
    expect(fs.readFileSync(onProduction, 'utf8')).toBe('setting = AAAA\n');
    fs.writeFileSync(ini, 'setting = BBBB\n');
    fs.utimesSync(ini, second + 0.7, second + 0.7);
    for (let i = 0; i < 2; i++) {
      await h.rsync({ from: `${staging}/`, to, direction: 'push' });
      expect(fs.readFileSync(onProduction, 'utf8')).toBe('setting = BBBB\n');
      expect(fs.statSync(onProduction).mtimeMs).toBe(fs.statSync(ini).mtimeMs);
    }
  });

  it('sends a file of the same size and nanosecond time but another mode and content, in place; a push without one runs a single rsync', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'attr-only-'));
    const ini = path.join(staging, 'etc', 'app.ini');
    // A name rsync escapes in its itemized output (newline, non-ASCII): it must reach the second pass as it is.
    const odd = path.join(staging, 'etc', 'odd\nname é.ini');
    fs.mkdirSync(path.dirname(ini));
    const when = Math.floor(Date.now() / 1000) - 3600 + 0.25;
    for (const file of [ini, odd]) {
      fs.writeFileSync(file, 'setting = AAAA\n', { mode: 0o644 });
      fs.chmodSync(file, 0o644);
      fs.utimesSync(file, when, when);
    }
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod));
    const to = `/var/buildout/attr-only-${relay}/`;
    const onProduction = (file: string) => path.join(prod.varBuildout as string, `attr-only-${relay}`, path.relative(staging, file));
    const rsyncs = () => log.lines.filter((l) => /\] rsync: rsync /.test(l)).length;
    await h.rsync({ from: `${staging}/`, to, direction: 'push' });
    expect(fs.readFileSync(onProduction(ini), 'utf8')).toBe('setting = AAAA\n');
    // Same size, same time to the nanosecond, other mode and content: the quick check takes it as unchanged.
    for (const file of [ini, odd]) {
      fs.writeFileSync(file, 'setting = BBBB\n');
      fs.chmodSync(file, 0o600);
      fs.utimesSync(file, when, when);
      expect(fs.statSync(file, { bigint: true }).mtimeNs).toBe(fs.statSync(onProduction(file), { bigint: true }).mtimeNs);
    }
    const before = rsyncs();
    const r = await h.rsync({ from: `${staging}/`, to, direction: 'push' });
    for (const file of [ini, odd]) {
      expect(fs.readFileSync(onProduction(file), 'utf8')).toBe('setting = BBBB\n');
      expect(fs.statSync(onProduction(file)).mode & 0o777).toBe(0o600);
    }
    expect(rsyncs() - before).toBe(2); // the push, and the second pass by checksum
    expect(log.lines.filter((l) => l.includes('took 2 file(s) of the same size and time but other attributes as unchanged'))).toHaveLength(1);
    expect(r.stdout).not.toContain('hostout-itemized:');
    // Nothing of the kind: one rsync.
    fs.writeFileSync(path.join(staging, 'etc', 'new.ini'), 'new\n');
    const again = rsyncs();
    await h.rsync({ from: `${staging}/`, to, direction: 'push' });
    expect(rsyncs() - again).toBe(1);
    expect(fs.readFileSync(onProduction(path.join(staging, 'etc', 'new.ini')), 'utf8')).toBe('new\n');
  });

  it('sends such a file through --link-dest too, and leaves the link-dest copy alone', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'attr-link-'));
    const ini = path.join(staging, 'etc', 'app.ini');
    fs.mkdirSync(path.dirname(ini));
    const when = Math.floor(Date.now() / 1000) - 3600 + 0.5;
    fs.writeFileSync(ini, 'setting = AAAA\n');
    fs.chmodSync(ini, 0o644);
    fs.utimesSync(ini, when, when);
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod));
    const base = `/var/buildout/attr-link-${relay}`;
    const local = path.join(prod.varBuildout as string, `attr-link-${relay}`);
    await h.rsync({ from: `${staging}/`, to: `${base}/old/`, direction: 'push' });
    fs.writeFileSync(ini, 'setting = BBBB\n');
    fs.chmodSync(ini, 0o600);
    fs.utimesSync(ini, when, when);
    await h.rsync({ from: `${staging}/`, to: `${base}/new/`, direction: 'push', extra: [`--link-dest=${base}/old/`] });
    expect(fs.readFileSync(path.join(local, 'new/etc/app.ini'), 'utf8')).toBe('setting = BBBB\n');
    expect(fs.statSync(path.join(local, 'new/etc/app.ini')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(local, 'old/etc/app.ini'), 'utf8')).toBe('setting = AAAA\n');
    expect(fs.statSync(path.join(local, 'old/etc/app.ini')).mode & 0o777).toBe(0o644);
    expect(log.lines.filter((l) => l.includes('took 1 file(s) of the same size and time'))).toHaveLength(1);
  });

  it('pulls from production with excludes, into a path with spaces', async () => {
    const prodSite = path.join(prod.varBuildout as string, `pull me ${relay}`);
    fs.mkdirSync(path.join(prodSite, 'var', 'blobstorage'), { recursive: true });
    fs.writeFileSync(path.join(prodSite, 'var', 'Data.fs'), 'DATA');
    fs.writeFileSync(path.join(prodSite, 'var', 'blobstorage', 'blob'), 'BLOB');
    fs.writeFileSync(path.join(prodSite, 'var', 'event.log'), 'LOG');
    const target = path.join(home.dir, `pulled here ${relay}`);
    fs.mkdirSync(target);
    const { factory: f } = factory(relay);
    await f.forHost('site', hostOptions(prod)).rsync({ from: `/var/buildout/pull me ${relay}/var/`, to: `${target}/`, direction: 'pull', exclude: ['*.log', 'blobstorage'] });
    expect(listTree(target)).toEqual(['Data.fs']);
  });

  it('writes root-owned places with --rsync-path="sudo rsync", answering the sudo password', async () => {
    const rootOnly = path.join(prod.varBuildout as string, `root-only-${relay}`);
    fs.mkdirSync(rootOnly, { mode: 0o755 });
    const src = fs.mkdtempSync(path.join(home.dir, 'sudo-src-'));
    fs.writeFileSync(path.join(src, 'owned-by-root'), 'x');
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod, { user: DEPLOY.name, 'sudo-password': DEPLOY.password }));
    const denied = (await h.rsync({ from: `${src}/`, to: `/var/buildout/root-only-${relay}/`, direction: 'push' }).catch((e: unknown) => e)) as CommandError;
    expect(denied).toBeInstanceOf(CommandError);
    expect(denied.message).toMatch(/^\[site\] command failed on deploy@127\.0\.0\.1:\d+ with exit status 23: rsync -pthlrz --compress-choice=lz4 --modify-window=-1 --timeout=60 --rsh hostout-ssh-tunnel /);
    expect(denied.message).toContain('Permission denied');

    await h.rsync({ from: `${src}/`, to: `/var/buildout/root-only-${relay}/`, direction: 'push', remoteSudo: true, extra: ['--chown=root:root'] });
    const st = fs.statSync(path.join(rootOnly, 'owned-by-root'));
    expect(st.uid).toBe(0);
    expect(log.lines.join('\n')).not.toContain(DEPLOY.password);
  });

  it('runs the local rsync through sudo when asked', async () => {
    const src = fs.mkdtempSync(path.join(home.dir, 'local-sudo-'));
    fs.writeFileSync(path.join(src, 'f'), 'via local sudo');
    const { factory: f, log } = factory(relay);
    await f.forHost('site', hostOptions(prod)).rsync({ from: `${src}/`, to: `/var/buildout/local-sudo-${relay}/`, direction: 'push', localSudo: true });
    expect(fs.readFileSync(path.join(prod.varBuildout as string, `local-sudo-${relay}`, 'f'), 'utf8')).toBe('via local sudo');
    expect(log.lines.some((l) => l.includes('[site] rsync: sudo -- rsync -pthlrz --compress-choice=lz4'))).toBe(true);
  });

  it('fails with host, command, status and rsync\'s stderr for a missing source', async () => {
    const { factory: f } = factory(relay);
    const err = (await f.forHost('site', hostOptions(prod)).rsync({ from: '/var/buildout/does-not-exist/', to: `${home.dir}/x-${relay}/`, direction: 'pull' }).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.status).toBe(23);
    expect(err.message).toContain(`root@127.0.0.1:${prod.port}`);
    expect(err.message).toContain('/var/buildout/does-not-exist/');
    expect(err.stderrTail).toMatch(/No such file or directory/);
  });

  it('moves 24 MB of incompressible data there and back intact, through this relay', async () => {
    const src = fs.mkdtempSync(path.join(home.dir, `big-${relay}-`));
    const blob = crypto.randomBytes(24 * 1024 * 1024);
    fs.writeFileSync(path.join(src, 'blob'), blob);
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod, { 'rsync-compress': 'no' }));
    await h.rsync({ from: `${src}/`, to: `/var/buildout/big-${relay}/`, direction: 'push' });
    const back = fs.mkdtempSync(path.join(home.dir, `big-back-${relay}-`));
    await h.rsync({ from: `/var/buildout/big-${relay}/`, to: `${back}/`, direction: 'pull' });
    expect(fs.readFileSync(path.join(back, 'blob')).equals(blob)).toBe(true);
    expect(log.lines.filter((l) => l.includes(`rsync remote shell: the ${relay} relay`))).toHaveLength(2);
  });

  it('fails, and does not hang, when the relay dies in the middle of a pull', async () => {
    const prodDir = path.join(prod.varBuildout as string, `killed-${relay}`);
    fs.mkdirSync(prodDir);
    fs.writeFileSync(path.join(prodDir, 'blob'), crypto.randomBytes(64 * 1024 * 1024));
    const target = fs.mkdtempSync(path.join(home.dir, `killed-${relay}-`));
    const { factory: f } = factory(relay);
    const pull = f
      .forHost('site', hostOptions(prod, { 'rsync-compress': 'no' }))
      .rsync({ from: `/var/buildout/killed-${relay}/`, to: `${target}/`, direction: 'pull' })
      .catch((e: unknown) => e);
    // Kill it once data flows (rsync's temp file in the target has grown).
    // (rsync writes it in the run's temp dir, target/.hostout-rsync-tmp/<run>/.)
    const sizes = (d: string): number[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sizes(path.join(d, e.name)) : [fs.statSync(path.join(d, e.name)).size]));
    const grown = () => sizes(target).some((n) => n > 1024 * 1024);
    let relayPid: number | undefined;
    for (let i = 0; i < 600 && !(relayPid !== undefined && grown()); i++) {
      relayPid ??= ourRelayPid();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(relayPid).toBeDefined();
    process.kill(relayPid!, 'SIGKILL');
    const err = (await pull) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.message).toContain(`/var/buildout/killed-${relay}/`);
    expect(fs.existsSync(path.join(target, 'blob'))).toBe(false);
    expect(fs.readdirSync(target)).toEqual([]); // and no temp file stays behind
  });
});

it('a scratch destination (pushdeploy\'s next/) gets no --temp-dir: no per-file opens of a temp path, no temp area made there; a source\'s own temp area still stays home', async () => {
  const src = fs.mkdtempSync(path.join(home.dir, 'scratch-src-'));
  fs.mkdirSync(path.join(src, 'bin'));
  fs.writeFileSync(path.join(src, 'bin', 'instance'), 'run\n');
  fs.mkdirSync(path.join(src, '.hostout-rsync-tmp', 'old-1-1'), { recursive: true });
  fs.writeFileSync(path.join(src, '.hostout-rsync-tmp', 'old-1-1', '.x.AbCdEf'), 'partial');
  const { factory: f, log } = factory();
  const h = f.forHost('site', hostOptions(prod, { 'rsync-compress': 'no' }));
  const wrote: string[] = [];
  for (const scratch of [false, true]) {
    const dest = `/var/buildout/scratch-${scratch}`;
    log.lines.length = 0;
    await h.rsync({ from: `${src}/`, to: `${dest}/`, direction: 'push', delete: true, scratch });
    expect(listTree(path.join(prod.varBuildout as string, `scratch-${scratch}`))).toEqual(['bin/instance']);
    wrote.push(log.lines.filter((l) => l.includes('rsync temp files: --temp-dir=')).join('\n'));
  }
  expect(wrote[0]).toContain('/var/buildout/scratch-false/.hostout-rsync-tmp/');
  expect(wrote[1]).toBe('');
});

it.each(['no', 'zstd', 'zlib'])('rsync-compress = %s: the real rsync pair accepts the flags and the files arrive (several sources, -R)', async (compress) => {
  const staging = fs.mkdtempSync(path.join(home.dir, `compress-${compress}-`));
  makeTree(staging);
  const { factory: f } = factory();
  const h = f.forHost('site', hostOptions(prod, { 'rsync-compress': compress }));
  const to = `/var/buildout/compress-${compress}`;
  await h.remote.run(`mkdir -p ${shellQuote(to)}`);
  await h.rsync({ from: [`${staging}/./bin/`, `${staging}/./parts/`], to, relative: true, direction: 'push' });
  expect(listTree(path.join(prod.varBuildout as string, `compress-${compress}`))).toEqual(['bin/instance', 'parts/instance/etc/zope.conf']);
});
