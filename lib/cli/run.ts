/**
 * The run itself: hosts and commands from the positional words, the listings
 * of the original when something is missing, then hosts × commands in order.
 * Returns the exit status; throws HostoutError for usage and configuration errors.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { loadBuildout, type Buildout } from '../buildout';
import type { Verbosity } from '../log';
import { Runtime } from '../hostout/dispatch';
import { hostCatalog, hostSecrets, type HostCatalog } from '../hostout/hosts';
import { ConfigError, EXIT } from '../errors';
import type * as Transport from '../transport';
import type { HostSettings, HostTransport, HostTransportFactory, TransportFactory, TransportFactoryOptions } from '../transport';
import { buildoutDirectoryOf } from '../hostout/parts';
import { defaultSshEnvironment } from '../transport/ssh-config';
import { splitPositionals, type ScannedArgv } from './grammar';
import { CMDLINE_USAGE, formatReturnValue, formatValidCommands, formatValidHosts, notACommand, notAHost, unionListing } from './listing';
import { createRunOutput, executePlan, parallelFor, type Assumption } from './execute';
import { allOrNothingRunner } from './all-or-nothing';
import { instrumentTransport } from './instrument';
import type { OutputMask } from './output-mask';
import { DryRunTally } from './views/dry-run';
import type { PlannedHost } from './progress';

export { formatReturnValue };

/** The configuration and its hosts (names; each host loads when selected), as loaded for a run. */
export interface LoadedRun {
  bo: Buildout;
  hosts: HostCatalog;
}

interface LoadRequest {
  config?: string; userDefaults: boolean; assignments: string[]; cwd: string; env: NodeJS.ProcessEnv;
}

/** The configuration a command line names, with its host names (main.ts needs them to tell hosts from commands). */
export async function loadRun(req: LoadRequest): Promise<LoadedRun> {
  if (req.config === undefined && !existsSync(path.join(req.cwd, 'buildout.cfg'))) throw noConfiguration(req.cwd);
  const bo = await loadBuildout({ config: req.config, cwd: req.cwd, userDefaults: req.userDefaults, assignments: req.assignments, env: req.env });
  // Host names only: a host's plugins load (and its hooks run) once the command line selects it.
  return { bo, hosts: hostCatalog(bo, { configFile: req.config, ssh: defaultSshEnvironment(req.env) }) };
}

/** No -c and nothing to read by default: say so and how to name one (zc.buildout only says `Couldn't open …/buildout.cfg`). */
function noConfiguration(cwd: string): ConfigError {
  let here: string[] = [];
  try {
    here = readdirSync(cwd).filter((f) => f.endsWith('.cfg')).sort();
  } catch {
    // an unreadable directory: no examples to offer
  }
  const example = here.length ? `, e.g. -c ${here[0]} (here: ${here.join(' ')})` : '';
  return new ConfigError(`no buildout.cfg in ${cwd} (nor parts/hostout/hostout.cfg): name the configuration with -c FILE${example}`);
}

export interface RunRequest {
  scanned: ScannedArgv;
  /** The configuration, when main.ts loaded it already (to tell hosts from commands). */
  loaded?: LoadedRun;
  config?: string;
  userDefaults: boolean;
  verbosity: Verbosity;
  dryRun: boolean;
  /** With dryRun: connect nowhere (every answer assumed). */
  offline?: boolean;
  /** -P N as given (validated here), when given. */
  parallel?: string;
  keepGoing: boolean;
  /** --json: events written with this (stdout); human output then goes to `stdout` = stderr. */
  json?: (text: string) => void;
  /** False under --no-rollback: phases roll back nothing, and commands are told so (ctx.rollback). */
  rollback: boolean;
  /** The selected hosts' plugins' options given on the command line, by name (Runtime's pluginOptions). */
  pluginOptions?: Readonly<Record<string, string | true>>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The command line as typed (the run log's header, the dry run's last banner). */
  argv: readonly string[];
  /** stdout is a terminal: listr2 draws the run. */
  isTTY: boolean;
  /** Colour the output (io.ts decides). */
  colour: boolean;
  /** A person can answer a prompt (a sudo password, a key's passphrase): CliIo's `interactive`. */
  interactive: boolean;
  stdout(line: string): void;
  stderr(line: string): void;
  /**
   * What `stdout`, `stderr` and `json` mask (main.ts wraps them with it): the
   * selected hosts' secrets are added here as soon as the hosts are loaded.
   */
  mask?: OutputMask;
}

