/**
 * `ctx.rsync`: the system rsync, with its remote shell tunnelled through the
 * pooled ssh connection of the chosen identity (see rsync-tunnel.ts), so all
 * rsyncs and commands of a run share one login per host and identity.
 * pushdeploy's options: delete, exclude, extra argv words (no shell),
 * `--rsync-path="sudo rsync"` for remote sudo (its password answered like
 * `sudo`), and a local `sudo` prefix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { TransportError } from '../errors';
import type { Logger } from '../log';
import { rsyncArgv, SUDO_PROMPT, SUDO_READY } from './command-line';
import type { ConnectionPool } from './connection';
import { commandFailure, execOnConnection } from './exec';
import type { HostSettings } from './host-settings';
import { runArgv } from './local';
import { maskSecrets } from './mask';
import { shellJoin, shellQuote } from './quote';
import { TUNNEL_RSH_DISPLAY } from './recording';
import { lineLogger } from './remote';
import { remoteCommandFromRshArgv, TunnelServer, TUNNEL_HELPER_SOURCE } from './rsync-tunnel';
import type { SudoPasswords } from './sudo-password';
import type { CommandResult, RsyncOptions } from './types';

export interface RsyncDeps {
  pool: ConnectionPool;
  log: Logger;
  sudoPasswords: SudoPasswords;
  interactive: boolean;
  /** The run's private temp dir (0700), for the helper and the sockets. */
  privateDir: () => string;
}

let sessionCounter = 0;

/**
 * rsync's remote shell when rsync runs as us: rsync starts it with the remote
 * command as arguments, and it inherits three pipes from this process (fds
 * 3, 4 and 5, see attachRelay). A background job writes the argument count
 * and the arguments, NUL-terminated, to fd 4, then copies rsync's bytes
 * there; the shell copies fd 3 (the remote side's output) to rsync until the
 * remote side ends, then exits with the remote command's exit status, read
 * from fd 5: rsync takes its remote shell's status as its own, and it waits
 * for that shell to exit before it closes the shell's stdin. Plain sh and
 * cat: nothing to start up. (sh gives a background job /dev/null as stdin,
 * hence fd 6; each cat closes the fds it does not use, so an end is seen as
 * soon as its side ends.)
 */
export const RELAY_SOURCE = `# hostout rsync relay (lib/transport/rsync.ts): rsync's remote shell
exec 6<&0
{ printf '%s\\0' "$#" "$@"; exec cat <&6 6<&-; } >&4 3<&- 5<&- &
cat <&3 4>&- 5<&- 6<&-
read -r status <&5
exit "\${status:-255}"
`;

function relayPath(dir: string): string {
  const p = path.join(dir, 'rsync-relay.sh');
  if (!fs.existsSync(p)) fs.writeFileSync(p, RELAY_SOURCE, { mode: 0o600 });
  return p;
}

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

/** The ends of the relay's pipes this process holds. */
interface RelayEnds {
  /** fd 3: the remote side's output, to rsync. */
  toRsync: Writable;
  /** fd 5: the remote command's exit status, once it is known. */
  status: Writable;
}

/** Wire the relay's fds 3, 4 (from rsync) and 5 of a spawned rsync to its remote side. */
function attachRelay(child: ChildProcess, start: (command: string, stdin: PassThrough, ends: RelayEnds) => void): void {
  const fds = child.stdio as unknown as Array<Readable & Writable>;
  const [toRsync, fromRsync, status] = [fds[3], fds[4], fds[5]];
  for (const s of [toRsync, fromRsync, status]) s.on('error', () => {}); // rsync gone: its own exit status tells
  const stdin = new PassThrough();
  let header: Buffer | undefined = Buffer.alloc(0);
  fromRsync.on('data', (chunk: Buffer) => {
    if (!header) {
      if (!stdin.write(chunk)) {
        fromRsync.pause();
        stdin.once('drain', () => fromRsync.resume());
      }
      return;
    }
    header = Buffer.concat([header, chunk]);
    const parsed = parseRelayHeader(header);
    if (!parsed) return;
    header = undefined;
    if (parsed.rest.length) stdin.write(parsed.rest);
    start(remoteCommandFromRshArgv(parsed.argv), stdin, { toRsync, status });
  });
  fromRsync.on('end', () => stdin.end());
}

/** Write the helper once per private dir. */
function helperPath(dir: string): string {
  const p = path.join(dir, 'rsync-tunnel-helper.js');
  if (!fs.existsSync(p)) fs.writeFileSync(p, TUNNEL_HELPER_SOURCE, { mode: 0o600 });
  return p;
}

/** rsync splits --rsh on spaces and honours single quotes but not backslashes: refuse what it cannot carry. */
function rshWord(word: string): string {
  if (word.includes("'")) throw new TransportError(`cannot pass a path containing a single quote to rsync --rsh: ${word}`);
  return shellQuote(word);
}

/** For `--rsync-path="sudo rsync"`: the remote command, made to answer sudo's prompt like remote.sudo. */
function sudoRsyncCommand(command: string): string | undefined {
  if (!command.startsWith('sudo rsync ')) return undefined;
  const rest = command.slice('sudo '.length);
  return `sudo -S -p ${shellQuote(SUDO_PROMPT)} -H -- /bin/sh -c ${shellQuote(`echo ${shellQuote(SUDO_READY)} >&2; exec "$@"`)} hostout-rsync ${rest}`;
}

