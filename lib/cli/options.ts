/**
 * hostout's own options: ONE table. The scanner (grammar.ts) recognises
 * options from it, the yargs layer (option-layer.ts) declares them to yargs
 * from it (types, --help, completion), and the did-you-mean of a mistyped
 * option searches it. Nothing else lists the options. See docs/cli.md.
 *
 * Where an option may appear follows from its row:
 *  - the long form `--name` is hostout's anywhere before the first `--`;
 *  - the short form `-x` is hostout's only before the first command word
 *    (among the hosts too); after it, `-x` belongs to the command;
 *  - a `safety` option (one that keeps a run from changing hosts) is also
 *    looked for after `--`: there it is refused rather than handed to a
 *    command that would then run for real (unless `--literal` is given).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path'; // named: `* as` compiles to a copy of every export at start-up
import { ConfigError, UsageError } from '../errors';
import type { CliOptionSpec } from '../hostout/types';
import type * as OptionLayer from './option-layer';

export interface OptionSpec {
  /** The long name, without the dashes. */
  readonly name: string;
  /** The one-letter short form, without the dash. */
  readonly short?: string;
  /**
   * `value`: the option takes a value (`--configuration FILE`, `--configuration=FILE`, `-cFILE`).
   * `flag`: it takes none; `operands` then names the positional words the mode reads, for --help.
   */
  readonly type: 'flag' | 'value';
  /** The placeholder shown in --help: the value, or the operands of a mode (`[DIR]`). */
  readonly placeholder?: string;
  readonly help: string;
  /** The heading it is listed under in --help. */
  readonly group?: string;
  /** Keeps a run from changing anything on a host: refused after `--` instead of passed on. */
  readonly safety?: boolean;
  /** A config-engine mode: it reads the configuration and prints, runs no host (at most one per command line). */
  readonly configMode?: boolean;
  /** A plugin's option (Plugin.options): that plugin's name. Its value goes to the hosts, not to ParsedOptions. */
  readonly plugin?: string;
  /** A plugin's value option whose value must be a number. */
  readonly numeric?: boolean;
}

export const OPTIONS = [
  { name: 'configuration', short: 'c', type: 'value', placeholder: 'FILE', group: 'Configuration', help: 'the buildout configuration (default: buildout.cfg, else parts/hostout/hostout.cfg); the last one wins' },
  { name: 'no-user-defaults', short: 'U', type: 'flag', group: 'Configuration', help: 'do not read ~/.buildout/default.cfg' },
  { name: 'dry-run', type: 'flag', safety: true, group: 'Running', help: 'change nothing anywhere: connect and ask the hosts what a run needs to know, then print every command that would change something (and rsync\'s file delta) instead of running it' },
  { name: 'offline', type: 'flag', safety: true, group: 'Running', help: 'with --dry-run: connect nowhere; every answer a host would give is assumed, and marked so' },
  { name: 'literal', type: 'flag', group: 'Running', help: 'words after -- reach the command even when they read like --dry-run or --offline' },
  { name: 'verbose', short: 'v', type: 'flag', group: 'Output', help: 'more output: every command the transport runs, which plugin provides each command, stack traces' },
  { name: 'quiet', short: 'q', type: 'flag', group: 'Output', help: 'only warnings, errors and the Return value line' },
  { name: 'resolve', type: 'flag', configMode: true, group: 'Configuration engine (print, run no host)', help: 'print every resolved buildout value as JSON' },
  { name: 'annotate', type: 'flag', configMode: true, placeholder: '[SECTION...]', group: 'Configuration engine (print, run no host)', help: 'print the configuration (of the SECTIONs) like `buildout annotate`' },
  { name: 'query', type: 'flag', configMode: true, placeholder: 'SECTION:OPTION', group: 'Configuration engine (print, run no host)', help: 'print one resolved value' },
  { name: 'install-script', type: 'flag', placeholder: '[DIR]', group: 'Other', help: 'write DIR/bin/hostout (default: the current directory) that runs this hostout' },
  { name: 'parallel', short: 'P', type: 'value', placeholder: 'N', group: 'Running', help: 'run up to N hosts at once (default: `parallel` of the host parts or [buildout], else 1)' },
  { name: 'keep-going', type: 'flag', group: 'Running', help: 'start every host even after one failed (default: no new host starts after a failure)' },
  { name: 'json', type: 'flag', group: 'Output', help: 'newline-delimited JSON events on stdout (docs/events.schema.json); human output on stderr' },
  { name: 'no-rollback', type: 'flag', group: 'Running', help: 'a command that would undo a failed change keeps it (a deploy: the new release stays live when its restart or health check fails), and, with several hosts, the hosts that went live when another fails stay live' },
  { name: 'help', short: 'h', type: 'flag', group: 'Other', help: 'show this help' },
  { name: 'version', short: 'V', type: 'flag', group: 'Other', help: 'show the hostout version' },
] as const satisfies readonly OptionSpec[];

