/**
 * `hostout` entry point: argv → config engine → hostout parts → command table → transport.
 *
 *   hostout [options] [section:option=value...] host1 [host2...] [all] cmd1 [cmd2...] [args...]
 *
 * See docs/cli.md. Exit status: 0 success, 1 a command failed (or returned
 * false), 2 usage or configuration error, 70 internal error, 130 interrupted,
 * 141 stdout closed by its reader (bin/hostout.js).
 */
import { relative } from 'node:path';
import type * as V8 from 'node:v8';
import { UsageError } from '../errors';
import type { CliOptionSpec } from '../hostout/types';
import { formatError } from './format-error';
import { OutputMask } from './output-mask';
import { processIo, resolveIo, type CliIo, type ResolvedIo } from './io';
import type { Verbosity } from '../log';
import { runBuildoutMode } from './buildout-modes';
import { scanArgv, splitPositionals, type ScannedArgv } from './grammar';
import { CONFIG_MODES, OPTIONS, configOf, pluginOptionRows, type OptionSpec, type ParsedOptions } from './options';
import type * as Completion from './completion';
import type * as OptionLayer from './option-layer';
import type * as InstallScript from './install-script';
import type * as Run from './run';
import type { LoadedRun } from './run';

/** Where output goes and where we run (io.ts); main() takes it so it can run in-process too. */
export type { CliIo } from './io';

/**
 * The config-engine modes run for a fraction of a second. V8's optimising
 * compiler (TurboFan) then compiles more than it saves: on the bench
 * configurations it cost ~100 ms of CPU and ~20% of wall time at 1x and 4x
 * and gained ~4% at 16x (bench/buildout). Only these modes turn it off; a
 * deploy, which moves data through JavaScript for minutes, keeps it.
 */
function shortRunTuning(): void {
  // node:v8 is loaded here: only these modes need it, and every run would pay for it at start-up.
  (require('node:v8') as typeof V8).setFlagsFromString('--no-opt');
}

const sameConfig = (a: { config?: string; userDefaults: boolean }, b: { config?: string; userDefaults: boolean }): boolean =>
  a.config === b.config && a.userDefaults === b.userDefaults;

/** What a scan with the hosts known found: the command line, the configuration, and the options of the selected hosts' plugins. */
interface HostScan {
  scanned: ScannedArgv;
  loaded: LoadedRun;
  rows: OptionSpec[];
}

/** The option rows of the plugins of the hosts `scanned` selects (each host loads, once: the run reuses it). */
async function pluginRowsOf(scanned: ScannedArgv, loaded: LoadedRun): Promise<OptionSpec[]> {
  const hosts = splitPositionals(scanned.positional, loaded.hosts.names, () => new Set(), scanned.dashDash).hosts;
  const plugins: { name: string; options?: readonly CliOptionSpec[] }[] = [];
  for (const host of hosts) {
    let def;
    // A host that cannot load fails the run with its own error, later, where every run reports it.
    try { def = await loaded.hosts.load(host); } catch { continue; }
    for (const set of def.sets) plugins.push(set.plugin);
  }
  return pluginOptionRows(plugins);
}

/**
 * Scan argv with the hosts known: first leniently, to find the selected
 * hosts, whose plugins may declare options of their own (Plugin.options);
 * then for good, with those options.
 */
async function scanHosts(argv: readonly string[], loaded: LoadedRun): Promise<HostScan> {
  const names = new Set(loaded.hosts.names);
  const isHost = (w: string) => names.has(w);
  const rows = await pluginRowsOf(scanArgv(argv, { isHost, lenient: true }), loaded);
  return { scanned: scanArgv(argv, { isHost, rows }), loaded, rows };
}

/**
 * Scan argv again now that the hosts are known: a short option among the hosts
 * (`hostout web -c x.cfg deploy`) is hostout's, one after the first command
 * word is the command's, and the selected hosts' plugins add their options.
 * When that moves `-c`/`-U`, the hosts are those of the other configuration:
 * load it and check that it agrees with itself.
 */
