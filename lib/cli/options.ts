/**
 * hostout's own options: one table (grammar.ts), typed here, and yargs for the
 * --help text. See docs/cli.md.
 *
 * Why the options are not parsed by yargs on every run: scanArgv has already
 * validated them against OPTION_TABLE (unknown options, missing or surplus
 * values) and normalised them to `--long[=value]`, so typing them is a loop.
 * Loading yargs costs ~25 ms of start-up, a tenth of a `hostout --resolve` of a
 * large buildout (bench/buildout), so it is loaded only to render --help.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path'; // named: `* as` compiles to a copy of every export at start-up
import type * as Yargs from 'yargs';
import { UsageError } from '../errors';
import { OPTION_TABLE } from './grammar';

export interface ParsedOptions {
  configuration?: string;
  'no-user-defaults': boolean;
  'dry-run': boolean;
  offline: boolean;
  resolve: boolean;
  annotate: boolean;
  query: boolean;
  verbose: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
  'install-script': boolean;
  'lock-wait'?: string;
  'no-rollback': boolean;
}

const DESCRIPTIONS: Record<keyof ParsedOptions, string> = {
  configuration: 'buildout configuration file (default: buildout.cfg, else parts/hostout/hostout.cfg)',
  'no-user-defaults': 'do not read ~/.buildout/default.cfg',
  'dry-run': 'connect and ask the hosts what a run needs to know, then print every command that would change something (and rsync\'s file delta) instead of running it',
  offline: 'with --dry-run: connect nowhere; every answer a host would give is assumed, and marked so',
  resolve: 'print every resolved buildout value as JSON',
  annotate: 'print the annotated configuration of [SECTION...] like `buildout annotate`',
  query: 'print one resolved value: --query SECTION:OPTION',
  verbose: 'more output (every command the transport runs; stack traces)',
  quiet: 'only warnings and errors',
  help: 'show this help',
  version: 'show the hostout version',
  'install-script': 'write DIR/bin/hostout (default: the current directory) that runs this hostout',
  'lock-wait': 'wait up to SECONDS for another deploy\'s lock on a host (default: fail at once, exit 75)',
  'no-rollback': 'keep a new release live when its restart lines or health check fail (no automatic rollback)',
};

/** The scanner's normalised option words (`--long` or `--long=value`) as typed options; a repeated option's last value wins, as with optparse. */
export function parseOptionWords(words: readonly string[]): ParsedOptions {
  const opts: ParsedOptions = {
    'no-user-defaults': false,
    'dry-run': false,
    offline: false,
    resolve: false,
    annotate: false,
    query: false,
    verbose: false,
    quiet: false,
    help: false,
    version: false,
    'install-script': false,
    'no-rollback': false,
  };
  for (const word of words) {
    const eq = word.indexOf('=');
    const name = (eq >= 0 ? word.slice(2, eq) : word.slice(2)) as keyof ParsedOptions;
    const spec = OPTION_TABLE[name];
    if (!spec || !word.startsWith('--') || spec.value !== eq >= 0) throw new UsageError(`no such option: ${word}`, { suggestHelp: true });
    if (name === 'configuration' || name === 'lock-wait') opts[name] = word.slice(eq + 1);
    else opts[name] = true;
  }
  return opts;
}

/** The --help text, rendered by yargs from the same table. */
export async function helpText(): Promise<string> {
  return optionParser([]).getHelp();
}

/** yargs over the option words the scanner pulled out (never the hosts, commands or their arguments). */
function optionParser(words: string[]) {
  const yargs = require('yargs') as typeof Yargs.default;
  let parser = yargs(words)
    .scriptName('hostout')
    .usage(
      'Usage: hostout [options] [section:option=value...] host1 [host2...] [all] cmd1 [cmd2...] [arg1 arg2...]\n\n' +
        'Runs commands on the hosts (collective.hostout parts) of a buildout. Only the last command gets\n' +
        'the arguments. Options are recognised anywhere; use -- to pass option-like words to a command.',
    )
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': false })
    .help(false)
    .version(false)
    .strict()
    .exitProcess(false)
    .fail((msg) => { throw new UsageError(msg, { suggestHelp: true }); })
    .wrap(Math.min(100, process.stdout.columns || 100));
  for (const [name, spec] of Object.entries(OPTION_TABLE)) {
    parser = parser.option(name, {
      alias: spec.alias,
      type: spec.value ? 'string' : 'boolean',
      describe: DESCRIPTIONS[name as keyof ParsedOptions],
    });
  }
  return parser;
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
