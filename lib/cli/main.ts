/**
 * `hostout` entry point: argv → config engine → hostout parts → command table → transport.
 *
 *   hostout [options] [section:option=value...] host1 [host2...] [all] cmd1 [cmd2...] [args...]
 *
 * See docs/cli.md. Exit status: 0 success, 1 a command failed (or returned
 * false), 2 usage or configuration error, 70 internal error, 130 interrupted,
 * 141 stdout closed by its reader (bin/hostout.js).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type * as V8 from 'node:v8';
import { UsageError } from '../errors';
import { formatError } from './format-error';
import type { Verbosity } from '../log';
import { runBuildoutMode } from './buildout-modes';
import { scanArgv } from './grammar';
import { helpText, packageVersion, parseOptionWords } from './options';
import type * as InstallScript from './install-script';
import type * as Run from './run';

/** Where output goes and where we run; main() takes it so it can run in-process too. */
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

/** The default configuration: buildout.cfg, else the file the Python recipe generated. */
function defaultConfig(cwd: string): string | undefined {
  if (existsSync(join(cwd, 'buildout.cfg'))) return undefined;
  const generated = join(cwd, 'parts', 'hostout', 'hostout.cfg');
  return existsSync(generated) ? generated : undefined;
}

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

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let verbose = false;
  const stderr = (t: string) => io.stderr(t + '\n');
  const stdout = (t: string) => io.stdout(t + '\n');
  try {
    const scanned = scanArgv(argv);
    const opts = parseOptionWords(scanned.optionWords);
    verbose = opts.verbose;
    if (opts.help) {
      stdout(await helpText());
      return 0;
    }
    if (opts.version) {
      stdout(packageVersion());
      return 0;
    }
    if (opts.quiet && opts.verbose) throw new UsageError('-q and -v cannot be used together');
    const config = opts.configuration?.trim() || defaultConfig(io.cwd);
    const userDefaults = !opts['no-user-defaults'];

    const modes = (['resolve', 'annotate', 'query'] as const).filter((m) => opts[m]);
    if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
    if (modes.length === 1) {
      shortRunTuning();
      return await runBuildoutMode(modes[0], { config, userDefaults, assignments: scanned.assignments, positional: scanned.positional });
    }
    if (opts['install-script']) {
      if (scanned.positional.length > 1) throw new UsageError('--install-script takes at most one directory');
      const { installScript } = require('./install-script') as typeof InstallScript; // only this mode needs it
      const written = installScript(scanned.positional[0] ?? io.cwd, opts.configuration?.trim());
      stdout(`Wrote ${written}: run \`${relative(io.cwd, written) || written} HOST COMMAND\``);
      return 0;
    }
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
      scanned, config, userDefaults, verbosity, dryRun: opts['dry-run'], offline: opts.offline, cwd: io.cwd, env: io.env, stdout, stderr, hostSettings,
    });
  } catch (err) {
    const formatted = formatError(err, { verbose });
    for (const line of formatted.lines) stderr(line);
    return formatted.exitCode;
  }
}
