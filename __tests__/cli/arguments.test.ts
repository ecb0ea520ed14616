/**
 * The real `hostout` process: every word between the command line and a
 * command arrives unchanged (issue 11's reports), `--`, the refusals (exit 2),
 * return values, did-you-mean and the -v listing.
 *
 * The hosts point at 127.0.0.1:1, where nothing listens: a run that really
 * connected would fail. Remote commands are shown with `--dry-run --offline`
 * (recorded, no connection); fabfile commands show their arguments as JSON.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-args-site-'));
const ALONE = mkdtempSync(path.join(os.tmpdir(), 'hostout-args-alone-')); // no buildout.cfg: only x.cfg
const MARKER = path.join(SITE, 'marker');

const BUILDOUT = [
  '[buildout]', 'parts = web db eggs typo', '',
  '[web]', 'recipe = collective.hostout', 'host = 127.0.0.1:1', 'user = tester', 'path = /srv/web', 'fabfiles = fabfile.js', '',
  '[db]', 'recipe = collective.hostout', 'host = 127.0.0.1:1', 'user = tester', 'path = /srv/db', 'fabfiles = fabfile.js', '',
  '[eggs]', 'recipe = zc.recipe.egg', '',
  '[typo]', 'recipe = collective.hostout', 'host = 127.0.0.1:1', 'extends = hostout.pushdeplyo', '',
].join('\n');

const FABFILE = `'use strict';
const show = (name) => (ctx, ...args) => { ctx.log.info(name + '[' + ctx.name + ']: ' + JSON.stringify(args)); };
module.exports = { commands: {
  args: { description: 'Print the arguments', run: show('args') },
  supervisorctl: { description: 'Print the arguments', run: show('supervisorctl') },
  restart: { description: 'Print the arguments', run: show('restart') },
  raw: { description: 'Return a command result', run: () => ({ stdout: 'x', stderr: '', code: 0 }) },
  empty: { description: 'Return an empty string', run: () => '' },
  circular: { description: 'Return an object that contains itself', run: () => { const a = { name: 'a' }; a.self = a; return a; } },
  mark: {
    description: 'Create the marker file (locally) and say whether the run was dry',
    async run(ctx) { await ctx.local.run('touch ' + ${JSON.stringify(MARKER)}); return ctx.dryRun ? 'dry' : 'real'; },
  },
} };
`;

beforeAll(() => {
  writeFileSync(path.join(SITE, 'buildout.cfg'), BUILDOUT);
  writeFileSync(path.join(SITE, 'fabfile.js'), FABFILE);
  writeFileSync(path.join(SITE, 'other.cfg'), '[buildout]\nextends = buildout.cfg\n\n[web]\npath = /elsewhere\n');
  writeFileSync(path.join(ALONE, 'x.cfg'), BUILDOUT);
  cpSync(path.join(SITE, 'fabfile.js'), path.join(ALONE, 'fabfile.js'));
}, 240_000);

afterAll(() => {
  for (const d of [SITE, ALONE, EMPTY_HOME]) rmSync(d, { recursive: true, force: true });
});

const offline = (...words: string[]) => hostout(['--dry-run', '--offline', ...words], SITE);
/** The recorded remote command line of `run` on web. */
const recorded = (command: string) => `[web] remote(tester@127.0.0.1:1): /bin/bash -l -c 'cd /srv/web && ${command}'\n`;

describe('arguments are sacred', () => {
  test.each([
    ['grep', '-v', 'foo', 'log'],
    ['df', '-h'],
    ['ps', '-U', 'root'],
    ['tail', '-c', '100', 'log'],
    ['ls', '-qU', '-la', '--color=auto'],
    ['git', 'checkout', '--', 'file'],
  ])('run %s …: the words reach the command as typed', (...words: string[]) => {
    const r = offline('web', 'run', ...words);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(recorded(words.join(' ')));
    expect(r.code).toBe(0);
  });

  test('a fabfile command gets short options, option-like words and hostout\'s short options verbatim', () => {
    const r = hostout(['web', 'args', '-v', '-c', 'x.cfg', '-h', '-q', '-U', '--all'], SITE);
    expect(r.stdout).toContain('args[web]: ["-v","-c","x.cfg","-h","-q","-U","--all"]\n');
    expect(r.code).toBe(0);
  });

  test('pushdeploy\'s buildout gets `-c x.cfg`', () => {
    const r = hostout(['-c', 'buildout.example.cfg', 'first-site', 'buildout', '-c', 'x.cfg', '--dry-run', '--offline'], ROOT, { HOME: EMPTY_HOME });
    expect(r.stdout).toContain('&& bin/buildout -c x.cfg\n');
    expect(r.code).toBe(0);
  });

  test('short options among the hosts are hostout\'s (`hostout web -q db args x`, `hostout web -c other.cfg run pwd`)', () => {
    const q = hostout(['web', '-q', 'db', 'args', 'x'], SITE);
    expect(q.stdout).not.toContain('Running command');
    expect(q.code).toBe(0);
    const c = offline('web', '-c', 'other.cfg', 'run', 'pwd');
    expect(c.stdout).toContain("/bin/bash -l -c 'cd /elsewhere && pwd'");
    expect(c.code).toBe(0);
  });

  test('`hostout web -c x.cfg args …` where there is no buildout.cfg: the -c among the hosts chooses the configuration', () => {
    const r = hostout(['web', '-c', 'x.cfg', 'args', 'a', '-c', 'b'], ALONE);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('args[web]: ["a","-c","b"]\n');
    expect(r.code).toBe(0);
  });

  test('-h among the hosts is help; after the command it is the command\'s', () => {
    expect(hostout(['web', '-h'], SITE).stdout).toMatch(/^Usage: hostout \[options\]/);
    expect(hostout(['web', 'args', '-h'], SITE).stdout).toContain('args[web]: ["-h"]\n');
  });
});

