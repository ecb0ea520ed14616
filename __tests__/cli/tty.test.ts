/** On a terminal (a pty from util-linux `script`, CI unset) progress is drawn by listr2: host → command → steps. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellJoin } from '../../lib/transport/quote';
import { BIN, EMPTY_HOME, ROOT } from '../support/run-cli';

const SITE = mkdtempSync(path.join(os.tmpdir(), 'hostout-tty-site-'));
cpSync(path.join(ROOT, 'fixtures', 'hostout', 'site'), SITE, { recursive: true });

afterAll(() => {
  rmSync(SITE, { recursive: true, force: true });
  rmSync(EMPTY_HOME, { recursive: true, force: true });
});

function onTerminal(args: string[]): { code: number | null; screen: string } {
  const command = `stty cols 100 rows 40; ${shellJoin([process.execPath, BIN, ...args])}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: SITE, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: EMPTY_HOME, USER: 'tester', TERM: 'xterm' },
  });
  if (r.error) throw r.error;
  // Strip the terminal control sequences: what remains is the text of every frame.
  return { code: r.status, screen: r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') };
}

test('a run: the host and command ticked off, the steps shown under the command, the result printed', () => {
  const { code, screen } = onTerminal(['alpha', 'chain', 'x']);
  expect({ code, screen }).toMatchObject({ code: 0 });
  expect(screen).toContain('✔ alpha');
  expect(screen).toContain('  ✔ chain');
  expect(screen).toContain("Hostout: Running command 'chain' from 'fabfile.js'");
  expect(screen).toContain('Return value: a>b>fab(x)\n');
});

test('a failure: the command is crossed out and the message printed once more after the tree, exit 1', () => {
  const { code, screen } = onTerminal(['beta', 'fail']);
  expect(code).toBe(1);
  expect(screen).toContain("  ✖ [beta] 'fail' (from fabfile.js) failed: deliberate failure");
  expect(screen.trimEnd().split('\n').pop()).toBe("hostout: [beta] 'fail' (from fabfile.js) failed: deliberate failure");
});
