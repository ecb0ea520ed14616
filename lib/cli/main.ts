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
import { formatError } from './format-error';
import { OutputMask } from './output-mask';
import { processIo, resolveIo, type CliIo } from './io';
import type { Verbosity } from '../log';
import { runBuildoutMode } from './buildout-modes';
import { scanArgv, type ScannedArgv } from './grammar';
import { CONFIG_MODES, configOf, type ParsedOptions } from './options';
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

/**
 * Scan argv again now that the hosts are known: a short option among the hosts
 * (`hostout web -c x.cfg deploy`) is hostout's, one after the first command
 * word is the command's. When that moves `-c`/`-U`, the hosts are those of the
 * other configuration: load it and check that it agrees with itself.
 */
async function scanWithHosts(argv: readonly string[], first: ScannedArgv, io: CliIo): Promise<{ scanned: ScannedArgv; loaded: LoadedRun }> {
  const { loadRun } = require('./run') as typeof Run;
  const load = (c: { config?: string; userDefaults: boolean }) =>
    loadRun({ ...c, assignments: first.assignments, cwd: io.cwd, env: io.env });
  const rescan = (loaded: LoadedRun) => {
    const names = new Set(loaded.hosts.names);
    return scanArgv(argv, (w) => names.has(w));
  };
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
      try { c = configOf(scanArgv(argv, (w) => before.has(w)).options, io.cwd); } catch { continue; }
      if (sameConfig(c, wanted)) continue;
      try { loaded = await load(c); } catch { continue; }
      const again = rescan(loaded);
      if (sameConfig(configOf(again.options, io.cwd), c)) return { scanned: again, loaded };
    }
    throw err;
  }
  const scanned = rescan(loaded);
  const c = configOf(scanned.options, io.cwd);
  if (sameConfig(c, wanted)) return { scanned, loaded };
  const other = await load(c);
  const again = rescan(other);
  if (!sameConfig(configOf(again.options, io.cwd), c)) {
    throw new UsageError('cannot tell which configuration is meant: give -c FILE before the hosts (or as --configuration FILE)');
  }
  return { scanned: again, loaded: other };
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
function checkOptions(opts: ParsedOptions, stdout: (t: string) => void): number | undefined {
  if (opts.help) {
    stdout(optionLayer().helpText());
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
    let scanned = scanArgv(argv);
    let opts = scanned.options;
    verbose = opts.verbose;
    const early = checkOptions(opts, stdout);
    if (early !== undefined) return early;
    const { config, userDefaults } = configOf(opts, io.cwd);

    const modes = CONFIG_MODES.filter((m) => opts[m]);
    if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
    // The config-engine modes and --install-script take words, not hosts: `--` only separates them.
    const operands = scanned.positional.filter((_, i) => i !== scanned.dashDash);
    if (modes.length === 1 || opts['install-script']) {
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
      const late = checkOptions(opts, stdout);
      if (late !== undefined) return late;
    }
    if (scanned.deferred) throw scanned.deferred;
    const verbosity: Verbosity = opts.quiet ? 'quiet' : opts.verbose ? 'verbose' : 'normal';
    // Loaded here, not at start-up: the config-engine modes above need none of
    // the runtime, and every `hostout --resolve` would pay for loading it.
    const { runHosts } = require('./run') as typeof Run;
    // Host settings given on the command line: they override every host's part.
    const hostSettings: Record<string, string> = {};
    if (opts['lock-wait'] !== undefined) {
      if (!/^\d+$/.test(opts['lock-wait'])) throw new UsageError(`--lock-wait needs a whole number of seconds, not '${opts['lock-wait']}'`);
      hostSettings['lock-wait'] = opts['lock-wait'];
    }
    if (opts['no-rollback']) hostSettings['auto-rollback'] = 'false';
    return await runHosts({
      scanned, loaded, ...configOf(opts, io.cwd), verbosity, dryRun: opts['dry-run'], offline: opts.offline, cwd: io.cwd, env: io.env,
      argv: io.argv, isTTY: io.isTTY, colour: io.colour,
      parallel: opts.parallel, keepGoing: opts['keep-going'], rollback: !opts['no-rollback'],
      // --json: the events own stdout; everything for people goes to stderr.
      json: opts.json ? (text) => io.stdout(mask.apply(text)) : undefined,
      stdout: opts.json ? stderr : stdout, stderr,
      hostSettings, mask,
    });
  } catch (err) {
    const formatted = formatError(err, { verbose });
    for (const line of formatted.lines) stderr(line);
    return formatted.exitCode;
  }
}
