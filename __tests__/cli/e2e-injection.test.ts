/**
 * Option injection through configuration values and command arguments, on
 * real servers: the corpus in fixtures/injection/corpus.json (its `about` says
 * what each part means) runs through the real `hostout` process against a
 * production sshd in its own mount namespace (with /etc overlaid, so a
 * `bootstrap_users` that got through could not add users to this machine)
 * and real git/hg checkouts on staging.
 *
 * Every hostile value must be refused with exit 2 naming the option (or
 * argument) and the value, and nothing may run: no marker file, no spy line
 * (staging's bin/buildout and bootstrap-python are spies that log who ran
 * them), no login on production, no change in staging's or production's trees.
 * Before the validators, `buildout-user = -m` ran bin/buildout as root, hg's
 * `--config=hooks…` ran the hook and `effective-user = --reference=/etc/passwd`
 * made production's site root's.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { snapshotTree } from '../support/tree-snapshot';
import { BUILDOUT, startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { createRepositories, repoRoot } from '../../fixtures/site';
import { writeKnownHosts } from '../../fixtures/servers/test-home';

jest.setTimeout(900_000);

interface Case { host: string; option?: string; argument?: string; kind: string; commands: string[] }
interface Corpus {
  values: Record<string, string[]>;
  quoted: Record<string, string[]>;
  cases: Case[];
  quotedCases: Case[];
}

const corpus = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'injection', 'corpus.json'), 'utf8')) as Corpus;
// HOSTOUT_BIN lets the same corpus run against another build (how the pre-fix failures were seen).
const HOSTOUT = process.env.HOSTOUT_BIN ?? path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const gitSite = `/var/buildout/inj-git-${id}`;
const hgSite = `/var/buildout/inj-hg-${id}`;
const emptySite = `/var/buildout/inj-empty-${id}`;
const biPath = `/var/buildout/inj-bi-${id}`;

let prod: SshServer;
let work: string;
let markers: string;
let spyLog: string;
let home: string;
let hostBase: Record<string, Record<string, string>>;
let repos: { git: string; hg: string };
let configCount = 0;

function sh(cmd: string, args: string[], cwd?: string): void {
  execFileSync(cmd, args, { cwd, stdio: 'ignore', timeout: 60_000 });
}

beforeAll(async () => {
  prod = await startProductionSshServer({ etcOverlay: true });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'inj-e2e-'));
  fs.chmodSync(work, 0o755);
  markers = path.join(work, 'markers');
  fs.mkdirSync(markers, { mode: 0o777 });
  fs.chmodSync(markers, 0o777);
  spyLog = path.join(work, 'spy.log');
  fs.writeFileSync(spyLog, '');
  fs.chmodSync(spyLog, 0o666);
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
  const spy = (what: string) => `#!/bin/sh\necho "${what} ran as $(id -un)" >> ${spyLog}\n`;
  const spyPython = path.join(work, 'spy-python');
  fs.writeFileSync(spyPython, spy('bootstrap-python'), { mode: 0o755 });

  repos = createRepositories(path.join(work, 'repos'), BUILDOUT.name);
  // Cloned by the buildout user, who owns the repositories (git refuses other owners' repositories).
  for (const site of [gitSite, hgSite]) {
    fs.mkdirSync(site, { recursive: true });
    sh('chown', [BUILDOUT.name, site]);
  }
  sh('su', ['-s', '/bin/sh', BUILDOUT.name, '-c', `git clone -q ${repos.git} ${gitSite} && hg clone -q ${repos.hg} ${hgSite}`]);
  for (const site of [gitSite, hgSite]) {
    fs.mkdirSync(path.join(site, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(site, 'var'), { recursive: true });
    fs.writeFileSync(path.join(site, 'bin', 'buildout'), spy('bin/buildout'), { mode: 0o755 });
    sh('chown', ['-R', BUILDOUT.name, site]);
  }
  fs.mkdirSync(path.join(prod.varBuildout as string, path.basename(biPath)));

  const key = path.join(work, 'client_key');
  fs.copyFileSync(prod.clientKeyPath, key);
  fs.chmodSync(key, 0o600);
  const knownHosts = path.join(work, 'known_hosts');
  writeKnownHosts(knownHosts, prod);
  const login = { host: `127.0.0.1:${prod.port}`, user: 'root', 'identity-file': key, 'known-hosts-file': knownHosts };
  const pushdeploy = {
    extends: 'hostout.pushdeploy', 'buildout-user': BUILDOUT.name, 'effective-user': 'zope',
    'bootstrap-python': spyPython, restart: `touch ${path.join(markers, 'restart-ran')}`,
    'supervisor-conf': `${gitSite}/etc/site.conf`,
  };
  hostBase = {
    'pd-git': { ...login, ...pushdeploy, path: gitSite },
    'pd-hg': { ...login, ...pushdeploy, path: hgSite },
    'pd-empty': { ...login, ...pushdeploy, path: emptySite },
    bi: { ...login, path: biPath, 'buildout-user': BUILDOUT.name, 'effective-user': 'zope', 'buildout-group': BUILDOUT.name },
  };
}, 240_000);

afterAll(async () => {
  await prod?.stop();
  for (const p of [gitSite, hgSite, emptySite, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

/** One buildout.cfg with just this host, `option` set to `value` (newlines become continuation lines). */
function writeConfig(host: string, option: string | undefined, value: string | undefined): string {
  const options = { recipe: 'collective.hostout', ...hostBase[host], ...(option ? { [option]: value as string } : {}) };
  const lines = ['[buildout]', `parts = ${host}`, '', `[${host}]`];
  for (const [k, v] of Object.entries(options)) lines.push(`${k} = ${v.replace(/\n/g, '\n    ')}`);
  const file = path.join(work, `cfg-${++configCount}.cfg`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const fill = (s: string): string => s
  .replace(/@MARKER@/g, () => path.join(markers, `m${crypto.randomBytes(3).toString('hex')}`))
  .replace(/@GITREPO@/g, repos.git).replace(/@HGREPO@/g, repos.hg).replace(/@BIPATH@/g, biPath);

interface Run { label: string; code: number | null; stdout: string; stderr: string; ms: number; expectNamed: string; value: string }

function runOne(label: string, argv: string[], expectNamed: string, value: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOSTOUT, ...argv], {
      cwd: work, env: { PATH: process.env.PATH, HOME: home, USER: 'root', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ label, code, stdout, stderr, ms: Date.now() - started, expectNamed, value });
    });
  });
}