describe('--', () => {
  test('ends command matching: `supervisorctl -- restart all` gives supervisorctl both words; without it, matching is greedy', () => {
    const greedy = hostout(['web', 'supervisorctl', 'restart', 'all'], SITE);
    expect(greedy.stdout).toContain('supervisorctl[web]: []\n');
    expect(greedy.stdout).toContain('restart[web]: ["all"]\n');
    const ended = hostout(['web', 'supervisorctl', '--', 'restart', 'all'], SITE);
    expect(ended.stdout).toContain('supervisorctl[web]: ["restart","all"]\n');
    expect(ended.stdout).not.toContain('restart[web]');
    expect(ended.code).toBe(0);
  });

  test('directly after the last command it is dropped; later, and a second one, reach the command', () => {
    expect(hostout(['web', 'args', '--', '--', 'x', '--'], SITE).stdout).toContain('args[web]: ["--","x","--"]\n');
    expect(hostout(['web', 'args', 'a', '--', 'b'], SITE).stdout).toContain('args[web]: ["a","--","b"]\n');
  });

  test('long options of hostout\'s after it are the command\'s', () => {
    expect(hostout(['web', 'args', '--', '--verbose', '--configuration', 'x'], SITE).stdout).toContain('args[web]: ["--verbose","--configuration","x"]\n');
  });
});

describe('refusals: exit 2, nothing runs', () => {
  test.each(['--dryrun', '--dry_run', '--verbos', '--quite', '-dry-run', '\u2014dry-run'])('`web mark %s`: a near miss after the command word, both correct forms', (typo) => {
    rmSync(MARKER, { force: true });
    const r = hostout(['web', 'mark', typo], SITE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^hostout: .* is not an option of hostout's/);
    expect(lines[1]).toMatch(/^ {2}for hostout's --(dry-run|verbose|quiet): +hostout web mark --(dry-run|verbose|quiet)$/);
    expect(lines[2]).toMatch(/^ {2}to give .* to the command: +hostout web (mark --literal --|mark --) /);
    expect(existsSync(MARKER)).toBe(false);
  });

  test('--dry-run after --: refused, saying how to write either meaning', () => {
    const r = hostout(['web', 'run', '--', 'grep', 'foo', 'log', '--dry-run'], SITE);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('hostout web run --dry-run -- grep foo log\n');
    expect(r.stderr).toContain('hostout web run --literal -- grep foo log --dry-run\n');
  });

  test('--offline without --dry-run', () => {
    rmSync(MARKER, { force: true });
    const r = hostout(['web', 'mark', '--offline'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--offline only goes with --dry-run');
    expect(existsSync(MARKER)).toBe(false);
  });
});

describe('Return value', () => {
  test('none for a raw command result or an empty string; a circular object prints', () => {
    for (const cmd of ['raw', 'empty', 'args']) {
      const r = hostout(['web', cmd], SITE);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('Return value');
    }
    const c = hostout(['web', 'circular'], SITE);
    expect(c.stdout).toContain("Return value: <ref *1> { name: 'a', self: [Circular *1] }\n");
    expect(c.code).toBe(0);
  });
});

describe('help and errors for people', () => {
  test('--help shows value placeholders and examples', () => {
    const r = hostout(['--help'], SITE);
    for (const s of ['--configuration FILE', '--query SECTION:OPTION', '--install-script [DIR]', '--annotate [SECTION...]', 'Examples:']) {
      expect(r.stdout).toContain(s);
    }
  });

  test('did-you-mean for a host, a command and an option', () => {
    const host = hostout(['wbe', 'args'], SITE);
    expect(host.code).toBe(2);
    expect(host.stderr.split('\n').slice(0, 2)).toEqual(["hostout: 'wbe' is not a host of buildout.cfg", "Did you mean 'web'?"]);
    const cmd = hostout(['web', 'arsg'], SITE);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr.split('\n').slice(0, 2)).toEqual(["hostout: 'arsg' is not a valid command for host 'web'", "Did you mean 'args'?"]);
    const opt = hostout(['--verbsoe', 'web'], SITE);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toBe('hostout: no such option: --verbsoe\nDid you mean --verbose?\nTry `hostout --help`.\n');
  });

  test('a part with another recipe is named as such, with the recipe it would need', () => {
    const r = hostout(['eggs', 'args'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "hostout: 'eggs' is not a host of buildout.cfg: its recipe is 'zc.recipe.egg', and a host is a part with recipe = collective.hostout",
    );
  });

  test('a misspelled plugin in extends suggests the shipped one', () => {
    const r = hostout(['typo', 'run', 'x'], SITE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('extends = hostout.pushdeplyo');
    expect(r.stderr).toContain('did you mean hostout.pushdeploy (shipped with hostout)?');
    expect(r.stderr).not.toContain('npm install');
  });

  test('-v listing: which plugin provides each command and what it overrides', () => {
    const r = hostout(['-c', 'buildout.example.cfg', 'first-site', '-v'], ROOT, { HOME: EMPTY_HOME });
    expect(r.code).toBe(0);
    const rows = r.stderr.split('\n');
    expect(rows.find((l) => l.startsWith('   deploy '))).toMatch(/\[from hostout\.pushdeploy; overrides collective\.hostout\]$/);
    expect(rows.find((l) => l.startsWith('   run '))).toMatch(/\[from collective\.hostout\]$/);
    // Without -v: the original's rows.
    expect(hostout(['-c', 'buildout.example.cfg', 'first-site'], ROOT, { HOME: EMPTY_HOME }).stderr).not.toContain('[from ');
  });
});
