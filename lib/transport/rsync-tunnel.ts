/**
 * rsync through the ssh connection hostout already has open, so rsync needs no
 * second login: rsync runs `--rsh <relay> <socket>`; the relay sends the
 * remote command rsync asks for to this process over a private Unix socket,
 * we run it on the pooled ssh connection (answering sudo for
 * `--rsync-path="sudo rsync"`), and bytes flow rsync <-> relay <-> ssh channel.
 * Host keys, ProxyJump, agent and password logins therefore behave exactly as
 * for every other command. Hand-written: no library tunnels a child process's
 * --rsh through an ssh2 connection.
 *
 * The relay is a Perl script when perl is on PATH (Debian's perl-base is
 * Essential), else a Node script. Moving 200 MB from a pipe to a Unix socket
 * cost Node 0.79 s of CPU and Perl 0.10 s here (sysread/syswrite, 256 KiB at a
 * time); on a 2-core machine, where a push keeps both cores busy, that CPU is
 * wall time. Both relays speak the same protocol.
 *
 * Wire format. relay -> us: the argument count and rsync's arguments for the
 * remote shell, each NUL-terminated (`argc\0arg\0…`; arguments are bytes, no
 * escaping needed), then raw stdin bytes, then end. us -> relay: frames of
 * [type:1][length:4 BE][payload]: 1 = stdout, 2 = stderr, 3 = exit (int32 status).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';

export const FRAME_STDOUT = 1;
export const FRAME_STDERR = 2;
export const FRAME_EXIT = 3;

/** Which program relays rsync's remote shell: see the module comment. */
export type RsyncRelay = 'perl' | 'node';

