/**
 * The one refusal of sudo on a host with `no-sudo` set (the original's): a
 * configuration error (exit 2) naming the host and the option, raised before
 * anything runs. The transport calls it for `remote.sudo` with the host's
 * settings; plugins call it with their ctx before a step that needs root.
 */
import { ConfigError } from '../errors';
import { isTrue } from '../flags';
import type { HostSettings } from './host-settings';

/** A host's settings (the transport's view) or a command's ctx (a plugin's: `name` and its options). */
export type SudoHost = Pick<HostSettings, 'name' | 'noSudo'> | { readonly name: string; readonly options: Readonly<Record<string, string>> };

/** Throws when `host` has no-sudo set; `what` says what was refused ("install python", "run 'ls' with sudo"). */
export function refuseSudo(host: SudoHost, what: string): void {
  const noSudo = 'noSudo' in host ? host.noSudo : isTrue(host.options['no-sudo']);
  if (noSudo) {
    throw new ConfigError(`cannot ${what}: no-sudo is set for this host`, { host: host.name, option: 'no-sudo' });
  }
}
