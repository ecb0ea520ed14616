/**
 * hostout's own options: ONE table. The scanner (grammar.ts) recognises and
 * types options from it, --help is rendered from it, and the did-you-mean of a
 * mistyped option searches it. Nothing else lists the options. See docs/cli.md.
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
import { UsageError } from '../errors';

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
  /** Keeps a run from changing anything on a host: refused after `--` instead of passed on. */
  readonly safety?: boolean;
  /** A config-engine mode: it reads the configuration and prints, runs no host (at most one per command line). */
  readonly configMode?: boolean;
}

export const OPTIONS = [
  { name: 'configuration', short: 'c', type: 'value', placeholder: 'FILE', help: 'the buildout configuration (default: buildout.cfg, else parts/hostout/hostout.cfg); the last one wins' },
  { name: 'no-user-defaults', short: 'U', type: 'flag', help: 'do not read ~/.buildout/default.cfg' },
  { name: 'dry-run', type: 'flag', safety: true, help: 'change nothing anywhere: connect and ask the hosts what a run needs to know, then print every command that would change something (and rsync\'s file delta) instead of running it' },
  { name: 'offline', type: 'flag', safety: true, help: 'with --dry-run: connect nowhere; every answer a host would give is assumed, and marked so' },
  { name: 'literal', type: 'flag', help: 'words after -- reach the command even when they read like --dry-run or --offline' },
  { name: 'verbose', short: 'v', type: 'flag', help: 'more output: every command the transport runs, which plugin provides each command, stack traces' },
  { name: 'quiet', short: 'q', type: 'flag', help: 'only warnings, errors and the Return value line' },
  { name: 'resolve', type: 'flag', configMode: true, help: 'print every resolved buildout value as JSON' },
  { name: 'annotate', type: 'flag', configMode: true, placeholder: '[SECTION...]', help: 'print the configuration (of the SECTIONs) like `buildout annotate`' },
  { name: 'query', type: 'flag', configMode: true, placeholder: 'SECTION:OPTION', help: 'print one resolved value' },
  { name: 'install-script', type: 'flag', placeholder: '[DIR]', help: 'write DIR/bin/hostout (default: the current directory) that runs this hostout' },
  { name: 'parallel', short: 'P', type: 'value', placeholder: 'N', help: 'run up to N hosts at once (default: `parallel` of the host parts or [buildout], else 1)' },
  { name: 'keep-going', type: 'flag', help: 'start every host even after one failed (default: no new host starts after a failure)' },
  { name: 'json', type: 'flag', help: 'newline-delimited JSON events on stdout (docs/events.schema.json); human output on stderr' },
  { name: 'no-rollback', type: 'flag', help: 'keep a new release live when its restart or health check fails, and, with several hosts, the hosts that went live when another fails' },
  { name: 'canary', type: 'flag', help: 'with several hosts, the first goes live and is watched before any other flips (the host option `canary`)' },
  { name: 'lock-wait', type: 'value', placeholder: 'SECONDS', help: 'wait up to SECONDS for a host locked by another deploy (default: exit 75 at once)' },
  { name: 'help', short: 'h', type: 'flag', help: 'show this help' },
  { name: 'version', type: 'flag', help: 'show the hostout version' },
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

/** Every flag false, no value set. */
export function defaultOptions(): ParsedOptions {
  const opts: Record<string, boolean> = {};
  for (const o of OPTIONS as readonly OptionSpec[]) if (o.type === 'flag') opts[o.name] = false;
  return opts as unknown as ParsedOptions;
}

/** Record one option (a value option's last value wins, as with optparse). */
export function setOption(opts: ParsedOptions, spec: OptionSpec, value?: string): void {
  (opts as Record<string, boolean | string>)[spec.name] = spec.type === 'value' ? value! : true;
}

/** How an option is written in --help: `-c, --configuration FILE`. */
export function optionSynopsis(spec: OptionSpec): string {
  const long = `--${spec.name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : long;
}

export const USAGE_LINE =
  'hostout [options] [section:option=value...] HOST [HOST...|all] COMMAND [COMMAND...] [--] [ARG...]';

const GRAMMAR = [
  'Runs commands on the hosts (the collective.hostout parts) of a buildout. Hosts come first, then',
  'command names (matched greedily), then the arguments; only the last command gets the arguments.',
  '',
  'Where options go:',
  '  --long options are hostout\'s anywhere before --.',
  '  -x short options are hostout\'s only before the first command word (also between hosts);',
  '  after it they belong to the command: `run df -h` runs `df -h`.',
  '  -- ends option parsing and command matching; directly after the last command it is dropped.',
  '  --dry-run or --offline after -- is refused (exit 2): put it before -- for a dry run,',
  '  or add --literal to hand it to the command.',
];

const EXAMPLES = [
  'hostout                                     list the hosts',
  'hostout web                                 list web\'s commands (-v: which plugin provides each)',
  'hostout web deploy --dry-run                what a deploy would do, changing nothing',
  'hostout -c staging.cfg web run df -h        run `df -h` on web, with another configuration',
  'hostout web run grep -v foo log             -v reaches grep',
  'hostout site supervisorctl -- restart all   `restart` and `all` reach supervisorctl',
  'hostout web run -- ls --verbose             a long option of hostout\'s, handed to ls',
  'hostout web:path=/srv/test web run pwd      override a buildout option for this run',
];

/** The --help text, rendered from OPTIONS. */
export function helpText(width = Math.min(100, process.stdout.columns || 100)): string {
  // cliui (the layout engine under yargs) lays out the two columns and wraps the
  // descriptions to the terminal; yargs itself prints no value placeholders
  // (--configuration FILE) and would want a second option list;
  // required here, not imported: only --help needs it, and every run would load it.
  const cliui = require('cliui') as (opts: { width: number; wrap?: boolean }) => CliUi;
  const ui = cliui({ width });
  ui.div(`Usage: ${USAGE_LINE}`);
  ui.div('');
  for (const line of GRAMMAR) ui.div(line);
  ui.div('');
  ui.div('Options:');
  const synopses = (OPTIONS as readonly OptionSpec[]).map(optionSynopsis);
  const column = Math.max(...synopses.map((s, i) => s.length + ((OPTIONS as readonly OptionSpec[])[i].short ? 0 : 4))) + 4;
  (OPTIONS as readonly OptionSpec[]).forEach((spec, i) => {
    // A long-only option lines up under the long names: `-c, ` is 4 characters.
    ui.div({ text: synopses[i], width: column, padding: [0, 2, 0, spec.short ? 2 : 6] }, { text: spec.help });
  });
  ui.div('');
  ui.div('Examples:');
  for (const line of EXAMPLES) ui.div(`  ${line}`);
  ui.div('');
  ui.div('Exit status: 0 success, 1 a command failed, 2 usage or configuration error. See docs/cli.md.');
  return ui.toString();
}

interface CliUi {
  div(...columns: (string | { text: string; width?: number; padding?: number[] })[]): void;
  toString(): string;
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
