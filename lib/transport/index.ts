/**
 * The transport layer's public entry: every side effect of hostout goes
 * through the factory made here. See docs/transport.md.
 */
import type { Logger } from '../log';
import { RealTransportFactory } from './real';
import { RecordingTransportFactory } from './recording';
import { defaultSshEnvironment as envDefaults, type SshEnvironment } from './ssh-config';
import type { TransportFactory } from './types';

export * from './types';
export { shellQuote, shellJoin } from './quote';
export { maskSecrets } from './mask';
export { RecordingTransportFactory, type RecordingOptions, type RecordedResponse } from './recording';
export { RealTransportFactory } from './real';
export type { RsyncRelay } from './rsync-tunnel';
export { resolveHostSettings, type HostSettings, type Identity, type HostKeyPolicy } from './host-settings';
export { defaultSshEnvironment, type SshEnvironment } from './ssh-config';

export interface TransportFactoryOptions {
  dryRun: boolean;
  log: Logger;
  /** Whether a terminal is there to ask for a sudo password (default: stdin is a TTY and CI is unset). */
  interactive?: boolean;
  /** Called with each planned line under dryRun (the CLI prints the plan with it). */
  onRecord?: (line: string) => void;
  /** Where ~/.ssh/config, known_hosts and the agent are (tests); default from the environment. */
  sshEnv?: Partial<SshEnvironment>;
}

export function createTransportFactory(opts: TransportFactoryOptions): TransportFactory {
  const sshEnv = { ...envDefaults(), ...opts.sshEnv };
  if (opts.dryRun) return new RecordingTransportFactory({ onRecord: opts.onRecord, sshEnv });
  const interactive = opts.interactive ?? (!!process.stdin.isTTY && !process.env.CI);
  return new RealTransportFactory({ log: opts.log, interactive, sshEnv });
}
