/**
 * The yargs layer: hostout's options declared to yargs once, from the option
 * table (OPTIONS) plus any rows a caller adds. yargs types the option words
 * the scanner (grammar.ts) took, renders --help and --version, and answers
 * shell completion (`hostout completion`; completion.ts computes the words).
 *
 * The scanner alone decides which words are hostout's. yargs only ever sees
 * those, rewritten as `--<key>` or `--<key>=VALUE`, so none of its own rules
 * (option groups like `-cFILE`, `--no-` negation, dotted keys, numbers) can
 * take or change a word meant for a command.
 *
 * Loaded only when a command line has option words, asks for help or the
 * version, or completes: `hostout HOST` does not load yargs.
 */
import type { Argv } from 'yargs';
import yargs from 'yargs/yargs';
import { OPTIONS, defaultOptions, packageVersion, type OptionSpec, type ParsedOptions, type TakenOption } from './options';

/**
 * The key an option is declared under. yargs prints the key as the option's
 * switch in --help and has no place for a value placeholder, so an option
 * with one is declared as `configuration FILE`: --help then shows
 * `-c, --configuration FILE`. Nobody types the key: yargs gets the scanner's
 * words rewritten with it (optionWords).
 */
export const optionKey = (spec: OptionSpec): string => (spec.placeholder ? `${spec.name} ${spec.placeholder}` : spec.name);

/** Only what the scanner decided, typed: no camelCase copies, no `--no-x` negation, no dotted paths, strings stay strings. */
const PARSER_CONFIGURATION = {
  'camel-case-expansion': false,
  'dot-notation': false,
  'boolean-negation': false,
  'duplicate-arguments-array': false, // a value option given twice: the last one wins, as with optparse
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'short-option-groups': false,
} as const;

/**
 * Declare option rows to a yargs instance: type, short alias, description,
 * group (its --help heading) and default. `rows` is the option table; options
 * from elsewhere (plugins) are more rows of the same shape.
 */
export function declareOptions(y: Argv, rows: readonly OptionSpec[]): Argv {
  for (const row of rows) {
    y.option(optionKey(row), {
      type: row.type === 'value' ? 'string' : 'boolean',
      ...(row.short ? { alias: row.short } : {}),
      describe: row.help,
      group: `${row.group ?? 'Options'}:`,
      ...(row.type === 'flag' ? { default: false } : {}),
    });
  }
  return y;
}

/**
 * A yargs instance for hostout: the rows declared, yargs' own --help and
 * --version off (the table has them), no process exit, and no type tags in
 * --help (the placeholders say what a value is).
 */
export function hostoutYargs(rows: readonly OptionSpec[] = OPTIONS, args: readonly string[] = []): Argv {
  const y = yargs(args)
    .scriptName('hostout')
    .help(false)
    .version(false)
    .exitProcess(false)
    .parserConfiguration(PARSER_CONFIGURATION);
  // yargs 17.7's usageConfiguration, which @types/yargs 17.0 does not declare yet.
  (y as Argv & { usageConfiguration(c: { 'hide-types': boolean }): Argv }).usageConfiguration({ 'hide-types': true });
  return declareOptions(y, rows);
}

/** The scanner's options as words for yargs: `--<key>` or `--<key>=VALUE` (the value verbatim, even `-x` or empty). */
export function optionWords(taken: readonly TakenOption[]): string[] {
  return taken.map(({ spec, value }) => (value === undefined ? `--${optionKey(spec)}` : `--${optionKey(spec)}=${value}`));
}

/** The typed options of the words the scanner took: a flag is true when given, a value option holds its last value. */
export function parseOptionWords(taken: readonly TakenOption[], rows: readonly OptionSpec[] = OPTIONS): ParsedOptions {
  const argv = hostoutYargs(rows).parseSync(optionWords(taken)) as Record<string, unknown>;
  const opts = defaultOptions() as unknown as Record<string, boolean | string>;
  for (const row of rows) {
    const value = argv[optionKey(row)];
    if (row.type === 'flag') opts[row.name] = value === true;
    else if (typeof value === 'string') opts[row.name] = value;
  }
  return opts as unknown as ParsedOptions;
}

/** The usage line's parts: a line of --help breaks only between them. */
export const USAGE = ['hostout', '[options]', '[section:option=value...]', 'HOST [HOST...|all]', 'COMMAND [COMMAND...]', '[--] [ARG...]'];

