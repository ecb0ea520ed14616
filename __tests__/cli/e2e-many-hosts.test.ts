/**
 * Several hosts on real servers: four production sshds (each in its own mount
 * namespace, so each has its own /var/buildout), the real `hostout` process,
 * pushdeploy's deploy of one staged site to all four at once. Checks what
 * arrived on each server, the --json events of that deploy against
 * docs/events.schema.json (ajv), rsync's statistics, one login per host, the
 * run log, an unreachable host (69, and 3 next to a good one), and Ctrl-C
 * with two hosts running (130, the summary), and an all-or-nothing release
 * across the four (a plugin's phases) with a failure injected at each phase
 * on one host. Needs root (CI is root).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { startProductionSshServer, type SshServer } from '../../fixtures/servers';
import { freePort } from '../../fixtures/servers/ssh-server';
import { repoRoot, writeHostoutConfig } from '../../fixtures/site';
import { writeKnownHosts } from '../../fixtures/servers/test-home';
import { startInterruptedCli } from '../support/interrupted-cli';

jest.setTimeout(240_000);

const HOSTOUT = path.join(repoRoot(), 'bin', 'hostout.js');
const id = crypto.randomBytes(4).toString('hex');
const site = `mh-e2e-${id}`;
const staging = `/var/buildout/${site}`;
const SECRET = `pw-${id}-not-for-logs`;
const WEB = ['web1', 'web2', 'web3', 'web4'];

let servers: SshServer[] = [];
let work: string;
let cfg: string;
const files: string[] = [];

/**
 * A plugin whose `release` command has phases: releases are directories
 * releases/ID with a `version` file, `current` is a symlink flipped by
 * rename, every restart appends to `restarts`. `fail-at` (an assignment on
 * the command line) makes one phase fail on a host: prepare, flip, restart,
 * health, or lost (the host's ssh connection is killed during activate).
 */
const RELEASE_PLUGIN = `
'use strict';
const q = (s) => "'" + String(s).replace(/'/g, "'\\\\''") + "'";
async function sh(ctx, line) {
  return (await ctx.remote.run('mkdir -p ' + q(ctx.options.path) + ' && cd ' + q(ctx.options.path) + ' && ' + line)).stdout.trim();
}
const failAt = (ctx, phase) => ctx.options['fail-at'] === phase;
module.exports = {
  phases: { release: { prepare: 'rel_prepare', flip: 'rel_flip', activate: 'rel_activate', rollback: 'rel_rollback' } },
  commands: {
    release: { description: 'Prepare, flip and activate release ID', async run(ctx, id) {
      await ctx.call('rel_prepare', id); await ctx.call('rel_flip', id); return ctx.call('rel_activate');
    } },
    rel_prepare: { description: 'Make release ID, not live', async run(ctx, id) {
      if (failAt(ctx, 'prepare')) await sh(ctx, 'echo no space left >&2; exit 28');
      const live = await sh(ctx, 'mkdir -p releases/' + q(id) + ' && echo ' + q(id) + ' > releases/' + q(id) + '/version && (readlink current || echo -)');
      return { release: id, live: live.replace('releases/', '') };
    } },
    rel_flip: { description: 'Make release ID live', async run(ctx, id) {
      if (failAt(ctx, 'flip')) await sh(ctx, 'exit 7');
      const from = await sh(ctx, '(readlink current || echo -) && ln -sfn releases/' + q(id) + ' current.new && mv -T current.new current');
      return from.replace('releases/', '');
    } },
    rel_activate: { description: 'Restart and check the live release', async run(ctx) {
      await sh(ctx, (failAt(ctx, 'restart') ? 'false' : 'true') + ' && date +%s%N >> restarts');
      if (failAt(ctx, 'lost')) await sh(ctx, 'kill -9 $PPID');
      if (failAt(ctx, 'slow')) { ctx.log.info('activating slowly'); await sh(ctx, 'sleep 20'); }
      await sh(ctx, failAt(ctx, 'health') ? 'test -e no-such-file' : 'test -e current/version');
      return 'live';
    } },
    rel_rollback: { description: 'Make release ID live again and restart', async run(ctx, id) {
      await sh(ctx, 'ln -sfn releases/' + q(id) + ' current.new && mv -T current.new current && date +%s%N >> restarts');
    } },
  },
};
`;

