/**
 * From a loaded buildout to the hosts of a run: which parts are hosts, their
 * merged `extends`, their plugins, and their final options.
 *
 * Option order (as the original's buildout-time recipes ran): the part's own
 * and inherited options → each plugin's `defaults` hook, in `extends` order →
 * the recipe's defaults → each plugin's `resolve` hook (where to connect) →
 * the run-time defaults (port, users, identity derived from the connection).
 * `fabfiles` are read after the hooks, so a plugin's `defaults` may add one
 * (pointerstop.recipe.hostout did).
 *
 * Hosts are loaded lazily: `hostCatalog` lists the host names without loading
 * any plugin, and loads (and caches) a host when a run selects it, so one
 * host's plugins never run for another host's command.
 */
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { isTrue } from '../flags';
import type { HostSettings } from '../transport/host-settings';
import { secretsOf } from '../transport/secret';
import type { SshEnvironment } from '../transport/ssh-config';
import { words, type BuildoutView } from './buildout-view';
import { mergeExtends } from './extends';
import { ignoredOptionNotes } from './ignored-options';
import { applyRecipeDefaults, applyRuntimeDefaults, type OptionEnvironment } from './options';
import { buildoutDirectoryOf, findHostParts } from './parts';
import { BUILTIN_PLUGIN, loadFabfile, loadPlugin, runDefaultsHooks, runResolveHooks, toPlugin, type LoadedPlugin } from './plugins';
import type { HostOptions, Plugin, PluginInfo } from './types';

/** The values a host's output must never show: the one list (`secretsOf`), as its settings hold it. */
export function hostSecrets(def: Pick<HostDefinition, 'options' | 'settings'>): string[] {
  return def.settings?.secrets ?? secretsOf(def.options);
}

/** One host of a run: its options and its command sets in dispatch order. */
export interface HostDefinition {
  name: string;
  options: HostOptions;
  /** Where and how to connect, computed once from `options` (undefined only when `error` is set). */
  settings?: HostSettings;
  /** Plugins from `extends` (in order), then the built-ins, then the fabfiles. */
  sets: LoadedPlugin[];
  /**
   * Why this host could not be loaded (a plugin or fabfile that fails to load).
   * Kept instead of thrown so one broken host does not block the others
   * (the original failed every invocation when one plugin was missing); using it throws this.
   */
  error?: ConfigError;
  /** Options of the original this host sets that hostout does not act on: one line each, shown under -v (ignored-options.ts). */
  notes?: string[];
}

/** How plugins are found beyond `extends` resolution. */
export interface LoadHostOptions {
  /** Plugin objects by `extends` name, used instead of looking the name up (hostout/testing passes plugins this way). */
  plugins?: Readonly<Record<string, Plugin>>;
}

export interface LoadHostsOptions extends LoadHostOptions {
  /** The configuration file, to recognise a generated hostout.cfg by name. */
  configFile?: string;
  ssh?: SshEnvironment;
}

function optionEnvironment(bo: BuildoutView, ssh?: SshEnvironment, configFile?: string): OptionEnvironment {
  const main = bo.hasSection('buildout') ? bo.section('buildout') : {};
  // A generated hostout.cfg lives in parts/hostout/: its buildout is [buildout] location.
  const buildoutDirectory = buildoutDirectoryOf(bo, configFile);
  const partsDirectory = main['parts-directory'] ? path.resolve(buildoutDirectory, main['parts-directory']) : undefined;
  return {
    buildoutDirectory,
    partsDirectory,
    versionsSection: main.versions,
    // The generated hostout.cfg calls the develop paths `packages`.
    develop: main.develop ?? main.packages,
    ssh,
  };
}

/** Build one host: merge extends, load plugins, run their hooks and apply defaults, load fabfiles. */
export async function loadHost(bo: BuildoutView, name: string, env: OptionEnvironment, load: LoadHostOptions = {}): Promise<HostDefinition> {
  const merged = mergeExtends(bo, name);
  const sets: LoadedPlugin[] = [];
  for (const pluginName of merged.plugins) {
    if (pluginName === BUILTIN_PLUGIN) continue; // always added below, after the plugins
    const given = load.plugins && Object.prototype.hasOwnProperty.call(load.plugins, pluginName) ? load.plugins[pluginName] : undefined;
    sets.push(given ? { id: pluginName, file: `(object ${pluginName})`, plugin: toPlugin(given, pluginName) } : await loadPlugin(pluginName, env.buildoutDirectory, name));
  }
  const info: PluginInfo = Object.freeze({ part: name, buildoutDirectory: env.buildoutDirectory });
  let options = await runDefaultsHooks(sets, merged.options, info);
  options = applyRecipeDefaults(name, options, env);
  // The connection hooks: before the run-time defaults derive port, users and
  // identity from `host` and compute the host's connection settings (once).
  options = await runResolveHooks(sets, options, info);
  const final = applyRuntimeDefaults(name, options, env);
  options = final.options;
  // datakurre's `extends-only` (PR #42): only the named plugins, no built-in commands.
  if (!isTrue(options['extends-only'])) sets.push(await loadPlugin(BUILTIN_PLUGIN, env.buildoutDirectory, name));
  for (const entry of words(options.fabfiles)) sets.push(await loadFabfile(entry, env.buildoutDirectory, name));
  const notes = ignoredOptionNotes(merged.options, (command) => sets.some((s) => Object.prototype.hasOwnProperty.call(s.plugin.commands, command)));
  return { name, options, settings: final.settings, sets, notes };
}

/** The hosts of a configuration: their names at once, each host loaded on first use. */
export interface HostCatalog {
  /** Every host, in `parts` order. */
  readonly names: readonly string[];
  /** Load a host (once; later calls share the result). Throws ConfigError when it cannot be loaded. */
  load(name: string): Promise<HostDefinition>;
}

/** The hosts of the configuration, loaded lazily (see the module comment). */
export function hostCatalog(bo: BuildoutView, opts: LoadHostsOptions = {}): HostCatalog {
  const env = optionEnvironment(bo, opts.ssh, opts.configFile);
  const names = findHostParts(bo, opts.configFile);
  const cache = new Map<string, Promise<HostDefinition>>();
  return {
    names,
    load(name: string): Promise<HostDefinition> {
      let p = cache.get(name);
      if (!p) {
        p = loadHost(bo, name, env, opts);
        cache.set(name, p);
      }
      return p;
    },
  };
}

/** Every host of the configuration, in `parts` order, all loaded (a host that fails keeps its error). */
export async function loadHosts(bo: BuildoutView, opts: LoadHostsOptions = {}): Promise<HostDefinition[]> {
  const catalog = hostCatalog(bo, opts);
  const hosts: HostDefinition[] = [];
  for (const name of catalog.names) {
    try {
      hosts.push(await catalog.load(name));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      hosts.push({ name, options: {}, sets: [], error: err });
    }
  }
  return hosts;
}
