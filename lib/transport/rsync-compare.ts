/**
 * Which comparison a push's receiver can make (command-line.ts,
 * RsyncComparison), learnt without a round trip of its own.
 *
 * hostout's rsync compares times to the nanosecond (`--modify-window=-1`),
 * which the receiving rsync must understand: rsync 3.1.3+ is sent `-@-1`,
 * which rsync 3.1.2 and older refuse before they touch a file
 * ("rsync: on remote machine: -@-1: unknown option", exit status 1). A push
 * to a host whose rsync is not known yet runs with `-@-1`: a production with
 * a recent rsync (nearly every one) costs nothing more; one that refuses it
 * costs that refused start, and the same push runs again at once with
 * `--checksum` (content compared, so no stale file is kept). What the host
 * answered is kept on the connection for the rest of the run. A probe
 * (`rsync --version`) would cost every host a round trip on every run, and
 * could ask another rsync than the one that runs (`sudo rsync` has sudo's
 * PATH). A pull needs nothing of this: there the receiver is this machine's
 * rsync, and the option is not sent to the remote sender at all.
 */
import type { RsyncComparison } from './command-line';

/** rsync's exit status for a syntax or usage error, what an unknown option gives. */
const RSYNC_SYNTAX_EXIT = 1;

/** The words the remote side's rsync is started by (the cache's key: `sudo rsync` may be another rsync than the login's). */
export function remoteRsyncKey(remoteSudo: boolean | undefined): string {
  return remoteSudo ? 'sudo rsync' : 'rsync';
}

/**
 * Whether the remote rsync refused the nanosecond comparison: it ended with a
 * usage error before it said anything to its client (`started`: it wrote to
 * stdout, which a server does only once its options were accepted), naming
 * the option.
 */
export function refusedNanoseconds(code: number | null, stderr: string, started: boolean): boolean {
  return !started && code === RSYNC_SYNTAX_EXIT && /-@-1|modify-window/.test(stderr);
}

/** The remote rsync's version, as its usage error names it (`[server=3.1.2]`), when it does. */
export function serverVersion(stderr: string): string | undefined {
  return /\[server=([0-9][0-9A-Za-z.]*)\]/.exec(stderr)?.[1];
}

/** The -v note saying how a host's push compares files. */
export function comparisonNote(comparison: RsyncComparison, target: string, stderr = ''): string {
  if (comparison === 'nanoseconds') return `rsync to ${target} compares files by size and time to the nanosecond (--modify-window=-1)`;
  const version = serverVersion(stderr);
  return `the rsync on ${target}${version ? ` (${version})` : ''} cannot compare times to the nanosecond (it refused --modify-window=-1, which needs rsync 3.1.3+): `
    + 'its pushes compare files by checksum instead (--checksum: every file of the same size is read on both sides)';
}

/**
 * Holds back stderr while the remote rsync may still refuse its options, so
 * that a refusal hostout answers itself never reaches the user; lets it
 * through once the remote rsync has started (or the run is over and it was
 * not a refusal).
 */
export class StderrGate {
  private held: Buffer[] | undefined;

  constructor(private readonly sink: ((chunk: Buffer) => void) | undefined, hold: boolean) {
    this.held = hold ? [] : undefined;
  }

  write(chunk: Buffer): void {
    if (this.held) this.held.push(chunk);
    else this.sink?.(chunk);
  }

  /** From here on stderr goes straight through; what was held goes first. */
  open(): void {
    const held = this.held;
    this.held = undefined;
    for (const c of held ?? []) this.sink?.(c);
  }

  /** Forget what was held (a refusal answered by running again). */
  drop(): void {
    this.held = undefined;
  }
}