interface Run { code: number | null; stdout: string; stderr: string }

function hostout(args: string[]): Run {
  const r = spawnSync('node', [HOSTOUT, '-c', cfg, ...args], { cwd: work, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Production's copy of the site on server i, as this machine sees it. */
const prodSite = (i: number) => path.join(servers[i].varBuildout as string, site);

function buildStaging(): void {
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, 'buildout.cfg'), '[buildout]\nparts =\n');
  for (let i = 0; i < 300; i++) {
    const top = i % 30 === 0 ? 'bin' : i % 3 === 0 ? 'parts' : 'eggs';
    const dir = path.join(staging, top, top === 'bin' ? '' : `pkg${i % 10}`);
    fs.mkdirSync(dir, { recursive: true });
    const f = path.join(dir, `f${i}.py`);
    fs.writeFileSync(f, crypto.randomBytes(2000).toString('base64'));
    files.push(f);
  }
  fs.mkdirSync(path.join(staging, 'var', 'log'), { recursive: true });
  fs.mkdirSync(path.join(staging, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(staging, 'etc', 'site.conf'), 'x = 1\n');
}

beforeAll(async () => {
  servers = await Promise.all(WEB.map(() => startProductionSshServer({ authorizeClientKeyFor: ['root'] })));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mh-e2e-'));
  buildStaging();
  const knownHosts = path.join(work, 'known_hosts');
  writeKnownHosts(knownHosts, ...servers);
  const down = await freePort(); // nothing listens there
  const common = (i: number | undefined) => {
    const key = path.join(work, `key${i ?? 'down'}`);
    fs.copyFileSync(servers[i ?? 0].clientKeyPath, key);
    fs.chmodSync(key, 0o600);
    return {
      host: `127.0.0.1:${i === undefined ? down : servers[i].port}`, 'identity-file': key, 'known-hosts-file': knownHosts,
      user: 'root', path: staging, 'buildout-user': 'root', 'effective-user': 'zope',
      restart: 'date +%s%N > restarted',
    };
  };
  cfg = path.join(work, 'buildout.cfg');
  fs.writeFileSync(path.join(work, 'release.js'), RELEASE_PLUGIN);
  writeHostoutConfig(cfg, {
    ...Object.fromEntries(WEB.map((w, i) => [w, { ...common(i), fabfiles: path.join(work, 'release.js'), ...(i === 0 ? { password: SECRET } : {}) }])),
    down: common(undefined),
  });
});

afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.stop()));
  for (const p of [staging, work]) if (p) fs.rmSync(p, { recursive: true, force: true });
});

const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(fs.readFileSync(path.join(repoRoot(), 'docs', 'events.schema.json'), 'utf8')));

/** The fields these tests read; the schema checks the rest. */
interface Ev { type: string; host?: string; kind?: string; command?: string; line: string; status: unknown; durationMs: number; filesSent: number; summary: Array<{ host: string; result: string }> }

