/**
 * The command table and dispatch, as the original's runcommand did, with each host in its own scope.
 *
 * - A host's sets are its plugins in `extends` order, then the built-ins, then
 *   its fabfiles. The FIRST set defining a command runs; `ctx.next(...args)`
 *   runs the next one with the args it is given (undefined at the end), like
 *   the original's `env.superfun`.
 * - Before every dispatch (top-level and `ctx.call`, not `next` hops) every set's
 *   `init(command, ctx)` runs, in set order: the original's `initcommand`.
 * - Each dispatch link gets a fresh, frozen context. Options are a frozen copy
 *   per host, so one host can never change what another sees (the original shared one env).
 */
import { CommandError, HostoutError, UsageError } from '../errors';
import type { PluginStep } from '../events';
import { maskingLogger, type Logger } from '../log';
import { maskSecrets } from '../transport/secret';
import type { HostTransport, TransportFactory } from '../transport/types';
import { hostSecrets, type HostCatalog, type HostDefinition } from './hosts';
import type { LoadedPlugin } from './plugins';
import type { CommandContext, HostHandle, HostOptions, PhaseName } from './types';

export type { HostCatalog } from './hosts';

export interface RuntimeOptions {
  transport: TransportFactory;
  log: Logger;
  dryRun: boolean;
  /** With dryRun: nothing is asked or read; commands assume answers (ctx.assume). */
  offline?: boolean;
  /** Where each assumption of ctx.assume goes (the run's end lists them); default: only the log line. */
  onAssumed?: (host: string, what: string) => void;
  buildoutDirectory: string;
  /** False under --no-rollback (ctx.rollback). Default true. */
  rollback?: boolean;
  /**
   * The plugins' command-line options given on this command line, by option
   * name: the value typed, or true for a flag. Each host's commands see them
   * as the host options the host's plugins declare them to set (Plugin.options).
   */
  pluginOptions?: Readonly<Record<string, string | true>>;
  /** Where ctx.report's steps go (the CLI: events, run log, -v); checked and masked already. Default: nowhere. */
  report?: (host: string, plugin: string, step: PluginStep) => void;
}

const STEP_NAME = /^[a-z][a-z0-9-]*$/;

/** A plugin's step as the run reports it: names checked, the host's secrets masked, only plain values. */
export function checkedStep(step: PluginStep, secrets: readonly string[]): PluginStep {
  if (typeof step !== 'object' || step === null) throw new TypeError('ctx.report: give an object { kind, step, … }');
  for (const k of ['kind', 'step'] as const) {
    if (typeof step[k] !== 'string' || !STEP_NAME.test(step[k])) {
      throw new TypeError(`ctx.report: ${k} ${JSON.stringify(step[k])} is not a lower-case word ([a-z][a-z0-9-]*)`);
    }
  }
  const mask = (v: string) => maskSecrets(v, secrets);
  const out: PluginStep = { kind: step.kind, step: step.step };
  if (step.subject !== undefined) out.subject = mask(String(step.subject));
  if (step.durationMs !== undefined) {
    if (typeof step.durationMs !== 'number' || !Number.isFinite(step.durationMs) || step.durationMs < 0) {
      throw new TypeError(`ctx.report: durationMs ${JSON.stringify(step.durationMs)} is not a number of milliseconds`);
    }
    out.durationMs = Math.round(step.durationMs);
  }
  if (step.fields !== undefined) {
    const fields: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(step.fields)) {
      if (typeof v === 'string') fields[k] = mask(v);
      else if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) fields[k] = v;
      else throw new TypeError(`ctx.report: field ${k} is not a string, a finite number or a boolean`);
    }
    out.fields = fields;
  }
  return out;
}

/** One row of `Valid commands are:`. */
export interface CommandListing {
  name: string;
  description: string;
  /** The set whose implementation runs first. */
  from: string;
  /** The later sets that define the same command (reached through ctx.next), in dispatch order. */
  overrides: string[];
}

/** Per host: its frozen options, its transport, its handle for `ctx.hosts`. */
interface HostScope {
  def: HostDefinition;
  options: Readonly<HostOptions>;
  /** The run's logger, masking this host's secrets. */
  log: Logger;
  transport?: HostTransport;
}

function isCatalog(hosts: readonly HostDefinition[] | HostCatalog): hosts is HostCatalog {
  return !Array.isArray(hosts);
}

export class Runtime {
  private readonly catalog: HostCatalog;
  private readonly scopes = new Map<string, HostScope>();
  /** Hosts that could not be loaded, with why: using one throws this. */
  private readonly broken = new Map<string, Error>();
  private readonly handles: Readonly<Record<string, HostHandle>>;
  /** ctx.once's values: one Runtime is one run (the plugin test harness starts a new run with startRun()). */
  private readonly onceValues = new Map<string, unknown>();

