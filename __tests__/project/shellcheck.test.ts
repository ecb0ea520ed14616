/**
 * `npm run lint` checks the shell programs hostout sends to production with shellcheck
 * (tools/shellcheck.js): they are clean (each warning fixed or disabled on its line with
 * a reason), and a machine without shellcheck fails the lint under CI but only says it
 * skipped them elsewhere.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const lint = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [path.join(ROOT, 'tools', 'shellcheck.js')], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
const withoutShellcheck: NodeJS.ProcessEnv = { ...process.env, PATH: '/nonexistent' };
delete withoutShellcheck.CI;
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

(hasShellcheck || process.env.CI ? test : test.skip)('the shell programs under plugins/ pass shellcheck', () => {
  const r = lint(process.env);
  expect({ code: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ code: 0, out: '' });
});

test('without shellcheck, under CI the lint fails, naming what was not checked', () => {
  const r = lint({ ...withoutShellcheck, CI: 'true' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^shellcheck is not installed: the shell programs \(.*plugins\/pushdeploy\/sh\/flip\.sh.*\) were NOT checked\. Debian: apt-get install shellcheck\.$/m);
});

test('without shellcheck, outside CI the lint goes on but says plainly that it skipped them', () => {
  const r = lint(withoutShellcheck);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/were NOT checked \(skipped\)/);
});
