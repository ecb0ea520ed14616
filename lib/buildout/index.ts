/**
 * Public API of the buildout configuration engine: read buildout.cfg files
 * exactly like zc.buildout 2.13.2 (see docs/buildout-engine.md and
 * docs/buildout-compat.md).
 */
import { loadData, type LoadOptions } from './loader';
import { LoadedBuildout, type Buildout } from './buildout';
import { toConfigError } from './user-error';
import { parseConfig } from './parser';

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

/**
 * The sections of one buildout file's text as written: no extends, no
 * `${...}` substitution, no defaults; continuation lines, comments, `[a.b]`
 * section names and conditional sections as zc.buildout reads them. For files
 * that are read rather than loaded, like a versions file. Throws ConfigError
 * naming `fileLabel` and the line.
 */
export function parseBuildoutSections(text: string, fileLabel: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  for (const [name, options] of parseConfig(text, fileLabel)) {
    sections[name] = Object.fromEntries([...options].map(([option, { value }]) => [option, value]));
  }
  return sections;
}
