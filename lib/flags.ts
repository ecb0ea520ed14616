/**
 * The one reading of a buildout-style yes/no option (`no-sudo`, `local-sudo`,
 * `extends-only`, …). The originals each kept their own list of truthy words
 * ('yes'/'true' for no-sudo, 'True'/'true'/'Yes'/'yes'/'1' for pushdeploy's
 * flags); every word any of them accepted is true here, in any case, and so
 * are `on` and `1`. Anything else, the empty string included, is false.
 */
const TRUE_WORDS = new Set(['yes', 'true', 'on', '1']);

export function isTrue(value: string | undefined): boolean {
  return TRUE_WORDS.has((value ?? '').trim().toLowerCase());
}

/** The same as the strings 'true'/'false', which the runtime writes back into options so plugins compare one way. */
export function flagValue(value: string | undefined): 'true' | 'false' {
  return isTrue(value) ? 'true' : 'false';
}
