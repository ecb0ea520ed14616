/**
 * The staging tree bench/push and bench/deploy push, and how they time a run.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SshServer } from '../../fixtures/servers';

/** Source-like text (what eggs and parts mostly hold), so rsync's -z behaves as on real sites. */
export function fileContent(size: number, seed: number): Buffer {
  const words = ['def', 'class', 'import', 'return', 'self', 'value', 'options', 'buildout', 'zope', 'plone'];
  let s = `# file ${seed} ${crypto.randomBytes(8).toString('hex')}\n`;
  while (s.length < size) s += `${words[(seed + s.length) % words.length]} ${crypto.randomBytes(6).toString('base64')}\n`;
  return Buffer.from(s.slice(0, size));
}

export function buildStaging(staging: string, count: number, totalBytes: number): string[] {
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  const files: string[] = [];
  const avg = Math.floor(totalBytes / count);
  for (let i = 0; i < count; i++) {
    // 2% bin, 25% parts, the rest eggs; 100 files per folder.
    const top = i % 50 === 0 ? 'bin' : i % 4 === 0 ? 'parts' : 'eggs';
    const dir = path.join(staging, top, top === 'bin' ? '' : `pkg${Math.floor(i / 100)}`);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `f${i}.py`);
    fs.writeFileSync(file, fileContent(Math.max(64, Math.floor(avg * (0.5 + ((i * 7919) % 100) / 100))), i));
    files.push(file);
  }
  fs.mkdirSync(path.join(staging, 'var'), { recursive: true });
  fs.mkdirSync(path.join(staging, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(staging, 'etc', 'site.conf'), 'x = 1\n');
  return files;
}

/**
 * Times fn after a `sync`: a first push writes 200 MB, and without it each
 * method's run would pay for writing back the previous method's dirty pages
 * (seen here: the same run taking 9.7 s or 13.9 s depending on what ran before).
 */
/**
 * Read the whole staging tree so every method starts with it in the page
 * cache. This machine's kernel pages out memory that sits idle (DAMON
 * `pageout`), so without this a run read a cold tree from disk or a hot one
 * depending on how long the previous method took: the first push varied by
 * seconds and by method order, not by tool.
 */
export function warm(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) warm(p);
    else if (e.isFile()) fs.readFileSync(p);
  }
}

export function time(fn: () => void, staging: string): number {
  spawnSync('sync');
  warm(staging);
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
}


/** One bench run's production server, site and files. */
export interface Ctx {
  prod: SshServer;
  site: string;
  staging: string;
  production: string; // production's copy as this machine sees it
  cfg: string;
  key: string;
  knownHosts: string;
  control: string;
  /** Where ssh connects, when not the server's own port (bench/rtt's proxy). */
  port?: number;
}

export function sshArgs(c: Ctx, shared: boolean): string[] {
  return [
    '-i', c.key, '-p', String(c.port ?? c.prod.port), '-o', `UserKnownHostsFile=${c.knownHosts}`, '-o', 'BatchMode=yes',
    ...(shared ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${c.control}`, '-o', 'ControlPersist=60'] : []),
  ];
}

/**
 * The floor: `rsync -a` of the same folders, all over one shared ssh
 * connection that is opened by the first rsync and closed at the end of the
 * run: each run pays for one login, as each `hostout push` does (a master
 * kept between runs would make the floor's later runs free of any login).
 */
export function bareRsync(c: Ctx, login: string, dirs: readonly string[]): void {
  const rsh = ['ssh', ...sshArgs(c, true)].join(' ');
  for (const d of [...dirs, 'var', 'etc']) run('rsync', ['-a', '-e', rsh, `${c.staging}/${d}/`, `${login}@127.0.0.1:${c.staging}/${d}`]);
  closeMaster(c, login);
}

export function closeMaster(c: Ctx, login: string): void {
  spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${c.control}`, '-p', String(c.port ?? c.prod.port), `${login}@127.0.0.1`], { stdio: 'ignore' });
}


/** Rewrite every 100th file (a different 1% each round), same size, new content. */
export function touchOnePercent(files: string[], round: number): void {
  for (let i = round; i < files.length; i += 100) fs.writeFileSync(files[i], fileContent(fs.statSync(files[i]).size, i + round * 7));
}
