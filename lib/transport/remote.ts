/** RemoteShell over the pooled ssh connections: run, sudo, put, get, exists. */
import { CommandError, TransportError } from '../errors';
import type { Logger } from '../log';
import { refuseSudoIfDisabled, sudoCommand, withCwdAndEnv, wrapInShell } from './command-line';
import type { ConnectionPool, SshConnection } from './connection';
import { execOnConnection } from './exec';
import { describeTarget, type HostSettings } from './host-settings';
import { maskSecrets } from './mask';
import { shellQuote } from './quote';
import type { SudoPasswords } from './sudo-password';
import type { CommandResult, RemoteRunOptions, RemoteShell, SudoOptions } from './types';

export interface RemoteDeps {
  pool: ConnectionPool;
  log: Logger;
  sudoPasswords: SudoPasswords;
}

/** Streams output lines to the log as `[host] out: ...` (info with `echo`, else debug). */
export function lineLogger(prefix: string, emit: (line: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let partial = '';
  return {
    push(chunk) {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) emit(`${prefix}${l}`);
    },
    flush() {
      if (partial) emit(`${prefix}${partial}`);
      partial = '';
    },
  };
}

export class SshRemoteShell implements RemoteShell {
  constructor(private readonly settings: HostSettings, private readonly deps: RemoteDeps) {}

  private connection(as?: 'login' | 'buildout'): SshConnection {
    const identity = as === 'buildout' ? this.settings.buildout : this.settings.login;
    return this.deps.pool.get(this.settings, identity);
  }

  private async exec(
    kind: 'remote', as: 'login' | 'buildout' | undefined, command: string, display: string,
    opts: RemoteRunOptions, sudoUser?: string,
  ): Promise<CommandResult> {
    const { settings, deps } = this;
    const conn = this.connection(as);
    const target = describeTarget(settings, conn.identity);
    const masked = maskSecrets(display, settings.secrets);
    deps.log.debug(`[${settings.name}] ${kind}(${target}): ${masked}`);
    const emit = (l: string) => (opts.echo ? deps.log.info(maskSecrets(l, settings.secrets)) : deps.log.debug(maskSecrets(l, settings.secrets)));
    const outLog = lineLogger(`[${settings.name}] out: `, emit);
    const errLog = lineLogger(`[${settings.name}] err: `, emit);
    try {
      return await execOnConnection({
        connection: conn,
        settings,
        command,
        display,
        stdin: opts.stdin,
        allowFailure: opts.allowFailure,
        sudoPassword: sudoUser !== undefined ? deps.sudoPasswords.forHost(settings, conn.identity.user) : undefined,
        onStdout: (c) => outLog.push(c),
        onStderr: (c) => errLog.push(c),
      });
    } finally {
      outLog.flush();
      errLog.flush();
    }
  }

  run(command: string, opts: RemoteRunOptions = {}): Promise<CommandResult> {
    const line = wrapInShell(withCwdAndEnv(command, opts), this.settings.shell);
    return this.exec('remote', opts.as, line, line, opts);
  }

  async sudo(command: string, opts: SudoOptions = {}): Promise<CommandResult> {
    refuseSudoIfDisabled(this.settings, command);
    const cmd = sudoCommand(withCwdAndEnv(command, opts), { user: opts.user, shell: this.settings.shell });
    return this.exec('remote', opts.as, cmd.actual, cmd.display, opts, opts.user ?? 'root');
  }

  async put(localPath: string, remotePath: string, opts: { as?: 'login' | 'buildout'; mode?: number } = {}): Promise<void> {
    const conn = this.connection(opts.as);
    this.deps.log.debug(`[${this.settings.name}] put(${conn.label}): ${localPath} -> ${remotePath}`);
    const ssh = await conn.nodeSsh();
    try {
      await ssh.putFile(localPath, remotePath);
      if (opts.mode !== undefined) {
        const sftp = await ssh.requestSFTP();
        try {
          await new Promise<void>((resolve, reject) => sftp.chmod(remotePath, opts.mode as number, (e) => (e ? reject(e) : resolve())));
        } finally {
          sftp.end();
        }
      }
    } catch (e) {
      throw this.transferError('put', `${localPath} -> ${remotePath}`, conn, e as Error);
    }
  }

  async get(remotePath: string, localPath: string, opts: { as?: 'login' | 'buildout' } = {}): Promise<void> {
    const conn = this.connection(opts.as);
    this.deps.log.debug(`[${this.settings.name}] get(${conn.label}): ${remotePath} -> ${localPath}`);
    const ssh = await conn.nodeSsh();
    try {
      await ssh.getFile(localPath, remotePath);
    } catch (e) {
      throw this.transferError('get', `${remotePath} -> ${localPath}`, conn, e as Error);
    }
  }

  async exists(path: string, opts: { as?: 'login' | 'buildout' } = {}): Promise<boolean> {
    const line = `test -e ${shellQuote(path)}`;
    const r = await this.exec('remote', opts.as, line, line, { allowFailure: true });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new CommandError(`cannot tell whether ${path} exists on ${this.connection(opts.as).label} (exit status ${r.code}): ${r.stderr.trim()}`, { host: this.settings.name, command: line, status: r.code, stderrTail: r.stderr });
  }

  private transferError(kind: string, what: string, conn: SshConnection, e: Error): Error {
    if (e instanceof TransportError) return e;
    const detail = e.message.replace(/^.*?:\s*/, '') || e.message;
    return new CommandError(`${kind} ${what} on ${conn.label} failed: ${detail}`, { host: this.settings.name, command: `${kind} ${what}`, stderrTail: e.message });
  }
}
