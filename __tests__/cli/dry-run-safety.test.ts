/**
 * A dry run can never turn real. Every option of the table (lib/cli/options.ts),
 * correctly spelled and mistyped, at every position of a command line that
 * asks for a dry run, either runs dry or stops with exit 2 before anything
 * runs.
 *
 * - The bulk runs `main()` in this process (hundreds of command lines): the
 *   command `mark` really runs `touch MARKER` through ctx.local.run, so a run
 *   that turned real leaves the file behind; it also returns whether ctx.dryRun
 *   was set.
 * - A representative set runs the real `hostout` process against a real sshd:
 *   `run touch FILE` on the server, then the file must not exist and, for every
 *   refusal and every --offline run, sshd's log must show no login. A real run
 *   of the same line first proves the check sees a change and a login.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';
import { OPTIONS, type OptionSpec } from '../../lib/cli/options';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { EMPTY_HOME, hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-dry-site-'));
const MARKER = path.join(SITE, 'marker');

/** The ways people mistype an option, generated from its name. */
function typos(spec: OptionSpec): string[][] {
  const n = spec.name;
  const forms = new Set<string>([
    `--${n.replace(/-/g, '')}`,
    `--${n.replace(/-/g, '_')}`,
    `--${n[0].toUpperCase()}${n.slice(1)}`,
    `--${n[0]}${n[2]}${n[1]}${n.slice(3)}`, // two letters swapped
    `--${n.slice(0, -1)}`, // the last letter missing
    `-${n}`,
    `\u2014${n}`, // a word processor's em dash
    `\u2013${n}`, // an en dash
  ]);
  forms.delete(`--${n}`);
  const value = spec.type === 'value' ? ['buildout.cfg'] : [];
  const words = [...forms].map((f) => [f, ...value]);
  if (spec.type === 'flag') words.push([`--${n}=1`]);
  return words;
}

/** The option itself, in its long and (when it has one) short form. */
function spellings(spec: OptionSpec): string[][] {
  const value = spec.type === 'value' ? ['buildout.cfg'] : [];
  return [[`--${spec.name}`, ...value], ...(spec.short ? [[`-${spec.short}`, ...value]] : [])];
}

/** The positions of issue 11: before the hosts, between hosts and commands, after the commands, after an argument, after `--`. */
const POSITIONS: Record<string, (x: string[]) => string[]> = {
  'before the hosts': (x) => [...x, 'web', 'mark', 'a'],
  'between hosts and command': (x) => ['web', ...x, 'mark', 'a'],
  'after the command': (x) => ['web', 'mark', ...x, 'a'],
  'after an argument': (x) => ['web', 'mark', 'a', ...x],
  'right after --': (x) => ['web', 'mark', '--', ...x, 'a'],
  'after -- and an argument': (x) => ['web', 'mark', '--', 'a', ...x],
};

async function runInProcess(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, {
    stdout: (t) => { out += t; },
    stderr: (t) => { out += t; },
    cwd: SITE,
    env: { PATH: process.env.PATH, HOME: EMPTY_HOME, USER: 'tester', CI: 'true' },
  });
  return { code, out };
}

beforeAll(() => {
  writeFileSync(path.join(SITE, 'buildout.cfg'), [
    '[buildout]', 'parts = web', '',
    '[web]', 'recipe = collective.hostout', 'host = 127.0.0.1:1', 'user = tester', 'path = /srv/web', 'fabfiles = fabfile.js', '',
  ].join('\n'));
  writeFileSync(path.join(SITE, 'fabfile.js'), `'use strict';
module.exports = { commands: { mark: {
  description: 'touch the marker (locally); return whether the run was dry',
  async run(ctx) { await ctx.local.run('touch ' + ${JSON.stringify(MARKER)}); return ctx.dryRun ? 'dry' : 'real'; },
} } };
`);
});

afterAll(() => {
  rmSync(SITE, { recursive: true, force: true });
});

