/**
 * What a person sees in a pipe: no colour unless FORCE_COLOR asks for it
 * (NO_COLOR wins over it), and a dry run that says so first and last, with
 * the summary table when it covers several hosts.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMPTY_HOME, ROOT, hostout } from '../support/run-cli';

const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-colour-site-'));
cpSync(path.join(ROOT, 'fixtures', 'hostout', 'site'), SITE, { recursive: true });

afterAll(() => {
  rmSync(SITE, { recursive: true, force: true });
  rmSync(EMPTY_HOME, { recursive: true, force: true });
});

const COLOUR = /\x1b\[(3[0-7]|9[0-7])m/;

describe('colour in a pipe', () => {
  test('none by default', () => {
    const r = hostout(['alpha', 'beta', 'fail'], SITE);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(COLOUR);
  });

  test('FORCE_COLOR: host names and results coloured, the words the same', () => {
    const r = hostout(['alpha', 'beta', 'fail'], SITE, { FORCE_COLOR: '1' });
    expect(r.stdout).toMatch(/\x1b\[36m\[alpha\]\x1b\[39m Hostout: Running command 'fail'/);
    expect(r.stdout).toMatch(/\x1b\[31mfailed \(1\)\x1b\[39m/);
    // Without the colour, the same table as ever.
    expect(r.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/^alpha +- +failed \(1\) +\d+\.\d s\nbeta +- +not started +-$/m);
  });

  test('FORCE_COLOR=0 and NO_COLOR (over FORCE_COLOR): none', () => {
    for (const env of [{ FORCE_COLOR: '0' }, { NO_COLOR: '1', FORCE_COLOR: '1' }]) {
      const r = hostout(['alpha', 'beta', 'fail'], SITE, env);
      expect(r.stdout + r.stderr).not.toMatch(COLOUR);
    }
  });
});

describe('a dry run says so first and last', () => {
  test('offline, one host: the banner, the plan, then what was asked, assumed and would run', () => {
    const r = hostout(['--dry-run', '--offline', 'alpha', 'run', 'touch', '/tmp/x'], SITE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('DRY RUN: nothing will be changed');
    expect(lines.slice(-4)).toEqual([
      'DRY RUN done: nothing was changed.',
      '  asked:        hostout --dry-run --offline alpha run touch /tmp/x',
      '  assumed:      nothing',
      '  would run:    1 step on 1 host (listed above), reads included',
    ]);
    // No summary table for one host.
    expect(r.stdout).not.toMatch(/^host +commands/m);
  });

  test('several hosts: the summary table too, before the closing banner', () => {
    const r = hostout(['--dry-run', 'alpha', 'beta', 'run', 'true'], SITE);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('DRY RUN: nothing will be changed');
    const table = lines.findIndex((l) => /^host +commands +result +time$/.test(l));
    expect(table).toBeGreaterThan(0);
    expect(lines[table + 1]).toMatch(/^alpha +run +ok /);
    expect(lines[table + 2]).toMatch(/^beta +run +ok /);
    expect(lines[table + 3]).toBe('DRY RUN done: nothing was changed.');
    expect(lines.slice(-1)[0]).toBe('  would change: 2 steps on 2 hosts (listed above)');
  });
});