async function scanWithHosts(argv: readonly string[], first: ScannedArgv, io: CliIo): Promise<HostScan> {
  const { loadRun } = require('./run') as typeof Run;
  const load = (c: { config?: string; userDefaults: boolean }) =>
    loadRun({ ...c, assignments: first.assignments, cwd: io.cwd, env: io.env });
  const wanted = configOf(first.options, io.cwd);
  let loaded: LoadedRun;
  try {
    loaded = await load(wanted);
  } catch (err) {
    // `hostout web -c x.cfg deploy` with no buildout.cfg here: try each short option in turn
    // as the end of the hosts, and keep the first reading whose configuration confirms it.
    for (const at of shortOptionsAfterFirstWord(argv)) {
      const before = new Set(argv.slice(0, at));
      let c: { config?: string; userDefaults: boolean };
      try { c = configOf(scanArgv(argv, { isHost: (w) => before.has(w), lenient: true }).options, io.cwd); } catch { continue; }
      if (sameConfig(c, wanted)) continue;
      try { loaded = await load(c); } catch { continue; }
      const again = await scanHosts(argv, loaded);
      if (sameConfig(configOf(again.scanned.options, io.cwd), c)) return again;
    }
    // An option no configuration explains: that is the error to show.
    throw first.unknownOption ?? err;
  }
  const found = await scanHosts(argv, loaded);
  const c = configOf(found.scanned.options, io.cwd);
  if (sameConfig(c, wanted)) return found;
  const again = await scanHosts(argv, await load(c));
  if (!sameConfig(configOf(again.scanned.options, io.cwd), c)) {
    throw new UsageError('cannot tell which configuration is meant: give -c FILE before the hosts (or as --configuration FILE)');
  }
  return again;
}

/**
 * `hostout HOST --help`: the help with the options of HOST's plugins. Without
 * a configuration to read, the help of hostout's own options.
 */
