/**
 * The flip script and the release/lock helpers, without servers: the script
 * is run with the real `sh` on a temp directory laid out like production, and
 * killed at every one of its renames and links to prove that a reader sees
 * every tree of one release at each of those moments, and that recovery or
 * running it again ends with every tree of one release.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FLIP_SCRIPT, newReleaseId, releaseTime, releaseTreeName, RELEASE_ID } from '../../plugins/pushdeploy/releases';
import { describeHolder, staleReason, type LockHolder } from '../../plugins/pushdeploy/lock';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-flip-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const A = '20261129T100000Z';
const B = '20261129T110000Z';

/** Production as before the switch by a link: release A live as real directories (bin, eggs, parts, products), `current` a file, and B prepared (bin, eggs, parts, etc: products dropped, etc added). */
function layout(): { site: string; script: string } {
  const site = path.join(root, 'site');
  const h = path.join(site, '.hostout');
  const put = (dir: string, trees: string[], tag: string) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const t of trees) {
      fs.mkdirSync(path.join(dir, t, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, t, 'sub', 'file'), tag);
    }
  };
  put(site, ['bin', 'eggs', 'parts', 'products'], 'A');
  fs.mkdirSync(path.join(site, 'var'));
  fs.writeFileSync(path.join(site, 'var', 'Data.fs'), 'data');
  fs.mkdirSync(path.join(h, 'releases', A), { recursive: true });
  fs.writeFileSync(path.join(h, 'releases', A, 'trees'), 'bin\neggs\nparts\nproducts\n');
  put(path.join(h, 'releases', B), ['bin', 'eggs', 'parts', 'etc'], 'B');
  fs.writeFileSync(path.join(h, 'releases', B, 'trees'), 'bin\neggs\nparts\netc\n');
  fs.writeFileSync(path.join(h, 'current'), `${A}\n`);
  const script = path.join(h, 'flip.sh');
  fs.writeFileSync(script, FLIP_SCRIPT);
  return { site, script };
}

/**
 * Which release each top-level tree of the site is from (var and .hostout
 * aside), as a reader of the site sees it: a link that points at nothing is
 * an absent tree; a tree whose file is missing throws.
 */
function live(site: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of fs.readdirSync(site).sort()) {
    if (t === 'var' || t === '.hostout') continue;
    if (!fs.existsSync(path.join(site, t))) continue;
    out[t] = fs.readFileSync(path.join(site, t, 'sub', 'file'), 'utf8');
  }
  return out;
}

const ALL_A = { bin: 'A', eggs: 'A', parts: 'A', products: 'A' };
const ALL_B = { bin: 'B', eggs: 'B', etc: 'B', parts: 'B' };

function flip(site: string, script: string, from: string, to: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('sh', [script, site, from, to], { encoding: 'utf8', env });
}