/**
 * The transport, loaded on the first host that needs it: ssh2 and friends
 * take most of hostout's start-up time, and listing hosts or commands never
 * connects.
 */
class LazyTransport implements TransportFactory {
  private real?: HostTransportFactory;
  constructor(private readonly opts: TransportFactoryOptions) {}

  forHost(host: HostSettings): HostTransport;
  forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport;
  forHost(host: HostSettings | string, options?: Readonly<Record<string, string>>): HostTransport {
    this.real ??= (require('../transport') as typeof Transport).createTransportFactory(this.opts);
    return typeof host === 'string' ? this.real.forHost(host, options ?? {}) : this.real.forHost(host);
  }

  async closeAll(): Promise<void> {
    await this.real?.closeAll();
  }

  /** On a signal: close everything and refuse new remote calls but while `allowed()` (factory.ts). */
  async stop(allowed?: () => boolean): Promise<void> {
    await this.real?.stop(allowed);
  }

  /** After stop(): calls marked `cleanup` are running (factory.ts); the run's exit waits for them. */
  cleaningUp(): boolean {
    return this.real?.cleaningUp() ?? false;
  }
}

/** After Ctrl-C, the run exits by force this long later if it has not ended (unless it is flipping hosts back or cleaning up). */
const FORCED_EXIT_MS = 10_000;

/**
 * The run's one signal handler. Ctrl-C (SIGINT): like the original, say
 * `Stopped.`, close the connections (running commands then fail) and exit
 * 130; SIGTERM the same with 143. A second signal exits at once. While
 * `undoing()` (an all-or-nothing deploy flips its hosts back after the
 * interrupt), the forced exit waits for it: hosts are never left split by us.
 * Returns the function that unregisters it.
 */
function onSignals(transport: LazyTransport, stderr: (line: string) => void, stopPlan: (status: number, hold: () => boolean) => void, undoing: () => boolean): () => void {
  let stopping: number | undefined;
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const status = signal === 'SIGINT' ? EXIT.interrupted : 143;
    return [signal, () => {
      if (stopping !== undefined) process.exit(status);
      stopping = status;
      stderr(signal === 'SIGINT' ? 'Stopped.' : 'Terminated.');
      // No new host or command starts (execute.ts); the running steps end with
      // their connections; the run then ends with its summary and this status,
      // or here if something still hangs.
      // A command whose calls marked `cleanup` still run (an instance whose restart the signal
      // cut, started again) is not left behind while they run.
      const cleaningUp = () => transport.cleaningUp();
      stopPlan(status, cleaningUp);
      const forcedExit = (): void => {
        if (undoing() || cleaningUp()) setTimeout(forcedExit, 1000).unref();
        else process.exit(status);
      };
      setTimeout(forcedExit, FORCED_EXIT_MS).unref();
      // Nothing new reaches a host from now on, but what undoes the run's work:
      // an all-or-nothing deploy flipping its hosts back (undoing()) and calls
      // marked `cleanup` (a server set back to ready in the balancer). A step's
      // own cleanup (removing a partial release, say) would log in again and
      // hold the exit for seconds; the next run clears what this one leaves.
      void transport.stop(undoing);
    }];
  });
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    // A command left running after the grace period (plugin code that ignores
    // the closed connections) must not keep the process alive.
    if (stopping !== undefined) setTimeout(() => process.exit(stopping), 500).unref();
  };
}