  /**
   * `hosts`: loaded host definitions, or a catalog that loads a host when a
   * run first needs it (the CLI's way: only the selected hosts' plugins run).
   */
  constructor(hosts: readonly HostDefinition[] | HostCatalog, private readonly opts: RuntimeOptions) {
    if (isCatalog(hosts)) {
      this.catalog = hosts;
    } else {
      // Definitions are loaded already: their scopes exist at once (a broken host throws its error when used).
      for (const def of hosts) {
        if (def.error) this.broken.set(def.name, def.error);
        else this.scopes.set(def.name, this.newScope(def));
      }
      const byName = new Map(hosts.map((def) => [def.name, def]));
      this.catalog = {
        names: hosts.map((def) => def.name),
        load: async (name) => {
          const def = byName.get(name)!;
          if (def.error) throw def.error;
          return def;
        },
      };
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this; // for the `options` getter, whose `this` is the handle
    const handles: Record<string, HostHandle> = {};
    for (const name of this.catalog.names) {
      const handle: HostHandle = Object.freeze({
        name,
        get options() {
          return self.loaded(name, 'options').options;
        },
        load: async () => {
          await this.load([name]);
          return handle;
        },
        call: async (command: string, ...args: string[]) => {
          await this.load([name]);
          return this.dispatch(this.scope(name), command, args);
        },
        has: (command: string) => {
          this.loaded(name, 'has()');
          return this.has(name, command);
        },
      });
      handles[name] = handle;
    }
    this.handles = Object.freeze(handles);
  }

  private newScope(def: HostDefinition): HostScope {
    return { def, options: Object.freeze({ ...def.options, ...this.commandLineSettings(def) }), log: maskingLogger(this.opts.log, hostSecrets(def)) };
  }

  /** The host options this host's plugins' command-line options set, for those given (the definition itself stays as loaded). */
  private commandLineSettings(def: HostDefinition): HostOptions {
    const given = this.opts.pluginOptions ?? {};
    const set: HostOptions = {};
    for (const { plugin } of def.sets) {
      for (const spec of plugin.options ?? []) {
        if (!Object.prototype.hasOwnProperty.call(given, spec.name)) continue;
        const value = given[spec.name];
        set[spec.sets] = value === true ? (spec.value ?? 'true') : value;
      }
    }
    return set;
  }

  hostNames(): string[] {
    return [...this.catalog.names];
  }

  /** A loaded host's definition (its options, settings and plugin sets): what the CLI reads for -P and phases. */
  definition(hostName: string): HostDefinition {
    return this.scope(hostName).def;
  }

  /** The options a host's commands see (ctx.options): its definition's, with what its plugins' command-line options set. */
  options(hostName: string): Readonly<HostOptions> {
    return this.scope(hostName).options;
  }

  /** Load these hosts (their plugins and hooks), once each. Throws the first host's ConfigError. */
  async load(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (this.scopes.has(name)) continue;
      if (!this.catalog.names.includes(name)) this.scope(name); // throws the 'not a host' UsageError
      let def: HostDefinition;
      try {
        def = await this.catalog.load(name);
      } catch (err) {
        this.broken.set(name, err as Error);
        throw err;
      }
      if (!this.scopes.has(name)) this.scopes.set(name, this.newScope(def));
    }
  }

  private loaded(name: string, what: string): HostScope {
    const s = this.scopes.get(name);
    if (!s && this.broken.has(name)) throw this.broken.get(name);
    if (!s) throw new UsageError(`ctx.hosts['${name}'].${what}: host '${name}' is not loaded yet; \`await ctx.hosts['${name}'].load()\` first`);
    return s;
  }

  private scope(name: string): HostScope {
    const s = this.scopes.get(name);
    if (s) return s;
    const broken = this.broken.get(name);
    if (broken) throw broken;
    if (!this.catalog.names.includes(name)) {
      throw new UsageError(`'${name}' is not a host; valid hosts are: ${this.hostNames().sort().join(' ')}`);
    }
    // Only a host that failed to load has no scope by now: load() rethrows its error.
    throw new Error(`internal: host '${name}' used before Runtime.load()`);
  }

  has(hostName: string, command: string): boolean {
    return this.scope(hostName).def.sets.some((s) => Object.prototype.hasOwnProperty.call(s.plugin.commands, command));
  }

