/**
 * The public plugin API. pushdeploy, the built-in collective.hostout commands
 * and third-party plugins use nothing else. These types are the documentation:
 * docs/plugins.md explains them with a complete example.
 */
import type { PluginStep } from '../events';
import type { Logger } from '../log';
import type { LocalShell, RemoteShell, Rsync } from '../transport/types';

/** A host's resolved options: the hostout part after the recipe's defaults. */
export type HostOptions = Record<string, string>;

/** One command a plugin offers. `run` may be async and may return a value. */
export interface CommandSpec {
  /** First line is shown in `Valid commands are:`. */
  description: string;
  run(ctx: CommandContext, ...args: string[]): unknown;
}

/** What the `defaults` and `resolve` hooks are told about the host they run for. */
export interface PluginInfo {
  /** The hostout part (host) name. */
  readonly part: string;
  /** The buildout directory (absolute): resolve relative paths against it, not the current directory. */
  readonly buildoutDirectory: string;
}

/**
 * What a `resolve` hook may set: where and as whom to connect. Values go
 * through hostout's usual derivations afterwards (`host = name:port` gives the
 * port, `buildout-user` and `effective-user` follow `user` unless set, `~` in
 * `identity-file` is expanded).
 */
export interface ConnectionOverrides {
  host?: string;
  port?: string | number;
  user?: string;
  'identity-file'?: string;
}

/** What a module named in a part's `extends` (or in `fabfiles`) exports. */
export interface Plugin {
  /** Shown in `Hostout: Running command 'x' from '<name>'`. Default: the name in `extends` (or the fabfile path). */
  name: string;
  commands: Record<string, CommandSpec>;
  /**
   * Recipe-time hook, for each selected host that uses the plugin, in
   * `extends` order, before hostout's own defaults: fill or normalise options
   * (the Python plugins' buildout recipes did this). Mutate `options` or
   * return a new object; may be async (it is awaited). A throw stops the run
   * with exit 2, naming the plugin and the host.
   */
  defaults?(options: HostOptions, info: PluginInfo): void | HostOptions | Promise<void | HostOptions>;
  /**
   * Connection hook, for each selected host that uses the plugin, after all
   * `defaults` and the recipe's defaults and before anything connects: find
   * the host (a cloud API, an inventory file…) and return where to connect.
   * May be async. A throw stops the run with exit 2, naming the plugin and the host.
   */
  resolve?(options: Readonly<HostOptions>, info: PluginInfo): void | ConnectionOverrides | Promise<void | ConnectionOverrides>;
  /**
   * The original's `initcommand`: called before every dispatch of a command on a
   * host (nested `ctx.call`s included, `ctx.next` hops not), for every plugin of
   * the host in order, with the context the command will get.
   */
  init?(command: string, ctx: CommandContext): void | Promise<void>;
  /**
   * Commands that can go live on several hosts all or nothing: when such a
   * command runs alone on several hosts, the CLI runs its phases instead
   * (lib/cli/all-or-nothing.ts, docs/cli.md).
   */
  phases?: Record<string, DeployPhases>;
  /**
   * Command-line options of the plugin's own (`--lock-wait SECONDS`): each
   * sets a host option of every selected host that uses the plugin, as its
   * commands see it in `ctx.options`. Shown by `hostout HOST --help` and
   * offered by shell completion for the hosts that use the plugin; hostout's
   * own options (docs/cli.md) cannot be redeclared.
   */
  options?: readonly CliOptionSpec[];
}

/**
 * One command-line option a plugin declares (Plugin.options). It is hostout's
 * where hostout's long options are (anywhere before `--`), for the command
 * lines that select a host using the plugin; it has no short form.
 */
export interface CliOptionSpec {
  /** The long name without the dashes: lower case letters, digits and `-`, starting with a letter. */
  name: string;
  /**
   * `boolean`: a flag (`--canary`); `string`: takes a value (`--tag TAG`,
   * `--tag=TAG`); `number`: takes a value that must be a number (`--lock-wait 60`).
   */
  type: 'boolean' | 'string' | 'number';
  /** Its line in `hostout HOST --help`. */
  description: string;
  /** What the value is, in --help (`SECONDS`). Default: the type in capitals. */
  placeholder?: string;
  /** The host option it sets (`lock-wait`): to the value given, or for a flag to `value`. */
  sets: string;
  /** For a flag: the value `sets` gets when the flag is given. Default `true`. */
  value?: string;
}

/**
 * The commands a deploy is made of, by name. `prepare` returns the release
 * it made (a string); `flip RELEASE` makes it live and returns the release
 * that was live before (a string, or `{ from }`); `activate` restarts and
 * checks the live release; `rollback RELEASE` makes RELEASE live again and
 * restarts it. `finish` (optional) ends the run on every host whose prepare
 * ran, always (after a failure and after Ctrl-C too), with the argument
 * `prune` when every host's flip went through: it gives back what the phases
 * kept from one phase to the next (a deploy lock) and may prune old releases.
 */
