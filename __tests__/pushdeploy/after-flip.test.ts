/**
 * sh/after-flip.sh run by the real /bin/sh: what a deploy runs in its flip's
 * round trip once the flip went through (the restart lines, in the site's
 * directory, stopping at the first that fails; the lock's renewal), and the
 * lock's sh/lock.sh actions the folded round trips rely on.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellQuote } from '../../lib';
import { AFTER_FLIP_SCRIPT } from '../../plugins/pushdeploy/releases';
import { LOCK_SCRIPT } from '../../plugins/pushdeploy/lock';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'after-flip-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function sh(script: string, stdin = ''): { stdout: string; stderr: string; status: number | null; ms: number } {
  const started = Date.now();
  const r = spawnSync('/bin/sh', ['-c', script], { input: stdin, encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, ms: Date.now() - started };
}

const afterFlip = (lines: string[], tail = '', every = 1) => [
  `site=${shellQuote(dir)}`, `renew=${shellQuote(`echo renewed >> ${shellQuote(path.join(dir, 'renewals'))}`)}`, `every=${every}`,
  `set -- ${lines.map(shellQuote).join(' ')}`, AFTER_FLIP_SCRIPT + tail,
].join('\n');

describe('after-flip.sh', () => {
  test('every line runs in the site directory, in order, its output on stderr; the lock is renewed first', () => {
    const r = sh(afterFlip(['echo one > a', 'echo "two $(cat a)" > b; echo said', 'pwd']), '');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('@@hostout:ran 1\n@@hostout:ran 2\n@@hostout:ran 3\n');
    expect(fs.readFileSync(path.join(dir, 'b'), 'utf8')).toBe('two one\n');
    expect(r.stderr).toBe(`said\n${fs.realpathSync(dir)}\n`);
    expect(fs.readFileSync(path.join(dir, 'renewals'), 'utf8')).toBe('renewed\n');
  });

  test('stops at the first line that fails, names it and its exit status; what follows in the script sees `failed` set', () => {
    const r = sh(afterFlip(['true', 'echo broken >&2; exit 3', 'touch never'], '\n[ -z "$failed" ] || exit 0\necho finished'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('@@hostout:ran 1\n@@hostout:ran 2\n@@hostout:failed 2 3\n');
    expect(r.stderr).toContain('broken');
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });

  test('a line that runs longer than the renewal interval: the lease is renewed meanwhile, and the renewer does not hold the round trip open', () => {
    const r = sh(afterFlip(['sleep 2.5'], '\necho finished'));
    expect(r.stdout).toBe('@@hostout:ran 1\nfinished\n');
    // Renewed first, then every second while the line ran.
    expect(fs.readFileSync(path.join(dir, 'renewals'), 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
  });

  test('hostout gone (its end of stdout closed): no line runs, nothing after them (the unlock) either', () => {
    // `true` ends at once: the script's first write finds no reader, as after a kill -9 of hostout.
    const r = sh(`{ sleep 1\n${afterFlip(['touch ran1'], '\ntouch finished')}\n} | true`);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'ran1'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'finished'))).toBe(false);
  });

  test('the renewer does not hold the round trip open: the script (and its stdout, the ssh channel) ends with its lines, not with the renewer\'s sleep', () => {
    const r = sh(afterFlip(['true'], '\necho finished', 20));
    expect(r.stdout).toBe('@@hostout:ran 1\nfinished\n');
    expect(r.ms).toBeLessThan(10_000);
  });
});

describe('lock.sh', () => {
  const lock = (action: string, extra: Record<string, string> = {}) => Object.entries({
    action, d: path.join(dir, '.hostout'), token: 'tok1', holder: '{"token":"tok1","pid":1', lease: '120', grace: '30', stale: '', ...extra,
  }).map(([k, v]) => `${k}=${shellQuote(v)}`).join('\n') + `\n${LOCK_SCRIPT}`;

  test('attempt takes a free lock and says so (with `locked` set for what follows); a held one is refused with its holder', () => {
    const first = sh(`${lock('attempt')}\necho "locked=$locked"`);
    expect(first.stdout).toBe('acquired\nlocked=yes\n');
    expect(JSON.parse(fs.readFileSync(path.join(dir, '.hostout', 'lock', 'holder'), 'utf8'))).toMatchObject({ token: 'tok1', pid: 1, leaseUntil: expect.any(Number) });
    const second = sh(`${lock('attempt', { token: 'tok2' })}\necho "locked=$locked"`);
    expect(second.stdout).toMatch(/^held\n\d+\n\d+\n\{"token":"tok1","pid":1,"leaseUntil":\d+\}\nlocked=\n$/);
  });

  test('attempt on a lock left with a flip journal: acquired and the journal, `locked` empty (recovery comes first)', () => {
    fs.mkdirSync(path.join(dir, '.hostout'));
    fs.writeFileSync(path.join(dir, '.hostout', 'journal'), 'flip A B\n');
    expect(sh(`${lock('attempt')}\necho "locked=$locked"`).stdout).toBe('acquired\nflip A B\nlocked=\n');
  });

  test('ours, renew and release act only while the holder is ours', () => {
    sh(lock('attempt'));
    expect(sh(lock('ours')).status).toBe(0);
    expect(sh(lock('ours', { token: 'other' })).status).not.toBe(0);
    expect(sh(lock('renew', { token: 'other' })).stdout).toBe('lost\n');
    expect(sh(lock('renew', { holder: '{"token":"tok1","pid":1,"phase":"restart"' })).stdout).toBe('renewed\n');
    expect(fs.readFileSync(path.join(dir, '.hostout', 'lock', 'holder'), 'utf8')).toContain('"phase":"restart"');
    sh(lock('release', { token: 'other' }));
    expect(fs.existsSync(path.join(dir, '.hostout', 'lock'))).toBe(true);
    sh(lock('release'));
    expect(fs.existsSync(path.join(dir, '.hostout', 'lock'))).toBe(false);
  });
});
