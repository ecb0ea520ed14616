/**
 * A long transfer shows its progress: the real `node bin/hostout.js` deploys a
 * staged site of 2,000 files (about 60 MB of incompressible data) to a
 * production sshd (fixtures/servers) for the first time with --json, and the
 * events include rsync's progress (--info=progress2, parsed): valid against
 * docs/events.schema.json, per host, growing, at most about two a second, the
 * last one the whole transfer. A second deploy with nothing to send stays
 * quiet but still ends its transfer with one. On a terminal (a pty from
 * util-linux `script`), the same first deploy shows the progress as the
 * running command's line in listr2's live view. Needs root (CI is root).
 */
import { spawn } from 'node:child_process';
import { shellJoin } from '../../lib/transport/quote';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { writeKnownHosts } from '../../fixtures/servers/test-home';

jest.setTimeout(300_000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(3).toString('hex');
const staging = `/var/buildout/progress-${id}`;
/** The same site under another path: a second first deploy, for the terminal. */
const staging2 = `/var/buildout/progress-tty-${id}`;
const FILES = 2000;
const FILE_BYTES = 30_000;

let prod: SshServer;
let work: string;
let cfg: string;
let web: Record<string, string>;

interface Ev { type: string; time: string; host?: string; command?: string; kind?: string; bytes: number; percent: number; filesTransferred: number; filesTotal?: number; filesChecked?: number; filesSent: number }

const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(repoRoot(), 'docs', 'events.schema.json'), 'utf8')));

