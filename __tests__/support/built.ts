/**
 * The compiled program in dist/, for the end-to-end tests that run it as users do
 * (`node bin/hostout.js`, worker threads, `require('hostout')`).
 *
 * The e2e project's globalSetup (build.ts) compiles the current sources before any of
 * these tests starts, so what they run is never a stale dist/. Unit tests run the
 * sources through ts-jest and never need dist/: importing this module from a test of
 * the unit project fails at once, naming where the test belongs.
 */
import * as path from 'node:path';
import { TEST_PROJECT } from './environment';

if (process.env[TEST_PROJECT] !== 'e2e') {
  throw new Error(
    'this test runs the compiled program (dist/): list it in the e2e project in jest.config.js, ' +
      'whose globalSetup builds dist/ from the current sources first',
  );
}

export const ROOT = path.resolve(__dirname, '..', '..');
/** The installed command: bin/hostout.js loads dist/lib/cli/main.js. */
export const HOSTOUT_BIN = path.join(ROOT, 'bin', 'hostout.js');

/** A file under dist/, e.g. dist('lib', 'buildout', 'index.js'). */
export function dist(...parts: string[]): string {
  return path.join(ROOT, 'dist', ...parts);
}
