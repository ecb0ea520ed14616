import { spawnSync } from 'node:child_process';
import { shellJoin, shellQuote } from '../../lib/transport/quote';

/** What a real shell makes of each quoted word: one process prints every word back, NUL-terminated. */
function roundTrip(words: string[], shell: string): string[] {
  const script = words.map((w) => `printf '%s\\0' ${shellQuote(w)}`).join('\n');
  const r = spawnSync(shell, ['-c', script], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

const NASTY = [
  '', 'plain', 'with space', "it's", '"double"', '$HOME', '`id`', '$(touch /tmp/x)', 'a\nb', 'back\\slash',
  "'", "''", '!bang', '*', '~', 'semi;colon', 'amp&', 'pipe|', '<redir>', '#hash', 'tab\there', '\u00e9t\u00e9',
];

describe('shellQuote', () => {
  it.each(['/bin/sh', '/bin/bash'])('round-trips spaces, quotes, $, backticks, newlines and globs through %s unchanged', (shell) => {
    expect(roundTrip(NASTY, shell)).toEqual(NASTY);
  });

  it('leaves safe words readable and quotes the empty string', () => {
    expect(shellQuote('/var/buildout/first_site')).toBe('/var/buildout/first_site');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('shellJoin', () => {
  it('makes an argv a command line the shell splits back into the same words', () => {
    const words = ['a b', "c'd", '$e', '`f`', 'g\nh'];
    const r = spawnSync('/bin/sh', ['-c', `for w in ${shellJoin(words)}; do printf '<%s>' "$w"; done`], { encoding: 'utf8' });
    expect(r.stdout).toBe(words.map((w) => `<${w}>`).join(''));
  });
});