/** Every (case, command, value) of a case list as hostout argv. */
function expand(cases: Case[], values: Record<string, string[]>): Array<{ label: string; argv: string[]; named: string; value: string }> {
  const out: Array<{ label: string; argv: string[]; named: string; value: string }> = [];
  for (const c of cases) {
    for (const raw of values[c.kind] ?? []) {
      const value = fill(raw);
      for (const command of c.commands) {
        const words = command.split(' ').map((w) => (w === '@VALUE@' ? value : fill(w)));
        const cfg = writeConfig(c.host, c.option, c.option ? value : undefined);
        out.push({
          label: `${c.host} ${c.option ? `${c.option} = ${JSON.stringify(value)}` : `${c.argument} ${JSON.stringify(value)}`}: ${command}`,
          argv: ['-c', cfg, '--', c.host, ...words],
          named: c.option ?? (c.argument as string),
          value,
        });
      }
    }
  }
  return out;
}

/** Runs them two at a time (the machine has two cores). */
async function runAll(list: ReturnType<typeof expand>): Promise<Run[]> {
  const results: Run[] = [];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const item = list[next++];
      results.push(await runOne(item.label, item.argv, item.named, item.value));
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function state() {
  return {
    staging: [...snapshotTree(gitSite), ...snapshotTree(hgSite)],
    emptySiteExists: fs.existsSync(emptySite),
    production: snapshotTree(prod.varBuildout as string),
    productionEtc: snapshotTree(prod.etcUpper as string),
    logins: prod.acceptedLogins().length,
    passwd: fs.readFileSync('/etc/passwd', 'utf8') + fs.readFileSync('/etc/group', 'utf8'),
  };
}

test('every hostile value is refused with exit 2, naming option and value, and nothing runs or changes', async () => {
  const before = state();
  const list = expand(corpus.cases, corpus.values);
  expect(list.length).toBeGreaterThan(250);
  const started = Date.now();
  const results = await runAll(list);
  const wrong = results.filter((r) => {
    const shown = /^[\x21-\x7e]+$/.test(r.value) ? r.value : JSON.stringify(r.value);
    return r.code !== 2 || !r.stderr.includes(`${r.expectNamed} = ${shown}`) || /^\s+at /m.test(r.stderr);
  });
  expect(wrong.map((r) => `${r.label}\n  exit ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`)).toEqual([]);
  expect(fs.readdirSync(markers)).toEqual([]);
  expect(fs.readFileSync(spyLog, 'utf8')).toBe('');
  expect(state()).toEqual(before);
  // Refusals happen before any connection: each run is a process start and a config read.
  console.log(`${results.length} injection runs in ${Date.now() - started} ms; slowest ${Math.max(...results.map((r) => r.ms))} ms`);
});

test('paths with shell metacharacters are quoted: accepted, but no injected command runs', async () => {
  const list = expand(corpus.quotedCases, corpus.quoted);
  const results = await runAll(list);
  for (const r of results) {
    expect([r.label, /^\s+at /m.test(r.stderr)]).toEqual([r.label, false]);
    // The command ran with the path quoted and failed on it: a failed command (1), a refused
    // value (2), or sudo refused for lack of a password (77, after the unprivileged tries failed).
    expect([r.label, [1, 2, 77].includes(r.code ?? -1), r.code]).toEqual([r.label, true, r.code]);
  }
  expect(fs.readdirSync(markers)).toEqual([]);
  expect(fs.readFileSync(spyLog, 'utf8')).toBe('');
});

test('--dry-run of push plans the owner the real push sets (root login: rsync --chown, no chown -R)', async () => {
  const cfg = writeConfig('pd-git', undefined, undefined);
  // A site deployed before: the preview's `rsync --dry-run` cannot plan into a directory that
  // only the (not run) mkdir would create (rsync exit 3).
  fs.mkdirSync(path.join(prod.varBuildout as string, path.basename(gitSite), 'var'), { recursive: true });
  const dry = await runOne('dry', ['-c', cfg, '--dry-run', 'pd-git', 'push'], '', '');
  expect(dry.stderr).not.toMatch(/^\s+at /m);
  expect(`exit ${dry.code}\n${dry.stderr}`).toBe(`exit 0\n${dry.stderr}`);
  const planned = dry.stdout.split('\n').filter((l) => /rsync|chown/.test(l));
  // Before: rsync without --chown, then a `chown -R zope …` the real run (as root) never ran.
  expect(planned.find((l) => l.includes(`${gitSite}/./bin/`))).toContain('--chown=zope');
  expect(planned.filter((l) => /chown -R/.test(l))).toEqual([]);

  const real = await runOne('real', ['-c', cfg, '-v', 'pd-git', 'push'], '', '');
  expect([real.code, real.stderr]).toEqual([0, expect.any(String)]);
  const shipped = path.join(prod.varBuildout as string, path.basename(gitSite), 'bin', 'buildout');
  const zopeUid = Number(execFileSync('id', ['-u', 'zope'], { encoding: 'utf8' }).trim());
  expect(fs.statSync(shipped).uid).toBe(zopeUid);
  expect(`${real.stdout}${real.stderr}`).not.toMatch(/chown -R/);
});
