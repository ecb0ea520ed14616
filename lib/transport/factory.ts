/**
 * Transport factories: one HostFront per host over the backends of the run
 * mode. The real factory owns the ssh connection pool and the run's private
 * temp dir (the rsync relay's sockets); the recording factory owns a
 * recorder. Signals are the CLI's business: its one handler calls
 * `stop()`, and running commands then fail.
 */
import { InterruptedError } from '../errors';
import { createPlainLogger, type Logger } from '../log';
import type { Backend } from './backends/backend';
import { runLocal } from './backends/local';
import { Recorder, type RecorderOptions } from './backends/recorder';
import { SshBackend } from './backends/ssh';
import { ConnectionPool } from './connection';
import { createPrivateDir, type PrivateDir } from './private-dir';
import { HostFront, type RunMode } from './front';
import { requireConnectable, resolveHostSettings, type HostSettings } from './host-settings';
import { runRsync } from './rsync';
import type { RsyncRelay } from './rsync-tunnel';
import { hermeticSshEnvironment, type SshEnvironment } from './ssh-config';
import { promptHidden, SudoPasswords } from './sudo-password';
import type { HostTransport, TransportFactory } from './types';

/** How long after a cleanup call ends the run still waits for the next one (cleaningUp()). */
const CLEANUP_LINGER_MS = 2000;

export interface FactoryOptions {
  mode: RunMode;
  log: Logger;
  /** A terminal is there to ask for sudo passwords. */
  interactive: boolean;
  /** Where ~/.ssh/config, known_hosts and the agent are: for hosts given by name and options, and jump hosts. */
  sshEnv: SshEnvironment;
  /** Ask for a sudo password or a key's passphrase (tests replace the terminal prompt). */
  prompt?: (question: string) => Promise<string>;
  /** Where the terminal prompt shows its question (default stderr): the CLI's live view. */
  showPrompt?: (question: string) => void;
  /** rsync's remote-shell relay: default Perl when it is on PATH, else Node (tests run both). */
  rsyncRelay?: RsyncRelay;
  /** record and preview modes: the recorder's canned answers and where it prints. */
  recorder?: RecorderOptions;
}

export class HostTransportFactory implements TransportFactory {
  private readonly hosts = new Map<string, HostTransport>();
  private readonly sudoPasswords: SudoPasswords;
  private readonly backend: Backend;
  private readonly recorder?: Recorder;
  private privateDir?: PrivateDir;
  /** Stops for the local rsyncs now running (rsync.ts). */
  private readonly runningRsyncs = new Set<() => Promise<void>>();

  constructor(protected readonly opts: FactoryOptions) {
    this.sudoPasswords = new SudoPasswords(opts.interactive, this.prompt);
    if (opts.mode !== 'real') this.recorder = new Recorder(opts.recorder);
    this.backend = opts.mode === 'record' ? (this.recorder as Recorder) : this.realBackend();
  }

  /** How a person is asked (when interactive): the given prompt, else the terminal. */
  private get prompt(): (question: string) => Promise<string> {
    return this.opts.prompt ?? ((question) => promptHidden(question, this.opts.showPrompt));
  }

  /** Every line recorded (record mode: every call; preview: every call that would change something). */
  get records(): string[] {
    return this.recorder?.records ?? [];
  }

  /** Set by stop(): the run is ending on a signal. */
  private stopping = false;
  /** While stopping, what may still reach a host (the run undoing its own work). */
  private allowedWhileStopping?: () => boolean;

  /** Calls marked `cleanup` running after stop(), and when the last one ended. */
  private cleanupsRunning = 0;
  private lastCleanupEnd = 0;

  /**
   * After stop(): whether calls marked `cleanup` are running, or one ended
   * less than CLEANUP_LINGER_MS ago (the next of a sequence, such as health
   * checks half a second apart, is about to start). The run's exit waits
   * while this is true.
   */
  cleaningUp(): boolean {
    return this.cleanupsRunning > 0 || (this.lastCleanupEnd > 0 && Date.now() - this.lastCleanupEnd < CLEANUP_LINGER_MS);
  }

  /** A call marked `cleanup` after stop(): counted while it runs (cleaningUp()). */
  private async counted<T>(call: { cleanup?: boolean }, work: () => Promise<T>): Promise<T> {
    if (!this.stopping || call.cleanup !== true) return work();
    this.cleanupsRunning++;
    try {
      return await work();
    } finally {
      this.cleanupsRunning--;
      this.lastCleanupEnd = Date.now();
    }
  }