describe('every option, spelled right or wrong, at every position of a dry run (in process)', () => {
  const dry = OPTIONS.find((o) => o.name === 'dry-run')!;
  const cases: [string, string[]][] = [];
  // The dry-run option itself, right and wrong, alone and with --offline.
  for (const x of [...spellings(dry), ...typos(dry)]) {
    for (const [where, place] of Object.entries(POSITIONS)) {
      cases.push([`${x.join(' ')} ${where}`, place(x)]);
      cases.push([`--offline, ${x.join(' ')} ${where}`, ['--offline', ...place(x)]]);
    }
  }
  // Every other option, right and wrong, with --dry-run at the front.
  for (const spec of OPTIONS.filter((o) => o.name !== 'dry-run')) {
    for (const x of [...spellings(spec), ...typos(spec)]) {
      for (const [where, place] of Object.entries(POSITIONS)) cases.push([`--dry-run, ${x.join(' ')} ${where}`, ['--dry-run', ...place(x)]]);
    }
  }

  test(`${cases.length} command lines: each runs dry or exits 2, and the marker never appears`, async () => {
    const outcomes = { dry: 0, refused: 0, other: 0 };
    const bad: string[] = [];
    // The config-engine modes (--resolve, --query…) print straight to the process's streams: keep the test output readable.
    const quiet = [jest.spyOn(process.stdout, 'write').mockImplementation(() => true), jest.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    const cwd = process.cwd();
    process.chdir(SITE); // and they read the configuration from the current directory
    try {
    for (const [label, argv] of cases) {
      rmSync(MARKER, { force: true });
      const { code, out } = await runInProcess(argv);
      const ranReal = existsSync(MARKER) || out.includes('Return value: real');
      if (ranReal || (code !== 0 && code !== 2)) bad.push(`${label}: exit ${code}${ranReal ? ', RAN FOR REAL' : ''}\n${out}`);
      if (code === 2) outcomes.refused++;
      else if (out.includes('Return value: dry')) outcomes.dry++;
      else outcomes.other++; // --help, --version, a listing, a config-engine mode: nothing ran
    }
    } finally {
      process.chdir(cwd);
      for (const spy of quiet) spy.mockRestore();
    }
    expect(bad).toEqual([]);
    // The enumeration reached both outcomes many times (a scan that refused everything would fail here).
    expect(outcomes.dry).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(100);
  }, 300_000);

  test('the check detects a real run: the same command line without --dry-run creates the marker', async () => {
    rmSync(MARKER, { force: true });
    const { code, out } = await runInProcess(['web', 'mark', 'a']);
    expect(out).toContain('Return value: real');
    expect(code).toBe(0);
    expect(existsSync(MARKER)).toBe(true);
  });
});

describe('a representative set on a real sshd (the real process)', () => {
  let server: SshServer | undefined;
  let dir: string;
  let home: string;
  let target: string;

  beforeAll(async () => {
    server = await startSshServer({ authorizeClientKeyFor: ['root'] });
    home = makeHomeTrusting('hostout-dry-home-', server);
    dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-dry-box-'));
    target = path.join(dir, 'changed');
    writeFileSync(path.join(dir, 'buildout.cfg'), [
      '[buildout]', 'parts = box', '',
      '[box]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root',
      `identity-file = ${server.clientKeyPath}`, `path = ${dir}`, '',
    ].join('\n'));
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    for (const d of [dir, home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  const logins = () => server!.acceptedLogins().length;

  test('control: the real run changes the host and logs in', () => {
    const before = logins();
    const r = hostout(['box', 'run', 'touch', target], dir, { HOME: home });
    expect(r.code).toBe(0);
    expect(existsSync(target)).toBe(true);
    expect(logins()).toBeGreaterThan(before);
    rmSync(target);
  });

  test.each([
    ['--dry-run before the hosts', ['--dry-run', 'box', 'run', 'touch', '$T']],
    ['--dry-run between host and command', ['box', '--dry-run', 'run', 'touch', '$T']],
    ['--dry-run after the arguments', ['box', 'run', 'touch', '$T', '--dry-run']],
    ['--dry-run --offline after the arguments', ['box', 'run', 'touch', '$T', '--dry-run', '--offline']],
  ])('%s: runs dry, the file is not created', (_label, words) => {
    const before = logins();
    const r = hostout(words.map((w) => (w === '$T' ? target : w)), dir, { HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`touch ${target}`);
    expect(existsSync(target)).toBe(false);
    if (words.includes('--offline')) expect(logins()).toBe(before);
  });

  test.each([
    ['--dryrun after the arguments', ['box', 'run', 'touch', '$T', '--dryrun']],
    ['--dry_run after the command', ['box', 'run', '--dry_run', 'touch', '$T']],
    ['-dry-run after the arguments', ['box', 'run', 'touch', '$T', '-dry-run']],
    ['\u2014dry-run after the arguments', ['box', 'run', 'touch', '$T', '\u2014dry-run']],
    ['--dry-run after --', ['box', 'run', '--', 'touch', '$T', '--dry-run']],
    ['--dryrun after --', ['box', 'run', '--', 'touch', '$T', '--dryrun']],
    ['--offline after --, with --dry-run before it', ['box', 'run', '--dry-run', '--', 'touch', '$T', '--offline']],
    ['--offline alone', ['box', 'run', 'touch', '$T', '--offline']],
    ['--dryrun before the hosts', ['--dryrun', 'box', 'run', 'touch', '$T']],
    ['--dryrun between host and command', ['box', '--dryrun', 'run', 'touch', '$T']],
  ])('%s: exit 2, no login, nothing changed', (_label, words) => {
    const before = logins();
    const r = hostout(words.map((w) => (w === '$T' ? target : w)), dir, { HOME: home });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(target)).toBe(false);
    expect(logins()).toBe(before);
  });
});