export interface DeployPhases {
  prepare: string;
  flip: string;
  activate: string;
  rollback: string;
  finish?: string;
  /**
   * Go live one host at a time when this says so for every host (given each
   * host's options): each host flips and activates before the next one flips,
   * so that the hosts not yet touched keep serving (pushdeploy: when
   * `instances` is set). Otherwise every host flips, then every host activates.
   */
  oneHostAtATime?: (options: Readonly<HostOptions>) => boolean;
  /**
   * One host at a time, and the first host's options ask for a canary: this
   * command runs on the first host once it is live and activated, and must
   * succeed before any other host flips (pushdeploy: watch its health for
   * `canary-wait` seconds).
   */
  canary?: { command: string; wanted: (options: Readonly<HostOptions>) => boolean };
}

/** The phases of an all-or-nothing run, by their role (`canary` is the command of DeployPhases.canary). */
export type PhaseName = 'prepare' | 'flip' | 'activate' | 'rollback' | 'finish' | 'canary';

/**
 * What a `prepare` phase returns: the release it made, and the release live
 * before it (what a failure elsewhere flips back to, when `flip` does not
 * say). A bare string is the release alone.
 */
export interface PreparedRelease {
  release: string;
  live?: string;
}
export type PrepareResult = string | PreparedRelease;

/** What a `flip` phase returns: the release that was live before (a bare string says the same; none: no release was live). */
export interface FlipOutcome {
  from?: string;
}
export type FlipResult = string | FlipOutcome | void;

/**
 * Another host of the same run. Hosts are loaded (plugins, defaults, resolve)
 * only when a run needs them: `call` loads the host itself; read `options` or
 * `has` after `await handle.load()` (they throw for a host not loaded yet).
 */
export interface HostHandle {
  readonly name: string;
  readonly options: Readonly<HostOptions>;
  /** Load the host if needed; resolves to this handle, ready for `options` and `has`. */
  load(): Promise<HostHandle>;
  call(command: string, ...args: string[]): Promise<unknown>;
  /** Whether that host has a command of this name. */
  has(command: string): boolean;
}

/** What a command's `run` receives. A new context per host and command: nothing leaks between hosts. */
export interface CommandContext {
  /** The host (hostout part) name. */
  readonly name: string;
  /** The command being run. */
  readonly command: string;
  /**
   * Set when the command runs as a phase of an all-or-nothing run across
   * hosts (Plugin.phases): which one. Such a run ends with the `finish`
   * phase on every host, so a phase may keep what it holds (a deploy lock)
   * for the phases after it. Not set for the commands it calls.
   */
  readonly phase?: PhaseName;
  readonly options: Readonly<HostOptions>;
  /** Run the next implementation of this same command in the chain (like `superfun`); undefined when there is none. */
  next(...args: string[]): Promise<unknown>;
  /** Dispatch any command on this host through the full chain. */
  call(command: string, ...args: string[]): Promise<unknown>;
  /**
   * Whether any plugin of this host offers the command: how hooks such as
   * `bootstrap_users_<hostos>` are probed (the original's `getattr(hostout, name, None)`).
   */
  has(command: string): boolean;
  /** Every host of the configuration, by name, this one included. */
  readonly hosts: Readonly<Record<string, HostHandle>>;
  readonly remote: RemoteShell;
  readonly local: LocalShell;
  readonly rsync: Rsync;
  readonly log: Logger;
  /** True under --dry-run: the transport records instead of running. */
  readonly dryRun: boolean;
  /**
   * True under `--dry-run --offline`: nothing is asked or read that a real
   * run would find out, so a command assumes the answer that lets its plan
   * go on, and says so with `assume`.
   */
  readonly offline: boolean;
  /**
   * Say that the plan goes on with an answer assumed instead of read (offline:
   * a staging buildout that is not there): printed as `[host]   (assumed, not
   * read: WHAT)` (`not asked` for an answer a host would have given) and
   * listed again at the run's end (an `assumed` event).
   */
  assume(what: string, from?: 'read' | 'asked'): void;
  /**
   * False under --no-rollback: a command that would undo a change that failed
   * (pushdeploy's deploy flipping back after a failed health check) keeps it
   * instead, for debugging. True (or unset) otherwise.
   */
  readonly rollback?: boolean;
  /** The buildout directory of the configuration hostout was started with. */
  readonly buildoutDirectory: string;
  /**
   * One value per key for the whole run, shared by every host and command of
   * it: `make` runs the first time a key is asked for. For work that does not
   * depend on the host, such as reading staging, done once however many hosts
   * a run deploys to. Prefix keys with the plugin's name.
   */
  once<T>(key: string, make: () => T): T;
  /**
   * Report a named step of the command's own as a run event: a `plugin-step`
   * event under `--json`, a line of the run log, a line under `-v`. For
   * steps that mean something to the people and tools watching a deploy
   * (pushdeploy's roll: drain, drained, restart, healthy, ready), beside the
   * transport's own `step` events. `kind` and `step` are lower-case words
   * (`[a-z][a-z0-9-]*`); a bad name throws a TypeError. Secrets of the host
   * are masked in `subject` and string fields.
   */
  report(step: PluginStep): void;
}
