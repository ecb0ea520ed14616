/**
 * `hostout` entry point: argv → config engine → hostout parts → command table → transport.
 *
 *   hostout [options] [section:option=value...] host1 [host2...] [all] cmd1 [cmd2...] [args...]
 *
 * See docs/cli.md. Exit status: 0 success, 1 a command failed (or returned
 * false), 2 usage or configuration error, 70 internal error.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import yargs from 'yargs';
import { CommandError, HostoutError, TransportError, UsageError } from '../errors';
import type { Verbosity } from '../log';
import { loadBuildout } from '../buildout';
import { Runtime } from '../hostout/dispatch';
import { loadHosts } from '../hostout/hosts';
import type { TransportFactory, TransportFactoryOptions } from '../transport';
import { runBuildoutMode, type BuildoutModeArgs } from './buildout-modes';
import { OPTION_TABLE, scanArgv, splitPositionals } from './grammar';
import { installScript } from './install-script';
import { CMDLINE_USAGE, formatValidCommands, formatValidHosts, unionListing } from './listing';
import { createProgress, isInteractiveTerminal, type PlannedHost } from './progress';

/** Where output goes; tests of main() in-process may replace it. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const defaultIo = (): CliIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
});

interface ParsedOptions {
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

/** yargs owns the option set: types, --help text, --version. Our scanner feeds it only our option words. */
function optionParser(words: string[]) {
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

function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hostout') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}

/** Python-2-like `str()` of a command's return value for `Return value:`. */
export function formatReturnValue(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The default configuration: buildout.cfg, else the file the Python recipe generated. */
function defaultConfig(cwd: string): string | undefined {
  if (existsSync(path.join(cwd, 'buildout.cfg'))) return undefined;
  const generated = path.join(cwd, 'parts', 'hostout', 'hostout.cfg');
  return existsSync(generated) ? generated : undefined;
}

/**
 * The transport (ssh2 and friends) takes most of hostout's start-up time; listing
 * hosts or commands never connects, so it is loaded on the first `forHost`.
 */
function lazyTransport(opts: TransportFactoryOptions): TransportFactory {
  let real: TransportFactory | undefined;
  return {
    forHost(name, options) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      real ??= (require('../transport') as typeof import('../transport')).createTransportFactory(opts);
      return real.forHost(name, options);
    },
    closeAll: async () => { await real?.closeAll(); },
  };
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let verbose = false;
  let transport: TransportFactory | undefined;
  const line = (t: string) => io.stderr(t + '\n');
  try {
    const scanned = scanArgv(argv);
    const parser = optionParser(scanned.optionWords);
    const opts = parser.parseSync() as unknown as ParsedOptions;
    verbose = opts.verbose;
    if (opts.help) {
      io.stdout((await parser.getHelp()) + '\n');
      return 0;
    }
    if (opts.version) {
      io.stdout(packageVersion() + '\n');
      return 0;
    }
    if (opts.quiet && opts.verbose) throw new UsageError('-q and -v cannot be used together');
    const config = opts.configuration?.trim() || defaultConfig(io.cwd);
    const userDefaults = !opts['no-user-defaults'];

    const modes = (['resolve', 'annotate', 'query'] as const).filter((m) => opts[m]);
    if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
    if (modes.length === 1) {
      const args: BuildoutModeArgs = { config, userDefaults, assignments: scanned.assignments, positional: scanned.positional };
      return await runBuildoutMode(modes[0], args);
    }
    if (opts['install-script']) {
      if (scanned.positional.length > 1) throw new UsageError('--install-script takes at most one directory');
      const written = installScript(scanned.positional[0] ?? io.cwd, opts.configuration?.trim());
      io.stdout(`Wrote ${written}: run \`${path.relative(io.cwd, written) || written} HOST COMMAND\`\n`);
      return 0;
    }

    const bo = await loadBuildout({ config, cwd: io.cwd, userDefaults, assignments: scanned.assignments, env: io.env });
    const hosts = await loadHosts(bo, { configFile: config });
    const verbosity: Verbosity = opts.quiet ? 'quiet' : opts.verbose ? 'verbose' : 'normal';
    const dryRun = opts['dry-run'];
    const progress = createProgress({
      verbosity,
      fancy: !dryRun && verbosity === 'normal' && isInteractiveTerminal(io.env),
      stdout: (t) => io.stdout(t + '\n'),
      stderr: line,
    });
    transport = lazyTransport({ dryRun, log: progress.log, onRecord: (l) => io.stdout(l + '\n') });
    const runtime = new Runtime(hosts, { transport, log: progress.log, dryRun, buildoutDirectory: bo.directory });
    const hostNames = runtime.hostNames();

    const commandSet = (names: string[]) => new Set(names.flatMap((h) => runtime.commands(h).map((c) => c.name)));
    const split = splitPositionals(scanned.positional, hostNames, commandSet);
    if (split.hosts.length === 0) {
      if (scanned.positional.length === 0) {
        line(CMDLINE_USAGE);
        line(formatValidHosts(hostNames));
        return 0;
      }
      line(`hostout: '${scanned.positional[0]}' is not a host of ${config ?? 'buildout.cfg'}`);
      line(CMDLINE_USAGE);
      line(formatValidHosts(hostNames));
      return 2;
    }
    const listing = () => formatValidCommands(unionListing(split.hosts.map((h) => runtime.commands(h))));
    if (split.commands.length === 0) {
      if (split.args.length > 0) {
        line(`hostout: '${split.args[0]}' is not a valid command for ${split.hosts.length > 1 ? 'hosts' : 'host'} ${split.hosts.map((h) => `'${h}'`).join(', ')}`);
        line(listing());
        return 2;
      }
      line(CMDLINE_USAGE);
      line(listing());
      return 0;
    }
    // Check every host has every command BEFORE running anything (the original crashed half-way, §7.4.1).
    for (const h of split.hosts) {
      for (const c of split.commands) {
        if (!runtime.has(h, c)) {
          line(`hostout: '${c}' is not a valid command for host '${h}'`);
          line(formatValidCommands(runtime.commands(h)));
          return 2;
        }
      }
    }

    let result: unknown;
    let current = { host: '', command: '' };
    const last = split.commands.length - 1;
    const plan: PlannedHost[] = split.hosts.map((host) => ({
      host,
      commands: split.commands.map((command, i) => ({
        name: command,
        run: async () => {
          current = { host, command };
          result = await runtime.run(host, command, i === last ? split.args : []);
        },
      })),
    }));
    // Ctrl-C: like the original, say `Stopped.`; close the connections; exit 130 (the shell's convention).
    // Our listener stays registered until we exit: the transport re-raises SIGINT when nobody else listens.
    let interrupted = false;
    const onInterrupt = () => {
      if (interrupted) process.exit(130); // a second Ctrl-C does not wait for the connections
      interrupted = true;
      io.stderr('Stopped.\n');
      void Promise.resolve(transport?.closeAll()).finally(() => process.exit(130));
    };
    process.on('SIGINT', onInterrupt);
    try {
      await progress.run(plan);
    } catch (err) {
      if (err instanceof CommandError || err instanceof TransportError) {
        // Our messages usually name the host already ("beta: 'fail' … failed: …"); otherwise say which.
        const named = err.message.startsWith(`${current.host}:`) || err.message.includes(` on ${current.host} `);
        line(named ? `hostout: ${err.message}` : `hostout: ${current.host}: '${current.command}' failed: ${err.message}`);
        if (err instanceof CommandError && err.stderrTail) line(err.stderrTail.trimEnd());
        if (verbose && err.stack) line(err.stack);
        return err.exitCode;
      }
      throw err;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
    if (result !== undefined) io.stdout(`Return value: ${formatReturnValue(result)}\n`);
    return result === false ? 1 : 0;
  } catch (err) {
    if (err instanceof HostoutError) {
      line(`hostout: ${err.message}`);
      if (err instanceof UsageError && /no such option|needs a value|takes no value|Unknown argument/.test(err.message)) {
        line('Try `hostout --help`.');
      }
      if (verbose && err.stack) line(err.stack);
      return err.exitCode;
    }
    throw err;
  } finally {
    await transport?.closeAll();
  }
}
