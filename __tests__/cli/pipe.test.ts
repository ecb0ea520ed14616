/**
 * A reader that stops early (`hostout --resolve | head`): hostout ends quietly
 * with status 141, as a Unix tool killed by SIGPIPE does, instead of Node's
 * EPIPE stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellJoin } from '../../lib/transport/quote';
import { BIN } from '../support/run-cli';

const DIR = mkdtempSync(path.join(os.tmpdir(), 'hostout-pipe-'));

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

test('stdout closed by the reader: no stack trace, exit status 141', () => {
  // Far more than a pipe holds (64 KiB), so the writes after `head` has gone fail.
  const options = Array.from({ length: 4000 }, (_, i) => `option${i} = ${'x'.repeat(60)}`);
  writeFileSync(path.join(DIR, 'buildout.cfg'), ['[buildout]', 'parts =', '[big]', ...options, ''].join('\n'));
  const hostout = shellJoin([process.execPath, BIN, '-U', '--resolve']);
  const r = spawnSync('bash', ['-c', `${hostout} | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}"`], {
    cwd: DIR, encoding: 'utf8', timeout: 60_000,
  });
  expect(r.stdout).toBe('status 141\n');
  expect(r.stderr).toBe('');
});
