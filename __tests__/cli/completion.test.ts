/**
 * Shell completion through the real `hostout` process: the script `hostout
 * completion` prints, the words the completion entry point
 * (`hostout --get-yargs-completions hostout WORD...`, what the script runs)
 * offers for partial command lines, bash completing with the script, and
 * that a command line without option words does not load yargs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-completion-site-'));
cpSync(path.join(ROOT, 'fixtures', 'hostout', 'site'), SITE, { recursive: true });

afterAll(() => {
  rmSync(EMPTY_HOME, { recursive: true, force: true });
  rmSync(SITE, { recursive: true, force: true });
});

/** The words offered when `typed` has been typed after `hostout` (its last word is the one being typed). */
function complete(typed: string[], cwd = SITE): string[] {
  const r = hostout(['--get-yargs-completions', 'hostout', ...typed], cwd);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

const BETA_COMMANDS = ['bootstrap', 'deploy', 'fail', 'run', 'sudo'];

describe('the completion entry point', () => {
  test('a new word: the hosts of the buildout here, sorted, and all', () => {
    expect(complete([''])).toEqual(['alpha', 'beta', 'gamma', 'all']);
    expect(complete(['b'])).toEqual(['beta']);
  });

  test('after a host: the other hosts, all, and that host\'s commands (from its plugins and fabfiles)', () => {
    const words = complete(['beta', '']);
    expect(words.slice(0, 3)).toEqual(['alpha', 'gamma', 'all']);
    expect(words).toEqual(expect.arrayContaining(BETA_COMMANDS));
    expect(words).not.toContain('beta');
    expect(complete(['beta', 'fa'])).toEqual(['fail']);
  });

  test('after a command: more commands and the -- escape; after -- or once the arguments began, nothing', () => {
    const words = complete(['beta', 'run', '']);
    expect(words).toEqual(expect.arrayContaining([...BETA_COMMANDS, '--']));
    expect(words).not.toContain('alpha');
    expect(complete(['beta', 'run', '--', ''])).toEqual([]);
    expect(complete(['beta', 'run', '--', '--dr'])).toEqual([]);
    expect(complete(['beta', 'run', 'ls', ''])).toEqual([]);
  });

  test('options where they are hostout\'s: short ones only before the first command word', () => {
    const front = complete(['-']);
    expect(front).toEqual(expect.arrayContaining(['--configuration', '--dry-run', '--offline', '--help', '--version', '-c', '-U', '-v', '-q', '-P', '-h', '-V']));
    expect(complete(['--dr'])).toEqual(['--dry-run']);
    expect(complete(['beta', '-'])).toEqual(expect.arrayContaining(['-c', '--dry-run']));
    const afterCommand = complete(['beta', 'run', '-']);
    expect(afterCommand).toEqual(expect.arrayContaining(['--dry-run', '--verbose', '--']));
    expect(afterCommand).not.toContain('-c');
    expect(afterCommand).not.toContain('-v');
  });

  test('-c FILE: the .cfg files here, and then the hosts of that configuration', () => {
    expect(complete(['-c', ''], ROOT)).toEqual(expect.arrayContaining(['buildout.example.cfg']));
    expect(complete(['-c', 'buildout.ex'], ROOT)).toEqual(['buildout.example.cfg']);
    expect(complete(['-c', 'buildout.example.cfg', ''], ROOT)).toEqual(['another-site', 'first-site', 'all']);
    expect(complete(['--configuration=buildout.example.cfg', 'first-site', 'dep'], ROOT)).toEqual(expect.arrayContaining(['deploy']));
  });

  test('a configuration that does not load, or a command line hostout refuses: no words and no error (the shell falls back to files)', () => {
    expect(complete(['-c', 'nope.cfg', ''])).toEqual([]);
    expect(complete(['--bogus', ''])).toEqual([]);
  });

  test('a host whose address cannot be reached still completes: nothing connects', () => {
    // 192.0.2.1 is TEST-NET-1: a connection would hang until its timeout.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-completion-unreachable-'));
    try {
      writeFileSync(path.join(dir, 'buildout.cfg'), '[buildout]\nparts = far\n[far]\nrecipe = collective.hostout\nhost = 192.0.2.1\n');
      const started = Date.now();
      expect(complete(['far', 'uploadb'], dir)).toEqual(['uploadbuildout']);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostout completion', () => {
  test('prints a bash script that asks hostout for the words', () => {
    const r = hostout(['completion'], SITE, { SHELL: '/bin/bash' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hostout --get-yargs-completions');
    expect(r.stdout).toMatch(/complete .*-F _hostout_yargs_completions hostout/);
  });

  test('prints a zsh script when the shell is zsh', () => {
    const r = hostout(['completion'], SITE, { SHELL: '/usr/bin/zsh' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('compdef _hostout_yargs_completions hostout');
  });

  test('bash completes with it: hosts, then commands', () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'hostout-completion-bin-'));
    try {
      symlinkSync(BIN, path.join(bin, 'hostout'));
      const script = hostout(['completion'], SITE, { SHELL: '/bin/bash' }).stdout;
      const completeIn = (words: string[]) => execFileSync('bash', ['-c', [
        script,
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`,
        '_hostout_yargs_completions; printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n')], { cwd: SITE, encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, HOME: EMPTY_HOME, SHELL: '/bin/bash' } })
        .split('\n').filter(Boolean);
      expect(completeIn(['hostout', 'g'])).toEqual(['gamma']);
      expect(completeIn(['hostout', 'beta', 'dep'])).toEqual(['deploy']);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

test('yargs is loaded only for option words, help, version and completion: `hostout HOST` does not load it', () => {
  const loadsYargs = (args: string[]): boolean => {
    const r = spawnSync(process.execPath, ['-e', `
      const { main } = require(${JSON.stringify(path.join(path.dirname(BIN), '..', 'dist', 'lib', 'cli', 'main.js'))});
      main(${JSON.stringify(args)}, { stdout() {}, stderr() {}, cwd: process.cwd(), env: process.env })
        .then(() => console.log(Object.keys(require.cache).some((f) => /node_modules\\/yargs\\//.test(f))));
    `], { cwd: SITE, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: EMPTY_HOME } });
    return r.stdout.trim() === 'true';
  };
  expect(loadsYargs(['beta'])).toBe(false);
  expect(loadsYargs([])).toBe(false);
  expect(loadsYargs(['-U', 'beta'])).toBe(true);
  expect(loadsYargs(['--help'])).toBe(true);
});