  /** The host's commands, sorted like the original (byte order), each described by the implementation that runs. */
  commands(hostName: string): CommandListing[] {
    const table = new Map<string, CommandListing>();
    for (const set of this.scope(hostName).def.sets) {
      for (const [name, spec] of Object.entries(set.plugin.commands)) {
        const row = table.get(name);
        if (row) row.overrides.push(set.id);
        else table.set(name, { name, description: spec.description ?? '', from: set.id, overrides: [] });
      }
    }
    return [...table.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Run a command on a host, as from the command line (the host is loaded
   * first if needed); `phase`: it runs as that phase of an all-or-nothing run
   * (ctx.phase).
   */
  async run(hostName: string, command: string, args: string[] = [], opts: { phase?: PhaseName } = {}): Promise<unknown> {
    await this.load([hostName]);
    return this.dispatch(this.scope(hostName), command, args, opts.phase);
  }

  /** Forget what ctx.once made: for the plugin test harness, where each run() stands for a run of its own. */
  startRun(): void {
    this.onceValues.clear();
  }

  private transportOf(scope: HostScope): HostTransport {
    const { settings } = scope.def;
    scope.transport ??= settings ? this.opts.transport.forHost(settings) : this.opts.transport.forHost(scope.def.name, scope.options);
    return scope.transport;
  }

  private chain(scope: HostScope, command: string): LoadedPlugin[] {
    return scope.def.sets.filter((s) => Object.prototype.hasOwnProperty.call(s.plugin.commands, command));
  }

  private context(scope: HostScope, command: string, chain: LoadedPlugin[], index: number, phase?: PhaseName): CommandContext {
    const transport = this.transportOf(scope);
    return Object.freeze({
      name: scope.def.name,
      command,
      options: scope.options,
      phase,
      next: (...args: string[]) => this.runLink(scope, command, chain, index + 1, args, phase),
      call: (cmd: string, ...args: string[]) => this.dispatch(scope, cmd, args),
      has: (cmd: string) => this.has(scope.def.name, cmd),
      hosts: this.handles,
      remote: transport.remote,
      local: transport.local,
      rsync: transport.rsync,
      log: scope.log,
      dryRun: this.opts.dryRun,
      offline: this.opts.dryRun && !!this.opts.offline,
      assume: (what: string, from: 'read' | 'asked' = 'read') => {
        scope.log.info(`[${scope.def.name}]   (assumed, not ${from}: ${what})`);
        this.opts.onAssumed?.(scope.def.name, what);
      },
      rollback: this.opts.rollback ?? true,
      buildoutDirectory: this.opts.buildoutDirectory,
      once: <T>(key: string, make: () => T): T => {
        if (!this.onceValues.has(key)) this.onceValues.set(key, make());
        return this.onceValues.get(key) as T;
      },
      report: (step: PluginStep) => {
        const checked = checkedStep(step, scope.def.settings?.secrets ?? []);
        this.opts.report?.(scope.def.name, chain[index]?.plugin.name ?? 'hostout', checked);
      },
    });
  }

  private async dispatch(scope: HostScope, command: string, args: string[], phase?: PhaseName): Promise<unknown> {
    const chain = this.chain(scope, command);
    if (chain.length === 0) {
      const valid = this.commands(scope.def.name).map((c) => c.name).join(' ');
      throw new UsageError(`'${command}' is not a valid command for this host; valid commands are: ${valid}`, { host: scope.def.name });
    }
    for (const set of scope.def.sets) {
      if (!set.plugin.init) continue;
      await this.guard(scope, command, set, () => set.plugin.init!(command, this.context(scope, command, chain, 0, phase)));
    }
    return this.runLink(scope, command, chain, 0, args, phase);
  }

  private async runLink(scope: HostScope, command: string, chain: LoadedPlugin[], index: number, args: string[], phase?: PhaseName): Promise<unknown> {
    const set = chain[index];
    if (!set) return undefined;
    this.opts.log.info(`Hostout: Running command '${command}' from '${set.plugin.name}'`);
    const ctx = this.context(scope, command, chain, index, phase);
    return this.guard(scope, command, set, () => set.plugin.commands[command].run(ctx, ...args));
  }

  /**
   * Errors of ours pass through; anything else a plugin throws becomes a
   * CommandError naming host, command and plugin, so the CLI prints a message
   * (exit 1) instead of a stack trace.
   */
  private async guard(scope: HostScope, command: string, set: LoadedPlugin, fn: () => unknown): Promise<unknown> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HostoutError) throw err.host ? err : err.atHost(scope.def.name);
      const why = err instanceof Error ? err.message : String(err);
      throw new CommandError(`'${command}' (from ${set.id}) failed: ${why}`, { host: scope.def.name, command, plugin: set.id, cause: err });
    }
  }
}
