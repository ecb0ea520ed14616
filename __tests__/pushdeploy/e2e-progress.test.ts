/**
 * A long transfer shows its progress: the real `node bin/hostout.js` deploys a
 * staged site of 2,000 files (about 60 MB of incompressible data) to a
 * production sshd (fixtures/servers) for the first time with --json, and the
 * events include rsync's progress (--info=progress2, parsed): valid against
 * docs/events.schema.json, per host, growing, at most about two a second, the
 * last one the whole transfer. A second deploy with nothing to send stays
 * quiet but still ends its transfer with one. Needs root (CI is root).
 */
import { spawn } from 'node:child_process';
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
const FILES = 2000;
const FILE_BYTES = 30_000;

let prod: SshServer;
let work: string;
let cfg: string;

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
  writeHostoutConfig(cfg, {
    web: {
      host: `127.0.0.1:${prod.port}`, 'identity-file': key, 'known-hosts-file': knownHosts,
      user: 'root', path: staging, 'buildout-user': 'root', 'effective-user': 'root', restart: 'true',
    },
  });
});

afterAll(async () => {
  await prod?.stop();
  for (const p of [staging, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
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