export type OptionName = (typeof OPTIONS)[number]['name'];
/** The config-engine modes (--resolve, --annotate, --query): the rows marked configMode. */
export type ConfigModeName = Extract<(typeof OPTIONS)[number], { configMode: true }>['name'];
export const CONFIG_MODES = OPTIONS.flatMap((o) => ('configMode' in o ? [o.name] : [])) as ConfigModeName[];
type ValueName = Extract<(typeof OPTIONS)[number], { type: 'value' }>['name'];
type FlagName = Exclude<OptionName, ValueName>;

/** The typed options of one command line: a flag is true when given; a value option holds its last value. */
export type ParsedOptions = { [K in FlagName]: boolean } & { [K in ValueName]?: string };

const BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.name, o]));
const BY_SHORT: ReadonlyMap<string, OptionSpec> = new Map(
  OPTIONS.flatMap((o): [string, OptionSpec][] => ('short' in o ? [[o.short, o]] : [])),
);

export const optionByName = (name: string): OptionSpec | undefined => BY_NAME.get(name);
export const optionByShort = (letter: string): OptionSpec | undefined => BY_SHORT.get(letter);
export const SAFETY_OPTIONS: readonly OptionSpec[] = OPTIONS.filter((o: OptionSpec) => o.safety);

/**
 * The option rows of some plugins' command-line options (Plugin.options), for
 * the scanner, --help and completion. Throws ConfigError, naming the plugin,
 * for a name that is not an option name or is hostout's own.
 */
export function pluginOptionRows(plugins: readonly { name: string; options?: readonly CliOptionSpec[] }[]): OptionSpec[] {
  const rows = new Map<string, OptionSpec>();
  for (const plugin of plugins) {
    for (const o of plugin.options ?? []) {
      const bad = (why: string) => new ConfigError(`plugin ${plugin.name}: command-line option '${o.name}' ${why}`);
      if (!/^[a-z][a-z0-9-]*$/.test(o.name)) throw bad('is not an option name (lower case letters, digits and -, starting with a letter)');
      if (BY_NAME.has(o.name)) throw bad('is one of hostout\'s own options');
      if (!['boolean', 'string', 'number'].includes(o.type)) throw bad(`has type '${String(o.type)}' (boolean, string or number)`);
      if (typeof o.sets !== 'string' || o.sets === '') throw bad('sets no host option (`sets`)');
      // Two plugins of the run may declare the same option (two versions of one plugin): the first row is shown.
      if (rows.has(o.name)) continue;
      rows.set(o.name, {
        name: o.name,
        type: o.type === 'boolean' ? 'flag' : 'value',
        ...(o.type === 'boolean' ? {} : { placeholder: o.placeholder ?? o.type.toUpperCase() }),
        help: o.description,
        group: `Options of ${plugin.name}`,
        plugin: plugin.name,
        ...(o.type === 'number' ? { numeric: true } : {}),
      });
    }
  }
  return [...rows.values()];
}

/** Every flag false, no value set. */
export function defaultOptions(): ParsedOptions {
  const opts: Record<string, boolean> = {};
  for (const o of OPTIONS as readonly OptionSpec[]) if (o.type === 'flag') opts[o.name] = false;
  return opts as unknown as ParsedOptions;
}

/** The default configuration: buildout.cfg, else the file the Python recipe generated. */
function defaultConfig(cwd: string): string | undefined {
  if (existsSync(join(cwd, 'buildout.cfg'))) return undefined;
  const generated = join(cwd, 'parts', 'hostout', 'hostout.cfg');
  return existsSync(generated) ? generated : undefined;
}

/** The configuration the options select: -c (else the default file) and whether ~/.buildout/default.cfg is read. */
export function configOf(opts: ParsedOptions, cwd: string): { config?: string; userDefaults: boolean } {
  return { config: opts.configuration?.trim() || defaultConfig(cwd), userDefaults: !opts['no-user-defaults'] };
}

/** One option the scanner took from the command line: its row and, for a value option, the value as typed. */
export interface TakenOption {
  readonly spec: OptionSpec;
  readonly value?: string;
}

/**
 * The typed options of the option words the scanner took. yargs types them
 * (option-layer.ts); a command line without option words (`hostout web`) gets
 * the defaults without loading yargs, which would cost every such run.
 */
export function typeOptions(taken: readonly TakenOption[]): ParsedOptions {
  const own = taken.filter((t) => !t.spec.plugin);
  if (own.length === 0) return defaultOptions();
  return (require('./option-layer') as typeof OptionLayer).parseOptionWords(own);
}

/** The plugins' options among the taken ones, by name: the value as typed (the last one wins), or true for a flag. */
export function pluginOptionValues(taken: readonly TakenOption[]): Record<string, string | true> {
  const values: Record<string, string | true> = {};
  for (const { spec, value } of taken) if (spec.plugin) values[spec.name] = value ?? true;
  return values;
}

/** The version in hostout's package.json (found upwards from here: dist/lib/cli or lib/cli). */
export function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hostout') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}

/**
 * A `parallel` value (from -P or a configuration): a whole number >= 1.
 * `where` names its origin for the error.
 */
export function parallelOption(value: string, where: string): number {
  const v = value.trim();
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw new UsageError(`${where} must be a whole number of hosts, 1 or more (got '${value}')`);
  return Number(v);
}
