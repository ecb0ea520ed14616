/**
 * The public API: what a plugin author imports as `require('hostout')` (or
 * `import ... from 'hostout'`). Everything a plugin needs comes from here — the
 * plugin types (which are the documentation), `definePlugin`, quoting, the
 * error classes — and the plugins shipped in plugins/ use nothing else.
 * `hostout/testing` (lib/testing.ts) is the test harness for plugins.
 * docs/plugins.md explains both with a complete example.
 *
 * Only what plugin authors use is here: hostout's own machinery (the command
 * line's main(), the Runtime, host loading, the transport factories) is reached
 * through its own modules (lib/cli/main, lib/hostout/*, lib/transport), so it
 * can change without breaking a plugin. Every hostout command line loads this
 * module when it loads a plugin, so it must stay light: nothing here loads the
 * ssh stack.
 */
import type { Plugin } from './hostout/types';

export type {
  Plugin, CommandSpec, CommandContext, HostHandle, HostOptions, PluginInfo, ConnectionOverrides, DeployPhases, PhaseName,
  CliOptionSpec, PreparedRelease, PrepareResult, FlipOutcome, FlipResult,
} from './hostout/types';
export type {
  CommandResult, RemoteRunOptions, SudoOptions, RemoteShell, LocalRunOptions, LocalShell, RsyncOptions, Rsync, TransferProgress,
  HttpAnswer, ForwardOptions, SocketExchangeOptions,
  HostTransport, TransportFactory,
} from './transport/types';
export type { PluginStep } from './events';
export type { RecordedResponse } from './transport/backends/recorder';
export type { SshEnvironment } from './transport/ssh-config';
export {
  HostoutError, UsageError, ConfigError, CommandError, TransportError, LockedError, InterruptedError, EXIT,
  type ErrorFields, type UsageFields, type ConfigFields, type CommandFields, type TransportFields, type TransportErrorKind,
} from './errors';
export { sh, secret, Secret, maskSecrets, type Line, type CommandText } from './transport/secret';
export type { HostSettings } from './transport/host-settings';
export { createPlainLogger, createRecordingLogger, type Logger, type Verbosity } from './log';
export { loadBuildout, configFilesOf, parseBuildoutSections, type Buildout, type LoadOptions } from './buildout';
export { shellQuote, shellJoin } from './transport/quote';
export { isPidAlive } from './pid';
export { refuseSudo, type SudoHost } from './transport/no-sudo';
export { isTrue, flagValue, readFlag, TRUE_WORD_ONLY, SET_UNLESS_FALSE, ON_UNLESS_FALSE, type FlagReading } from './flags';
export {
  validateUser, validateGroup, validatePath, validateBranch, validateRepository, isPortableName, ConfigValueError,
  MAX_NAME_LENGTH, type ValueSource,
} from './validate';

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

