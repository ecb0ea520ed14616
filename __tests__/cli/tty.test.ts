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

function onTerminal(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; screen: string; raw: string } {
  const command = `stty cols 100 rows 40; ${shellJoin([process.execPath, BIN, ...args])}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: SITE, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: EMPTY_HOME, USER: 'tester', TERM: 'xterm', ...extraEnv },
  });
  if (r.error) throw r.error;
  // Strip the terminal control sequences: what remains is the text of every frame.
  return { code: r.status, screen: r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, ''), raw: r.stdout };
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

/** An SGR colour sequence (30–37 and 90–97 foreground), not a cursor movement. */
const COLOUR = /\x1b\[(3[0-7]|9[0-7])m/;

test('one host on a terminal: listr2 draws it live, in colour (the host name in cyan, the tick in green)', () => {
  const { code, screen, raw } = onTerminal(['alpha', 'chain', 'x']);
  expect(code).toBe(0);
  expect(screen).toContain('✔ alpha');
  expect(raw).toContain('\x1b[36malpha\x1b[39m');
  expect(raw).toMatch(/\x1b\[32m✔/);
});

test('NO_COLOR on a terminal: the same tree, no colour at all', () => {
  const { code, screen, raw } = onTerminal(['alpha', 'chain', 'x'], { NO_COLOR: '1' });
  expect(code).toBe(0);
  expect(screen).toContain('✔ alpha');
  expect(raw).not.toMatch(COLOUR);
});

test('several hosts on a terminal: a failure in red and the summary coloured by result', () => {
  const { code, raw, screen } = onTerminal(['alpha', 'beta', 'fail']);
  expect(code).not.toBe(0);
  expect(screen).toMatch(/host +commands +result/);
  expect(raw).toMatch(/\x1b\[31mfailed \(1\)\x1b\[39m/);
});
