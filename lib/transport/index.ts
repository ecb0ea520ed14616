/**
 * The transport layer's public entry: every side effect of hostout goes
 * through the factory made here. See docs/transport.md and docs/architecture.md.
 */
import type { Logger } from '../log';
import { HostTransportFactory, RecordingTransportFactory } from './factory';
import { defaultSshEnvironment, type SshEnvironment } from './ssh-config';

export * from './types';
export { shellQuote, shellJoin } from './quote';
export { secret, sh, maskSecrets, MASK, Secret, type Line, type CommandText } from './secret';
export { HostTransportFactory, RealTransportFactory, RecordingTransportFactory, type RecordingOptions, type RealTransportOptions } from './factory';
export type { RecordedResponse, RecorderOptions } from './backends/recorder';
export type { RunMode } from './front';
export type { RsyncRelay } from './rsync-tunnel';
export { resolveHostSettings, type HostSettings, type Identity, type HostKeyPolicy } from './host-settings';
export { defaultSshEnvironment, hermeticSshEnvironment, type SshEnvironment } from './ssh-config';

export interface TransportFactoryOptions {
  /** Print what would change instead of changing it. */
  dryRun: boolean;
  /** With dryRun: connect nowhere; every answer a command would ask a host is assumed, and marked so. */
  offline?: boolean;
  log: Logger;
  /**
   * Whether a person is there to ask for a sudo password or a key's passphrase
   * (the CLI passes its CliIo's: stdin a terminal, CI unset). Default: false,
   * nobody is asked.
   */
  interactive?: boolean;
  /** Where a prompt shows its question (default stderr): the CLI's live view when it draws the terminal. */
  showPrompt?: (question: string) => void;
  /** Called with each line a dry run prints (the commands that would run). */
  onRecord?: (line: string) => void;
  /** Offline: called with each answer assumed instead of asked (the run's end lists them). */
  onAssumed?: (hostName: string, what: string) => void;
  /** Where ~/.ssh/config, known_hosts and the agent are (tests); default from the environment. */
  sshEnv?: Partial<SshEnvironment>;
}

/** The factory of a run: real, a connecting preview (`--dry-run`), or an offline record (`--dry-run --offline`). */
export function createTransportFactory(opts: TransportFactoryOptions): HostTransportFactory {
  const sshEnv = { ...defaultSshEnvironment(), ...opts.sshEnv };
  const mode = !opts.dryRun ? 'real' : opts.offline ? 'record' : 'preview';
  const interactive = opts.interactive ?? false;
  if (mode === 'record') return new RecordingTransportFactory({ sshEnv, onRecord: opts.onRecord, markAssumed: true, onAssumed: opts.onAssumed });
  return new HostTransportFactory({ mode, log: opts.log, interactive, showPrompt: opts.showPrompt, sshEnv, recorder: { onRecord: opts.onRecord } });
}

