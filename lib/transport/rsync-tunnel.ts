/**
 * rsync through the ssh connection hostout already has open, so rsync needs no
 * second login: rsync runs `--rsh <node> <helper> <socket>`; the helper sends
 * the remote command rsync asks for to this process over a private Unix
 * socket, we run it on the pooled ssh connection (answering sudo for
 * `--rsync-path="sudo rsync"`), and bytes flow rsync <-> helper <-> ssh channel.
 * Host keys, ProxyJump, agent and password logins therefore behave exactly as
 * for every other command. Hand-written: no library tunnels a child process's
 * --rsh through an ssh2 connection.
 *
 * Wire format. helper -> us: one JSON line (rsync's argv for the remote shell),
 * then raw stdin bytes, then end. us -> helper: frames of
 * [type:1][length:4 BE][payload]: 1 = stdout, 2 = stderr, 3 = exit (int32 status).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';

export const FRAME_STDOUT = 1;
export const FRAME_STDERR = 2;
export const FRAME_EXIT = 3;

/** The helper rsync starts as its remote shell. Plain Node, no dependencies, written into our private temp dir. */
export const TUNNEL_HELPER_SOURCE = `'use strict';
// hostout rsync tunnel helper: rsync runs this as its remote shell (see lib/transport/rsync-tunnel.ts).
const net = require('net');
const [socketPath, ...rsh] = process.argv.slice(2);
const sock = net.connect(socketPath);
sock.on('error', (e) => { process.stderr.write('hostout rsync tunnel: ' + e.message + '\\n'); process.exit(255); });
sock.write(JSON.stringify(rsh) + '\\n');
process.stdin.pipe(sock);
let buf = Buffer.alloc(0);
sock.on('data', (chunk) => {
  buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
  while (buf.length >= 5) {
    const type = buf[0];
    const len = buf.readUInt32BE(1);
    if (buf.length < 5 + len) break;
    const payload = buf.subarray(5, 5 + len);
    buf = buf.subarray(5 + len);
    if (type === 1) { if (!process.stdout.write(payload)) { sock.pause(); process.stdout.once('drain', () => sock.resume()); } }
    else if (type === 2) process.stderr.write(payload);
    else if (type === 3) { const code = payload.readInt32BE(0); process.stdout.end(() => process.exit(code)); return; }
  }
});
sock.on('end', () => process.exit(255));
`;

export function frame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/**
 * From rsync's remote-shell argv (`[-l user] host cmd...`) to the command line
 * ssh would send: the words after the host, joined by spaces (rsync already
 * escaped them for the remote shell).
 */
export function remoteCommandFromRshArgv(argv: string[]): string {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    i += argv[i] === '-l' || argv[i] === '-p' ? 2 : 1; // rsync passes -l USER; be lenient with other ssh-style flags
  }
  return argv.slice(i + 1).join(' ');
}

export interface TunnelSession {
  /** The remote command rsync asked for. */
  command: string;
  /** rsync's protocol bytes going to the remote side. */
  stdin: PassThrough;
  /** Returns false when the helper is not keeping up: pause the source until `onceDrain`. */
  stdout(chunk: Buffer): boolean;
  stderr(chunk: Buffer): void;
  onceDrain(callback: () => void): void;
  exit(code: number | null): void;
}

/** Listen on a private socket for one rsync's helper connection. */
export class TunnelServer {
  readonly socketPath: string;
  private readonly server: net.Server;

  constructor(dir: string, name: string, onSession: (s: TunnelSession) => void) {
    this.socketPath = path.join(dir, `${name}.sock`);
    fs.rmSync(this.socketPath, { force: true });
    this.server = net.createServer({ allowHalfOpen: true }, (sock) => {
      let header = Buffer.alloc(0);
      let started = false;
      // A few MiB between the helper and the ssh channel: with the stream
      // default (16 KiB) every 64 KiB from rsync paused the socket until the
      // channel drained, and the pipeline ran in lock-step.
      const stdin = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
      sock.on('error', () => stdin.destroy());
      sock.on('data', (chunk: Buffer) => {
        if (started) {
          if (!stdin.write(chunk)) {
            sock.pause();
            stdin.once('drain', () => sock.resume());
          }
          return;
        }
        header = Buffer.concat([header, chunk]);
        const nl = header.indexOf(10);
        if (nl < 0) return;
        started = true;
        const argv = JSON.parse(header.subarray(0, nl).toString('utf8')) as string[];
        const rest = header.subarray(nl + 1);
        if (rest.length) stdin.write(rest);
        const send = (type: number, payload: Buffer): boolean => (sock.destroyed ? true : sock.write(frame(type, payload)));
        onSession({
          command: remoteCommandFromRshArgv(argv),
          stdin,
          stdout: (c) => send(FRAME_STDOUT, c),
          stderr: (c) => void send(FRAME_STDERR, c),
          onceDrain: (cb) => sock.once('drain', cb),
          exit: (code) => {
            const p = Buffer.alloc(4);
            p.writeInt32BE(code ?? 255);
            send(FRAME_EXIT, p);
            sock.end();
          },
        });
      });
      sock.on('end', () => stdin.end());
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        fs.chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
    fs.rmSync(this.socketPath, { force: true });
  }
}
