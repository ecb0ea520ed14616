/** globalTeardown of both jest projects: fail the run naming what the tests left in /tmp (tmp-guard.ts). */
export { teardown as default } from './tmp-guard';
