import { ON_UNLESS_FALSE, SET_UNLESS_FALSE, TRUE_WORD_ONLY, flagValue, isTrue, readFlag } from '../../lib/flags';
import * as api from '../../lib';

describe('readFlag: the one yes/no reader', () => {
  const trueWords = ['yes', 'true', 'on', '1', 'YES', ' True ', 'On'];
  const falseWords = ['no', 'false', 'off', '0', 'NO', ' False '];

  it.each([TRUE_WORD_ONLY, SET_UNLESS_FALSE, ON_UNLESS_FALSE])('reads the true and false words the same in every reading (%o)', (reading) => {
    for (const w of trueWords) expect(readFlag(w, reading)).toBe(true);
    for (const w of falseWords) expect(readFlag(w, reading)).toBe(false);
  });

  it('keeps each reading\'s meaning of an empty value and of any other word', () => {
    expect([readFlag(undefined), readFlag('  '), readFlag('enabled')]).toEqual([false, false, false]);
    expect([readFlag(undefined, SET_UNLESS_FALSE), readFlag('', SET_UNLESS_FALSE), readFlag('enabled', SET_UNLESS_FALSE)]).toEqual([false, false, true]);
    expect([readFlag(undefined, ON_UNLESS_FALSE), readFlag('', ON_UNLESS_FALSE), readFlag('enabled', ON_UNLESS_FALSE)]).toEqual([true, true, true]);
  });

  it('isTrue and flagValue are the default reading', () => {
    expect(isTrue('Yes')).toBe(true);
    expect(isTrue('enabled')).toBe(false);
    expect(flagValue('on')).toBe('true');
    expect(flagValue('enabled')).toBe('false');
    expect(flagValue('enabled', SET_UNLESS_FALSE)).toBe('true');
  });

  it('is the reader plugins get from the public API', () => {
    expect(api.readFlag).toBe(readFlag);
    expect(api.SET_UNLESS_FALSE).toBe(SET_UNLESS_FALSE);
    expect(api.ON_UNLESS_FALSE).toBe(ON_UNLESS_FALSE);
  });
});
