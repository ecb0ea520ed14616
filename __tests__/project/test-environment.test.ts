/**
 * The test set-up itself (jest.config.js, __tests__/support/environment.ts): every test
 * file gets a HOME of its own and no user ssh config, so nothing reads the developer's
 * ~/.ssh/config or ~/.buildout by accident; a unit test cannot reach the built dist/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSshEnvironment } from '../../lib/transport/ssh-config';

test('HOME is an empty temp directory of this test file, not the real home', () => {
  const home = process.env.HOME as string;
  expect(home).not.toBe(os.userInfo().homedir);
  expect(path.dirname(home)).toBe(os.tmpdir());
  expect(path.basename(home)).toMatch(/^hostout-test-home-unit-/);
  expect(fs.readdirSync(home)).toEqual([]);
});

test('the default ssh environment (used by the transports when a test passes none) reads no real ssh file', () => {
  const env = defaultSshEnvironment();
  expect(env.home).toBe(process.env.HOME);
  expect(env.configPath).toBe(path.join(process.env.HOME as string, '.ssh', 'config'));
  expect(fs.existsSync(env.configPath)).toBe(false);
  expect(env.agentSocket).toBeUndefined();
});

test('a unit test that reaches for dist/ fails at once and says where it belongs', () => {
  expect(process.env.HOSTOUT_TEST_PROJECT).toBe('unit');
  expect(() => jest.requireActual('../support/built')).toThrow(/list it in the e2e project in jest\.config\.js/);
});

test('no test file of the unit project starts servers or runs the built program', () => {
  const config = require('../../jest.config.js') as { projects: Array<{ displayName: string; testPathIgnorePatterns?: string[] }> };
  const ignore = (config.projects.find((p) => p.displayName === 'unit')?.testPathIgnorePatterns ?? []).map((p) => new RegExp(p));
  const root = path.resolve(__dirname, '..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) files.push(p);
    }
  };
  walk(root);
  const unit = files.filter((f) => !ignore.some((re) => re.test(f)));
  expect(unit).toContain(__filename);
  // fixtures/servers starts sshd and creates system users; support/built and support/run-cli need dist/.
  const offending = unit.filter((f) => /from '(\.\.\/)+fixtures\/servers|from '\.\.\/support\/(built|run-cli|oracle|engine)'/.test(fs.readFileSync(f, 'utf8')));
  expect(offending.map((f) => path.relative(root, f))).toEqual([]);
});
