import { spawnSync } from 'node:child_process';
import { shellJoin, shellQuote } from '../../lib/transport/quote';

/** What a real /bin/sh makes of a quoted word: printf its single argument back. */
function roundTrip(word: string, shell = '/bin/sh'): string {
  const r = spawnSync(shell, ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

const NASTY = [
  '', 'plain', 'with space', "it's", '"double"', '$HOME', '`id`', '$(touch /tmp/x)', 'a\nb', 'back\\slash',
  "'", "''", '!bang', '*', '~', 'semi;colon', 'amp&', 'pipe|', '<redir>', '#hash', 'tab\there', '\u00e9t\u00e9',
];

describe('shellQuote', () => {
  it.each(NASTY)('round-trips %j through sh and bash unchanged', (word) => {
    expect(roundTrip(word)).toBe(word);
    expect(roundTrip(word, '/bin/bash')).toBe(word);
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