  /** After stop(), nothing new reaches a host: a plugin's cleanup would otherwise log in again and keep a stopped run for seconds. */
  private refuseWhenStopping(host: HostSettings, cleanup = false): void {
    if (this.stopping && !cleanup && !this.allowedWhileStopping?.()) throw new InterruptedError('hostout is stopping: nothing more runs on the host', { host: host.name });
  }

  private realBackend(): Backend {
    const askPassphrase = this.opts.interactive ? this.prompt : undefined;
    const ssh = new SshBackend(new ConnectionPool({ log: this.opts.log, sshEnv: this.opts.sshEnv, askPassphrase }));
    const running = this.runningRsyncs;
    const rsyncDeps = { ssh, log: this.opts.log, privateDir: () => this.dir(), relay: this.opts.rsyncRelay, running };
    // Every call that opens a connection first checks the host can be connected to at all, and
    // that the run is not stopping (stop()).
    const connectable = <C extends { host: HostSettings; cleanup?: boolean }>(call: C): C => {
      this.refuseWhenStopping(call.host, call.cleanup === true);
      requireConnectable(call.host);
      return call;
    };
    return {
      connect: (call) => {
        if (!this.stopping || this.allowedWhileStopping?.()) ssh.connect(call);
      },
      exec: async (call) => this.counted(call, () => ssh.exec(connectable(call))),
      put: async (call) => ssh.put(connectable(call)),
      get: async (call) => ssh.get(connectable(call)),
      local: runLocal,
      rsync: async (call) => runRsync(connectable(call), rsyncDeps),
      forward: (call) => this.counted(call, () => ssh.forward(connectable(call))),
      // Local rsyncs first (they would outlive us: SIGTERM, then SIGKILL), then the connections.
      close: async () => {
        await Promise.allSettled([...running].map((stop) => stop()));
        await ssh.close();
      },
    };
  }

  forHost(host: HostSettings): HostTransport;
  forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport;
  forHost(host: HostSettings | string, options?: Readonly<Record<string, string>>): HostTransport {
    const settings = typeof host === 'string' ? resolveHostSettings(host, options ?? {}, this.opts.sshEnv) : host;
    let front = this.hosts.get(settings.name);
    if (!front) {
      front = new HostFront(settings, {
        mode: this.opts.mode,
        backend: this.backend,
        recorder: this.recorder,
        log: this.opts.log,
        sudoPasswords: this.sudoPasswords,
        interactive: this.opts.interactive,
      });
      this.hosts.set(settings.name, front);
    }
    return front;
  }

  /**
   * The run ends on a signal (the CLI's handler): close everything as
   * closeAll() does, and from now on refuse every remote call with an
   * InterruptedError instead of connecting again, except while `allowed()`
   * says the run is undoing its own work (flipping hosts back) and the calls
   * marked `cleanup` (RemoteRunOptions, ForwardOptions), which the run's exit
   * waits for (cleaningUp()).
   */
  async stop(allowed?: () => boolean): Promise<void> {
    this.stopping = true;
    this.allowedWhileStopping = allowed;
    await this.closeAll();
  }

  /** Disconnect everything and remove the private temp dir. Idempotent. */
  async closeAll(): Promise<void> {
    await this.backend.close();
    this.hosts.clear();
    this.privateDir?.remove();
    this.privateDir = undefined;
  }

  private dir(): string {
    // Private (0700) and removed at the end: it holds the rsync tunnel's sockets.
    // Dirs of runs that died without removing theirs go first (private-dir.ts).
    this.privateDir ??= createPrivateDir();
    return this.privateDir.name;
  }
}

export interface RealTransportOptions {
  log: Logger;
  interactive: boolean;
  sshEnv: SshEnvironment;
  prompt?: (question: string) => Promise<string>;
  rsyncRelay?: RsyncRelay;
}

/** Runs everything: ssh connections, local processes, rsync. */
export class RealTransportFactory extends HostTransportFactory {
  constructor(opts: RealTransportOptions) {
    super({ ...opts, mode: 'real' });
  }
}

export interface RecordingOptions extends RecorderOptions {
  /** Where ssh config lives for hosts given by name and options; default none at all (hermetic). */
  sshEnv?: SshEnvironment;
}

/** Runs nothing: records every call (`records`) and answers from canned responses. For tests and `--dry-run --offline`. */
export class RecordingTransportFactory extends HostTransportFactory {
  constructor(opts: RecordingOptions = {}) {
    const { sshEnv, ...recorder } = opts;
    super({ mode: 'record', log: createPlainLogger('quiet', () => undefined), interactive: false, sshEnv: sshEnv ?? hermeticSshEnvironment(), recorder });
  }
}
