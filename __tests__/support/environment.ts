/**
 * What every test file starts with (jest setupFilesAfterEnv: setup-unit.ts, setup-e2e.ts):
 * a HOME of its own and no user ssh config, so no test and no transport reads the
 * developer's ~/.ssh/config, keys, known_hosts or ~/.buildout/default.cfg by accident.
 * A test that wants ssh config writes its own file and passes it (sshEnv, or
 * HOSTOUT_SSH_CONFIG / HOME in a child's environment).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Which jest project the current test file belongs to ('unit' or 'e2e'). */
export const TEST_PROJECT = 'HOSTOUT_TEST_PROJECT';

export function isolateTestEnvironment(project: 'unit' | 'e2e'): void {
  process.env[TEST_PROJECT] = project;
  // One empty directory per test file, removed when the file's tests are done.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `hostout-test-home-${project}-`));
  process.env.HOME = home;
  // defaultSshEnvironment() reads $HOSTOUT_SSH_CONFIG before $HOME/.ssh/config: a path that is not there.
  process.env.HOSTOUT_SSH_CONFIG = path.join(home, '.ssh', 'config');
  delete process.env.SSH_AUTH_SOCK;
  delete process.env.BUILDOUT_HOME;
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
}
