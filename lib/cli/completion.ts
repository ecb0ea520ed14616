/**
 * Shell completion: the words that may come next on a hostout command line,
 * computed from the configuration without connecting anywhere. hostout's
 * options (where they are hostout's: long ones before `--`, short ones before
 * the first command word), the value of `-c` (the .cfg files here), the hosts
 * of the buildout in the current directory (or -c FILE) and `all`, the
 * selected hosts' commands (from their plugins), and `--` after a command.
 * After `--`, or once the arguments have begun, nothing is offered: those
 * words are the command's. The options of the selected hosts' plugins
 * (Plugin.options) are offered with hostout's. The yargs layer (option-layer.ts) asks this module
 * and hands the answer to the shell.
 */
import { readdirSync } from 'node:fs';
import { Runtime } from '../hostout/dispatch';
import { buildoutDirectoryOf } from '../hostout/parts';
import { createRecordingLogger } from '../log';
import type { TransportFactory } from '../transport/types';
import { scanArgv, splitPositionals } from './grammar';
import { OPTIONS, configOf, optionByName, optionByShort, pluginOptionRows, type OptionSpec } from './options';
import { loadRun } from './run';

export interface CompletionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The option rows (the table, and later those of plugins). */
  rows?: readonly OptionSpec[];
}

/** Completion never runs a command: a transport that refuses proves nothing connects. */
const NO_TRANSPORT: TransportFactory = {
  forHost: () => { throw new Error('completion does not connect'); },
  closeAll: async () => {},
};

/** The value option the word before the one being typed asks a value for (`-c`, `--configuration`, `-P`), if any. */
function valueOptionBefore(word: string | undefined): OptionSpec | undefined {
  if (word === undefined) return undefined;
  const spec = word.startsWith('--') ? optionByName(word.slice(2)) : /^-[^-]$/.test(word) ? optionByShort(word[1]) : undefined;
  return spec?.type === 'value' ? spec : undefined;
}

/** The configuration files in the current directory, for `-c`. */
function configFiles(cwd: string): string[] {
  try {
    return readdirSync(cwd).filter((f) => f.endsWith('.cfg')).sort();
  } catch {
    return [];
  }
}

/**
 * The words that may replace the last of `typed` (the words after `hostout`;
 * the last one is the word being typed, '' for a new word), those starting
 * with it. Errors in the command line or the configuration give no words.
 */
export async function completionCandidates(typed: readonly string[], ctx: CompletionContext): Promise<string[]> {
  const rows: readonly OptionSpec[] = ctx.rows ?? OPTIONS;
  const current = typed.length ? typed[typed.length - 1] : '';
  const before = typed.slice(0, -1);
  const startsWith = (words: Iterable<string>) => [...new Set(words)].filter((w) => w.startsWith(current));
  if (before.includes('--')) return []; // the command's words

  const valueOf = valueOptionBefore(before[before.length - 1]);
  if (valueOf) return valueOf.name === 'configuration' ? startsWith(configFiles(ctx.cwd)) : [];

  let longOptions = rows.map((o) => `--${o.name}`);
  let scanned;
  try {
    // Lenient: a word may be an option of the selected hosts' plugins, known once they load.
    scanned = scanArgv(before, { lenient: true });
  } catch {
    return current.startsWith('-') ? startsWith(longOptions) : [];
  }
  const opts = scanned.options;
  let hosts: string[];
  let commandsOf: (selected: string[]) => Set<string>;
  try {
    const { config, userDefaults } = configOf(opts, ctx.cwd);
    const loaded = await loadRun({ config, userDefaults, assignments: scanned.assignments, cwd: ctx.cwd, env: ctx.env });
    const runtime = new Runtime(loaded.hosts, { transport: NO_TRANSPORT, log: createRecordingLogger(), dryRun: true, buildoutDirectory: buildoutDirectoryOf(loaded.bo, config) });
    hosts = runtime.hostNames();
    const isHost = (w: string) => hosts.includes(w);
    // An option hostout does not know may take a value: with the hosts known, the lenient scan steps over it.
    const found = scanned.unknownOption ? scanArgv(before, { isHost, lenient: true }) : scanned;
    const selected = splitPositionals(found.positional, hosts, () => new Set(), found.dashDash).hosts;
    await runtime.load(selected);
    commandsOf = (names) => new Set(names.flatMap((h) => runtime.commands(h).map((c) => c.name)));
    // The options of the selected hosts' plugins (Plugin.options) are theirs too.
    const own = pluginOptionRows(selected.flatMap((h) => runtime.definition(h).sets.map((set) => set.plugin)));
    // With those known, a word hostout refuses (`--bogus`) makes the command line one it would refuse: no words.
    if (scanned.unknownOption) scanned = scanArgv(before, { isHost, rows: own });
    if (own.some((o) => o.type === 'value' && `--${o.name}` === before[before.length - 1])) return []; // its value: anything
    longOptions = [...longOptions, ...own.map((o) => `--${o.name}`)];
  } catch {
    return current.startsWith('-') ? startsWith(longOptions) : [];
  }
  const split = splitPositionals(scanned.positional, hosts, commandsOf, scanned.dashDash);
  const atArguments = split.hosts.length > 0 && split.args.length > 0;
  const noHostYet = split.hosts.length === 0 && scanned.positional.length > 0;
  if (current.startsWith('-')) {
    // Short options are hostout's only before the first command word; after it, only the long ones and `--`.
    const shorts = split.commands.length === 0 ? rows.flatMap((o) => (o.short ? [`-${o.short}`] : [])) : [];
    return startsWith([...longOptions, ...(current.startsWith('--') ? [] : shorts), ...(split.commands.length > 0 ? ['--'] : [])]);
  }
  if (atArguments || noHostYet) return [];
  if (split.hosts.length === 0) return startsWith([...hosts.slice().sort(), 'all']);
  const commands = [...commandsOf(split.hosts)].sort();
  if (split.commands.length === 0) return startsWith([...hosts.filter((h) => !split.hosts.includes(h)).sort(), 'all', ...commands]);
  return startsWith([...commands, '--']);
}
