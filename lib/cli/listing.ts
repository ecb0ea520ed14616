/**
 * What the command line prints about hosts, commands and results.
 *
 * The listings are the original's, byte for byte: the usage line,
 * `Valid hosts are:` (sorted) and `Valid commands are:` (3-space indent, names
 * padded to the longest, ` : ` and the first description line verbatim, or a
 * lone trailing space without one). With -v each command row also says which
 * plugin provides it and which it overrides. The error lines add a
 * did-you-mean, and name a part that is not a host for the reason it is not.
 */
import { inspect } from 'node:util';
import type { CommandListing } from '../hostout/dispatch';
import { isHostoutRecipe } from '../hostout/parts';
import { didYouMean } from '../suggest';

export const CMDLINE_USAGE = 'cmdline is: bin/hostout host1 [host2...] [all] cmd1 [cmd2...] [arg1 arg2...]';

/** Byte order, like Python's sorted() on str. */
function byteSort(names: string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `Valid hosts are: …`; when there are none, a second line says what a host is. */
export function formatValidHosts(hosts: readonly string[], configName?: string): string {
  const line = `Valid hosts are: ${byteSort([...hosts]).join(' ')}`;
  if (hosts.length > 0 || configName === undefined) return line;
  return `${line}\n${configName} has no hosts: a host is a part (named in [buildout] parts) with recipe = collective.hostout`;
}

export function formatValidCommands(commands: readonly CommandListing[], opts: { verbose?: boolean } = {}): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  const rows = commands.map((c) => {
    const first = c.description.split('\n')[0];
    const row = c.description ? `   ${c.name.padEnd(width)} : ${first}` : `   ${c.name.padEnd(width)} `;
    if (!opts.verbose) return row;
    const overrides = c.overrides?.length ? `; overrides ${c.overrides.join(', ')}` : '';
    return `${row}${c.description ? '  ' : ''}[from ${c.from}${overrides}]`;
  });
  return ['Valid commands are:', ...rows].join('\n');
}

/** The union of several hosts' command listings (the first description of a name wins), sorted. */
export function unionListing(listings: readonly CommandListing[][]): CommandListing[] {
  const byName = new Map<string, CommandListing>();
  for (const list of listings) for (const c of list) if (!byName.has(c.name)) byName.set(c.name, c);
  return byteSort([...byName.keys()]).map((n) => byName.get(n)!);
}

/** What a configuration says about a section name, for the not-a-host message. */
interface SectionsView {
  hasSection(name: string): boolean;
  section(name: string): Record<string, string>;
}

/**
 * Why `word` is not a host: a part with another recipe is named as such, with
 * the recipe a host needs; a section that is no part says so; otherwise the
 * nearest host name on the next line, when one is near.
 */
export function notAHost(word: string, hosts: readonly string[], bo: SectionsView, configName: string): string {
  let section: Record<string, string> | undefined;
  try {
    section = bo.hasSection(word) ? bo.section(word) : undefined;
  } catch {
    section = undefined; // a section that does not resolve: say no more than "not a host"
  }
  if (section && !isHostoutRecipe(section.recipe)) {
    const recipe = section.recipe?.trim();
    return `'${word}' is not a host of ${configName}: its recipe is ${recipe ? `'${recipe}'` : 'not set'}, ` +
      `and a host is a part with recipe = collective.hostout`;
  }
  if (section) {
    return `'${word}' is not a host of ${configName}: the section has recipe = collective.hostout but is not named in [buildout] parts`;
  }
  const hint = didYouMean(word, hosts);
  return `'${word}' is not a host of ${configName}${hint ? `\n${hint.trim()}` : ''}`;
}

/** `'x' is not a valid command for host 'web'`, and on the next line the nearest command, when one is near. */
export function notACommand(word: string, forWhom: string, commands: readonly CommandListing[]): string {
  const hint = didYouMean(word, commands.map((c) => c.name));
  return `'${word}' is not a valid command for ${forWhom}${hint ? `\n${hint.trim()}` : ''}`;
}

/** A raw result of ctx.remote.run/sudo or ctx.local.run: output the user has seen already, not a value chosen to return. */
function isCommandResult(value: object): boolean {
  const keys = Object.keys(value).sort();
  return keys.length === 3 && keys[0] === 'code' && keys[1] === 'stderr' && keys[2] === 'stdout';
}

/**
 * The text of `Return value: …` for a command's result, or undefined when no
 * line is printed: nothing returned (undefined), an empty string, or a raw
 * command result ({stdout, stderr, code}). Otherwise Python-2-like str():
 * True/False/None, strings as they are, JSON for objects (Node's one-line
 * rendering when JSON cannot hold the value: a cycle, a BigInt).
 */
export function formatReturnValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'object') {
    if (isCommandResult(value)) return undefined;
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch {
      // Circular, a BigInt inside, or a toJSON that throws: fall through to Node's own rendering.
    }
    // One line, cycles marked as [Circular *1].
    return inspect(value, { depth: 4, breakLength: Infinity });
  }
  if (typeof value === 'function') return inspect(value);
  return String(value);
}
