/**
 * The ssh backend: runs prepared command lines as channels of the pooled
 * connection of their identity (connection.ts: one login per host and
 * identity), and moves files over sftp on the same connection. Output,
 * stdin, exit status and the sudo responder are handled here; deciding what
 * a failure means is the front's.
 */
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { TransportError } from '../../errors';
import type { ConnectionPool, SshConnection } from '../connection';
import type { SudoResponder } from '../responder';
import type { Forward, RawResult, RemoteExec, Transfer } from './backend';

export interface ChannelRequest {
  connection: SshConnection;
  /** The host (part) this runs for: names errors. The connection may be shared by parts with the same target. */
  hostName: string;
  /** What runs. */
  command: string;
  /** What errors show (masked). */
  shown: string;
  stdin?: string | Buffer | Readable;
  responder?: SudoResponder;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keep output in the result (default true). */
  collect?: boolean;
  /** Lets the caller (the rsync tunnel) pause and close the channel. */
  onChannel?: (channel: ClientChannel) => void;
}

/** Run one command as a channel of an open connection. Resolves with any exit status; rejects only on transport failures. */
export async function runOnChannel(req: ChannelRequest): Promise<RawResult> {
  const { connection, hostName } = req;
  const client = await connection.client();
  const collect = req.collect !== false;
  const fields = { host: hostName, target: connection.label, command: req.shown };

  return new Promise<RawResult>((resolve, reject) => {
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stopDropWatch = () => {};
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      stopDropWatch();
      fn();
    };
    client.exec(req.command, (execErr, channel) => {
      if (execErr) {
        finish(() => reject(new TransportError(`cannot start a command on ${connection.label}: ${execErr.message}`, { ...fields, kind: 'lost', cause: execErr })));
        return;
      }
      req.onChannel?.(channel);
      stopDropWatch = connection.onDrop((dropErr) =>
        finish(() => reject(new TransportError(`${dropErr.reason} while running: ${req.shown}`, { ...fields, kind: 'lost', cause: dropErr }))),
      );

      const emitErr = (chunk: Buffer) => {
        if (chunk.length === 0) return;
        if (collect) err.push(chunk);
        req.onStderr?.(chunk);
      };
      channel.on('data', (chunk: Buffer) => {
        if (collect) out.push(chunk);
        req.onStdout?.(chunk);
      });
      const startStdin = () => {
        const input = req.stdin;
        if (input === undefined) channel.end();
        else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
        else input.pipe(channel);
      };

      let problem: Error | undefined;
      const { responder } = req;
      if (responder) {
        const io = {
          answer: (text: string) => channel.write(text),
          ready: startStdin,
          stderr: emitErr,
          fail: (why: 'rejected' | 'no-password', cause?: unknown) => {
            problem = why === 'rejected'
              ? new TransportError(`sudo on ${connection.label} rejected the password (from sudo-password/password, or typed): ${req.shown}`, { ...fields, kind: 'sudo' })
              : new TransportError(
                `sudo on ${connection.label} asks for a password and none is configured: ` +
                  'set sudo-password (or password) for the host, or run hostout on a terminal to be asked once',
                { ...fields, kind: 'sudo', cause },
              );
            channel.end();
            if (why === 'rejected') channel.close();
          },
        };
        channel.stderr.on('data', (chunk: Buffer) => responder.feed(chunk, io));
        channel.on('close', () => responder.flush(io));
      } else {
        channel.stderr.on('data', emitErr);
        startStdin();
      }

      let code: number | null = null;
      let signal: string | undefined;
      channel.on('exit', (c: number | null, sig?: string) => {
        code = typeof c === 'number' ? c : null;
        signal = sig;
      });
      channel.on('close', () => {
        if (problem) return finish(() => reject(problem));
        if (connection.dropped) {
          return finish(() => reject(new TransportError(`the ssh connection to ${connection.label} was lost while running: ${req.shown}`, { ...fields, kind: 'lost' })));
        }
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        finish(() => resolve({ stdout, stderr, code, signal }));
      });
    });
  });
}

