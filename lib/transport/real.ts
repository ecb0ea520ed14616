/**
 * The real transport: node-ssh connections pooled per host and identity,
 * local processes, and rsync tunnelled through those connections.
 */
import * as tmp from 'tmp';
import type { Logger } from '../log';
import { ConnectionPool } from './connection';
import { resolveHostSettings } from './host-settings';
import { ProcessLocalShell } from './local';
import { SshRemoteShell } from './remote';
import { createRsync } from './rsync';
import type { RsyncRelay } from './rsync-tunnel';
import type { SshEnvironment } from './ssh-config';
import { SudoPasswords } from './sudo-password';
import type { HostTransport, TransportFactory } from './types';

export interface RealTransportOptions {
  log: Logger;
  /** A terminal is there to ask for sudo passwords. */
  interactive: boolean;
  sshEnv: SshEnvironment;
  /** Ask for a sudo password (tests replace the terminal prompt). */
  prompt?: (question: string) => Promise<string>;
  /** rsync's remote-shell relay: default Perl when it is on PATH, else Node (tests run both). */
  rsyncRelay?: RsyncRelay;
}

export class RealTransportFactory implements TransportFactory {
  private readonly pool: ConnectionPool;
  private readonly sudoPasswords: SudoPasswords;
  private readonly hosts = new Map<string, HostTransport>();
  private privateDir?: tmp.DirResult;

  constructor(private readonly opts: RealTransportOptions) {
    this.pool = new ConnectionPool({ log: opts.log, sshEnv: opts.sshEnv });
    this.sudoPasswords = new SudoPasswords(opts.interactive, opts.prompt);
  }

  forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport {
    watchInterrupts(this);
    let host = this.hosts.get(hostName);
    if (!host) {
      const settings = resolveHostSettings(hostName, options, this.opts.sshEnv);
      const deps = { pool: this.pool, log: this.opts.log, sudoPasswords: this.sudoPasswords };
      host = {
        remote: new SshRemoteShell(settings, deps),
        local: new ProcessLocalShell(settings, this.opts.log, this.opts.interactive),
        rsync: createRsync(settings, { ...deps, interactive: this.opts.interactive, privateDir: () => this.dir(), relay: this.opts.rsyncRelay }),
      };
      this.hosts.set(hostName, host);
    }
    return host;
  }

  /** Disconnect everything and remove the private temp dir. Idempotent. */
  async closeAll(): Promise<void> {
    unwatchInterrupts(this);
    this.pool.closeAll();
    this.hosts.clear();
    this.privateDir?.removeCallback();
    this.privateDir = undefined;
  }

  private dir(): string {
    // Private (0700) and removed at the end: it holds the rsync tunnel's sockets.
    this.privateDir ??= tmp.dirSync({ prefix: 'hostout-', mode: 0o700, unsafeCleanup: true });
    return this.privateDir.name;
  }

  /** @internal Ctrl-C: disconnect. */
  interrupt(): void {
    this.opts.log.warn('interrupted: closing ssh connections');
    void this.closeAll();
  }
}

/**
 * One SIGINT listener for all open factories: Ctrl-C closes every connection
 * (running commands then fail), and if nobody else listens for SIGINT we
 * re-raise it so the process ends as it would have without us (status 130).
 */
const openFactories = new Set<RealTransportFactory>();
function onSigint(): void {
  for (const f of [...openFactories]) f.interrupt();
  if (process.listenerCount('SIGINT') === 0) process.kill(process.pid, 'SIGINT');
}
function watchInterrupts(f: RealTransportFactory): void {
  if (openFactories.size === 0) process.on('SIGINT', onSigint);
  openFactories.add(f);
}
function unwatchInterrupts(f: RealTransportFactory): void {
  openFactories.delete(f);
  if (openFactories.size === 0) process.removeListener('SIGINT', onSigint);
}