async function helpWithHosts(argv: readonly string[], first: ScannedArgv, io: CliIo): Promise<string> {
  let rows: OptionSpec[] = [];
  try {
    ({ rows } = await scanWithHosts(argv, first, io));
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  return optionLayer().helpText(helpWidth(io), [...OPTIONS, ...rows]);
}

/** `--help` wraps to the terminal (CliIo's columns), 100 columns at most. */
function helpWidth(io: CliIo): number {
  return Math.min(100, io.columns || 100);
}

/** Indexes in argv (before `--`) of the short-option words after the first word. */
function shortOptionsAfterFirstWord(argv: readonly string[]): number[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const found: number[] = [];
  for (let i = 1; i < end; i++) if (/^-[^-]/.test(argv[i])) found.push(i);
  return found;
}

/** yargs and hostout's declarations for it: loaded for help, version and completion only (options.ts loads it for option words). */
const optionLayer = (): typeof OptionLayer => require('./option-layer') as typeof OptionLayer;

/**
 * Shell completion. `hostout completion` prints the script for ~/.bashrc
 * (or ~/.zshrc); the script runs `hostout --get-yargs-completions hostout WORD...`
 * and gets the words that may come next, one a line. Returns undefined for any
 * other command line.
 */
async function completion(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  if (argv.length === 1 && argv[0] === 'completion') {
    io.stdout(optionLayer().completionScript());
    return 0;
  }
  if (argv[0] !== '--get-yargs-completions') return undefined;
  const { completionCandidates } = require('./completion') as typeof Completion;
  const words = await optionLayer().completionAnswer(argv.slice(1), (typed) => completionCandidates(typed, { cwd: io.cwd, env: io.env }));
  for (const word of words) io.stdout(`${word}\n`);
  return 0;
}

/** The modes that end before any host: --help, --version and the option clashes. Returns an exit status, or undefined to go on. */
function checkOptions(opts: ParsedOptions, stdout: (t: string) => void, io: ResolvedIo): number | undefined {
  if (opts.help) {
    stdout(optionLayer().helpText(helpWidth(io)));
    return 0;
  }
  if (opts.version) {
    stdout(optionLayer().versionText());
    return 0;
  }
  if (opts.quiet && opts.verbose) throw new UsageError('-q and -v cannot be used together');
  if (opts.offline && !opts['dry-run']) {
    throw new UsageError('--offline only goes with --dry-run (a dry run that connects nowhere): add --dry-run');
  }
  return undefined;
}

export async function main(argv: string[], given: CliIo = processIo()): Promise<number> {
  const io = resolveIo({ ...given, argv: given.argv ?? argv });
  let verbose = false;
  // Every printed line goes through the run's mask: the selected hosts' secrets are added once they load.
  const mask = new OutputMask();
  const stderr = (t: string) => io.stderr(mask.apply(t) + '\n');
  const stdout = (t: string) => io.stdout(mask.apply(t) + '\n');
  try {
    const completed = await completion(argv, io);
    if (completed !== undefined) return completed;
    // Lenient: an option unknown to hostout may be one of the selected hosts' plugins (scanWithHosts).
    let scanned = scanArgv(argv, { lenient: true });
    let opts = scanned.options;
    verbose = opts.verbose;
    // No word that could be a host: no plugin can own the option.
    if (scanned.unknownOption && scanned.positional.length === 0) throw scanned.unknownOption;
    if (opts.help && scanned.positional.length > 0) {
      stdout(await helpWithHosts(argv, scanned, io));
      return 0;
    }
    const early = checkOptions(opts, stdout, io);
    if (early !== undefined) return early;
    const { config, userDefaults } = configOf(opts, io.cwd);

    const modes = CONFIG_MODES.filter((m) => opts[m]);
    if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
    // The config-engine modes and --install-script take words, not hosts: `--` only separates them.
    const operands = scanned.positional.filter((_, i) => i !== scanned.dashDash);
    if (modes.length === 1 || opts['install-script']) {
      if (scanned.unknownOption) throw scanned.unknownOption;
      if (scanned.deferred) throw scanned.deferred;
    }
    if (modes.length === 1) {
      shortRunTuning();
      return await runBuildoutMode(modes[0], { config, userDefaults, assignments: scanned.assignments, positional: operands, cwd: io.cwd, env: io.env }, { stdout: (t) => io.stdout(mask.apply(t)), stderr: (t) => io.stderr(mask.apply(t)) });
    }
    if (opts['install-script']) {
      if (operands.length > 1) throw new UsageError('--install-script takes at most one directory');
      const { installScript } = require('./install-script') as typeof InstallScript; // only this mode needs it
      const written = installScript(operands[0] ?? io.cwd, opts.configuration?.trim());
      stdout(`Wrote ${written}: run \`${relative(io.cwd, written) || written} HOST COMMAND\``);
      return 0;
    }
    let loaded: LoadedRun | undefined;
    if (scanned.hostDependent) {
      ({ scanned, loaded } = await scanWithHosts(argv, scanned, io));
      opts = scanned.options;
      verbose = opts.verbose;
      const late = checkOptions(opts, stdout, io);
      if (late !== undefined) return late;
    }
    if (scanned.deferred) throw scanned.deferred;
    const verbosity: Verbosity = opts.quiet ? 'quiet' : opts.verbose ? 'verbose' : 'normal';
    // Loaded here, not at start-up: the config-engine modes above need none of
    // the runtime, and every `hostout --resolve` would pay for loading it.
    const { runHosts } = require('./run') as typeof Run;
    return await runHosts({
      scanned, loaded, ...configOf(opts, io.cwd), verbosity, dryRun: opts['dry-run'], offline: opts.offline, cwd: io.cwd, env: io.env,
      argv: io.argv, isTTY: io.isTTY, colour: io.colour, interactive: io.interactive,
      parallel: opts.parallel, keepGoing: opts['keep-going'], rollback: !opts['no-rollback'],
      // --json: the events own stdout; everything for people goes to stderr.
      json: opts.json ? (text) => io.stdout(mask.apply(text)) : undefined,
      stdout: opts.json ? stderr : stdout, stderr,
      mask,
      // The plugins' own options: each host's commands see them as the host options its plugins declare.
      pluginOptions: scanned.pluginOptions,
    });
  } catch (err) {
    const formatted = formatError(err, { verbose });
    for (const line of formatted.lines) stderr(line);
    return formatted.exitCode;
  }
}
