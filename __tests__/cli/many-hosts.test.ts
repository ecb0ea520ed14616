/**
 * Several hosts in one run, through the real `hostout` process: -P and the
 * `parallel` option, the failure policy (--keep-going), the exit statuses
 * over several hosts, the summary table, host-prefixed lines, --json events
 * checked against docs/events.schema.json. The hosts' commands are a local
 * fabfile that records when each host's command started and ended (nothing
 * connects); the same on real servers is in e2e-many-hosts.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { shellJoin } from '../../lib/transport/quote';
import { BIN, EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

const DIR = mkdtempSync(path.join(os.tmpdir(), 'hostout-many-'));
const HOSTS = ['h1', 'h2', 'h3', 'h4'];

const FABFILE = `
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const errors = require(${JSON.stringify(path.join(ROOT, 'dist', 'lib', 'errors.js'))});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Writes "<start> <end>" (ms) to stamp-<host>, and fails as the host's fail-with option says. */
async function stamped(ctx, ms) {
  const file = path.join(ctx.buildoutDirectory, 'stamp-' + ctx.name);
  const start = Date.now();
  ctx.log.info('working for ' + ms + ' ms');
  await sleep(Number(ctx.options['work-ms'] || ms || 600));
  fs.writeFileSync(file, start + ' ' + Date.now());
  ctx.report({ kind: 'work', step: 'slept', subject: ctx.name, durationMs: Date.now() - start, fields: { ms: Number(ctx.options['work-ms'] || ms || 600), fake: true } });
  const how = ctx.options['fail-with'];
  if (how === 'command') throw new errors.CommandError('deliberate failure', { host: ctx.name, command: 'work', status: 3 });
  if (how === 'locked') throw new errors.LockedError('locked by another deploy (deployer@staging, pid 42)', { host: ctx.name, holder: 'deployer@staging' });
  if (how === 'unreachable') throw new errors.TransportError('connection refused by 127.0.0.1 port 9', { host: ctx.name, kind: 'unreachable' });
  ctx.log.warn('a warning from ' + ctx.name);
  return 'done on ' + ctx.name;
}
module.exports = { commands: {
  work: { description: 'Work for MS ms', run: stamped },
  second: { description: 'A second command', run: (ctx) => { ctx.log.info('second on ' + ctx.name); return ctx.name; } },
} };
`;

function writeConfig(extra: Record<string, string[]> = {}, main: string[] = []): void {
  const parts = [...HOSTS, ...Object.keys(extra).filter((h) => !HOSTS.includes(h))];
  const lines = ['[buildout]', `parts = ${parts.join(' ')}`, ...main, ''];
  for (const h of parts) {
    lines.push(`[${h}]`, 'recipe = collective.hostout', 'host = 127.0.0.1', 'user = tester', 'fabfiles = fabfile.js', ...(extra[h] ?? []), '');
  }
  writeFileSync(path.join(DIR, 'buildout.cfg'), lines.join('\n'));
}

/** Each host's [start, end] from its stamp file (undefined: the command never ran there). */
function stamps(hosts = HOSTS): Record<string, [number, number] | undefined> {
  return Object.fromEntries(hosts.map((h) => {
    const f = path.join(DIR, `stamp-${h}`);
    return [h, existsSync(f) ? (readFileSync(f, 'utf8').split(' ').map(Number) as [number, number]) : undefined];
  }));
}

/** The most hosts whose [start, end] intervals overlap at one moment. */
function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of points) { now += d; most = Math.max(most, now); }
  return most;
}

function run(args: string[]) {
  for (const h of [...HOSTS, 'h5']) rmSync(path.join(DIR, `stamp-${h}`), { force: true });
  return hostout(args, DIR);
}

beforeAll(() => {
  writeFileSync(path.join(DIR, 'fabfile.js'), FABFILE);
});
beforeEach(() => writeConfig());
afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  rmSync(EMPTY_HOME, { recursive: true, force: true });
});

describe('how many hosts at once', () => {
  test('default: one host after the other, in the order given', () => {
    const r = run([...HOSTS, 'work', '300']);
    expect(r.code).toBe(0);
    const s = stamps();
    const intervals = HOSTS.map((h) => s[h] as [number, number]);
    expect(maxOverlap(intervals)).toBe(1);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i][0]).toBeGreaterThanOrEqual(intervals[i - 1][1]);
  });

  test('-P 4: all four at once', () => {
    const r = run(['-P', '4', ...HOSTS, 'work', '1500']);
    expect(r.code).toBe(0);
    expect(maxOverlap(Object.values(stamps()) as [number, number][])).toBe(4);
  });

  test('--parallel 2 (and -P2): never more than two at once', () => {
    for (const opt of [['--parallel', '2'], ['-P2']]) {
      const r = run([...opt, ...HOSTS, 'work', '800']);
      expect(r.code).toBe(0);
      expect(maxOverlap(Object.values(stamps()) as [number, number][])).toBe(2);
    }
  });

  test('`parallel` in [buildout], or in the host parts (the smallest wins), and -P over both', () => {
    writeConfig({}, ['parallel = 3']);
    expect(run([...HOSTS, 'work', '1200']).code).toBe(0);
    expect(maxOverlap(Object.values(stamps()) as [number, number][])).toBe(3);
    writeConfig({ h1: ['parallel = 4'], h2: ['parallel = 2'] }, ['parallel = 3']);
    expect(run([...HOSTS, 'work', '800']).code).toBe(0);
    expect(maxOverlap(Object.values(stamps()) as [number, number][])).toBe(2);
    expect(run(['-P', '1', ...HOSTS, 'work', '200']).code).toBe(0);
    expect(maxOverlap(Object.values(stamps()) as [number, number][])).toBe(1);
  });

  test('a bad value: usage error (exit 2) for -P, configuration error naming the option for `parallel`', () => {
    for (const bad of ['0', 'two', '-1']) {
      const r = run([`--parallel=${bad}`, 'h1', 'work']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('-P/--parallel must be a whole number of hosts, 1 or more');
    }
    writeConfig({}, ['parallel = many']);
    const r = run(['h1', 'h2', 'work']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[buildout] parallel must be a whole number of hosts, 1 or more (got 'many')");
    expect(stamps().h1).toBeUndefined();
  });

  test('the commands of one host stay in order while hosts run side by side', () => {
    const r = run(['-P', '4', ...HOSTS, 'work', 'second']);
    expect(r.code).toBe(0);
    for (const h of HOSTS) {
      const lines = r.stdout.split('\n').filter((l) => l.startsWith(`[${h}] `));
      const work = lines.findIndex((l) => l.includes("Running command 'work'"));
      const second = lines.findIndex((l) => l.includes('second on'));
      expect(work).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThan(work);
    }
  });
});

describe('output of several hosts in a pipe', () => {
  test('every line carries its host, whole; the run ends with the summary table', () => {
    const r = run(['-P', '4', ...HOSTS, 'work', '300']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const summaryAt = lines.findIndex((l) => /^host +commands +result +time$/.test(l));
    expect(summaryAt).toBeGreaterThan(0);
    for (const l of lines.slice(0, summaryAt)) {
      if (l.startsWith('Return value:')) continue;
      expect(l).toMatch(/^\[h[1-4]\] (Hostout: Running command 'work' from 'fabfile\.js'|working for 300 ms)$/);
    }
    expect(lines.slice(summaryAt + 1)).toEqual(HOSTS.map((h) => expect.stringMatching(new RegExp(`^${h} +work +ok +\\d+\\.\\d s$`))));
    // Warnings (stderr) carry their host too.
    expect(r.stderr.trimEnd().split('\n').sort()).toEqual(HOSTS.map((h) => `[${h}] warning: a warning from ${h}`));
  });

  test('one host: the original\'s output, no prefix and no table', () => {
    const r = run(['h1', 'work', '10']);
    expect(r).toMatchObject({ code: 0, stdout: "Hostout: Running command 'work' from 'fabfile.js'\nworking for 10 ms\nReturn value: done on h1\n" });
  });
});

describe('on a terminal', () => {
  /** The text of every frame listr2 drew (a pty from util-linux `script`, CI unset). */
  function onTerminal(args: string[]): { code: number | null; screen: string } {
    const r = spawnSync('script', ['-qec', `stty cols 100 rows 40; ${shellJoin([process.execPath, BIN, ...args])}`, '/dev/null'], {
      cwd: DIR, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: EMPTY_HOME, USER: 'tester', TERM: 'xterm' },
    });
    if (r.error) throw r.error;
    return { code: r.status, screen: r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') };
  }

  test('hosts side by side, each with its running command and its step; waiting hosts say so; then the summary', () => {
    const { code, screen } = onTerminal(['-P', '2', 'h1', 'h2', 'h3', 'work', '1500']);
    expect(code).toBe(0);
    // Each frame starts with h1's line: some frame shows both running hosts' steps, and h3 waiting.
    const frames = screen.split(/\n(?=\S+ h1\b)/);
    const sideBySide = frames.filter((f) => (f.match(/^ +› working for 1500 ms$/gm) ?? []).length === 2 && /^\S+ h3 \(waiting\)$/m.test(f));
    expect(sideBySide.length).toBeGreaterThan(0);
    // Steps are shown under their own host: h1's block, then h2's.
    expect(sideBySide[0]).toMatch(/^❯ h1\n {2}\S+ work\n( {4}› .*\n)* {4}› working for 1500 ms\n❯ h2\n {2}\S+ work\n( {4}› .*\n)* {4}› working for 1500 ms\n/m);
    expect(screen).toMatch(/✔ h3\n +✔ work/);
    expect(screen.trimEnd().split('\n').slice(-4)).toEqual([
      expect.stringMatching(/^host +commands +result +time$/), expect.stringMatching(/^h1 +work +ok/), expect.stringMatching(/^h2 +work +ok/), expect.stringMatching(/^h3 +work +ok/),
    ]);
  });
});

describe('failure policy and exit statuses', () => {
  test('default: after a failure no new host starts, the running ones finish; some ok and some failed: 3', () => {
    writeConfig({ h2: ['fail-with = command', 'work-ms = 100'] });
    const r = run(['-P', '2', ...HOSTS, 'work', '1500']);
    expect(r.code).toBe(3);
    const s = stamps();
    expect(s.h1).toBeDefined(); // was running when h2 failed: finished
    expect(s.h2).toBeDefined();
    expect(s.h3).toBeUndefined(); // never started
    expect(s.h4).toBeUndefined();
    expect(r.stderr).toContain('hostout: [h2] deliberate failure');
    const table = r.stdout.slice(r.stdout.indexOf('host '));
    expect(table).toMatch(/^h1 +work +ok +/m);
    expect(table).toMatch(/^h2 +- +failed \(1\) +/m);
    expect(table).toMatch(/^h3 +- +not started +-$/m);
    expect(table).toMatch(/^h4 +- +not started +-$/m);
    expect(r.stdout).not.toContain('Return value');
  });

  test('--keep-going: every host runs; still 3', () => {
    writeConfig({ h2: ['fail-with = command'] });
    const r = run(['--keep-going', ...HOSTS, 'work', '50']);
    expect(r.code).toBe(3);
    expect(Object.values(stamps()).every(Boolean)).toBe(true);
    expect(r.stdout).toMatch(/^h4 +work +ok +/m);
  });

  test('every host that ran failed the same way: that status (1 command, 69 unreachable, 75 locked); mixed: 1', () => {
    const cases: Array<[string, string, number]> = [['command', 'command', 1], ['unreachable', 'unreachable', 69], ['locked', 'locked', 75], ['unreachable', 'locked', 1]];
    for (const [a, b, code] of cases) {
      writeConfig({ h1: [`fail-with = ${a}`], h2: [`fail-with = ${b}`] });
      const r = run(['--keep-going', 'h1', 'h2', 'work', '10']);
      expect({ a, b, code: r.code }).toEqual({ a, b, code });
    }
    // One host: its own status.
    writeConfig({ h1: ['fail-with = locked'] });
    const one = run(['h1', 'work', '10']);
    expect(one.code).toBe(75);
    expect(one.stderr).toBe('hostout: [h1] locked by another deploy (deployer@staging, pid 42)\n');
  });

  test('a first host failing stops the run there: its status, the others not started', () => {
    writeConfig({ h1: ['fail-with = unreachable'] });
    const r = run([...HOSTS, 'work', '10']);
    expect(r.code).toBe(69);
    expect(stamps()).toMatchObject({ h2: undefined, h3: undefined, h4: undefined });
  });
});

describe('ctx.report', () => {
  test('under -v a plugin step is a line of its own; without -v it is not shown', () => {
    const verbose = run(['-v', 'h1', 'work', '100']);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toMatch(/^\[h1\] work slept h1 \(\d+\.\d s; ms=100; fake=true\)$/m);
    expect(run(['h1', 'work', '100']).stdout).not.toContain('work slept');
  });
});

describe('--json', () => {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'docs', 'events.schema.json'), 'utf8')));

  test('newline-delimited events on stdout, valid against docs/events.schema.json; human output on stderr', () => {
    writeConfig({ h3: ['fail-with = command'] });
    const r = run(['--json', '-P', '2', '--keep-going', ...HOSTS, 'work', '100']);
    expect(r.code).toBe(3);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    for (const e of events) {
      if (!validate(e)) throw new Error(`${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
    }
    expect(events[0]).toMatchObject({ type: 'run-start', version: 1, hosts: HOSTS, commands: ['work'], args: ['100'], options: { parallel: 2, keepGoing: true, rollback: true, dryRun: false } });
    const end = events[events.length - 1];
    expect(end).toMatchObject({ type: 'run-end', exitStatus: 3, interrupted: false });
    expect(end.summary.map((s: { host: string; result: string }) => [s.host, s.result])).toEqual([['h1', 'ok'], ['h2', 'ok'], ['h3', 'failed'], ['h4', 'ok']]);
    for (const h of HOSTS) {
      const mine = events.filter((e) => e.host === h).map((e) => e.type);
      expect(mine[0]).toBe('host-start');
      expect(mine[mine.length - 1]).toBe('host-end');
      expect(mine).toContain('command-start');
      expect(mine).toContain('command-end');
    }
    expect(events).toContainEqual(expect.objectContaining({ type: 'command-end', host: 'h3', command: 'work', status: 'failed', error: '[h3] deliberate failure' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', host: 'h1', message: 'a warning from h1' }));
    // A plugin's own step (ctx.report), with the command and the plugin that reported it.
    const slept = events.filter((e) => e.type === 'plugin-step');
    expect(slept.map((e) => e.host).sort()).toEqual(HOSTS);
    expect(slept[0]).toMatchObject({ command: 'work', plugin: 'fabfile.js', kind: 'work', step: 'slept', fields: { ms: 100, fake: true } });
    expect(slept[0].durationMs).toBeGreaterThanOrEqual(90);
    // People's output went to stderr: the progress lines and the table.
    expect(r.stderr).toContain("[h1] Hostout: Running command 'work' from 'fabfile.js'");
    expect(r.stderr).toMatch(/^h3 +- +failed \(1\)/m);
  });
});
