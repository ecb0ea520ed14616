/**
 * The connecting `--dry-run` (preview mode) against a real production sshd:
 * questions run for real, everything that would change is only recorded,
 * rsync reports the true delta with --dry-run, and a push to a path the host
 * does not have yet says what it would create. Production is byte-identical
 * afterwards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRecordingLogger } from '../../lib/log';
import { HostTransportFactory } from '../../lib/transport';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { hostOptions, makeTestHome, type TestHome } from '../../fixtures/servers/test-home';
import { snapshotTree } from '../support/tree-snapshot';

let prod: SshServer;
let home: TestHome;
let staged: string;

beforeAll(async () => {
  prod = await startProductionSshServer();
  home = makeTestHome();
  home.trust(prod);
  staged = fs.mkdtempSync(path.join(home.dir, 'staged-'));
  for (const [f, text] of [['bin/run', 'run version 2\n'], ['bin/other', 'same\n'], ['parts/a.txt', 'new part\n']]) {
    fs.mkdirSync(path.dirname(path.join(staged, f)), { recursive: true });
    fs.writeFileSync(path.join(staged, f), text);
  }
  fs.mkdirSync(path.join(prod.varBuildout!, 'site', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(prod.varBuildout!, 'site', 'bin', 'run'), 'run v1\n');
  fs.writeFileSync(path.join(prod.varBuildout!, 'site', 'bin', 'other'), 'same\n');
  fs.writeFileSync(path.join(prod.varBuildout!, 'site', 'bin', 'gone'), 'removed on staging\n');
  // bin/other is the same on both sides, time included: rsync compares times to the nanosecond
  // (--modify-window=-1), and two writes a moment apart may or may not share a clock tick.
  const sameTime = new Date('2026-01-01T00:00:00Z');
  for (const f of [path.join(staged, 'bin', 'other'), path.join(prod.varBuildout!, 'site', 'bin', 'other')]) fs.utimesSync(f, sameTime, sameTime);
}, 120_000);

afterAll(async () => {
  await prod?.stop();
  home?.cleanup();
});

function previewFactory() {
  const log = createRecordingLogger();
  const records: string[] = [];
  const factory = new HostTransportFactory({ mode: 'preview', log, interactive: false, sshEnv: home.sshEnv, recorder: { onRecord: (l) => records.push(l) } });
  return { factory, log, records, host: factory.forHost('site', hostOptions(prod)) };
}

test('questions run on the host; changes are recorded, not run', async () => {
  const { factory, records, host } = previewFactory();
  const before = snapshotTree(prod.varBuildout!);
  try {
    expect(await host.remote.exists('/var/buildout/site/bin/run')).toBe(true);
    expect(await host.remote.exists('/var/buildout/nowhere')).toBe(false);
    expect((await host.remote.run('cat /var/buildout/site/bin/run', { readOnly: true })).stdout).toBe('run v1\n');
    expect((await host.remote.run('touch /var/buildout/site/marker')).code).toBe(0);
    await host.remote.sudo('rm -rf /var/buildout/site/bin');
    await host.remote.put(path.join(staged, 'bin/run'), '/var/buildout/site/bin/run');
  } finally {
    await factory.closeAll();
  }
  expect(records).toEqual([
    expect.stringMatching(/^\[site\] remote\(root@127\.0\.0\.1:\d+\): \/bin\/bash -l -c 'touch \/var\/buildout\/site\/marker'$/),
    expect.stringMatching(/^\[site\] remote\(root@127\.0\.0\.1:\d+\): sudo -H -- \/bin\/bash -l -c 'rm -rf \/var\/buildout\/site\/bin'$/),
    expect.stringMatching(/^\[site\] put\(root@127\.0\.0\.1:\d+\): .*bin\/run -> \/var\/buildout\/site\/bin\/run$/),
  ]);
  expect(snapshotTree(prod.varBuildout!)).toEqual(before);
});

test('rsync runs with --dry-run and reports the true delta; nothing changes', async () => {
  const { factory, log, records, host } = previewFactory();
  const before = snapshotTree(prod.varBuildout!);
  try {
    await host.rsync({ from: `${staged}/./bin/`, to: '/var/buildout/site', relative: true, direction: 'push', delete: true });
  } finally {
    await factory.closeAll();
  }
  expect(records).toEqual([expect.stringMatching(/^\[site\] rsync: rsync --delete -pthlrz .* -R --rsh hostout-ssh-tunnel .*\/\.\/bin\/ root@127\.0\.0\.1:\/var\/buildout\/site$/)]);
  expect(log.lines).toContain('[site] rsync would create 0, update 1, delete 1 (bin/ 2)');
  expect(snapshotTree(prod.varBuildout!)).toEqual(before);
});

test('a push to a path the host does not have yet says what it would create', async () => {
  const { factory, log, host } = previewFactory();
  const before = snapshotTree(prod.varBuildout!);
  try {
    await host.rsync({ from: [`${staged}/./bin/`, `${staged}/./parts/`], to: '/var/buildout/fresh-site', relative: true, direction: 'push' });
  } finally {
    await factory.closeAll();
  }
  expect(log.lines).toContain('[site] rsync would create 5, update 0, delete 0 (bin/ 3, parts/ 2) (the host has no /var/buildout/fresh-site yet)');
  expect(snapshotTree(prod.varBuildout!)).toEqual(before);
  expect(fs.existsSync(path.join(prod.varBuildout!, 'fresh-site'))).toBe(false);
});
