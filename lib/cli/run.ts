/**
 * The run itself: hosts and commands from the positional words, the listings
 * of the original when something is missing, then hosts × commands in order.
 * Returns the exit status; throws HostoutError for usage and configuration errors.
 */
import { inspect } from 'node:util';
import { loadBuildout } from '../buildout';
import type { Verbosity } from '../log';
import { Runtime } from '../hostout/dispatch';
import { hostCatalog } from '../hostout/hosts';
import { EXIT } from '../errors';
import type * as Transport from '../transport';
import type { HostSettings, HostTransport, HostTransportFactory, TransportFactory, TransportFactoryOptions } from '../transport';
import { buildoutDirectoryOf } from '../hostout/parts';
import { splitPositionals, type ScannedArgv } from './grammar';
import { CMDLINE_USAGE, formatValidCommands, formatValidHosts, unionListing } from './listing';
import { createProgress, isInteractiveTerminal, type PlannedHost } from './progress';

export interface RunRequest {
  scanned: ScannedArgv;
  config?: string;
  userDefaults: boolean;
  verbosity: Verbosity;
  dryRun: boolean;
  /** With dryRun: connect nowhere (every answer assumed). */
  offline?: boolean;
  /** Host options given on the command line (--lock-wait, --no-rollback): they override every host's own. */
  hostSettings?: Record<string, string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Python-2-like `str()` of a command's return value for `Return value:`. */
export function formatReturnValue(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      // Circular, a BigInt inside, or a toJSON that throws: Node's own rendering,
      // which marks cycles as [Circular *1], on one line.
      return inspect(value, { depth: 4, breakLength: Infinity });
    }
  }
  return String(value);
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
}

/**
 * The run's one signal handler. Ctrl-C (SIGINT): like the original, say
 * `Stopped.`, close the connections (running commands then fail) and exit
 * 130; SIGTERM the same with 143. A second signal exits at once. Returns the
 * function that unregisters it.
 */
function onSignals(transport: LazyTransport, stderr: (line: string) => void): () => void {
  let stopping = false;
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const status = signal === 'SIGINT' ? EXIT.interrupted : 143;
    return [signal, () => {
      if (stopping) process.exit(status);
      stopping = true;
      stderr(signal === 'SIGINT' ? 'Stopped.' : 'Terminated.');
      void transport.closeAll().finally(() => process.exit(status));
    }];
  });
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return () => { for (const [signal, handler] of handlers) process.removeListener(signal, handler); };
}

/** The host with `settings` written into its options (the same object every time: loading is cached). */
function applyHostSettings<T extends { options: Record<string, string> }>(host: T, settings: Record<string, string> | undefined): T {
  if (settings) Object.assign(host.options, settings);
  return host;
}

export async function runHosts(req: RunRequest): Promise<number> {
  const { scanned, stderr } = req;
  const bo = await loadBuildout({ config: req.config, cwd: req.cwd, userDefaults: req.userDefaults, assignments: scanned.assignments, env: req.env });
  // Host names only: a host's plugins load (and its hooks run) once the command line selects it.
  const catalog = hostCatalog(bo, { configFile: req.config });
  // Host settings from the command line (--lock-wait, --no-rollback) override each host's own once it is loaded.
  const hosts: typeof catalog = { names: catalog.names, load: async (name) => applyHostSettings(await catalog.load(name), req.hostSettings) };
  const progress = createProgress({
    verbosity: req.verbosity,
    fancy: !req.dryRun && req.verbosity === 'normal' && isInteractiveTerminal(req.env),
    stdout: req.stdout,
    stderr,
  });
  const transport = new LazyTransport({ dryRun: req.dryRun, offline: req.offline, log: progress.log, onRecord: req.stdout });
  try {
    const runtime = new Runtime(hosts, { transport, log: progress.log, dryRun: req.dryRun, buildoutDirectory: buildoutDirectoryOf(bo, req.config) });
    const hostNames = runtime.hostNames();
    // The command words depend on the selected hosts' commands: load those hosts first.
    await runtime.load(splitPositionals(scanned.positional, hostNames, () => new Set()).hosts);
    const commandSet = (names: string[]) => new Set(names.flatMap((h) => runtime.commands(h).map((c) => c.name)));
    const split = splitPositionals(scanned.positional, hostNames, commandSet);

    // The original's listings (exit 0), and our errors for what it crashed on (exit 2).
    if (split.hosts.length === 0) {
      if (scanned.positional.length > 0) stderr(`hostout: '${scanned.positional[0]}' is not a host of ${req.config ?? 'buildout.cfg'}`);
      stderr(CMDLINE_USAGE);
      stderr(formatValidHosts(hostNames));
      return scanned.positional.length > 0 ? 2 : 0;
    }
    if (split.commands.length === 0) {
      const quoted = split.hosts.map((h) => `'${h}'`).join(', ');
      stderr(split.args.length > 0
        ? `hostout: '${split.args[0]}' is not a valid command for ${split.hosts.length > 1 ? 'hosts' : 'host'} ${quoted}`
        : CMDLINE_USAGE);
      stderr(formatValidCommands(unionListing(split.hosts.map((h) => runtime.commands(h)))));
      return split.args.length > 0 ? 2 : 0;
    }
    // Every host must have every command BEFORE anything runs (the original crashed half-way, §7.4.1).
    for (const h of split.hosts) {
      const missing = split.commands.find((c) => !runtime.has(h, c));
      if (missing) {
        stderr(`hostout: '${missing}' is not a valid command for host '${h}'`);
        stderr(formatValidCommands(runtime.commands(h)));
        return 2;
      }
    }

    let result: unknown;
    const last = split.commands.length - 1;
    const plan: PlannedHost[] = split.hosts.map((host) => ({
      host,
      commands: split.commands.map((command, i) => ({
        name: command,
        run: async () => {
          // Only the last command gets the arguments (by position).
          result = await runtime.run(host, command, i === last ? split.args : []);
        },
      })),
    }));
    const stopWatching = onSignals(transport, stderr);
    try {
      // Errors go up to main(), whose one formatter prints them: every error of a host names it (dispatch sees to that).
      await progress.run(plan);
    } finally {
      stopWatching();
    }
    if (result !== undefined) req.stdout(`Return value: ${formatReturnValue(result)}`);
    return result === false ? 1 : 0;
  } finally {
    await transport.closeAll();
  }
}
