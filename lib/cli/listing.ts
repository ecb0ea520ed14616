/**
 * The texts the original printed when a host or a command is missing
 * (compat §1.5), byte for byte: the usage line, `Valid hosts are:` (sorted) and
 * `Valid commands are:` (3-space indent, names padded to the longest, ` : ` and
 * the first description line verbatim, or a lone trailing space without one).
 */
import type { CommandListing } from '../hostout/dispatch';

export const CMDLINE_USAGE = 'cmdline is: bin/hostout host1 [host2...] [all] cmd1 [cmd2...] [arg1 arg2...]';

/** Byte order, like Python's sorted() on str. */
function byteSort(names: string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function formatValidHosts(hosts: readonly string[]): string {
  return `Valid hosts are: ${byteSort([...hosts]).join(' ')}`;
}

export function formatValidCommands(commands: readonly CommandListing[]): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  const rows = commands.map((c) => {
    const first = c.description.split('\n')[0];
    return c.description ? `   ${c.name.padEnd(width)} : ${first}` : `   ${c.name.padEnd(width)} `;
  });
  return ['Valid commands are:', ...rows].join('\n');
}

/** The union of several hosts' command listings (the first description of a name wins), sorted. */
export function unionListing(listings: readonly CommandListing[][]): CommandListing[] {
  const byName = new Map<string, CommandListing>();
  for (const list of listings) for (const c of list) if (!byName.has(c.name)) byName.set(c.name, c);
  return byteSort([...byName.keys()]).map((n) => byName.get(n)!);
}
