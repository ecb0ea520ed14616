/**
 * A deploy to a production whose rsync is older than 3.1.3 (it cannot
 * compare times to the nanosecond: fixtures/servers/old-rsync.ts), with the
 * real `node bin/hostout.js` and the real sshd: the repro (a file
 * rewritten at the same size within the same second) ships the new content,
 * hostout says at -v that it compared by checksum, and a file whose content
 * is unchanged but whose time is new never has its time set on the live
 * release's inode (link-next gives it an inode of its own).
 * Needs root (CI is root).
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SshServer } from '../../fixtures/servers';
import { startOldRsyncProduction } from '../../fixtures/servers/old-rsync';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { liveRelease } from '../support/live-release';

jest.setTimeout(300000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(3).toString('hex');
const SITE = 'old-rsync';
const staging = `/var/buildout/old-rsync-${id}`;

let prod: SshServer;
let work: string;
let cfg: string;

interface Run { code: number | null; out: string }

function hostout(...args: string[]): Promise<Run> {
  const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

async function ok(...args: string[]): Promise<Run> {
  const r = await hostout(...args);
  if (r.code !== 0) throw new Error(`hostout ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r;
}

const prodPath = () => path.join(prod.varBuildout as string, path.basename(staging));
const releaseFile = (release: string, rel: string) => path.join(prodPath(), '.hostout', 'releases', release, rel);

function write(rel: string, content: string, seconds: number): void {
  const f = path.join(staging, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  fs.utimesSync(f, seconds, seconds);
}

beforeAll(async () => {
  prod = await startOldRsyncProduction({ authorizeClientKeyFor: ['root', 'zope'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-old-rsync-'));
  fs.chmodSync(work, 0o755);
  const knownHosts = path.join(work, 'known_hosts');
  fs.writeFileSync(knownHosts, prod.knownHostsLine + '\n');
  const key = path.join(work, 'client_key');
  fs.copyFileSync(prod.clientKeyPath, key);
  fs.chmodSync(key, 0o600);
  cfg = path.join(work, 'buildout.cfg');
  writeHostoutConfig(cfg, {
    [SITE]: {
      path: staging, restart: 'true', host: `127.0.0.1:${prod.port}`, user: 'root', 'identity-file': key, 'known-hosts-file': knownHosts,
      'buildout-user': 'root', 'effective-user': 'zope',
      // rsync 3.1.2 has no --compress-choice (3.2): zlib is sent as --old-compress, which it knows.
      'rsync-compress': 'zlib',
    },
  });
  fs.mkdirSync(path.join(staging, 'var'), { recursive: true });
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
});

afterAll(async () => {
  await prod?.stop();
  for (const p of [staging, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

test('production\'s rsync is 3.1.2: a file rewritten at the same size within the same second is deployed (compared by checksum, said at -v); a file of the same content with a new time leaves the live release\'s copy as it was', async () => {
  const second = Math.floor(Date.now() / 1000) - 3600;
  write('etc/app.ini', 'setting = AAAA\n', second + 0.2);
  write('bin/script', '#!/bin/sh\n', second);
  await ok(SITE, 'deploy');
  const first = liveRelease(path.join(prodPath(), '.hostout'));
  expect(fs.readFileSync(path.join(prodPath(), 'etc', 'app.ini'), 'utf8')).toBe('setting = AAAA\n');
  const scriptTime = fs.statSync(releaseFile(first, 'bin/script')).mtimeMs;

  write('etc/app.ini', 'setting = BBBB\n', second + 0.7);
  // Regenerated with the same content (buildout does that to scripts): a new time only.
  write('bin/script', '#!/bin/sh\n', second + 30);
  const r = await ok('-v', SITE, 'deploy');
  expect(fs.readFileSync(path.join(prodPath(), 'etc', 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
  expect(r.out).toMatch(/\(3\.1\.2\) cannot compare times to the nanosecond \(it refused --modify-window=-1, which needs rsync 3\.1\.3\+\): its pushes compare files by checksum instead/);
  expect(r.out).not.toMatch(/unknown option|syntax or usage error/);
  const second_ = liveRelease(path.join(prodPath(), '.hostout'));
  expect(second_).not.toBe(first);
  // The new release has the new time; the release before it (what a rollback goes to) kept its own.
  expect(fs.statSync(releaseFile(second_, 'bin/script')).mtimeMs).toBe((second + 30) * 1000);
  expect(fs.statSync(releaseFile(first, 'bin/script')).mtimeMs).toBe(scriptTime);
  expect(fs.readFileSync(releaseFile(first, 'etc/app.ini'), 'utf8')).toBe('setting = AAAA\n');

  await ok(SITE, 'deploy');
  expect(fs.readFileSync(path.join(prodPath(), 'etc', 'app.ini'), 'utf8')).toBe('setting = BBBB\n');
});