/** Where one rsync's remote side sends what it gets from the ssh channel. */
interface RemoteSink {
  /** false: rsync is not keeping up, pause the channel until onceDrain. */
  stdout(chunk: Buffer): boolean;
  onceDrain(callback: () => void): void;
  stderr(chunk: Buffer): void;
  exit(code: number | null): void;
}

export function createRsync(settings: HostSettings, deps: RsyncDeps) {
  return async (opts: RsyncOptions): Promise<CommandResult> => {
    const { log } = deps;
    const identity = opts.as === 'buildout' ? settings.buildout : settings.login;
    const conn = deps.pool.get(settings, identity);
    const target = { user: identity.user, hostname: settings.hostname };
    const display = shellJoin(rsyncArgv(opts, target, TUNNEL_RSH_DISPLAY));
    log.debug(`[${settings.name}] rsync: ${maskSecrets(display, settings.secrets)}`);
    await conn.client(); // connection and host key problems surface here, as for any command

    let tunnelError: Error | undefined;
    const remoteRuns: Promise<void>[] = [];
    const remoteStderr: Buffer[] = [];
    /** Run the command rsync asked its remote shell for on the pooled connection. */
    const startRemote = (command: string, stdin: PassThrough, sink: RemoteSink): void => {
      let channel: ClientChannel | undefined;
      const sudoCmd = opts.remoteSudo ? sudoRsyncCommand(command) : undefined;
      log.debug(`[${settings.name}] rsync remote side (${conn.label}): ${command}`);
      remoteRuns.push(
        execOnConnection({
          connection: conn,
          settings,
          command: sudoCmd ?? command,
          display: command,
          stdin,
          collect: false,
          allowFailure: true,
          sudoPassword: sudoCmd ? deps.sudoPasswords.forHost(settings, identity.user) : undefined,
          onChannel: (c) => (channel = c),
          onStdout: (chunk) => {
            // Backpressure: stop reading the ssh channel while rsync is not keeping up.
            if (!sink.stdout(chunk) && channel) {
              const ch = channel;
              ch.pause();
              sink.onceDrain(() => ch.resume());
            }
          },
          onStderr: (chunk) => sink.stderr(chunk),
        }).then(
          (r) => sink.exit(r.code),
          (e: Error) => {
            tunnelError = e;
            sink.stderr(Buffer.from(`${e.message}\n`));
            sink.exit(255);
          },
        ),
      );
    };

    const emit = (l: string) => (opts.echo ? log.info(l) : log.debug(l));
    const outLog = lineLogger(`[localhost] rsync: `, emit);
    const errLog = lineLogger(`[localhost] rsync: `, emit);
    // Under local sudo, rsync's children cannot inherit our pipes (sudo closes
    // every fd above 2), so rsync's remote shell is then the Node helper that
    // reaches us over a private socket; otherwise it is the shell relay, which
    // starts in a millisecond where the helper's Node start-up took ~0.1 s per rsync.
    const viaRelay = !opts.localSudo;
    let tunnel: TunnelServer | undefined;
    let rsh: string;
    const dir = deps.privateDir();
    if (viaRelay) {
      rsh = ['/bin/sh', relayPath(dir)].map(rshWord).join(' ');
    } else {
      tunnel = new TunnelServer(dir, `rsync-${process.pid}-${++sessionCounter}`, (session) =>
        startRemote(session.command, session.stdin, session),
      );
      await tunnel.listen();
      rsh = [process.execPath, helperPath(dir), tunnel.socketPath].map(rshWord).join(' ');
    }
    const argv = rsyncArgv(opts, target, rsh);
    let result;
    try {
      result = await runArgv(argv, {
        interactiveStdin: deps.interactive && !!opts.localSudo,
        onStdout: (c) => outLog.push(c),
        onStderr: (c) => errLog.push(c),
        extraPipes: viaRelay ? 3 : 0,
        onSpawn: viaRelay
          ? (child) =>
              attachRelay(child, (command, stdin, { toRsync, status }) =>
                startRemote(command, stdin, {
                  stdout: (c) => toRsync.write(c),
                  onceDrain: (cb) => toRsync.once('drain', cb),
                  stderr: (c) => {
                    remoteStderr.push(c);
                    errLog.push(c);
                  },
                  // Closing our end ends the relay's `cat`, so rsync sees the
                  // remote side end; then the relay exits with the remote status.
                  exit: (code) => {
                    toRsync.end();
                    status.end(`${code ?? 255}\n`);
                  },
                }),
              )
          : undefined,
      });
      await Promise.allSettled(remoteRuns);
    } catch (e) {
      throw new TransportError(`[${settings.name}] cannot run rsync: ${(e as Error).message} (is rsync installed?)`, settings.name);
    } finally {
      outLog.flush();
      errLog.flush();
      tunnel?.close();
    }
    if (result.code !== 0) {
      if (tunnelError instanceof TransportError) throw tunnelError;
      const stderr = result.stderr + Buffer.concat(remoteStderr).toString('utf8');
      throw commandFailure(settings.name, conn.label, display, result.code, result.signal, stderr, settings.secrets);
    }
    return { stdout: result.stdout, stderr: result.stderr, code: result.code };
  };
}