export async function runHosts(req: RunRequest): Promise<number> {
  const { scanned, stderr } = req;
  const loadedRun = req.loaded ?? await loadRun({ ...req, assignments: scanned.assignments });
  const { bo, hosts } = loadedRun;
  const buildoutDirectory = buildoutDirectoryOf(bo, req.config);
  // The run's events, its log and its progress (execute.ts); the log is written once a host is touched.
  const { progress, runLog, events, steps, roundTrips } = createRunOutput(req, buildoutDirectory, hosts.names);
  // What an offline dry run assumed instead of asking a host or reading staging: each an event, all listed at the end.
  // A dry run's plan lines: printed, and counted for its last banner (views/dry-run.ts).
  const tally = req.dryRun ? new DryRunTally() : undefined;
  const assumed: Assumption[] = [];
  const onAssumed = (host: string, what: string): void => {
    assumed.push({ host, what });
    tally?.assume();
    events.emit({ type: 'assumed', host, what });
  };
  const onRecord = (line: string) => { tally?.record(line); req.stdout(line); };
  const lazy = new LazyTransport({ dryRun: req.dryRun, offline: req.offline, log: progress.log, interactive: req.interactive, showPrompt: progress.showPrompt, onRecord, onAssumed, sshEnv: defaultSshEnvironment(req.env) });
  const transport = req.dryRun ? lazy : instrumentTransport(lazy, { steps, onTouch: () => runLog.open() });
  try {
    const runtime = new Runtime(hosts, {
      transport, log: progress.log, dryRun: req.dryRun, offline: req.offline, onAssumed, buildoutDirectory, rollback: req.rollback, pluginOptions: req.pluginOptions,
      report: steps.pluginStep,
    });
    const hostNames = runtime.hostNames();
    // The command words depend on the selected hosts' commands: load those hosts first.
    const selected = splitPositionals(scanned.positional, hostNames, () => new Set(), scanned.dashDash).hosts;
    await runtime.load(selected);
    // From here on every printed line masks the selected hosts' secrets (output-mask.ts).
    for (const h of selected) {
      const secrets = hostSecrets(runtime.definition(h));
      req.mask?.add(secrets);
      runLog.addSecrets(secrets);
      // Options of the original this host sets and hostout does not act on: once, under -v.
      for (const note of runtime.definition(h).notes ?? []) progress.log.debug(`[${h}] ${note}`);
    }
    const commandSet = (names: string[]) => new Set(names.flatMap((h) => runtime.commands(h).map((c) => c.name)));
    const split = splitPositionals(scanned.positional, hostNames, commandSet, scanned.dashDash);
    const verbose = req.verbosity === 'verbose';

    // The original's listings (exit 0), and our errors for what it crashed on (exit 2).
    if (split.hosts.length === 0) {
      if (scanned.positional.length > 0) stderr(`hostout: ${notAHost(scanned.positional[0], hostNames, bo, req.config ?? 'buildout.cfg')}`);
      stderr(CMDLINE_USAGE);
      stderr(formatValidHosts(hostNames, req.config ?? 'buildout.cfg'));
      return scanned.positional.length > 0 ? 2 : 0;
    }
    if (split.commands.length === 0) {
      const quoted = split.hosts.map((h) => `'${h}'`).join(', ');
      const listing = unionListing(split.hosts.map((h) => runtime.commands(h)));
      stderr(split.args.length > 0
        ? `hostout: ${notACommand(split.args[0], `${split.hosts.length > 1 ? 'hosts' : 'host'} ${quoted}`, listing)}`
        : CMDLINE_USAGE);
      stderr(formatValidCommands(listing, { verbose }));
      return split.args.length > 0 ? 2 : 0;
    }
    // Every host must have every command BEFORE anything runs (the original crashed half-way through).
    for (const h of split.hosts) {
      const missing = split.commands.find((c) => !runtime.has(h, c));
      if (missing) {
        stderr(`hostout: ${notACommand(missing, `host '${h}'`, runtime.commands(h))}`);
        stderr(formatValidCommands(runtime.commands(h), { verbose }));
        return 2;
      }
    }

    const policy = { parallel: parallelFor(req, bo, split.hosts, runtime), keepGoing: req.keepGoing };
    const plan: PlannedHost[] = split.hosts.map((host) => ({
      host,
      commands: split.commands.map((command, i) => ({
        name: command,
        // Only the last command gets the arguments (by position).
        run: () => runtime.run(host, command, i === split.commands.length - 1 ? split.args : []),
      })),
    }));
    const stopWatching = onSignals(lazy, stderr, (status, hold) => progress.interrupt(status, hold), () => progress.undoing);
    try {
      // One command with phases (a deploy) on several hosts: all or nothing (all-or-nothing.ts).
      const runPlan = split.commands.length === 1 ? allOrNothingRunner({
        runtime, progress, hosts: split.hosts, command: split.commands[0], args: split.args, policy, rollback: req.rollback,
        dryRun: req.dryRun, log: (host, message) => progress.log.info(host ? `[${host}] ${message}` : message),
      }) : undefined;
      return await executePlan(req, plan, policy, { progress, runLog, events, commands: split.commands, args: split.args, runPlan, roundTrips, assumed, dryRun: tally });
    } finally {
      stopWatching();
    }
  } finally {
    await transport.closeAll();
  }
}
