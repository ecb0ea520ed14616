/**
 * The public API: what a plugin author imports as `require('hostout')` (or
 * `import ... from 'hostout'`). docs/plugins.md explains it with an example.
 */
export type { Plugin, CommandSpec, CommandContext, HostHandle, HostOptions } from './hostout/types';
export type {
  CommandResult, RemoteRunOptions, SudoOptions, RemoteShell, LocalRunOptions, LocalShell, RsyncOptions, Rsync,
  HostTransport, TransportFactory,
} from './transport/types';
export {
  HostoutError, UsageError, ConfigError, CommandError, TransportError, LockedError, InterruptedError, EXIT,
  type ErrorFields, type UsageFields, type ConfigFields, type CommandFields, type TransportFields, type TransportErrorKind,
} from './errors';
export { isTrue, flagValue } from './flags';
export { sh, secret, Secret, maskSecrets, type Line, type CommandText } from './transport/secret';
export { createPlainLogger, createRecordingLogger, type Logger, type Verbosity } from './log';
export { loadBuildout, type Buildout, type LoadOptions } from './buildout';
export { shellQuote, shellJoin } from './transport/quote';
export { createTransportFactory, RecordingTransportFactory, RealTransportFactory, type RecordingOptions, type RecordedResponse, type HostSettings } from './transport';
export { Runtime, type RuntimeOptions, type CommandListing } from './hostout/dispatch';
export { loadHosts, loadHost, type HostDefinition } from './hostout/hosts';
export { buildoutFromObject, type BuildoutView } from './hostout/buildout-view';
export { findHostParts, isHostoutRecipe } from './hostout/parts';
export { mergeExtends } from './hostout/extends';
export { applyRecipeDefaults, applyRuntimeDefaults, type OptionEnvironment } from './hostout/options';
export { loadPlugin, loadFabfile, type LoadedPlugin } from './hostout/plugins';
export { main } from './cli/main';
