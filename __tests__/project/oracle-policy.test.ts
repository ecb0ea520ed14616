/**
 * The tests that compare hostout with zc.buildout 2.13.2 never pass quietly
 * without the comparison (__tests__/support/oracle-policy.ts): without
 * python3-zc.buildout they fail saying so, in CI always, elsewhere unless
 * HOSTOUT_SKIP_ORACLE=1 asks to skip them (then visibly, by name).
 */
import { ORACLE_MISSING, SKIPPED_ORACLE_TEST, oraclePolicy } from '../support/oracle-policy';

test('the oracle installed: the comparisons run, in CI or not, whatever HOSTOUT_SKIP_ORACLE says', () => {
  expect(oraclePolicy(true, {})).toBe('run');
  expect(oraclePolicy(true, { CI: 'true', HOSTOUT_SKIP_ORACLE: '1' })).toBe('run');
});

test('the oracle missing outside CI: the file fails, saying what to install and how to skip', () => {
  expect(() => oraclePolicy(false, {})).toThrow(ORACLE_MISSING);
  expect(() => oraclePolicy(false, {})).toThrow(/apt-get install python3-zc\.buildout.*or set HOSTOUT_SKIP_ORACLE=1 to skip/);
  expect(() => oraclePolicy(false, { HOSTOUT_SKIP_ORACLE: 'yes' })).toThrow(ORACLE_MISSING);
});

test('the oracle missing and HOSTOUT_SKIP_ORACLE=1: skipped, under a name that says why', () => {
  expect(oraclePolicy(false, { HOSTOUT_SKIP_ORACLE: '1' })).toBe('skip');
  expect(SKIPPED_ORACLE_TEST).toMatch(/^comparisons with zc\.buildout 2\.13\.2: skipped \(python3-zc\.buildout is not installed/);
});

test('the oracle missing in CI: the file fails, even with HOSTOUT_SKIP_ORACLE=1', () => {
  expect(() => oraclePolicy(false, { CI: 'true', HOSTOUT_SKIP_ORACLE: '1' })).toThrow(/CI needs the oracle/);
});