/** The Node relay: plain Node, no dependencies, written into our private temp dir. */
export const TUNNEL_RELAY_NODE_SOURCE = `'use strict';
// hostout rsync tunnel relay (Node): rsync runs this as its remote shell (see lib/transport/rsync-tunnel.ts).
const net = require('net');
// rsync ends its remote shell with SIGUSR1 when it gives up (an I/O timeout):
// Node's default for it is to open the inspector and carry on, which kept the
// relay, and with it rsync's output pipes, alive.
process.on('SIGUSR1', () => process.exit(255));
const [socketPath, ...rsh] = process.argv.slice(2);
const sock = net.connect(socketPath);
sock.on('error', (e) => { process.stderr.write('hostout rsync tunnel: ' + e.message + '\\n'); process.exit(255); });
sock.write([String(rsh.length), ...rsh].map((a) => a + '\\0').join(''));
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

/**
 * The Perl relay. Two processes, one per direction, each with blocking I/O:
 * one process relaying both ways would block writing one side while the
 * other side waits for it to read (rsync's protocol assumes its remote shell
 * never does that). The child copies stdin to the socket and half-closes it
 * at end of input; the parent reads frames and exits with the remote
 * status, killing the child first (the Node relay's single process ends
 * both directions at once the same way). The child closes stdout and stderr
 * at once, so rsync sees the remote side end when the parent exits; the
 * parent closes stdin. rsync
 * may make those pipes non-blocking, so EAGAIN means "wait with select" (a
 * relay that took it as an error died mid-transfer once rsync fell behind).
 * Only core Perl (Socket, POSIX), as in Debian's perl-base.
 */
export const TUNNEL_RELAY_PERL_SOURCE = `# hostout rsync tunnel relay (Perl): rsync runs this as its remote shell (see lib/transport/rsync-tunnel.ts).
use strict;
use warnings;
use Socket qw(PF_UNIX SOCK_STREAM pack_sockaddr_un);
use POSIX ();
my $path = shift @ARGV;
sub fail { syswrite(STDERR, "hostout rsync tunnel: $_[0]\\n"); POSIX::_exit(255); }
# rsync may hand its remote shell non-blocking pipes: wait on EAGAIN, retry on EINTR.
sub ready { my ($fh, $write) = @_; my $v = ''; vec($v, fileno($fh), 1) = 1; $write ? select(undef, $v, undef, undef) : select($v, undef, undef, undef); }
sub put {
  my ($fh, $data) = @_;
  my $off = 0;
  while ($off < length $data) {
    my $n = syswrite($fh, $data, length($data) - $off, $off);
    if (defined $n) { $off += $n; next; }
    return 0 unless $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
    ready($fh, 1) unless $!{EINTR};
  }
  return 1;
}
sub get {
  my ($fh, $len) = @_;
  while (1) {
    my $n = sysread($fh, $_[2], $len, length $_[2]);
    return $n if defined $n;
    return 0 unless $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
    ready($fh, 0) unless $!{EINTR};
  }
}
socket(my $sock, PF_UNIX, SOCK_STREAM, 0) or fail("socket: $!");
connect($sock, pack_sockaddr_un($path)) or fail("$path: $!");
put($sock, join('', map { "$_\\0" } scalar(@ARGV), @ARGV)) or fail("write: $!");
my $pid = fork();
fail("fork: $!") unless defined $pid;
# The parent ends the relay: once the remote side is gone nothing more can go
# to it, and a child left behind would hold rsync's pipe open (rsync, writing
# into it, would then never notice that its remote shell is gone).
sub quit { if ($pid) { kill('KILL', $pid); waitpid($pid, 0); } POSIX::_exit($_[0]); }
if ($pid == 0) {
  close STDOUT; close STDERR;
  while (1) { my $buf = ''; last unless get(\\*STDIN, 262144, $buf); last unless put($sock, $buf); }
  shutdown($sock, 1);
  POSIX::_exit(0);
}
close STDIN;
my $buf = '';
while (1) {
  get($sock, 262144, $buf) or quit(255);
  while (length($buf) >= 5) {
    my ($type, $len) = unpack('C N', $buf);
    last if length($buf) < 5 + $len;
    my $payload = substr($buf, 5, $len);
    substr($buf, 0, 5 + $len, '');
    if ($type == 1) { put(\\*STDOUT, $payload) or quit(255); }
    elsif ($type == 2) { put(\\*STDERR, $payload); }
    elsif ($type == 3) { quit(unpack('l>', $payload) & 255); }
  }
}
`;

/** The relay's header: `argc\0arg\0…`; undefined until it is complete. */
export function parseRelayHeader(buf: Buffer): { argv: string[]; rest: Buffer } | undefined {
  const fields: string[] = [];
  let start = 0;
  let want = -1;
  while (want < 0 || fields.length < want) {
    const nul = buf.indexOf(0, start);
    if (nul < 0) return undefined;
    const field = buf.subarray(start, nul).toString('utf8');
    start = nul + 1;
    if (want < 0) want = Number(field);
    else fields.push(field);
  }
  return { argv: fields, rest: buf.subarray(start) };
}

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
  /** Returns false when the relay is not keeping up: pause the source until `onceDrain`. */
  stdout(chunk: Buffer): boolean;
  stderr(chunk: Buffer): void;
  onceDrain(callback: () => void): void;
  exit(code: number | null): void;
}

/** Listen on a private socket for one rsync's relay connection. */
export class TunnelServer {
  readonly socketPath: string;
  private readonly server: net.Server;
  /** When bytes last moved through the relay, either way (Date.now()): the inactivity check's clock. */
  lastActivity = Date.now();
  private readonly relays = new Set<net.Socket>();

  constructor(dir: string, name: string, onSession: (s: TunnelSession) => void) {
    this.socketPath = path.join(dir, `${name}.sock`);
    fs.rmSync(this.socketPath, { force: true });
    this.server = net.createServer({ allowHalfOpen: true }, (sock) => {
      this.relays.add(sock);
      sock.on('close', () => this.relays.delete(sock));
      let header = Buffer.alloc(0);
      let started = false;
      // A few MiB between the relay and the ssh channel: with the stream
      // default (16 KiB) every 64 KiB from rsync paused the socket until the
      // channel drained, and the pipeline ran in lock-step.
      const stdin = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
      // The relay gone either way: end the remote side's input, so it sees EOF
      // (destroying the stream would leave the channel's input open).
      const endInput = () => {
        if (!stdin.writableEnded) stdin.end();
      };
      // Set once the remote side has ended (its status sent, or the
      // connection lost): whatever the relay still sends is read and
      // dropped. Leaving it unread once hung every push whose remote side
      // died mid-file: the relay blocked writing into this socket, so it
      // stopped reading rsync's pipe, and rsync blocked writing into that.
      let remoteEnded = false;
      sock.on('error', endInput);
      sock.on('data', (chunk: Buffer) => {
        this.lastActivity = Date.now();
        if (remoteEnded) return;
        if (started) {
          if (!stdin.write(chunk)) {
            sock.pause();
            stdin.once('drain', () => sock.resume());
          }
          return;
        }
        header = Buffer.concat([header, chunk]);
        const parsed = parseRelayHeader(header);
        if (!parsed) return;
        started = true;
        const { argv, rest } = parsed;
        if (rest.length) stdin.write(rest);
        const send = (type: number, payload: Buffer): boolean => {
          this.lastActivity = Date.now();
          return sock.destroyed ? true : sock.write(frame(type, payload));
        };
        onSession({
          command: remoteCommandFromRshArgv(argv),
          stdin,
          stdout: (c) => send(FRAME_STDOUT, c),
          stderr: (c) => void send(FRAME_STDERR, c),
          // Also on close: when the relay dies (rsync killed, say) no drain
          // ever comes, and a paused channel would keep the remote side
          // blocked on its output forever instead of seeing its input end.
          onceDrain: (cb) => {
            if (sock.destroyed) return cb();
            const once = () => {
              sock.off('drain', once);
              sock.off('close', once);
              cb();
            };
            sock.on('drain', once);
            sock.on('close', once);
          },
          exit: (code) => {
            remoteEnded = true;
            endInput();
            sock.resume();
            const p = Buffer.alloc(4);
            p.writeInt32BE(code ?? 255);
            send(FRAME_EXIT, p);
            sock.end();
          },
        });
      });
      sock.on('end', endInput);
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

  /**
   * Cut every relay off: each then exits (its socket ended), and with it the
   * last holder of rsync's output pipes. For a transfer given up while the
   * remote side still runs (or is stopped), whose status will never come.
   */
  disconnect(): void {
    for (const sock of this.relays) sock.destroy();
  }

  close(): void {
    this.server.close();
    fs.rmSync(this.socketPath, { force: true });
  }
}
