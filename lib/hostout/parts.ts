/**
 * Which sections are hosts (compat §2.1, §1.3).
 *
 * - A normal buildout.cfg: the sections named in the resolved `[buildout] parts`
 *   whose `recipe` is collective.hostout (any version pin, extra or entry point:
 *   `collective.hostout==1.0a5`, `collective.hostout[foo]`, `collective.hostout:default`).
 * - The file the Python recipe generates, `parts/hostout/hostout.cfg`: every
 *   section but [buildout] and [versions] is a host. We recognise it by its
 *   name, or by a [buildout] with no `parts` but the recipe's `location` key
 *   (the generated file's [buildout] holds `location`, never `parts`).
 */
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { words, type BuildoutView } from './buildout-view';

const RECIPE_NAME = 'collective.hostout';

/** True for a recipe spec naming collective.hostout, with or without version, extra or entry point. */
export function isHostoutRecipe(recipe: string | undefined): boolean {
  if (!recipe) return false;
  const name = /^\s*([A-Za-z0-9_.-]+)/.exec(recipe)?.[1];
  return !!name && name.toLowerCase().replace(/_/g, '-') === RECIPE_NAME;
}

/** Whether this configuration is a generated `hostout.cfg` rather than a buildout.cfg. */
export function isGeneratedHostoutConfig(bo: BuildoutView, configFile?: string): boolean {
  if (configFile && path.basename(configFile) === 'hostout.cfg') return true;
  if (!bo.hasSection('buildout')) return false;
  const main = bo.section('buildout');
  return !(main.parts ?? '').trim() && 'location' in main;
}

/**
 * The buildout directory of a configuration. For a generated hostout.cfg it is
 * the recipe's `[buildout] location` (the file itself lives in parts/hostout/);
 * develop paths, cfg names, `versionsfile` and the local path in pre/post
 * commands are relative to it.
 */
export function buildoutDirectoryOf(bo: BuildoutView, configFile?: string): string {
  if (isGeneratedHostoutConfig(bo, configFile) && bo.hasSection('buildout')) {
    const location = (bo.section('buildout').location ?? '').trim();
    if (location) return path.resolve(bo.directory, location);
  }
  return bo.directory;
}

/** The host (part) names, in `parts` order (file order for a generated hostout.cfg). */
export function findHostParts(bo: BuildoutView, configFile?: string): string[] {
  if (isGeneratedHostoutConfig(bo, configFile)) {
    return bo.sectionNames().filter((n) => n !== 'buildout' && n !== 'versions');
  }
  if (!bo.hasSection('buildout')) throw new ConfigError('the configuration has no [buildout] section', { file: configFile });
  const seen = new Set<string>();
  const hosts: string[] = [];
  for (const part of words(bo.section('buildout').parts)) {
    if (seen.has(part)) continue;
    seen.add(part);
    if (!bo.hasSection(part)) {
      throw new ConfigError(`[buildout] parts names '${part}' but there is no [${part}] section`, { file: configFile });
    }
    if (isHostoutRecipe(bo.section(part).recipe)) hosts.push(part);
  }
  return hosts;
}
