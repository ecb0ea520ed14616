/**
 * The public plugin API. pushdeploy, the built-in collective.hostout commands
 * and third-party plugins use nothing else. These types are the documentation:
 * docs/plugins.md explains them with a complete example.
 */
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

/** What a module named in a part's `extends` (or in `fabfiles`) exports. */
export interface Plugin {
  name: string;
  commands: Record<string, CommandSpec>;
  /**
   * Recipe-time hook: may fill or normalise options of every host that uses
   * the plugin, before the runtime's own defaults. Mutate `options` or return a
   * new object.
   */
  defaults?(options: HostOptions): void | HostOptions;
  /**
   * The original's `initcommand`: called before every dispatch of a command on a
   * host (nested `ctx.call`s included, `ctx.next` hops not), for every plugin of
   * the host in order, with the context the command will get.
   */
  init?(command: string, ctx: CommandContext): void | Promise<void>;
}

/** Another host of the same run: its options, and its commands run in its own scope. */
export interface HostHandle {
  readonly name: string;
  readonly options: Readonly<HostOptions>;
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
  /** The buildout directory of the configuration hostout was started with. */
  readonly buildoutDirectory: string;
}
