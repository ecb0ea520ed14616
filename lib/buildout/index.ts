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

/**
 * The local files a configuration is read from: the config file and every
 * local file its `extends` chains reach, absolute, in reading order, each
 * once: the engine's own record of what it opened (zc.buildout's reading
 * rules: comments and blank lines inside `extends` skipped, paths relative to
 * the extending file). Nothing is evaluated and no URL is fetched. Throws
 * ConfigError (a file that does not exist, a syntax error) with file and line.
 */
export async function configFilesOf(options: Omit<LoadOptions, 'filesOnly'> = {}): Promise<string[]> {
  const cwd = options.cwd ?? process.cwd();
  try {
    return (await loadData({ ...options, filesOnly: true })).files;
  } catch (err) {
    throw toConfigError(err, cwd);
  }
}
