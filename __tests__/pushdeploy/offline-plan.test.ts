/**
 * `--dry-run --offline` on the README's example (buildout.example.cfg) on a
 * machine that is not its staging machine: no /var/buildout/first_site here.
 * Every dry run shows a plan (exit 0): what it would read from the staging
 * buildout is assumed, marked `(assumed, not read: …)` where the plan rests
 * on it, and listed again at the end; production's answers the same way
 * (`not asked`). In process, through main().
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli/main';

const HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-offline-home-'));
// The README's example as a user has it: beside the hostout buildout's own buildout.cfg (the built-in
// commands' init checks that the cfg a deploy would ship exists; pushdeploy's staging is elsewhere).
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-offline-example-'));
fs.copyFileSync(path.join(__dirname, '..', '..', 'buildout.example.cfg'), path.join(ROOT, 'buildout.example.cfg'));
fs.writeFileSync(path.join(ROOT, 'buildout.cfg'), '[buildout]\nparts =\n');
const STAGING = '/var/buildout/first_site';

afterAll(() => {
  fs.rmSync(HOME, { recursive: true, force: true });
  fs.rmSync(ROOT, { recursive: true, force: true });
});

async function hostout(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['-c', 'buildout.example.cfg', ...argv], {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME, USER: 'tester', CI: 'true' },
  });
  return { code, stdout, stderr };
}

/** The end of the plan: what it assumed, one line per answer. */
function assumedAtEnd(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  const at = lines.findIndex((l) => /^The plan assumed /.test(l));
  if (at < 0) return [];
  // The list, up to the dry run's closing banner.
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((l) => !l.startsWith('  ['));
  return end < 0 ? rest : rest.slice(0, end);
}

beforeAll(() => {
  // The point of these tests: the example's staging buildout is not on this machine.
  expect(fs.existsSync(STAGING)).toBe(false);
});

describe('--dry-run --offline first-site on buildout.example.cfg', () => {
  test('deploy: exit 0, a whole plan (transfer, flip, restart), the staging buildout marked assumed', async () => {
    const r = await hostout('--dry-run', '--offline', 'first-site', 'deploy');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[first-site]   (assumed, not read: staging's buildout ${STAGING}/buildout.cfg has run: bin, eggs, parts and etc are staged in ${STAGING})`);
    expect(r.stdout).toContain('[first-site]   (assumed, not asked: production has no releases yet, none live (a first deploy))');
    // The plan goes on: the release trees go over, the restart line runs.
    expect(r.stdout).toMatch(new RegExp(`rsync: rsync .*${STAGING}/\\./bin/ ${STAGING}/\\./eggs/ ${STAGING}/\\./parts/ ${STAGING}/\\./etc/ root@example\\.com:${STAGING}/\\.hostout/next`));
    expect(r.stdout).toMatch(/supervisorctl restart first-site:\*/);
    expect(assumedAtEnd(r.stdout)).toEqual([
      `  [first-site] staging's buildout ${STAGING}/buildout.cfg has run: bin, eggs, parts and etc are staged in ${STAGING}`,
      '  [first-site] production has no releases yet, none live (a first deploy)',
    ]);
  });

  test('push: exit 0, the same assumptions', async () => {
    const r = await hostout('--dry-run', '--offline', 'first-site', 'push');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain('(assumed, not read: staging\'s buildout');
    expect(r.stdout).toMatch(/\.hostout\/next/);
    expect(assumedAtEnd(r.stdout)).toHaveLength(2);
  });

  test('stage: exit 0; the checkout, the Python and production\'s data are assumed, each said once', async () => {
    const r = await hostout('--dry-run', '--offline', 'first-site', 'stage');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`[first-site]   (assumed, not read: ${STAGING} is a git checkout)`);
    expect(r.stdout).toContain('[first-site]   (assumed, not read: bootstrap.py runs with python3 (no bootstrap-python or executable is set, and no staging buildout names one))');
    // The plan: pull, update, bootstrap, buildout.
    expect(r.stdout).toMatch(/git pull|git fetch/);
    expect(r.stdout).toMatch(/python3 bootstrap\.py --distribute/);
    expect(r.stdout).toMatch(/bin\/buildout/);
    const end = assumedAtEnd(r.stdout);
    expect(end).toEqual(expect.arrayContaining([
      `  [first-site] ${STAGING}/var/filestorage/Data.fs exists`,
      `  [first-site] ${STAGING}/var/blobstorage exists`,
      `  [first-site] ${STAGING} is a git checkout`,
    ]));
    expect(new Set(end).size).toBe(end.length);
  });

  test('releases: the empty answer is marked assumed, and so is the return value', async () => {
    const r = await hostout('--dry-run', '--offline', 'first-site', 'releases');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain('[first-site]   (assumed, not asked: production has no releases yet, none live (a first deploy))');
    expect(r.stdout).toContain('Return value (from assumed answers): []');
    expect(r.stdout).not.toMatch(/^Return value: /m);
    expect(assumedAtEnd(r.stdout)).toEqual(['  [first-site] production has no releases yet, none live (a first deploy)']);
  });

  test('--json: each assumption is an `assumed` event', async () => {
    let json = '';
    let people = '';
    const code = await main(['-c', 'buildout.example.cfg', '--json', '--dry-run', '--offline', 'first-site', 'deploy'], {
      stdout: (t) => { json += t; }, stderr: (t) => { people += t; }, cwd: ROOT, env: { PATH: process.env.PATH, HOME, USER: 'tester', CI: 'true' },
    });
    expect(code).toBe(0);
    const events = json.trimEnd().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; host?: string; what?: string });
    expect(events.filter((e) => e.type === 'assumed')).toEqual([
      expect.objectContaining({ host: 'first-site', what: expect.stringMatching(/^staging's buildout /) }),
      expect.objectContaining({ host: 'first-site', what: 'production has no releases yet, none live (a first deploy)' }),
    ]);
    expect(events[events.length - 1]).toMatchObject({ type: 'run-end', exitStatus: 0 });
    // People's output (stderr under --json) still marks them where the plan rests on them.
    expect(people).toContain('(assumed, not read: staging\'s buildout');
  });
});

test('annotate offline: buildout\'s default directories inside path, said to be assumed', async () => {
  const r = await hostout('--dry-run', '--offline', 'first-site', 'annotate');
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.stdout).toContain('(assumed, not read: staging');
  expect(r.stdout).toContain(`Return value (from assumed answers): {"directory":"${STAGING}","bin-directory":"${STAGING}/bin"`);
});
