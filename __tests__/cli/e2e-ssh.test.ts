/**
 * End to end: the real `hostout` process runs the built-in `run` command on a
 * real sshd (the transport's test harness, 127.0.0.1, random port). A
 * passphrase-protected key is asked for on a terminal only, where the person
 * sees the question whichever view draws the run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshServer, type SshServer } from '../../fixtures/servers';
import { shellJoin } from '../../lib/transport/quote';
import { BIN, EMPTY_HOME, hostout } from '../support/run-cli';
import { makeHomeTrusting } from '../../fixtures/servers/test-home';

let server: SshServer | undefined;
let dir: string;
let home: string;
/** A passphrase-protected key the server accepts (the `locked` host's). */
const PASSPHRASE = 'typed at the terminal';

beforeAll(async () => {
  server = await startSshServer({ authorizeClientKeyFor: ['root'] });
  home = makeHomeTrusting('hostout-e2e-home-', server);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-e2e-site-'));
  const lockedKey = path.join(home, 'id_locked');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'locked', '-f', lockedKey], { stdio: 'ignore' });
  server.authorize('root', readFileSync(`${lockedKey}.pub`, 'utf8').trim());
  writeFileSync(path.join(dir, 'buildout.cfg'), [
    '[buildout]', 'parts = box locked', '',
    '[box]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root',
    `identity-file = ${server.clientKeyPath}`, 'path = /tmp', '',
    '[locked]', 'recipe = collective.hostout', `host = 127.0.0.1:${server.port}`, 'user = root',
    `identity-file = ${lockedKey}`, 'path = /tmp', '',
  ].join('\n'));
}, 240_000);

afterAll(async () => {
  await server?.stop();
  for (const d of [dir, home, EMPTY_HOME]) if (d) rmSync(d, { recursive: true, force: true });
});

test('`hostout box run` runs on the host, in `path`, and shows the output', () => {
  const r = hostout(['box', 'run', 'echo', 'hello', '$(id -un)', 'in', '$(pwd)'], dir, { HOME: home });
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain("Hostout: Running command 'run' from 'collective.hostout'\n");
  expect(r.stdout).toContain('hello root in /tmp');
  expect(r.code).toBe(0);
});

test('a remote command that fails: exit 1, the message names host, command and exit status', () => {
  const r = hostout(['box', 'run', 'exit', '3'], dir, { HOME: home });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^hostout: .*box.*exit status 3.*exit 3/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

describe('a person is asked only on a terminal (CliIo.interactive: stdin a terminal, CI unset)', () => {
  test('without a terminal: an encrypted key is not asked for, the error says how to give its passphrase', () => {
    const r = hostout(['locked', 'run', 'true'], dir, { HOME: home });
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('is encrypted (passphrase-protected) and no passphrase was given');
    expect(r.stderr).toContain('or run hostout on a terminal to be asked');
  });

  // listr2's live view holds stderr's writes until it ends: the question goes under the running task.
  test.each([
    ['listr2\'s live view', [] as string[], /^ +› \[locked\] passphrase for identity file \S+id_locked:$/m],
    ['plain lines (-v)', ['-v'], /^\[locked\] passphrase for identity file \S+id_locked: $/m],
  ])('on a terminal (a pty from util-linux `script`), %s: the passphrase is asked, typed unseen, and the command runs', async (_view, options, question) => {
    const command = `stty cols 200 rows 40; ${shellJoin([process.execPath, BIN, ...options, 'locked', 'run', 'echo', 'logged', 'in', 'as', '$(id -un)'])}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: dir, stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: home, USER: 'tester', TERM: 'xterm', NO_COLOR: '1' },
    });
    let screen = '';
    let typed = false;
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.on('data', (d) => {
      screen += d;
      // Type the passphrase once the prompt is on the screen (what a person does).
      if (!typed && screen.includes('passphrase for identity file')) {
        typed = true;
        child.stdin.write(`${PASSPHRASE}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await ended;
    clearTimeout(timer);
    child.stdin.destroy();
    const text = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect({ code, typed, tail: text.slice(-3000) }).toMatchObject({ code: 0, typed: true });
    expect(text).toMatch(question);
    expect(text).toContain('logged in as root');
    // Not echoed.
    expect(text).not.toContain(PASSPHRASE);
  });
});
