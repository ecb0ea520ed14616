/**
 * A hostout part's `extends`: each whitespace-separated name
 * is either another section, whose options are merged in, or a plugin name.
 *
 * Deliberate fixes of the original (listed in docs/compat.md):
 * - nearest wins: for options the child lacks, a parent beats a grandparent and
 *   an earlier name in `extends` beats a later one (the original let the
 *   grandparent win, because it merged depth-first into the child);
 * - `fabfiles`, `pre-commands`, `post-commands` concatenate LINE by line,
 *   child first, then each parent's (already merged) lines; the original
 *   split the child's value on whitespace, breaking `bin/supervisorctl shutdown`;
 * - we merge the parent's options as written, before any defaults, so a parent
 *   that is itself a host no longer leaks its `path` and `hostname`;
 * - the child also gets the parent's plugins (the original forgot them).
 */
import { ConfigError } from '../errors';
import { lines, words, type BuildoutView } from './buildout-view';

/** Options whose values from the child and its parents are joined instead of overridden. */
export const CONCATENATED_OPTIONS: readonly string[] = ['fabfiles', 'pre-commands', 'post-commands'];

/** Never copied from a parent: each part keeps its own. */
const NOT_INHERITED = new Set(['recipe', 'extends']);

export interface MergedPart {
  /** The part's options with its parents' merged in; no defaults applied yet. */
  options: Record<string, string>;
  /** Plugin names in `extends` order, the parents' after the child's own; no duplicates. */
  plugins: string[];
}

/** Merge a part's `extends` chain. `seen` guards against cycles (a name is handled once). */
export function mergeExtends(bo: BuildoutView, partName: string, seen: Set<string> = new Set([partName])): MergedPart {
  const options = { ...bo.section(partName) };
  const plugins: string[] = [];
  for (const name of words(options.extends)) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!bo.hasSection(name)) {
      plugins.push(name);
      continue;
    }
    if (name === 'buildout') throw new ConfigError('extends = buildout: a hostout part cannot extend [buildout]', { host: partName, option: 'extends' });
    const parent = mergeExtends(bo, name, seen);
    for (const [key, value] of Object.entries(parent.options)) {
      if (NOT_INHERITED.has(key)) continue;
      if (CONCATENATED_OPTIONS.includes(key)) {
        options[key] = [...lines(options[key]), ...lines(value)].join('\n');
      } else if (!(key in options)) {
        options[key] = value;
      }
    }
    plugins.push(...parent.plugins);
  }
  return { options, plugins: plugins.filter((p, i) => plugins.indexOf(p) === i) };
}
