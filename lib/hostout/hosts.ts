/**
 * From a loaded buildout to the hosts of a run: which parts are hosts, their
 * merged `extends`, their plugins, and their final options.
 *
 * Option order (as the original's buildout-time recipes ran): the part's own
 * and inherited options → each plugin's `defaults` hook, in `extends` order →
 * the recipe's defaults → the run-time defaults. `fabfiles` are read after the
 * hooks, so a plugin's `defaults` may add one (pointerstop.recipe.hostout did).
 */
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { isTrue } from '../flags';
import type { HostSettings } from '../transport/host-settings';
import type { SshEnvironment } from '../transport/ssh-config';
import { words, type BuildoutView } from './buildout-view';
import { mergeExtends } from './extends';
import { applyRecipeDefaults, applyRuntimeDefaults, type OptionEnvironment } from './options';
import { findHostParts } from './parts';
import { BUILTIN_PLUGIN, loadFabfile, loadPlugin, type LoadedPlugin } from './plugins';
import type { HostOptions } from './types';

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
   * (the original failed every invocation, compat §7.4.7); using it throws this.
   */
  error?: ConfigError;
}

export interface LoadHostsOptions {
  /** The configuration file, to recognise a generated hostout.cfg by name. */
  configFile?: string;
  ssh?: SshEnvironment;
}

function optionEnvironment(bo: BuildoutView, ssh?: SshEnvironment): OptionEnvironment {
  const main = bo.hasSection('buildout') ? bo.section('buildout') : {};
  const partsDirectory = main['parts-directory'] ? path.resolve(bo.directory, main['parts-directory']) : undefined;
  return {
    buildoutDirectory: bo.directory,
    partsDirectory,
    versionsSection: main.versions,
    // The generated hostout.cfg calls the develop paths `packages`.
    develop: main.develop ?? main.packages,
    ssh,
  };
}

/** Build one host: merge extends, load plugins, apply defaults, load fabfiles. */
export async function loadHost(bo: BuildoutView, name: string, env: OptionEnvironment): Promise<HostDefinition> {
  const merged = mergeExtends(bo, name);
  const sets: LoadedPlugin[] = [];
  for (const pluginName of merged.plugins) {
    if (pluginName === BUILTIN_PLUGIN) continue; // always added below, after the plugins
    sets.push(await loadPlugin(pluginName, bo.directory, name));
  }
  let options: HostOptions = merged.options;
  for (const { id, plugin } of sets) {
    if (!plugin.defaults) continue;
    try {
      options = plugin.defaults(options) ?? options;
    } catch (err) {
      throw new ConfigError(`the defaults of plugin '${id}' failed: ${err instanceof Error ? err.message : String(err)}`, { host: name, cause: err });
    }
  }
  const final = applyRuntimeDefaults(name, applyRecipeDefaults(name, options, env), env);
  options = final.options;
  // datakurre's `extends-only` (PR #42): only the named plugins, no built-in commands.
  if (!isTrue(options['extends-only'])) sets.push(await loadPlugin(BUILTIN_PLUGIN, bo.directory, name));
  for (const entry of words(options.fabfiles)) sets.push(await loadFabfile(entry, bo.directory, name));
  return { name, options, settings: final.settings, sets };
}

/** Every host of the configuration, in `parts` order. */
export async function loadHosts(bo: BuildoutView, opts: LoadHostsOptions = {}): Promise<HostDefinition[]> {
  const env = optionEnvironment(bo, opts.ssh);
  const hosts: HostDefinition[] = [];
  for (const name of findHostParts(bo, opts.configFile)) {
    try {
      hosts.push(await loadHost(bo, name, env));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      hosts.push({ name, options: {}, sets: [], error: err });
    }
  }
  return hosts;
}