export class SshBackend {
  constructor(readonly pool: ConnectionPool) {}

  connection(call: { host: RemoteExec['host']; identity: RemoteExec['identity'] }): SshConnection {
    return this.pool.get(call.host, call.identity);
  }

  connect(call: { host: RemoteExec['host']; identity: RemoteExec['identity'] }): void {
    this.connection(call).warmUp();
  }

  exec(call: RemoteExec): Promise<RawResult> {
    return runOnChannel({
      connection: this.connection(call),
      hostName: call.host.name,
      command: call.line.actual,
      shown: call.line.shown,
      stdin: call.stdin,
      responder: call.responder,
      onStdout: call.onStdout,
      onStderr: call.onStderr,
    });
  }

  async put(call: Transfer): Promise<void> {
    const conn = this.connection(call);
    const ssh = await conn.nodeSsh();
    await ssh.putFile(call.localPath, call.remotePath);
    if (call.mode !== undefined) {
      const sftp = await ssh.requestSFTP();
      try {
        await new Promise<void>((resolve, reject) => sftp.chmod(call.remotePath, call.mode as number, (e) => (e ? reject(e) : resolve())));
      } finally {
        sftp.end();
      }
    }
  }

  async get(call: Transfer): Promise<void> {
    const ssh = await this.connection(call).nodeSsh();
    await ssh.getFile(call.localPath, call.remotePath);
  }

  /**
   * A request to a port or unix socket on the host over a channel of the
   * pooled connection (sshd's `direct-tcpip` / `direct-streamlocal`): nothing
   * has to be installed on the host. The answer is all the service sends until
   * it closes; the whole exchange is bounded by `timeoutMs`.
   */
  forward(call: Forward): Promise<Buffer> {
    const connection = this.connection(call);
    const where = 'socket' in call.to ? `the unix socket ${call.to.socket}` : `${call.to.address}:${call.to.port}`;
    const fields = { host: call.host.name, target: connection.label, command: call.record };
    return new Promise<Buffer>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      let stopDropWatch = () => {};
      const chunks: Buffer[] = [];
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopDropWatch();
        channel?.close();
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(new TransportError(
        `${where} on ${connection.label} did not answer within ${Math.ceil(call.timeoutMs / 1000)} s`, { ...fields, kind: 'other' },
      ))), call.timeoutMs);
      const opened = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          // ssh2 says `(SSH) Channel open failure: Connection refused`: sshd's reason is what matters.
          const why = err.message.replace(/^\(SSH\) Channel open failure:\s*/, '');
          finish(() => reject(new TransportError(`cannot open ${where} on ${connection.label}: ${why}`, { ...fields, kind: 'other', cause: err })));
          return;
        }
        if (settled) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on('data', (c: Buffer) => chunks.push(c));
        // The service closing its side is the end of its answer.
        ch.on('end', () => finish(() => resolve(Buffer.concat(chunks))));
        ch.on('close', () => finish(() => resolve(Buffer.concat(chunks))));
        ch.on('error', (e: Error) => finish(() => reject(new TransportError(`${where} on ${connection.label}: ${e.message}`, { ...fields, kind: 'other', cause: e }))));
        ch.write(call.request);
      };
      connection.client().then((client) => {
        if (settled) return;
        stopDropWatch = connection.onDrop((dropErr) =>
          finish(() => reject(new TransportError(`${dropErr.reason} while talking to ${where}`, { ...fields, kind: 'lost', cause: dropErr }))),
        );
        if ('socket' in call.to) client.openssh_forwardOutStreamLocal(call.to.socket, opened);
        else client.forwardOut('127.0.0.1', 0, call.to.address, call.to.port, opened);
      }, (e: unknown) => finish(() => reject(e)));
    });
  }

  async close(): Promise<void> {
    this.pool.closeAll();
  }
}