/**
 * `Usage: hostout …` in lines of at most `width` characters, broken only
 * between the parts of the grammar, later lines indented under the first part.
 * (yargs' own usage wraps anywhere and drops the indentation of later lines.)
 */
export function usageLines(width: number): string[] {
  const first = `Usage: ${USAGE[0]}`;
  const indent = ' '.repeat(first.length + 1);
  const lines = [first];
  for (const part of USAGE.slice(1)) {
    const last = lines[lines.length - 1];
    if (last.length + 1 + part.length <= width || last.trim() === '') lines[lines.length - 1] = `${last} ${part}`;
    else lines.push(`${indent}${part}`);
  }
  return lines;
}

const INTRO = 'Runs commands on the hosts (the collective.hostout parts) of a buildout. Hosts come first, then '
  + 'command names (matched greedily), then the arguments; only the last command gets the arguments.';

const WHERE_OPTIONS_GO = [
  'Where options go:',
  '  --long options are hostout\'s anywhere before --.',
  '  -x short options are hostout\'s only before the first command word (also between hosts); after it they belong to the command: `run df -h` runs `df -h`.',
  '  -- ends option parsing and command matching; directly after the last command it is dropped.',
  '  --dry-run or --offline after -- is refused (exit 2): put it before -- for a dry run, or add --literal to hand it to the command.',
  '  Plugins add --long options of their own for the hosts that use them: `hostout HOST --help` lists them.',
  '',
  'Shell completion: `hostout completion >> ~/.bashrc` (bash; in zsh, ~/.zshrc).',
];

const EXAMPLES: [command: string, what: string][] = [
  ['hostout', 'list the hosts'],
  ['hostout web', 'list web\'s commands (-v: which plugin provides each)'],
  ['hostout web deploy --dry-run', 'what a deploy would do, changing nothing'],
  ['hostout -c staging.cfg web run df -h', 'run `df -h` on web, with another configuration'],
  ['hostout web run grep -v foo log', '-v reaches grep'],
  ['hostout site supervisorctl -- restart all', '`restart` and `all` reach supervisorctl'],
  ['hostout web run -- ls --verbose', 'a long option of hostout\'s, handed to ls'],
  ['hostout web:path=/srv/test web run pwd', 'override a buildout option for this run'],
];

const EXIT_STATUS = 'Exit status: 0 success, 1 a command failed, 2 usage or configuration error. See docs/cli.md.';

/** What yargs prints for a function it logs through (showHelp, showVersion). */
function capture(show: (emit: (text: string) => void) => void): string {
  let text = '';
  show((t) => { text = t; });
  return text;
}

/** The --help text: the usage line, then yargs' rendering of the option rows (by group), the examples and the rules. */
export function helpText(width = 100, rows: readonly OptionSpec[] = OPTIONS): string {
  const y = hostoutYargs(rows).usage(INTRO).wrap(width);
  for (const [command, what] of EXAMPLES) y.example(command, what);
  y.epilogue([...WHERE_OPTIONS_GO, '', EXIT_STATUS].join('\n'));
  return `${usageLines(width).join('\n')}\n\n${capture((emit) => y.showHelp(emit))}`;
}

/** The --version text: hostout's version from its package.json. */
export function versionText(): string {
  return capture((emit) => yargs([]).version(packageVersion()).showVersion(emit));
}

/** `hostout completion`: the bash/zsh script (yargs' own; zsh when $SHELL is zsh) that asks hostout for the words. */
export function completionScript(): string {
  return capture((emit) => {
    hostoutYargs().completion('completion', false).parse(['completion'], {}, (_err, _argv, output) => { if (output) emit(output); });
  });
}

/**
 * The shell's question (`hostout --get-yargs-completions hostout web de`,
 * asked by the completion script) answered through yargs with the words
 * `candidates` gives for the words typed so far (the last one is being typed).
 */
export async function completionAnswer(words: readonly string[], candidates: (typed: readonly string[]) => Promise<string[]>): Promise<readonly string[]> {
  // The shell's first word is the command's name: yargs passes it on, the candidates are about the words after it.
  const y = hostoutYargs().completion('completion', false, () => candidates(words.slice(1)));
  return y.getCompletion(words);
}