function events(stdout: string): Ev[] {
  const list = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Ev);
  for (const e of list) if (!validate(e)) throw new Error(`invalid event ${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
  return list;
}

describe('deploy to four production servers at once', () => {
  test('--json -P 4: every event valid; the four hosts ran side by side, one login each; the site arrived everywhere', () => {
    const logins = servers.map((s) => s.acceptedLogins('root').length);
    const r = hostout(['--json', '-P', '4', ...WEB, 'deploy']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const ev = events(r.stdout);
    expect(ev[0]).toMatchObject({ type: 'run-start', version: 1, hosts: WEB, commands: ['deploy'], options: { parallel: 4 } });
    // Side by side: every host started before the first one ended.
    const firstEnd = ev.findIndex((e) => e.type === 'host-end');
    expect(ev.slice(0, firstEnd).filter((e) => e.type === 'host-start').map((e) => e.host).sort()).toEqual(WEB);
    for (const [i, w] of WEB.entries()) {
      const mine = ev.filter((e) => e.host === w);
      // Steps: the remote setup, the rsyncs and the restart line, each with its exit status and time.
      // With several hosts pushdeploy's deploy runs all or nothing: prepare everywhere, then flip, then activate,
      // then finish (prune, and the deploy lock held since prepare given back).
      const steps = mine.filter((e) => e.type === 'step');
      expect(steps.map((s) => s.kind)).toEqual(expect.arrayContaining(['remote', 'rsync']));
      expect(steps.every((s) => s.status === 0 && ['prepare', 'flip', 'activate', 'finish'].includes(s.command ?? '') && s.durationMs >= 0)).toBe(true);
      expect(steps[steps.length - 1].command).toBe('finish');
      expect(steps.find((s) => s.line.includes('restarted'))?.command).toBe('activate');
      expect(steps.filter((s) => s.kind === 'rsync').every((s) => s.command === 'prepare')).toBe(true);
      // rsync's own figures: the first deploy sent every file of bin, eggs and parts.
      const sent = mine.filter((e) => e.type === 'rsync').reduce((n, e) => n + e.filesSent, 0);
      expect(sent).toBeGreaterThanOrEqual(files.length);
      expect(mine[mine.length - 1]).toMatchObject({ type: 'host-end', result: 'ok', exitStatus: 0 });
      for (const f of files.slice(0, 20)) expect(fs.readFileSync(path.join(prodSite(i), path.relative(staging, f)), 'utf8')).toBe(fs.readFileSync(f, 'utf8'));
      expect(fs.existsSync(path.join(prodSite(i), 'restarted'))).toBe(true);
      expect(servers[i].acceptedLogins('root').length - logins[i]).toBe(1);
    }
    // Staging is listed once for the four hosts (pushdeploy asks ctx.once), by whichever host asked first.
    expect(ev.filter((e) => e.type === 'step' && e.kind === 'local' && e.line.includes(' -printf ')).length).toBe(1);
    const end = ev[ev.length - 1];
    expect(end).toMatchObject({ type: 'run-end', exitStatus: 0, interrupted: false, log: path.join(work, 'var', 'log', 'hostout.log') });
    expect(end.summary.map((s: { result: string }) => s.result)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // People's output (with --json) went to stderr, host by host.
    expect(r.stderr).toMatch(/^\[web3\] /m);
  });

  test('a 1% change: rsync reports only the changed files; in a pipe every line carries its host, then the summary', () => {
    const changed = files.filter((_, i) => i % 100 === 1);
    for (const f of changed) fs.writeFileSync(f, crypto.randomBytes(2000).toString('base64'));
    const jsonRun = hostout(['--json', '-P', '4', ...WEB, 'deploy']);
    expect(jsonRun.code).toBe(0);
    for (const w of WEB) {
      const sent = events(jsonRun.stdout).filter((e) => e.type === 'rsync' && e.host === w).reduce((n, e) => n + e.filesSent, 0);
      expect(sent).toBe(changed.length);
    }
    // The run end counts each host's round trips besides the login and rsync: its remote, sudo, put and get steps.
    const ev = events(jsonRun.stdout);
    const end = ev[ev.length - 1];
    for (const w of WEB) {
      const answered = ev.filter((e) => e.type === 'step' && e.host === w && ['remote', 'sudo', 'put', 'get'].includes(e.kind ?? '')).length;
      expect(answered).toBeGreaterThan(0);
      expect(end.summary.find((s) => s.host === w)).toMatchObject({ host: w, roundTrips: answered });
    }
    const r = hostout(['-P', '4', ...WEB, 'deploy']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const table = lines.findIndex((l) => /^host +commands +result +release before +release after +time$/.test(l));
    expect(table).toBeGreaterThan(0);
    for (const l of lines.slice(0, table)) expect(l).toMatch(/^(\[web[1-4]\] |all or nothing: )\S/);
    expect(lines.slice(table + 1)).toEqual(WEB.map((w) => expect.stringMatching(new RegExp(`^${w} +prepare flip activate +ok +\\S+ +\\S+ +\\d`))));
  });

  test('the run log: every run appended, each host\'s commands and output, secrets masked, 0600', () => {
    const r = hostout(['web1', 'run', 'echo', SECRET]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    const logFile = path.join(work, 'var', 'log', 'hostout.log');
    const log = fs.readFileSync(logFile, 'utf8');
    expect(fs.statSync(logFile).mode & 0o777).toBe(0o600);
    expect(log).not.toContain(SECRET);
    expect(log).toMatch(/^\S+Z \[web1\] command: run: ok in \d+ ms$/m);
    expect(log).toMatch(/^\S+Z \[web1\] step: remote exit 0 in \d+ ms: echo \*{8}$/m);
    for (const w of WEB) expect(log).toMatch(new RegExp(`^\\S+Z \\[${w}\\] command: activate: ok in \\d+ ms$`, 'm'));
    expect(log).toMatch(/^\S+Z - rsync|^\S+Z \[web2\] rsync: \d+ files sent, \d+ bytes sent, 0 deleted$/m);
    expect(log.match(/^\S+Z - run: exit status 0$/gm)?.length).toBeGreaterThanOrEqual(4);
  });
});

describe('hosts that cannot be reached', () => {
  test('alone: exit 69; a run that reached no host writes no run log and points at none', () => {
    const logFile = path.join(work, 'var', 'log', 'hostout.log');
    const before = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : undefined;
    const r = hostout(['down', 'run', 'true']);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/^hostout: \[down\] .*refused/m);
    expect(`${r.stdout}${r.stderr}`).not.toContain('the log of this run');
    expect(fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : undefined).toBe(before);
  });

  test('next to a good host: 3; the summary says which', () => {
    const r = hostout(['web1', 'down', 'web2', 'run', 'true']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^web1 +run +ok/m);
    expect(r.stdout).toMatch(/^down +- +failed \(69\)/m);
    expect(r.stdout).toMatch(/^web2 +- +not started +-$/m);
    const kept = hostout(['--keep-going', 'web1', 'down', 'web2', 'run', 'true']);
    expect(kept.code).toBe(3);
    expect(kept.stdout).toMatch(/^web2 +run +ok/m);
  });
});

describe('Ctrl-C with several hosts running', () => {
  test('no new host starts, the running ones are stopped, exit 130 with the summary', async () => {
    const cli = startInterruptedCli('node', [HOSTOUT, '-c', cfg, '-P', '2', 'web1', 'web2', 'web3', 'run', 'sleep 30 && touch slept'], {
      cwd: work, env: { ...process.env, CI: 'true' },
    });
    try {
      const started = (stdout: string) => stdout.includes("[web1] Hostout: Running command 'run'") && stdout.includes("[web2] Hostout: Running command 'run'");
      await cli.until(started, 'the hosts did not start', 60_000, 1500); // then the remote sleeps are running
      const t = Date.now();
      const code = await cli.interrupt(20_000);
      expect(code).toBe(130);
      expect(Date.now() - t).toBeLessThan(12_000);
      expect(cli.stderr).toContain('Stopped.');
      expect(cli.stdout).toMatch(/^web1 +- +interrupted \(130\)/m);
      expect(cli.stdout).toMatch(/^web2 +- +interrupted \(130\)/m);
      expect(cli.stdout).toMatch(/^web3 +- +not started +-$/m);
      expect(cli.stdout).not.toContain('[web3]');
    } finally {
      cli.dispose();
    }
  });
});

describe('all or nothing across four hosts (a plugin with phases)', () => {
  const live = (i: number) => { try { return fs.readlinkSync(path.join(prodSite(i), 'current')).replace('releases/', ''); } catch { return '-'; } };
  const restarts = (i: number) => { try { return fs.readFileSync(path.join(prodSite(i), 'restarts'), 'utf8').trim().split('\n').length; } catch { return 0; } };
  const row = (out: string, host: string) => out.split('\n').find((l) => l.startsWith(`${host} `)) ?? '';

  test('every host prepared, then flipped, then activated: all live on the new release', () => {
    const r = hostout(['-P', '4', ...WEB, 'release', 'r1']);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    for (const i of [0, 1, 2, 3]) expect(live(i)).toBe('r1');
    expect(r.stdout).toMatch(/^host +commands +result +release before +release after +time$/m);
    for (const w of WEB) expect(row(r.stdout, w)).toMatch(new RegExp(`^${w} +rel_prepare rel_flip rel_activate +ok +- +r1 +`));
    // Phases in order: no host flipped before every host prepared.
    const at = (what: string) => r.stdout.split('\n').map((l, n) => (l.includes(`Running command '${what}'`) ? n : -1)).filter((n) => n >= 0);
    expect(Math.max(...at('rel_prepare'))).toBeLessThan(Math.min(...at('rel_flip')));
    expect(Math.max(...at('rel_flip'))).toBeLessThan(Math.min(...at('rel_activate')));
  });

  test.each([
    ['prepare', 'stopped'],
    ['flip', 'rolled back'],
    ['restart', 'rolled back'],
    ['health', 'rolled back'],
    ['lost', 'rolled back'],
  ])('a failure at %s on web3: every host ends on the release before (%s), exit 1 (74 for the lost connection)', (phase, others) => {
    const before = [0, 1, 2, 3].map(restarts);
    const id = `r-${phase}`;
    const r = hostout([`web3:fail-at=${phase}`, '-P', '4', ...WEB, 'release', id]);
    const status = phase === 'lost' ? 74 : 1;
    expect({ phase, code: r.code }).toEqual({ phase, code: status });
    for (const i of [0, 1, 2, 3]) expect({ host: WEB[i], live: live(i) }).toEqual({ host: WEB[i], live: 'r1' });
    // web3 knows its live release only once its prepare said it.
    expect(row(r.stdout, 'web3')).toMatch(phase === 'prepare' ? /^web3 .* failed \(1\) +\? +\? +/ : new RegExp(`^web3 .* failed \\(${status}\\) +r1 +r1 +`));
    for (const w of ['web1', 'web2', 'web4']) expect(row(r.stdout, w)).toMatch(new RegExp(`^${w} .* ${others} +r1 +r1 +`));
    expect(r.stderr).toMatch(/^hostout: \[web3\] /m);
    // Hosts that went live were restarted on the release before; a prepare failure restarted nothing.
    for (const i of [0, 1, 3]) expect(restarts(i) - before[i]).toBe(phase === 'prepare' ? 0 : phase === 'flip' ? 1 : 2);
  });

  test('--no-rollback: the hosts that went live stay live, the failed one says where it is; exit 3', () => {
    const r = hostout(['web3:fail-at=health', '--no-rollback', '-P', '4', ...WEB, 'release', 'r2']);
    expect(r.code).toBe(3);
    for (const i of [0, 1, 2, 3]) expect(live(i)).toBe('r2');
    for (const w of ['web1', 'web2', 'web4']) expect(row(r.stdout, w)).toMatch(new RegExp(`^${w} .* ok +r1 +r2 +`));
    expect(row(r.stdout, 'web3')).toMatch(/^web3 .* failed \(1\) +r1 +r2 +/);
  });

  test('Ctrl-C after the flips: every host that went live is flipped back and restarted, then 130', async () => {
    const before = [0, 1, 2, 3].map(live);
    const cli = startInterruptedCli('node', [HOSTOUT, '-c', cfg, 'web2:fail-at=slow', '-P', '4', ...WEB, 'release', 'r-int'], {
      cwd: work, env: { ...process.env, CI: 'true' },
    });
    try {
      await cli.until((stdout) => stdout.includes('[web2] activating slowly'), 'web2 never activated', 90_000, 500);
      for (const i of [0, 1, 2, 3]) expect(live(i)).toBe('r-int');
      const code = await cli.interrupt(30_000);
      expect(code).toBe(130);
      for (const i of [0, 1, 2, 3]) expect({ host: WEB[i], live: live(i) }).toEqual({ host: WEB[i], live: before[i] });
      expect(row(cli.stdout, 'web2')).toMatch(new RegExp(`^web2 .* ${before[1]} +${before[1]} +`));
    } finally {
      cli.dispose();
    }
  });
});
