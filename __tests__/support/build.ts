/**
 * globalSetup of the e2e project: compile the current sources into dist/ before any
 * end-to-end test runs the program (bin/hostout.js, worker threads, require('hostout')).
 *
 * Why always build rather than check timestamps: tsconfig.build.json is incremental
 * (dist/tsconfig.build.tsbuildinfo holds a hash of every source), so an up-to-date
 * dist/ costs one no-op `tsc` (about 3 s here), while mtimes lie after a checkout, a
 * touch or an edit that was reverted. A type error stops the run here, before any
 * test, with tsc's own message. tsc never deletes the output of a source that was
 * renamed or removed, so that is done here: no test can load a module that is gone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT = /(\.d\.ts|\.js\.map|\.js)$/;

/** dist/ files (relative to dist/) whose TypeScript source no longer exists. */
export function orphanedOutputs(dist = path.join(ROOT, 'dist')): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dist, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (OUTPUT.test(e.name) && !fs.existsSync(path.join(ROOT, r.replace(OUTPUT, '.ts')))) out.push(r);
    }
  };
  if (fs.existsSync(dist)) walk('');
  return out;
}

export default function buildDist(): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
  for (const rel of orphanedOutputs()) fs.rmSync(path.join(ROOT, 'dist', rel));
  // The shell programs plugins send to production, which tsc does not copy (as `npm run build` does).
  (require('../../tools/copy-shell-programs.js') as { copyShellPrograms: () => string[] }).copyShellPrograms();
}
