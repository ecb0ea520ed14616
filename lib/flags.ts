/**
 * The one reader of a buildout-style yes/no option (`no-sudo`, `local-sudo`,
 * `extends-only`, supervisor's `rollingrestart`, pushdeploy's `auto-rollback`, …).
 *
 * Words: `yes`, `true`, `on`, `1` are true and `no`, `false`, `off`, `0` are
 * false, in any case, around white space. What an empty value and any other
 * word mean is the option's reading (`FlagReading`): the originals tested
 * some options for a true word and others only for being non-empty, and
 * docs/compat.md keeps that difference where it matters, so it is data here,
 * not a second reader.
 */
const TRUE_WORDS = new Set(['yes', 'true', 'on', '1']);
const FALSE_WORDS = new Set(['no', 'false', 'off', '0']);

/** What a value that is neither a true nor a false word means for one option. */
export interface FlagReading {
  /** An unset or empty (white space only) value. */
  readonly empty: boolean;
  /** Any other word (`enabled`, `TRUE-ish`, …). */
  readonly other: boolean;
}

/** Most options: only a true word is true (the originals' word lists, merged). */
export const TRUE_WORD_ONLY: FlagReading = { empty: false, other: false };
/** Options the originals took as set when non-empty (supervisor's `rollingrestart`, `install-on-startup`, `tunnel`): set unless empty or a false word. */
export const SET_UNLESS_FALSE: FlagReading = { empty: false, other: true };
/** Options that are on by default (pushdeploy's `auto-rollback`): on unless a false word. */
export const ON_UNLESS_FALSE: FlagReading = { empty: true, other: true };

/** A yes/no option's value read the way `reading` says (by default, true only for a true word). */
export function readFlag(value: string | undefined, reading: FlagReading = TRUE_WORD_ONLY): boolean {
  const word = (value ?? '').trim().toLowerCase();
  if (word === '') return reading.empty;
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return reading.other;
}

/** True only for a true word: `readFlag` with the default reading. */
export function isTrue(value: string | undefined): boolean {
  return readFlag(value);
}

/** The same as the strings 'true'/'false', which the runtime writes back into options so plugins compare one way. */
export function flagValue(value: string | undefined, reading: FlagReading = TRUE_WORD_ONLY): 'true' | 'false' {
  return readFlag(value, reading) ? 'true' : 'false';
}
