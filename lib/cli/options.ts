/**
 * hostout's own options: one table (grammar.ts) and yargs for typing,
 * validation and the --help text. See docs/cli.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import yargs from 'yargs';
import { UsageError } from '../errors';
import { OPTION_TABLE } from './grammar';

export interface ParsedOptions {
  configuration?: string;
  'no-user-defaults': boolean;
  'dry-run': boolean;
  resolve: boolean;
  annotate: boolean;
  query: boolean;
  verbose: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
  'install-script': boolean;
}

const DESCRIPTIONS: Record<keyof ParsedOptions, string> = {
  configuration: 'buildout configuration file (default: buildout.cfg, else parts/hostout/hostout.cfg)',
  'no-user-defaults': 'do not read ~/.buildout/default.cfg',
  'dry-run': 'print every command a run would execute, connect nowhere',
  resolve: 'print every resolved buildout value as JSON',
  annotate: 'print the annotated configuration of [SECTION...] like `buildout annotate`',
  query: 'print one resolved value: --query SECTION:OPTION',
  verbose: 'more output (every command the transport runs; stack traces)',
  quiet: 'only warnings and errors',
  help: 'show this help',
  version: 'show the hostout version',
  'install-script': 'write DIR/bin/hostout (default: the current directory) that runs this hostout',
};

/** yargs over the option words the scanner pulled out (never the hosts, commands or their arguments). */
export function optionParser(words: string[]) {
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
    .fail((msg) => { throw new UsageError(msg); })
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
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hostout') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}
