/**
 * Running one command over an ssh connection: stdin, output capture, exit
 * status, the sudo password conversation, and turning failures into errors
 * that name host, command (secrets masked), status and the last stderr lines.
 */
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CommandError, TransportError } from '../errors';
import type { SshConnection } from './connection';
import type { HostSettings } from './host-settings';
import { SUDO_PROMPT, SUDO_READY } from './command-line';
import { maskSecrets } from './mask';
import type { CommandResult } from './types';

export interface ExecRequest {
  connection: SshConnection;
  /** The host (part) this runs for: names errors and lists the secrets to mask. The connection may be shared by parts with the same target. */
  settings: HostSettings;
  /** What runs. */
  command: string;
  /** What errors show (already masked or free of secrets). */
  display: string;
  stdin?: string | Buffer | Readable;
  /** Set for commands made by sudoCommand(): answers sudo's prompt and holds stdin until sudo is done with it. */
  sudoPassword?: () => Promise<string | undefined>;
  /** Raw output as it arrives (stdout, and stderr after sudo's part). */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keep output in the result (default true). */
  collect?: boolean;
  allowFailure?: boolean;
  /** Lets the caller (rsync tunnel) close the channel. */
  onChannel?: (channel: ClientChannel) => void;
}

const STDERR_TAIL_LINES = 10;

export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

export function commandFailure(hostName: string, target: string, display: string, code: number | null, signal: string | undefined, stderr: string, secrets: string[]): CommandError {
  const tail = maskSecrets(stderrTail(stderr), secrets);
  const shown = maskSecrets(display, secrets);
  const status = code === null ? `signal ${signal ?? 'unknown'}` : `exit status ${code}`;
  return new CommandError(
    `command failed on ${target} with ${status}: ${shown}${tail ? `\n${tail.split('\n').map((l) => `  ${l}`).join('\n')}` : ''}`,
    { host: hostName, command: shown, status: code, signal, target, stderrTail: tail },
  );
}

export async function execOnConnection(req: ExecRequest): Promise<CommandResult> {
  const { connection, settings } = req;
  const client = await connection.client();
  const collect = req.collect !== false;

  return new Promise<CommandResult>((resolve, reject) => {
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
        finish(() => reject(new TransportError(`cannot start a command on ${connection.label}: ${execErr.message}`, { host: settings.name })));
        return;
      }
      req.onChannel?.(channel);
      stopDropWatch = connection.onDrop((dropErr) =>
        finish(() => reject(new TransportError(`${dropErr.message} while running: ${maskSecrets(req.display, settings.secrets)}`, { host: settings.name }))),
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
      if (req.sudoPassword) {
        // Until SUDO_READY, stderr is sudo talking: answer its (unique) prompt once; a second prompt means a wrong password.
        let pending = '';
        let ready = false;
        let prompts = 0;
        channel.stderr.on('data', (chunk: Buffer) => {
          if (ready) return emitErr(chunk);
          pending += chunk.toString('latin1');
          while (pending.includes(SUDO_PROMPT)) {
            pending = pending.replace(SUDO_PROMPT, '');
            prompts++;
            if (prompts > 1) {
              problem = new TransportError(`sudo on ${connection.label} rejected the password (from sudo-password/password, or typed): ${maskSecrets(req.display, settings.secrets)}`, { host: settings.name });
              channel.end();
              channel.close();
              return;
            }
            req.sudoPassword!().then(
              (password) => {
                if (password === undefined) {
                  problem = new TransportError(
                    `sudo on ${connection.label} asks for a password and none is configured: ` +
                      `set sudo-password (or password) for the host, or run hostout on a terminal to be asked once`,
                    { host: settings.name },
                  );
                  channel.end();
                } else channel.write(`${password}\n`);
              },
              (e: Error) => {
                problem = e;
                channel.end();
              },
            );
          }
          const marker = pending.indexOf(`${SUDO_READY}\n`);
          if (marker >= 0) {
            ready = true;
            const before = pending.slice(0, marker);
            const after = pending.slice(marker + SUDO_READY.length + 1);
            pending = '';
            emitErr(Buffer.from(before, 'latin1'));
            emitErr(Buffer.from(after, 'latin1'));
            startStdin();
          }
        });
        channel.on('close', () => {
          if (!ready && pending) emitErr(Buffer.from(pending.replace(SUDO_PROMPT, ''), 'latin1'));
        });
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
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        if (problem) return finish(() => reject(problem));
        if (connection.dropped) {
          return finish(() => reject(new TransportError(`the ssh connection to ${connection.label} was lost while running: ${maskSecrets(req.display, settings.secrets)}`, { host: settings.name })));
        }
        const result: CommandResult = { stdout, stderr, code };
        if (code !== 0 && !req.allowFailure) {
          return finish(() => reject(commandFailure(settings.name, connection.label, req.display, code, signal, stderr, settings.secrets)));
        }
        finish(() => resolve(result));
      });
    });
  });
}
