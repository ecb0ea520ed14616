/**
 * globalSetup of the e2e project: compile the current sources into dist/ before any
 * end-to-end test runs the program (bin/hostout.js, worker threads, require('hostout')).
 *
 * Why always build rather than check timestamps: tsconfig.build.json is incremental
 * (dist/tsconfig.build.tsbuildinfo holds a hash of every source), so an up-to-date
 * dist/ costs one no-op `tsc` (about 2-3 s here), while mtimes lie after a checkout,
 * a touch or an edit that was reverted. A type error stops the run here, before any
 * test, with tsc's own message.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export default function buildDist(): void {
  const root = path.resolve(__dirname, '..', '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit', timeout: 300_000 });
}
