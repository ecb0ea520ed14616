/**
 * What a test file that compares hostout with zc.buildout 2.13.2 (the oracle)
 * does when python3-zc.buildout is not installed. It never passes quietly
 * without comparing:
 * - in CI, and by default anywhere, the file fails at once saying what is missing;
 * - with HOSTOUT_SKIP_ORACLE=1 (outside CI only) the comparisons are skipped,
 *   and the file shows one skipped test that says so by name.
 * Pure (no process, no dist/), so the unit project tests it.
 */

/** The environment variable that lets a machine without zc.buildout skip the comparisons. */
export const SKIP_ORACLE_VARIABLE = 'HOSTOUT_SKIP_ORACLE';

export const ORACLE_MISSING =
  'python3-zc.buildout is not installed (/usr/bin/python3 cannot import zc.buildout): this test file compares hostout ' +
  'with zc.buildout 2.13.2 and cannot run without it. Install it (apt-get install python3-zc.buildout; CI installs ' +
  '.ci/apt-packages.txt)';

/** 'run' when the oracle is there, 'skip' when a person outside CI asked to skip; otherwise throws with the reason. */
export function oraclePolicy(available: boolean, env: NodeJS.ProcessEnv): 'run' | 'skip' {
  if (available) return 'run';
  if (env.CI) throw new Error(`${ORACLE_MISSING}; CI needs the oracle.`);
  if (env[SKIP_ORACLE_VARIABLE] === '1') return 'skip';
  throw new Error(`${ORACLE_MISSING}, or set ${SKIP_ORACLE_VARIABLE}=1 to skip the comparisons (each file then shows them as skipped).`);
}

/** The name of the skipped test a file shows when its comparisons are skipped. */
export const SKIPPED_ORACLE_TEST = `comparisons with zc.buildout 2.13.2: skipped (python3-zc.buildout is not installed, ${SKIP_ORACLE_VARIABLE}=1)`;
