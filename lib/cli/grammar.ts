/**
 * The hostout command line grammar (compat §1.4), in two small steps.
 *
 * Why not yargs alone: hostout's grammar is positional and order-sensitive
 * (hosts, then command names, then arguments for the last command), and which
 * word is a host or a command is only known after the configuration is loaded
 * (and the configuration file comes from `-c`). A generic parser would also
 * swallow the arguments meant for remote commands (`hostout site run ls -la`).
 * So: `scanArgv` pulls out OUR options wherever they are and checks them
 * against OPTION_TABLE (options.ts types them; yargs renders --help), and `splitPositionals` applies
 * the original algorithm once the hosts and commands are known.
 */
import { UsageError } from '../errors';

/** Our options: name → whether it takes a value. Short aliases map to the long name. */
export const OPTION_TABLE: Readonly<Record<string, { value: boolean; alias?: string }>> = {
  configuration: { value: true, alias: 'c' },
  'no-user-defaults': { value: false, alias: 'U' },
  'dry-run': { value: false },
  offline: { value: false },
  resolve: { value: false },
  annotate: { value: false },
  query: { value: false },
  verbose: { value: false, alias: 'v' },
  quiet: { value: false, alias: 'q' },
  help: { value: false, alias: 'h' },
  version: { value: false },
  'install-script': { value: false },
  // pushdeploy's deploy lock and automatic rollback (host settings `lock-wait`, `auto-rollback`).
  'lock-wait': { value: true },
  'no-rollback': { value: false },
};

const BY_ALIAS: Record<string, string> = Object.fromEntries(
  Object.entries(OPTION_TABLE).flatMap(([long, o]) => (o.alias ? [[o.alias, long]] : [])),
);

export interface ScannedArgv {
  /** Our option words, normalised to `--long[=value]`, in order (given to yargs). */
  optionWords: string[];
  /** `section:option=value` words given before the first host. */
  assignments: string[];
  /** Everything else, in order: hosts, commands, arguments. */
  positional: string[];
}

/**
 * A buildout command-line assignment: `section:option=value` (or `option=value`,
 * meaning [buildout]). Like zc.buildout's main(), ANY word with an `=` before the
 * first positional word is one (`' s : y = spaced '`, `a:b:c=1` included); the
 * config engine validates it and reports a bad one as a config error.
 */
const isAssignment = (word: string): boolean => word.includes('=');

/**
 * Pull our options out of argv, wherever they are. A dash word that is not
 * ours is an argument once a positional word came before it (so `site run ls
 * -la` works), and a usage error before that. `--` ends option parsing.
 */
export function scanArgv(argv: readonly string[]): ScannedArgv {
  const out: ScannedArgv = { optionWords: [], assignments: [], positional: [] };
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (optionsEnded || word === '-' || !word.startsWith('-')) {
      if (!optionsEnded && out.positional.length === 0 && isAssignment(word)) out.assignments.push(word);
      else out.positional.push(word);
      continue;
    }
    if (word === '--') { optionsEnded = true; continue; }
    let name: string | undefined;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      inline = eq >= 0 ? word.slice(eq + 1) : undefined;
      if (!OPTION_TABLE[name]) name = undefined;
    } else if (BY_ALIAS[word[1]] && (word.length === 2 || OPTION_TABLE[BY_ALIAS[word[1]]].value)) {
      name = BY_ALIAS[word[1]];
      inline = word.length > 2 ? word.slice(2) : undefined; // -cFILE
    } else if (word.length > 2 && [...word.slice(1)].every((ch) => BY_ALIAS[ch] && !OPTION_TABLE[BY_ALIAS[ch]].value)) {
      for (const ch of word.slice(1)) out.optionWords.push(`--${BY_ALIAS[ch]}`); // -qU
      continue;
    }
    if (!name) {
      if (out.positional.length > 0) { out.positional.push(word); continue; }
      throw new UsageError(`no such option: ${word}`, { suggestHelp: true });
    }
    const spec = OPTION_TABLE[name];
    if (spec.value) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`, { suggestHelp: true });
      out.optionWords.push(`--${name}=${value}`);
    } else {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`, { suggestHelp: true });
      out.optionWords.push(`--${name}`);
    }
  }
  return out;
}

export interface SplitCommandLine {
  hosts: string[];
  commands: string[];
  args: string[];
  /** The first word that is neither a host nor (after the hosts) a command, when there is one. */
  firstUnknown?: string;
}

/**
 * compat §1.4: hosts first (`all` = every host, in `parts` order), then command
 * names, greedily, from the union of the selected hosts' commands, then the
 * arguments. Fixes of §7.4.3: a host is run once even when named twice or
 * also covered by `all`, and `all` no longer drops the hosts named before it.
 */
export function splitPositionals(
  positional: readonly string[],
  allHosts: readonly string[],
  commandsOf: (hosts: string[]) => ReadonlySet<string>,
): SplitCommandLine {
  const hosts: string[] = [];
  let i = 0;
  for (; i < positional.length; i++) {
    const word = positional[i];
    if (allHosts.includes(word)) { if (!hosts.includes(word)) hosts.push(word); continue; }
    if (word === 'all') { for (const h of allHosts) if (!hosts.includes(h)) hosts.push(h); continue; }
    break;
  }
  const commands: string[] = [];
  const known = hosts.length ? commandsOf(hosts) : new Set<string>();
  for (; i < positional.length && hosts.length; i++) {
    if (!known.has(positional[i])) break;
    commands.push(positional[i]);
  }
  const args = positional.slice(i);
  return { hosts, commands, args, firstUnknown: args[0] };
}
