/**
 * The flip script and the release/lock helpers, without servers: the script
 * is run with the real `sh` on a temp directory laid out like production, and
 * killed at every one of its renames to prove that running it again (finish)
 * or running the reverse flip (undo, what recovery does) always ends with
 * every tree of one release.
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

/** Production with release A live (bin, eggs, parts, products) and B prepared (bin, eggs, parts, etc: products dropped, etc added). */
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

/** Which release each top-level tree of the site is from (var and .hostout aside). */
function live(site: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of fs.readdirSync(site).sort()) {
    if (t === 'var' || t === '.hostout') continue;
    out[t] = fs.readFileSync(path.join(site, t, 'sub', 'file'), 'utf8');
  }
  return out;
}

const ALL_A = { bin: 'A', eggs: 'A', parts: 'A', products: 'A' };
const ALL_B = { bin: 'B', eggs: 'B', etc: 'B', parts: 'B' };

function flip(site: string, script: string, from: string, to: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('sh', [script, site, from, to], { encoding: 'utf8', env });
}

/** A PATH whose `mv` kills the flip script (SIGKILL to its parent) at its Nth call: a flip stopped half-way. */
function dyingMv(n: number): NodeJS.ProcessEnv {
  const bin = path.join(root, `bin-${n}`);
  fs.mkdirSync(bin, { recursive: true });
  const count = path.join(bin, 'count');
  fs.writeFileSync(count, '0');
  fs.writeFileSync(path.join(bin, 'mv'), `#!/bin/sh\nc=$(($(cat ${count}) + 1)); echo $c > ${count}\nif [ $c -ge ${n} ]; then kill -9 $PPID; exit 1; fi\nexec /bin/mv "$@"\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}

describe('the flip script', () => {
  test('flips every tree, moves the replaced ones into the old release, drops trees the new one lacks, records current', () => {
    const { site, script } = layout();
    const r = flip(site, script, A, B);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/flipped( in \d+ us)?/);
    expect(live(site)).toEqual(ALL_B);
    expect(fs.readFileSync(path.join(site, '.hostout', 'current'), 'utf8')).toBe(`${B}\n`);
    expect(fs.existsSync(path.join(site, '.hostout', 'journal'))).toBe(false);
    expect(fs.readFileSync(path.join(site, 'var', 'Data.fs'), 'utf8')).toBe('data');
    // And back: the old release is complete in its directory.
    expect(flip(site, script, B, A).status).toBe(0);
    expect(live(site)).toEqual(ALL_A);
  });

  // The A→B flip makes 2 renames for the journal and current, and 1-2 per tree: kill it at each.
  test.each(Array.from({ length: 11 }, (_, i) => i + 1))('killed at its rename #%i: undo (recovery) gives A, running it again gives B', (n) => {
    const { site, script } = layout();
    const killed = flip(site, script, A, B, dyingMv(n));
    // Killed before its first rename only the journal's temp file exists; after it, the journal says what was under way.
    const journal = fs.existsSync(path.join(site, '.hostout', 'journal'));
    if (n >= 2 && n <= 10) expect(journal).toBe(true);
    // Undo, as recovery does: current still names A unless the flip got that far.
    const current = fs.readFileSync(path.join(site, '.hostout', 'current'), 'utf8').trim();
    const copy = path.join(root, 'copy');
    fs.cpSync(site, copy, { recursive: true });
    if (current === A) {
      expect(flip(site, script, B, A).status).toBe(0);
      expect(live(site)).toEqual(ALL_A);
    } else {
      expect(current).toBe(B);
      expect(killed.signal === 'SIGKILL' || killed.status === 0).toBe(true);
    }
    // Finishing instead (running the same flip again) gives B from the same interrupted state.
    expect(flip(copy, path.join(copy, '.hostout', 'flip.sh'), A, B).status).toBe(0);
    expect(live(copy)).toEqual(ALL_B);
  });

  test('refuses a release that is missing or incomplete, and a tree in the way that belongs to no release', () => {
    const { site, script } = layout();
    const r = flip(site, script, A, '20261129T120000Z');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/release 20261129T120000Z is missing or incomplete/);
    const fresh = flip(site, script, '-', B);
    expect(fresh.status).toBe(4);
    expect(fresh.stderr).toMatch(/is in the way and belongs to no release/);
    expect(live(site)).toEqual(ALL_A);
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