const current = (site: string) => {
  const c = path.join(site, '.hostout', 'current');
  return fs.lstatSync(c).isSymbolicLink() ? fs.readlinkSync(c).replace(/^releases\//, '') : fs.readFileSync(c, 'utf8').trim();
};

/** A PATH whose `mv` and `ln` kill the flip script (SIGKILL to its parent) at their Nth call together: a flip stopped half-way. */
function dying(n: number): NodeJS.ProcessEnv {
  const bin = path.join(root, `bin-${n}`);
  fs.mkdirSync(bin, { recursive: true });
  const count = path.join(bin, 'count');
  fs.writeFileSync(count, '0');
  for (const tool of ['mv', 'ln']) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nc=$(($(cat ${count}) + 1)); echo $c > ${count}\nif [ $c -ge ${n} ]; then kill -9 $PPID; exit 1; fi\nexec /bin/${tool} "$@"\n`, { mode: 0o755 });
  }
  return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}

/** What tidying after an interruption does (recover()): the flip from the live release to itself. */
function recover(site: string): void {
  const c = current(site);
  expect(flip(site, path.join(site, '.hostout', 'flip.sh'), c, c).status).toBe(0);
  expect(fs.existsSync(path.join(site, '.hostout', 'journal'))).toBe(false);
}

describe('the flip script', () => {
  test('converts real tree directories into links through current, once; then every flip is one switch of current, trees added and dropped', () => {
    const { site, script } = layout();
    const r = flip(site, script, A, B);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^live 20261129T110000Z\nflipped( in \d+ us)?\n$/);
    expect(live(site)).toEqual(ALL_B);
    const h = path.join(site, '.hostout');
    expect(fs.readlinkSync(path.join(h, 'current'))).toBe(`releases/${B}`);
    for (const t of ['bin', 'eggs', 'parts', 'etc']) expect(fs.readlinkSync(path.join(site, t))).toBe(`.hostout/current/${t}`);
    // products (A only) is gone from the site, and A's trees are whole in its directory.
    expect(fs.readdirSync(site).sort()).toEqual(['.hostout', 'bin', 'eggs', 'etc', 'parts', 'var']);
    for (const t of ['bin', 'eggs', 'parts', 'products']) expect(fs.readFileSync(path.join(h, 'releases', A, t, 'sub', 'file'), 'utf8')).toBe('A');
    expect(fs.existsSync(path.join(h, 'journal'))).toBe(false);
    expect(fs.readFileSync(path.join(site, 'var', 'Data.fs'), 'utf8')).toBe('data');
    expect(fs.lstatSync(path.join(site, 'var')).isDirectory()).toBe(true);
    // And back: the same switch.
    expect(flip(site, script, B, A).status).toBe(0);
    expect(live(site)).toEqual(ALL_A);
    expect(fs.readdirSync(site).sort()).toEqual(['.hostout', 'bin', 'eggs', 'parts', 'products', 'var']);
  });

  // B→A after the conversion: ln and mv for the journal, the products link, current's link and its rename. Kill it at each.
  test.each(Array.from({ length: 6 }, (_, i) => i + 1))('killed at its step #%i: a reader sees all of B or all of A at that moment; recovery keeps it; running it again gives A', (n) => {
    const { site, script } = layout();
    expect(flip(site, script, A, B).status).toBe(0);
    const killed = flip(site, script, B, A, dying(n));
    expect(killed.signal === 'SIGKILL' || killed.status === 0).toBe(true);
    const seen = live(site);
    expect([ALL_A, ALL_B]).toContainEqual(seen);
    const copy = path.join(root, 'copy');
    fs.cpSync(site, copy, { recursive: true, verbatimSymlinks: true });
    recover(site);
    expect(live(site)).toEqual(seen);
    expect(flip(copy, path.join(copy, '.hostout', 'flip.sh'), B, A).status).toBe(0);
    expect(live(copy)).toEqual(ALL_A);
  });

  // The conversion (A's real directories into links): the journal, current's link, and a rename and a link per tree.
  test.each(Array.from({ length: 14 }, (_, i) => i + 1))('killed at step #%i of the first flip (the conversion included): recovery gives every tree of the release current names', (n) => {
    const { site, script } = layout();
    flip(site, script, A, B, dying(n));
    if (fs.existsSync(path.join(site, '.hostout', 'journal'))) recover(site);
    expect(live(site)).toEqual(current(site) === A ? ALL_A : ALL_B);
  });

  test('refuses a release that is missing or incomplete (naming what it lacks), and a tree in the way that belongs to no release', () => {
    const { site, script } = layout();
    const r = flip(site, script, A, '20261129T120000Z');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/release 20261129T120000Z is missing or incomplete/);
    expect(r.stdout).toBe(`live ${A}\n`);
    const fresh = flip(site, script, '-', B);
    expect(fresh.status).toBe(4);
    expect(fresh.stderr).toMatch(/is in the way and belongs to no release/);
    expect(live(site)).toEqual(ALL_A);
    fs.rmSync(path.join(site, '.hostout', 'releases', B, 'etc'), { recursive: true });
    fs.rmSync(path.join(site, '.hostout', 'releases', B, 'parts'), { recursive: true });
    const incomplete = flip(site, script, A, B);
    expect(incomplete.status).toBe(4);
    expect(incomplete.stderr).toMatch(new RegExp(`release ${B} is incomplete: \\S+/releases/${B} has no parts etc`));
    expect(live(site)).toEqual(ALL_A);
    expect(fs.lstatSync(path.join(site, 'bin')).isDirectory()).toBe(true);
  });

  test('a failure before the switch removes the links it made and says what is live', () => {
    const { site, script } = layout();
    // B gains a tree `zz` after etc, and production has a zz of nobody's: etc's link is made, then zz is in the way.
    fs.mkdirSync(path.join(site, '.hostout', 'releases', B, 'zz'));
    fs.appendFileSync(path.join(site, '.hostout', 'releases', B, 'trees'), 'zz\n');
    fs.mkdirSync(path.join(site, 'zz', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(site, 'zz', 'sub', 'file'), 'nobody');
    const r = flip(site, script, A, B);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/zz is in the way and belongs to no release/);
    expect(r.stdout).toBe(`live ${A}\n`);
    expect(live(site)).toEqual({ ...ALL_A, zz: 'nobody' });
    expect(fs.existsSync(path.join(site, 'etc')) || fs.lstatSync(path.join(site, 'etc'), { throwIfNoEntry: false }) !== undefined).toBe(false);
    expect(fs.existsSync(path.join(site, '.hostout', 'journal'))).toBe(false);
  });

  test('refuses to run for a lock holder that is not the lock\'s', () => {
    const { site, script } = layout();
    fs.mkdirSync(path.join(site, '.hostout', 'lock'));
    fs.writeFileSync(path.join(site, '.hostout', 'lock', 'holder'), '{"token":"theirs"}\n');
    const r = spawnSync('sh', [script, site, A, B, 'ours'], { encoding: 'utf8' });
    expect(r.status).toBe(6);
    expect(live(site)).toEqual(ALL_A);
  });
});

describe('ids, trees and locks', () => {
  test('release ids sort by age and are unique; only well-formed ids pass', () => {
    const t = new Date(Date.UTC(2026, 10, 29, 20, 15, 30));
    expect(newReleaseId([], t)).toBe('20261129T201530Z');
    expect(newReleaseId(['20261129T201530Z'], t)).toBe('20261129T201530Z-2');
    expect(newReleaseId(['20261129T201530Z', '20261129T201530Z-2'], t)).toBe('20261129T201530Z-3');
    expect(releaseTime('20261129T201530Z-2').toISOString()).toBe('2026-11-29T20:15:30.000Z');
    for (const bad of ['../x', '20261129T201530Z; rm -rf /', '-rf', '', '20261129T201530Z\n']) expect(RELEASE_ID.test(bad)).toBe(false);
    expect(RELEASE_ID.test('20261129T201529Z-adopted')).toBe(true);
  });

  test('release trees are plain names directly inside the site, never var or .hostout', () => {
    expect(releaseTreeName('/srv/site', '/srv/site/bin')).toBe('bin');
    expect(releaseTreeName('/srv/site', '/srv/site/a/bin')).toBeUndefined();
    expect(releaseTreeName('/srv/site', '/srv/eggs')).toBeUndefined();
    expect(releaseTreeName('/srv/site', '/srv/site/var')).toBeUndefined();
    expect(releaseTreeName('/srv/site', '/srv/site/.hostout')).toBeUndefined();
    expect(releaseTreeName('/srv/site', '/srv/site/-rf')).toBeUndefined();
  });

  test('a lock is stale when its holder on this host is gone, or its lease ran out; not while its holder runs', () => {
    const here = { stagingHost: os.hostname(), bootId: 'boot-1' };
    const h = (o: Partial<LockHolder>): LockHolder => ({
      token: 't', stagingHost: here.stagingHost, bootId: 'boot-1', user: 'root', pid: process.pid, pidStart: '', command: 'deploy', started: '2026-11-29T20:00:00Z', leaseUntil: 2000, ...o,
    });
    expect(staleReason(h({}), 1000, 5, here)).toBeUndefined();
    const dead = spawnSync('true').pid as number;
    expect(staleReason(h({ pid: dead }), 1000, 5, here)).toMatch(/its holder, pid \d+ on .*, is gone/);
    expect(staleReason(h({ pid: dead, stagingHost: 'elsewhere' }), 1000, 5, here)).toBeUndefined();
    expect(staleReason(h({ stagingHost: 'elsewhere' }), 2010, 5, here)).toBe('its lease ran out 10 s ago');
    expect(staleReason(undefined, 1000, 5, here)).toBeUndefined();
    expect(staleReason(undefined, 1000, 31, here)).toMatch(/records no holder/);
    expect(describeHolder(h({ phase: 'restart' }))).toBe(`root on ${here.stagingHost} (pid ${process.pid}), 'deploy' since 2026-11-29T20:00:00Z, during restart`);
  });
});
