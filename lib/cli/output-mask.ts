/**
 * The run's last line of defence for secrets: every line hostout prints or
 * writes (stdout, stderr, --json, listr2's titles, error messages) passes
 * through one `OutputMask`, which masks the configured secrets of every
 * selected host the same way the transport masks them in commands
 * (maskSecrets: the value in each of its spellings becomes ********).
 *
 * The transport masks what it builds, but a host's secret can also be one of
 * the words hostout writes around a command (`remote(root@host:22)` when the
 * password is `root`), so masking must happen where the text leaves hostout,
 * not only where a command is built. A password equal to a user name or a
 * path component therefore masks those too (docs/transport.md).
 */
import { maskSecrets } from '../transport/secret';

export class OutputMask {
  private readonly secrets = new Set<string>();

  /** Values to mask from now on (a host's secrets, once the host is loaded). */
  add(values: readonly string[]): void {
    for (const v of values) if (v.length > 0) this.secrets.add(v);
  }

  /** `text` with every known secret masked. */
  apply(text: string): string {
    return this.secrets.size === 0 ? text : maskSecrets(text, [...this.secrets]);
  }
}
