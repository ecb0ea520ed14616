/**
 * Shell quoting: the ONE function every value goes through before it reaches a
 * shell (remote command lines, `su -c`, `sudo ... sh -c`). POSIX single-quote
 * style: inside '...' nothing is special, so the only character to handle is
 * the single quote itself, written as '\'' (close, escaped quote, reopen).
 * Works for every POSIX shell (sh, bash, dash, zsh), including newlines,
 * `$`, backticks, `\`, `!` (non-interactive shells do no history expansion).
 */

/** Characters that never need quoting: keeps common words readable in logs. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell. The empty string becomes ''. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote every word and join them with spaces: an argv as one shell command line. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
