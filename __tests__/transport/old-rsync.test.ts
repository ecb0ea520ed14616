/**
 * A production whose rsync cannot compare times to the nanosecond (older than
 * 3.1.3, fixtures/servers/old-rsync.ts), through both relays, on the real
 * sshd: its first push learns that (the refused start is answered, never
 * shown), compares by checksum from then on, and no stale file is kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RealTransportFactory } from '../../lib/transport';
import type { RsyncRelay } from '../../lib/transport/rsync-tunnel';
import { DEPLOY, type SshServer } from '../../fixtures/servers';
import { startOldRsyncProduction } from '../../fixtures/servers/old-rsync';
import { hostOptions, makeTestHome, realFactory, type TestHome } from '../../fixtures/servers/test-home';

let prod: SshServer;
let home: TestHome;
const factories: RealTransportFactory[] = [];

function factory(relay: RsyncRelay) {
  const r = realFactory(home, {}, undefined, relay);
  factories.push(r.factory);
  return r;
}

beforeAll(async () => {
  prod = await startOldRsyncProduction({ authorizeClientKeyFor: ['root', DEPLOY.name] });
  home = makeTestHome();
  home.trust(prod);
});

afterAll(async () => {
  await Promise.allSettled(factories.map((f) => f.closeAll()));
  await prod?.stop();
  home?.cleanup();
});

describe.each(['perl', 'node'] as const)('relay %s', (relay) => {
  it('production\'s rsync is 3.1.2: a file rewritten at the same size within the same second is sent (by checksum), on every push; the refusal is not shown', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'old-same-second-'));
    const ini = path.join(staging, 'etc', 'app.ini');
    fs.mkdirSync(path.dirname(ini));
    const second = Math.floor(Date.now() / 1000) - 3600;
    fs.writeFileSync(ini, 'setting = AAAA\n');
    fs.utimesSync(ini, second + 0.2, second + 0.2);
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod, { 'rsync-compress': 'zlib' }));
    const to = `/var/buildout/old-same-second-${relay}/`;
    const onProduction = path.join(prod.varBuildout as string, `old-same-second-${relay}`, 'etc', 'app.ini');
    await h.rsync({ from: `${staging}/`, to, direction: 'push', echo: true });
    expect(fs.readFileSync(onProduction, 'utf8')).toBe('setting = AAAA\n');
    fs.writeFileSync(ini, 'setting = BBBB\n');
    fs.utimesSync(ini, second + 0.7, second + 0.7);
    for (let i = 0; i < 2; i++) {
      await h.rsync({ from: `${staging}/`, to, direction: 'push' });
      expect(fs.readFileSync(onProduction, 'utf8')).toBe('setting = BBBB\n');
    }
    const seen = log.lines;
    const text = seen.join('\n');
    // Said once at -v: which comparison, and why.
    expect(seen.filter((l) => l.includes('cannot compare times to the nanosecond'))).toEqual([
      `debug: [site] the rsync on root@127.0.0.1:${prod.port} (3.1.2) cannot compare times to the nanosecond (it refused --modify-window=-1, which needs rsync 3.1.3+): its pushes compare files by checksum instead (--checksum: every file of the same size is read on both sides)`,
    ]);
    // The refusal was answered, not shown; the later pushes asked with --checksum at once (one remote start each).
    expect(text).not.toMatch(/unknown option|syntax or usage error/);
    const starts = seen.filter((l) => l.includes('rsync remote side'));
    expect(starts).toHaveLength(4);
    expect(starts[0]).toMatch(/ -@-1 /);
    for (const s of starts.slice(1)) expect(s).toMatch(/rsync --server -[a-zA-Z.]*c[a-zA-Z.]* /);
    for (const s of starts.slice(1)) expect(s).not.toMatch(/-@-1/);
  });

  it('through sudo rsync (a sudo password answered on both starts), the same', async () => {
    const staging = fs.mkdtempSync(path.join(home.dir, 'old-sudo-'));
    const ini = path.join(staging, 'app.ini');
    const second = Math.floor(Date.now() / 1000) - 3600;
    fs.writeFileSync(ini, 'setting = AAAA\n');
    fs.utimesSync(ini, second + 0.2, second + 0.2);
    const rootOnly = path.join(prod.varBuildout as string, `old-root-only-${relay}`);
    fs.mkdirSync(rootOnly, { mode: 0o755 });
    const { factory: f, log } = factory(relay);
    const h = f.forHost('site', hostOptions(prod, { user: DEPLOY.name, 'sudo-password': DEPLOY.password, 'rsync-compress': 'zlib' }));
    await h.rsync({ from: `${staging}/`, to: `/var/buildout/old-root-only-${relay}/`, direction: 'push', remoteSudo: true });
    fs.writeFileSync(ini, 'setting = BBBB\n');
    fs.utimesSync(ini, second + 0.7, second + 0.7);
    await h.rsync({ from: `${staging}/`, to: `/var/buildout/old-root-only-${relay}/`, direction: 'push', remoteSudo: true });
    expect(fs.readFileSync(path.join(rootOnly, 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
    expect(fs.statSync(path.join(rootOnly, 'app.ini')).uid).toBe(0);
    expect(log.lines.join('\n')).not.toContain(DEPLOY.password);
    expect(log.lines.filter((l) => l.includes('cannot compare times to the nanosecond'))).toHaveLength(1);
  });

  it('a pull needs nothing of the old rsync (this machine\'s rsync receives): no refusal, no checksum', async () => {
    const prodSite = path.join(prod.varBuildout as string, `old-pull-${relay}`);
    fs.mkdirSync(prodSite);
    fs.writeFileSync(path.join(prodSite, 'Data.fs'), 'DATA');
    const target = fs.mkdtempSync(path.join(home.dir, 'old-pulled-'));
    const { factory: f, log } = factory(relay);
    await f.forHost('site', hostOptions(prod, { 'rsync-compress': 'zlib' })).rsync({ from: `/var/buildout/old-pull-${relay}/`, to: `${target}/`, direction: 'pull' });
    expect(fs.readFileSync(path.join(target, 'Data.fs'), 'utf8')).toBe('DATA');
    expect(log.lines.join('\n')).not.toMatch(/cannot compare|--checksum|unknown option/);
  });
});
