/**
 * The public API: what a plugin author imports as `require('hostout')` (or
 * `import ... from 'hostout'`). Everything a plugin needs comes from here — the
 * plugin types (which are the documentation), `definePlugin`, quoting, the
 * error classes — and the plugins shipped in plugins/ use nothing else.
 * `hostout/testing` (lib/testing.ts) is the test harness for plugins.
 * docs/plugins.md explains both with a complete example.
 *
 * Every hostout command line loads this module when it loads a plugin, so it
 * must stay light: the ssh transport is only required when a real transport
 * is made (createTransportFactory below).
 */
import type { Plugin } from './hostout/types';
import type { TransportFactory } from './transport/types';
import type { TransportFactoryOptions } from './transport';
import type * as Factory from './transport/factory';

export type {
  Plugin, CommandSpec, CommandContext, HostHandle, HostOptions, PluginInfo, ConnectionOverrides, DeployPhases,
} from './hostout/types';
export type {
  CommandResult, RemoteRunOptions, SudoOptions, RemoteShell, LocalRunOptions, LocalShell, RsyncOptions, Rsync,
  HttpAnswer, ForwardOptions, SocketExchangeOptions,
  HostTransport, TransportFactory,
} from './transport/types';
export type { TransportFactoryOptions } from './transport';
export type { RecordingOptions, RealTransportOptions } from './transport/factory';
export type { RecordedResponse } from './transport/backends/recorder';
export type { SshEnvironment } from './transport/ssh-config';
export {
  HostoutError, UsageError, ConfigError, CommandError, TransportError, LockedError, InterruptedError, EXIT,
  type ErrorFields, type UsageFields, type ConfigFields, type CommandFields, type TransportFields, type TransportErrorKind,
} from './errors';
export { sh, secret, Secret, maskSecrets, type Line, type CommandText } from './transport/secret';
export type { HostSettings } from './transport/host-settings';
export { createPlainLogger, createRecordingLogger, type Logger, type Verbosity } from './log';
export { loadBuildout, type Buildout, type LoadOptions } from './buildout';
export { shellQuote, shellJoin } from './transport/quote';
export { isTrue, flagValue } from './flags';
export {
  validateUser, validateGroup, validatePath, validateBranch, validateRepository, isPortableName, ConfigValueError,
  MAX_NAME_LENGTH, type ValueSource,
} from './hostout/validate';
export { Runtime, type RuntimeOptions, type CommandListing, type HostCatalog } from './hostout/dispatch';
export { loadHosts, loadHost, hostCatalog, type HostDefinition, type LoadHostOptions } from './hostout/hosts';
export { buildoutFromObject, type BuildoutView } from './hostout/buildout-view';
export { findHostParts, isHostoutRecipe } from './hostout/parts';
export { mergeExtends } from './hostout/extends';
export { applyRecipeDefaults, applyRuntimeDefaults, type OptionEnvironment } from './hostout/options';
export { loadPlugin, loadFabfile, type LoadedPlugin } from './hostout/plugins';
export { main } from './cli/main';

/**
 * Declare a plugin with its types checked and inferred (`ctx` and `options`
 * typed in every command and hook), in TypeScript or in JavaScript with
 * `// @ts-check`. It returns the plugin unchanged, typed as a Plugin:
 *
 *     export default definePlugin({ name: 'hostout.mine', commands: { hello: { description: '…', run: (ctx) => … } } });
 */
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

/** The real (or, with dryRun, recording) transport factory. The ssh stack is loaded on this first call. */
export function createTransportFactory(opts: TransportFactoryOptions): TransportFactory {
  return (require('./transport') as typeof import('./transport')).createTransportFactory(opts);
}

/**
 * The recording transport factory: records every call instead of running it
 * and answers from canned responses (tests, `--dry-run --offline`). Prefer
 * `hostout/testing`, which builds on it. Loaded on first use: it shares its
 * module with the ssh stack.
 */
export declare const RecordingTransportFactory: typeof Factory.RecordingTransportFactory;
export type RecordingTransportFactory = Factory.RecordingTransportFactory;
/** The real transport factory (ssh, local processes, rsync). Loaded on first use. */
export declare const RealTransportFactory: typeof Factory.RealTransportFactory;
export type RealTransportFactory = Factory.RealTransportFactory;
for (const name of ['RecordingTransportFactory', 'RealTransportFactory'] as const) {
  Object.defineProperty(exports, name, {
    enumerable: true,
    configurable: true,
      get: () => (require('./transport/factory') as typeof Factory)[name],
  });
}