function events(stdout: string): Ev[] {
  const list = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Ev);
  for (const e of list) if (!validate(e)) throw new Error(`invalid event ${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
  return list;
}

function hostout(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

beforeAll(async () => {
  prod = await startProductionSshServer({ authorizeClientKeyFor: ['root'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'progress-e2e-'));
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(staging, i % 50 === 0 ? 'bin' : i % 3 === 0 ? 'parts' : 'eggs', i % 50 === 0 ? '' : `pkg${i % 40}`);
    fs.mkdirSync(dir, { recursive: true });
    // Random bytes: rsync's compression cannot make the transfer short.
    fs.writeFileSync(path.join(dir, `f${i}.py`), crypto.randomBytes(FILE_BYTES));
  }
  const knownHosts = path.join(work, 'known_hosts');
  writeKnownHosts(knownHosts, prod);
  const key = path.join(work, 'key');
  fs.copyFileSync(prod.clientKeyPath, key);
  fs.chmodSync(key, 0o600);
  cfg = path.join(work, 'buildout.cfg');
  web = {
    host: `127.0.0.1:${prod.port}`, 'identity-file': key, 'known-hosts-file': knownHosts,
    user: 'root', path: staging, 'buildout-user': 'root', 'effective-user': 'root', restart: 'true',
  };
  writeHostoutConfig(cfg, { web, tty: { ...web, path: staging2 } });
});

afterAll(async () => {
  await prod?.stop();
  for (const p of [staging, staging2, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

describe('--json: rsync progress of a first deploy', () => {
  test('transfer-progress events per host, growing, throttled, ending with the whole transfer', async () => {
    const r = await hostout(['--json', 'web', 'deploy']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const ev = events(r.stdout);
    const progress = ev.filter((e) => e.type === 'transfer-progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((e) => e.host === 'web' && e.command === 'deploy')).toBe(true);
    // Each comes while its rsync runs: before the step that reports the rsync ended.
    const firstProgress = ev.indexOf(progress[0]);
    const rsyncEnd = ev.findIndex((e, i) => i > firstProgress && e.type === 'step' && e.kind === 'rsync');
    expect(rsyncEnd).toBeGreaterThan(ev.indexOf(progress[progress.length - 1]));
    // The release trees' transfer: its bytes and files only grow, and its last update is all of it.
    const trees = progress.slice(0, progress.findIndex((e) => e.percent === 100) + 1);
    for (let i = 1; i < trees.length; i++) {
      expect(trees[i].bytes).toBeGreaterThanOrEqual(trees[i - 1].bytes);
      expect(trees[i].filesTransferred).toBeGreaterThanOrEqual(trees[i - 1].filesTransferred);
    }
    const last = trees[trees.length - 1];
    expect(last).toMatchObject({ percent: 100, filesTransferred: FILES });
    expect(last.bytes).toBe(FILES * FILE_BYTES);
    expect(last.filesTotal).toBeGreaterThan(FILES); // the files and their directories
    // Some update came before the end (the transfer was followed, not only reported at its end).
    expect(trees.some((e) => e.percent < 100 && e.bytes < last.bytes)).toBe(true);
    // Throttled: at most two a second, plus the end (events of one transfer at least ~0.5 s apart but the last).
    const times = trees.map((e) => Date.parse(e.time));
    for (let i = 1; i < times.length - 1; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(450);
    // rsync's statistics are still read (--stats beside the progress).
    expect(ev.filter((e) => e.type === 'rsync').reduce((n, e) => n + e.filesSent, 0)).toBeGreaterThanOrEqual(FILES);
    // The people's output (stderr under --json) never shows the progress lines.
    expect(r.stderr).not.toMatch(/to-chk|xfr#/);
  });

  test('a run without --json on a pipe asks rsync for no progress at all', async () => {
    const r = await hostout(['-v', 'web', 'deploy']);
    expect(r.code).toBe(0);
    // -v shows the local rsync's lines: no progress option, no progress output.
    expect(r.stdout).toMatch(/rsync/);
    expect(r.stdout).not.toMatch(/progress2|to-chk|xfr#/);
  });
});

describe('on a terminal: the running transfer is the task line', () => {
  /**
   * hostout in a pseudo-terminal (CI unset: listr2 draws), with a local rsync
   * that sends at most 15 MB/s (`--bwlimit`, added by a wrapper first on
   * PATH): the 60 MB take about four seconds however idle the machine is, so
   * listr2 draws several frames while the transfer runs.
   */
  function onTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
    const bin = path.join(work, 'slow-bin');
    fs.mkdirSync(bin, { recursive: true });
    const real = ['/usr/bin/rsync', '/bin/rsync'].find((f) => fs.existsSync(f))!;
    fs.writeFileSync(path.join(bin, 'rsync'), `#!/bin/sh\nexec ${real} --bwlimit=15000 "$@"\n`, { mode: 0o755 });
    const command = `stty cols 200 rows 50; ${shellJoin(['node', HOSTOUT, '-c', cfg, ...args])}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, TERM: 'xterm', NO_COLOR: '1' };
    delete env.CI;
    delete env.FORCE_COLOR;
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let raw = '';
    child.stdout.on('data', (d) => (raw += d));
    child.stderr.on('data', (d) => (raw += d));
    // Strip the terminal control sequences: what remains is the text of every frame.
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen: raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') })));
  }

  test('a first deploy shows files and bytes done, the rate and the time left under its command', async () => {
    fs.cpSync(staging, staging2, { recursive: true });
    const { code, screen } = await onTerminal(['tty', 'deploy']);
    expect({ code, tail: screen.slice(-2000) }).toMatchObject({ code: 0 });
    // listr2's tree: the host, its command, the command's output line under it (`›`).
    const line = /^ +› \[tty\] rsync: ([\d,]+) of (?:at least )?([\d,]+) files \(([\d,]+) sent\), ([\d.]+) (k?M?G?B) \((\d+)%\), ([\d.]+) (k?M?G?B)\/s, (\d+:\d\d:\d\d) left$/gm;
    const shown = [...screen.matchAll(line)];
    expect(shown.length).toBeGreaterThan(0);
    // Some frame shows the transfer under way: part of the bytes, a rate, an estimate.
    const underWay = shown.filter((m) => Number(m[6]) < 100 && Number(m[3].replace(/,/g, '')) < FILES);
    expect(underWay.length).toBeGreaterThan(0);
    expect(underWay.some((m) => Number(m[7]) > 0)).toBe(true);
    // The line sits under the running command (its spinner) of its host.
    expect(screen).toMatch(/^❯ tty\n +\S deploy\n( +› .*\n)* +› \[tty\] rsync: /m);
    expect(screen).toMatch(/✔ tty\n +✔ deploy/);
    // A plain line never shows rsync's own progress output.
    expect(screen).not.toMatch(/to-chk|ir-chk|xfr#/);
  });
});
