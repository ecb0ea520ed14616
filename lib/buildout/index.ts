/**
 * Public API of the buildout configuration engine: read buildout.cfg files
 * exactly like zc.buildout 2.13.2 (see docs/buildout-engine.md and
 * docs/buildout-compat.md).
 */
import { loadData, type LoadOptions } from './loader';
import { LoadedBuildout, type Buildout } from './buildout';
import { toConfigError } from './user-error';

export type { LoadOptions } from './loader';
export type { Buildout, ResolveProblem } from './buildout';
export { LoadedBuildout } from './buildout';

/** Load and check a buildout configuration. Throws ConfigError (lib/errors.ts). */
export async function loadBuildout(options: LoadOptions = {}): Promise<Buildout> {
  const cwd = options.cwd ?? process.cwd();
  try {
    return new LoadedBuildout(await loadData(options));
  } catch (err) {
    throw toConfigError(err, cwd);
  }
}
