/**
 * The fast start of a release (LINK_NEXT_SCRIPT), run with the real sh, GNU
 * find and cp on a temp
 * directory laid out like production, staging's listing made by the same
 * code push uses (stagingManifest, through a real local shell).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINK_NEXT_SCRIPT, SiteReleases } from '../../plugins/pushdeploy/releases';
import type { SiteSettings } from '../../plugins/pushdeploy/settings';
import { stagingManifest } from '../../plugins/pushdeploy/manifest';
import type { CommandContext, LocalShell } from '../../lib';

let root: string;
let site: string;
let staging: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-link-'));
  site = path.join(root, 'site');
  staging = path.join(root, 'staging');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A local shell as the transport gives plugins, running sh for real. */
const local: LocalShell = {
  run: async (command) => {
    const r = spawnSync('sh', ['-c', String(command)], { encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status };
  },
};

const T = 1_700_000_000;
function write(dir: string, rel: string, content: string, mode = 0o644, time = T): void {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  fs.chmodSync(f, mode);
  fs.utimesSync(f, time, time);
}

/** Live trees on production and the same trees on staging. */
function layout(): void {
  for (const dir of [site, staging]) {
    write(dir, 'bin/instance', '#!/bin/sh\n', 0o755);
    write(dir, 'eggs/a.egg/a.py', 'a = 1\n');
    write(dir, 'eggs/b.egg/b.py', 'b = 1\n');
    write(dir, 'parts/p/conf', 'x\n');
  }
  fs.mkdirSync(path.join(site, '.hostout', 'next'), { recursive: true });
}

const me = os.userInfo().username;

async function linkNext(trees = ['bin', 'eggs', 'parts'], env: NodeJS.ProcessEnv = process.env): Promise<{ out: string; code: number | null }> {
  const listing = await stagingManifest(local, staging, trees);
  expect(listing).toBeDefined();
  const vars = `cd '${site}' || exit 1; eu=${me}; trees='${trees.join(' ')}'`;
  const r = spawnSync('sh', ['-c', `(\n${vars}\n${LINK_NEXT_SCRIPT})`], { input: listing, encoding: 'utf8', env });
  return { out: `${r.stdout}${r.stderr}`.trim(), code: r.status };
}

const ino = (p: string) => fs.statSync(p).ino;

test('next/ starts as hard links to every live file; nothing else is copied', async () => {
  layout();
  const r = await linkNext();
  expect(r).toEqual({ out: 'linked 0', code: 0 });
  for (const rel of ['bin/instance', 'eggs/a.egg/a.py', 'eggs/b.egg/b.py', 'parts/p/conf']) {
    expect(ino(path.join(site, '.hostout/next', rel))).toBe(ino(path.join(site, rel)));
  }
  expect(fs.readdirSync(path.join(site, '.hostout')).sort()).toEqual(['next']);
});

test('a file whose mode alone changed on staging (same size and time) gets its own inode; the live file keeps its mode', async () => {
  layout();
  fs.chmodSync(path.join(staging, 'eggs/a.egg/a.py'), 0o600);
  // Changed content and time: rsync writes a new file itself, no copy needed.
  write(staging, 'eggs/b.egg/b.py', 'b = 2\n', 0o600, T + 10);
  // Same second and size, other nanoseconds and content: rsync (--modify-window=-1) writes it anew too.
  write(staging, 'parts/p/conf', 'y\n', 0o644, T + 0.25);
  const r = await linkNext();
  expect(r).toEqual({ out: 'linked 1', code: 0 });
  const next = path.join(site, '.hostout/next');
  expect(ino(path.join(next, 'eggs/a.egg/a.py'))).not.toBe(ino(path.join(site, 'eggs/a.egg/a.py')));
  expect(ino(path.join(next, 'parts/p/conf'))).toBe(ino(path.join(site, 'parts/p/conf')));
  expect(ino(path.join(next, 'eggs/b.egg/b.py'))).toBe(ino(path.join(site, 'eggs/b.egg/b.py')));
  expect(fs.readFileSync(path.join(next, 'eggs/a.egg/a.py'), 'utf8')).toBe('a = 1\n');
  // A real rsync into next/, with hostout's time comparison, now changes only next/'s own files.
  for (const t of ['eggs', 'parts']) {
    const rs = spawnSync('rsync', ['-a', '--modify-window=-1', '--delete', `${staging}/${t}/`, `${next}/${t}/`]);
    expect(rs.status).toBe(0);
  }
  expect(fs.statSync(path.join(site, 'eggs/a.egg/a.py')).mode & 0o777).toBe(0o644);
  expect(fs.statSync(path.join(next, 'eggs/a.egg/a.py')).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(path.join(site, 'eggs/b.egg/b.py'), 'utf8')).toBe('b = 1\n');
  // The file rewritten within the same second: next/ has the new content, the live file its own content and time.
  expect(fs.readFileSync(path.join(next, 'parts/p/conf'), 'utf8')).toBe('y\n');
  expect(fs.readFileSync(path.join(site, 'parts/p/conf'), 'utf8')).toBe('x\n');
  expect(fs.statSync(path.join(site, 'parts/p/conf')).mtimeMs).toBe(T * 1000);
});

test('a symlink whose time alone changed still gets its own inode (rsync sets a link\'s time in place)', async () => {
  layout();
  for (const dir of [site, staging]) {
    fs.symlinkSync('instance', path.join(dir, 'bin/run'));
    spawnSync('touch', ['-h', '-d', `@${T}`, path.join(dir, 'bin/run')]);
  }
  spawnSync('touch', ['-h', '-d', `@${T}.5`, path.join(staging, 'bin/run')]);
  const r = await linkNext();
  expect(r).toEqual({ out: 'linked 1', code: 0 });
});

test('staging paths a line cannot carry (a newline in a name): no listing, so prepare links with rsync --link-dest', async () => {
  layout();
  write(staging, 'eggs/odd\nname.py', 'x\n');
  expect(await stagingManifest(local, staging, ['bin', 'eggs'])).toBeUndefined();
});

test('when starting next/ fails half-way, the round trip that reads the releases fails too (nothing goes on with a half-linked next/)', async () => {
  layout();
  // A name in the live tree that the copy of a file whose mode changes would need: cp -a goes into it, mv cannot replace the file with it.
  for (const dir of [site, staging]) fs.mkdirSync(path.join(dir, 'eggs/a.egg/a.py.hostout-own'), { recursive: true });
  fs.chmodSync(path.join(staging, 'eggs/a.egg/a.py'), 0o600);
  const listing = await stagingManifest(local, staging, ['bin', 'eggs', 'parts']);
  const releases = new SiteReleases({ ctx: {} as CommandContext, s: { path: site } as SiteSettings, script: async () => ({ stdout: '', stderr: '', code: 0 }) });
  const script = `${releases.nextScript(['bin', 'eggs', 'parts'], me)}\necho the releases are read`;
  const r = spawnSync('sh', ['-c', script], { input: listing, encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stdout).not.toMatch(/the releases are read|linked/);
});

test('with the trees as links through .hostout/current, next/ starts as hard links to the live release\'s files, and the attribute check compares with them', async () => {
  layout();
  // Move the live trees into a release and link them as the flip does.
  const rel = path.join(site, '.hostout', 'releases', '20261129T100000Z');
  fs.mkdirSync(rel, { recursive: true });
  for (const t of ['bin', 'eggs', 'parts']) {
    fs.renameSync(path.join(site, t), path.join(rel, t));
    fs.symlinkSync(`.hostout/current/${t}`, path.join(site, t));
  }
  fs.symlinkSync('releases/20261129T100000Z', path.join(site, '.hostout', 'current'));
  fs.chmodSync(path.join(staging, 'eggs/a.egg/a.py'), 0o600);
  const r = await linkNext();
  expect(r).toEqual({ out: 'linked 1', code: 0 });
  const next = path.join(site, '.hostout/next');
  for (const t of ['bin', 'eggs', 'parts']) expect(fs.lstatSync(path.join(next, t)).isDirectory()).toBe(true);
  for (const rel2 of ['bin/instance', 'eggs/b.egg/b.py', 'parts/p/conf']) expect(ino(path.join(next, rel2))).toBe(ino(path.join(rel, rel2)));
  expect(ino(path.join(next, 'eggs/a.egg/a.py'))).not.toBe(ino(path.join(rel, 'eggs/a.egg/a.py')));
  expect(fs.existsSync(path.join(site, '.hostout', 'live.list'))).toBe(false);
});

test('a file rewritten at the same size and given the same time to the nanosecond, with another mode: rsync gets its new content into next/, the live file is untouched', async () => {
  layout();
  // Same size, same time (cp -p, tar or touch give a file its old time back), other content and mode.
  write(staging, 'eggs/a.egg/a.py', 'a = 2\n', 0o600, T);
  const r = await linkNext();
  expect(r).toEqual({ out: 'linked 1', code: 0 });
  const next = path.join(site, '.hostout/next');
  expect(ino(path.join(next, 'eggs/a.egg/a.py'))).not.toBe(ino(path.join(site, 'eggs/a.egg/a.py')));
  const rs = spawnSync('rsync', ['-a', '--modify-window=-1', '--delete', `${staging}/eggs/`, `${next}/eggs/`]);
  expect(rs.status).toBe(0);
  expect(fs.readFileSync(path.join(next, 'eggs/a.egg/a.py'), 'utf8')).toBe('a = 2\n');
  expect(fs.statSync(path.join(next, 'eggs/a.egg/a.py')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(next, 'eggs/a.egg/a.py')).mtimeMs).toBe(T * 1000);
  expect(fs.readFileSync(path.join(site, 'eggs/a.egg/a.py'), 'utf8')).toBe('a = 1\n');
  expect(fs.statSync(path.join(site, 'eggs/a.egg/a.py')).mode & 0o777).toBe(0o644);
  expect(fs.statSync(path.join(site, 'eggs/a.egg/a.py')).mtimeMs).toBe(T * 1000);
});

test('production\'s rsync older than 3.1.3 (hostout then pushes with --checksum): a file of unchanged content and size with a new time gets its own inode, the live file keeps its time', async () => {
  layout();
  // rsync 3.1.2 as `rsync --version` shows it, first in PATH.
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'rsync'), "#!/bin/sh\nprintf 'rsync  version 3.1.2  protocol version 31\\n'\n", { mode: 0o755 });
  write(staging, 'eggs/a.egg/a.py', 'a = 1\n', 0o644, T + 5);
  const r = await linkNext(undefined, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  expect(r).toEqual({ out: 'linked 1', code: 0 });
  const next = path.join(site, '.hostout/next');
  expect(ino(path.join(next, 'eggs/a.egg/a.py'))).not.toBe(ino(path.join(site, 'eggs/a.egg/a.py')));
  // With --checksum rsync only sets the time of a file whose content is the same: on next/'s own copy.
  const rs = spawnSync('rsync', ['-a', '--checksum', '--delete', `${staging}/eggs/`, `${next}/eggs/`]);
  expect(rs.status).toBe(0);
  expect(fs.statSync(path.join(next, 'eggs/a.egg/a.py')).mtimeMs).toBe((T + 5) * 1000);
  expect(fs.statSync(path.join(site, 'eggs/a.egg/a.py')).mtimeMs).toBe(T * 1000);
  // The same with a recent rsync: no copy, rsync writes the file anew (its time differs).
  expect(await linkNext()).toEqual({ out: 'linked 0', code: 0 });
});
