/**
 * The recording transport: --dry-run and unit tests of command sequences.
 * Every call becomes one human-readable line, in order, with secrets masked,
 * built by the same code (command-line.ts, host-settings.ts) as the real
 * transport, so the plan shows what a real run would execute. Nothing runs.
 */
import * as os from 'node:os';
import { CommandError } from '../errors';
import {
  displayLocal, localArgv, refuseSudoIfDisabled, rsyncArgv, sudoCommand, withCwdAndEnv, wrapInShell,
} from './command-line';
import { describeTarget, resolveHostSettings, type HostSettings, type Identity } from './host-settings';
import { maskSecrets } from './mask';
import { shellJoin as shellJoinForDisplay } from './quote';
import { defaultSshEnvironment, type SshEnvironment } from './ssh-config';
import type {
  CommandResult, HostTransport, LocalRunOptions, LocalShell, RemoteRunOptions, RemoteShell, Rsync,
  RsyncOptions, SudoOptions, TransportFactory,
} from './types';

/** Shown as rsync's --rsh in records: the real value is a relay script in a private temp dir (see rsync.ts). */
export const TUNNEL_RSH_DISPLAY = 'hostout-ssh-tunnel';

/** A canned answer for commands whose record line matches. */
export interface RecordedResponse {
  match: string | RegExp;
  result: Partial<CommandResult>;
}

export interface RecordingOptions {
  /** Called with each line as it is recorded (the CLI prints the --dry-run plan with it). */
  onRecord?: (line: string) => void;
  /** What `exists` answers: a constant, or per path. Default false. */
  exists?: boolean | ((path: string, hostName: string) => boolean);
  /** Per-command results; the first whose `match` is in (or matches) the record line wins. Default: empty output, code 0. */
  responses?: RecordedResponse[];
  /** Where ssh config lives (tests); default from $HOME / $HOSTOUT_SSH_CONFIG. */
  sshEnv?: SshEnvironment;
}

export class RecordingTransportFactory implements TransportFactory {
  readonly records: string[] = [];
  private readonly hosts = new Map<string, HostTransport>();
  private readonly sshEnv: SshEnvironment;

  constructor(private readonly opts: RecordingOptions = {}) {
    this.sshEnv = opts.sshEnv ?? defaultSshEnvironment();
  }

  /** Set or replace the per-record callback after construction. */
  onRecord(callback: (line: string) => void): void {
    this.opts.onRecord = callback;
  }

  forHost(hostName: string, options: Readonly<Record<string, string>>): HostTransport {
    const existing = this.hosts.get(hostName);
    if (existing) return existing;
    const settings = resolveHostSettings(hostName, options, this.sshEnv);
    const transport = new RecordingHost(settings, this);
    this.hosts.set(hostName, transport);
    return transport;
  }

  async closeAll(): Promise<void> {
    this.hosts.clear();
  }

  /** @internal */
  record(settings: HostSettings, line: string): void {
    const masked = `[${settings.name}] ${maskSecrets(line, settings.secrets)}`;
    this.records.push(masked);
    this.opts.onRecord?.(masked);
  }

  /** @internal */
  respond(line: string, allowFailure: boolean | undefined, settings: HostSettings, command: string): CommandResult {
    const hit = this.opts.responses?.find((r) => (typeof r.match === 'string' ? line.includes(r.match) : r.match.test(line)));
    const result: CommandResult = { stdout: '', stderr: '', code: 0, ...hit?.result };
    if (result.code !== 0 && !allowFailure) {
      throw new CommandError(
        `command failed on ${settings.name} (${settings.hostname}) with exit status ${result.code}: ${command}`,
        { host: settings.name, command, status: result.code, stderrTail: result.stderr },
      );
    }
    return result;
  }

  /** @internal */
  existsAnswer(path: string, hostName: string): boolean {
    const e = this.opts.exists;
    return typeof e === 'function' ? e(path, hostName) : !!e;
  }
}

class RecordingHost implements HostTransport {
  readonly remote: RemoteShell;
  readonly local: LocalShell;
  readonly rsync: Rsync;

  constructor(settings: HostSettings, factory: RecordingTransportFactory) {
    const identity = (as?: 'login' | 'buildout'): Identity => (as === 'buildout' ? settings.buildout : settings.login);
    const target = (as?: 'login' | 'buildout') => describeTarget(settings, identity(as));
    const runLine = async (kind: string, as: 'login' | 'buildout' | undefined, command: string, allowFailure?: boolean) => {
      const line = `${kind}(${target(as)}): ${command}`;
      factory.record(settings, line);
      return factory.respond(line, allowFailure, settings, command);
    };

    this.remote = {
      run: async (command: string, o: RemoteRunOptions = {}) =>
        runLine('remote', o.as, wrapInShell(withCwdAndEnv(command, o), settings.shell), o.allowFailure),
      sudo: async (command: string, o: SudoOptions = {}) => {
        refuseSudoIfDisabled(settings, command);
        const cmd = sudoCommand(withCwdAndEnv(command, o), { user: o.user, shell: settings.shell });
        return runLine('remote', o.as, cmd.display, o.allowFailure);
      },
      put: async (localPath, remotePath, o = {}) => {
        const mode = o.mode !== undefined ? ` (mode ${o.mode.toString(8).padStart(4, '0')})` : '';
        factory.record(settings, `put(${target(o.as)}): ${localPath} -> ${remotePath}${mode}`);
      },
      get: async (remotePath, localPath, o = {}) => {
        factory.record(settings, `get(${target(o.as)}): ${remotePath} -> ${localPath}`);
      },
      exists: async (path, o = {}) => {
        factory.record(settings, `exists(${target(o.as)}): ${path}`);
        return factory.existsAnswer(path, settings.name);
      },
    };

    this.local = {
      run: async (command: string, o: LocalRunOptions = {}) => {
        const user = os.userInfo().username;
        const argv = localArgv(command, o, user, process.getuid?.() === 0);
        const line = `local: ${displayLocal(command, o, argv)}`;
        factory.record(settings, line);
        return factory.respond(line, o.allowFailure, settings, command);
      },
    };

    this.rsync = async (o: RsyncOptions) => {
      const id = identity(o.as);
      const argv = rsyncArgv(o, { user: id.user, hostname: settings.hostname, compress: settings.rsyncCompress }, TUNNEL_RSH_DISPLAY);
      const line = `rsync: ${shellJoinForDisplay(argv)}`;
      factory.record(settings, line);
      return factory.respond(line, false, settings, argv.join(' '));
    };
  }
}
