/**
 * A buildout directory of the test file's own, for the command-line tests of
 * plugins: made before the file's tests from `files` (relative path → text;
 * a plugin package of the test's own goes under node_modules/NAME/), with the
 * example packages of fixtures/hostout/packages copied into its node_modules
 * and this checkout linked as node_modules/hostout (an installed plugin does
 * require('hostout')) when asked; removed after the file's tests. `dir` is
 * there once the file's beforeAll hooks have run.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './built';

export const EXAMPLE_PACKAGES = path.join(ROOT, 'fixtures', 'hostout', 'packages');

export interface TempProjectOptions {
  /** Packages of fixtures/hostout/packages to copy into node_modules. */
  packages?: string[];
  /** Link this checkout as node_modules/hostout. */
  linkHostout?: boolean;
}

export function useTempProject(prefix: string, files: Record<string, string>, options: TempProjectOptions = {}): { readonly dir: string } {
  const made = { dir: '' };
  beforeAll(() => {
    made.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    const modules = path.join(made.dir, 'node_modules');
    mkdirSync(modules);
    for (const name of options.packages ?? []) cpSync(path.join(EXAMPLE_PACKAGES, name), path.join(modules, name), { recursive: true });
    if (options.linkHostout) symlinkSync(ROOT, path.join(modules, 'hostout'), 'dir');
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(made.dir, rel)), { recursive: true });
      writeFileSync(path.join(made.dir, rel), text);
    }
  }, 240_000);
  afterAll(() => {
    if (made.dir) rmSync(made.dir, { recursive: true, force: true });
  });
  return made;
}
