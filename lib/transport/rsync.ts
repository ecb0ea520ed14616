/**
 * rsync through the ssh backend: the system rsync runs locally, its remote
 * shell tunnelled through the pooled ssh connection of the chosen identity
 * (see rsync-tunnel.ts), so all rsyncs and commands of a run share one login
 * per host and identity. `--rsync-path="sudo rsync"` is answered by the same
 * sudo responder as `remote.sudo`; a local `sudo` prefix asks on the terminal.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClientChannel } from 'ssh2';
import { TransportError } from '../errors';
import type { Logger } from '../log';
import { rsyncArgv, sudoRsyncLine, TUNNEL_RSH_DISPLAY, type RsyncComparison } from './command-line';
import type { SshConnection } from './connection';
import { comparisonNote, refusedNanoseconds, remoteRsyncKey, StderrGate } from './rsync-compare';
import type { RawResult, RsyncRun } from './backends/backend';
import { runArgv } from './backends/local';
import { runOnChannel, type SshBackend } from './backends/ssh';
import { shellQuote } from './quote';
import { prepareLocalTemp, receiverTemp, remoteTempWrapper, removeLocalTemp, tempRunId, type ReceiverTemp } from './rsync-temp';
import { TunnelServer, TUNNEL_RELAY_NODE_SOURCE, TUNNEL_RELAY_PERL_SOURCE, type RsyncRelay } from './rsync-tunnel';

export interface RsyncDeps {
  ssh: SshBackend;
  log: Logger;
  /** The run's private temp dir (0700), for the relay and the sockets. */
  privateDir: () => string;
  /** The relay rsync runs as its remote shell (default: see chooseRelay). */
  relay?: RsyncRelay;
  /** Stops for the local rsyncs now running: closeAll() calls them (Ctrl-C, SIGTERM). */
  running: Set<() => Promise<void>>;
}

/** How long the local rsync may outlive a failed remote side before it is stopped (SIGTERM, then SIGKILL). */
export const LOCAL_EXIT_GRACE_MS = 5000;
/** How long the remote rsync may outlive the local one before its channel is closed. */
export const REMOTE_EXIT_GRACE_MS = 5000;

/** rsync's exit status for "timeout in data send/receive" (--timeout ran out). */
export const RSYNC_TIMEOUT_EXIT = 30;
/**
 * The relay's own inactivity check: if no byte moved through it either way
 * for rsync-timeout plus this long, rsync's --timeout failed to end the
 * transfer (both rsyncs stopped, say): the local rsync is stopped and the
 * remote side's channel closed. The grace leaves rsync's own timeout, and the
 * keepalives rsync sends while it is busy, room to act first.
 */
export const RELAY_STALL_GRACE_MS = 10_000;

/** SIGTERM, SIGKILL a second later if it is still there; resolves when it has gone. */
function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const kill = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1000);
  return gone.finally(() => clearTimeout(kill));
}

/** Resolves after `ms`, or at once with 0; its timer does not keep the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Wait for `p`; if it takes longer than `ms`, call `onTimeout` once, then
 * wait at most `ms` more. A channel closed by us ends when sshd confirms,
 * which it does only once the remote process is gone: a stopped (SIGSTOP)
 * one never goes, and must not keep the run waiting.
 */
async function boundedWait(p: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  const settled = p.then(() => true);
  if (await Promise.race([settled, delay(ms).then(() => false)])) return;
  onTimeout();
  await Promise.race([settled, delay(ms)]);
}

/** An executable of that name on PATH, as execvp would find it. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The relay rsync runs as its remote shell, and its interpreter: Perl when it
 * is on PATH (it relays for a fraction of Node's CPU, see rsync-tunnel.ts),
 * else Node. `choice` (tests) forces one.
 */
function chooseRelay(choice: RsyncRelay | undefined): { relay: RsyncRelay; interpreter: string } {
  const perl = choice === 'node' ? undefined : onPath('perl');
  if (perl || choice === 'perl') return { relay: 'perl', interpreter: perl ?? 'perl' };
  return { relay: 'node', interpreter: process.execPath };
}

/** rsync's remote shell words for the relay; its script is written once per private dir. */
function relayCommand(relay: RsyncRelay, interpreter: string, dir: string, socketPath: string): string[] {
  const [file, source] = relay === 'perl' ? ['rsync-tunnel-relay.pl', TUNNEL_RELAY_PERL_SOURCE] : ['rsync-tunnel-relay.js', TUNNEL_RELAY_NODE_SOURCE];
  const p = path.join(dir, file);
  if (!fs.existsSync(p)) fs.writeFileSync(p, source, { mode: 0o600 });
  return [interpreter, p, socketPath];
}

/** rsync splits --rsh on spaces and honours single quotes but not backslashes: refuse what it cannot carry. */
function rshWord(word: string): string {
  if (word.includes("'")) throw new TransportError(`cannot pass a path containing a single quote to rsync --rsh: ${word}`, { kind: 'local' });
  return shellQuote(word);
}

/** The shown argv of an rsync call: what logs, records and errors print. */
export function shownRsyncArgv(call: Pick<RsyncRun, 'host' | 'identity' | 'options' | 'extraFlags'>): string[] {
  return rsyncArgv(call.options, rsyncTarget(call), TUNNEL_RSH_DISPLAY, call.extraFlags);
}

function rsyncTarget(call: Pick<RsyncRun, 'host' | 'identity'>) {
  return { user: call.identity.user, hostname: call.host.hostname, compress: call.host.rsyncCompress, timeout: call.host.rsyncTimeoutS };
}

export async function runRsync(call: RsyncRun, deps: RsyncDeps): Promise<RawResult> {
  const { host, identity, options } = call;
  const conn = deps.ssh.pool.get(host, identity);
  await conn.client(); // connection and host key problems surface here, as for any command
  // A push's receiver must understand the nanosecond comparison; learnt from the first push (rsync-compare.ts).
  const key = remoteRsyncKey(options.remoteSudo);
  const known = options.direction === 'pull' ? 'nanoseconds' : conn.rsyncComparison.get(key);
  if (known) return (await attemptRsync(call, deps, conn, known, false)).result;
  const first = await attemptRsync(call, deps, conn, 'nanoseconds', true);
  // (Not after Ctrl-C or SIGTERM: the run is ending, and the refused start is its failure.)
  if (first.refused && !first.interrupted) {
    conn.rsyncComparison.set(key, 'checksum');
    deps.log.debug(`[${host.name}] ${comparisonNote('checksum', conn.label, first.remoteStderr)}`);
    return (await attemptRsync(call, deps, conn, 'checksum', false)).result;
  }
  if (first.started) {
    conn.rsyncComparison.set(key, 'nanoseconds');
    deps.log.debug(`[${host.name}] ${comparisonNote('nanoseconds', conn.label)}`);
  }
  return first.result;
}

interface Attempt {
  result: RawResult;
  /** The remote rsync refused the nanosecond comparison (and did nothing). */
  refused: boolean;
  /** The remote rsync started (its options were accepted). */
  started: boolean;
  /** Stopped from outside (closeAll: SIGINT, SIGTERM). */
  interrupted: boolean;
  remoteStderr: string;
}

/**
 * One run of rsync with the receiver comparing files by `compare`. `hold`:
 * stderr is held back until the remote rsync has started, and dropped if it
 * refused the comparison (the caller runs it again with --checksum).
 */
async function attemptRsync(call: RsyncRun, deps: RsyncDeps, conn: SshConnection, compare: RsyncComparison, hold: boolean): Promise<Attempt> {
  const { host, options } = call;
  const gate = new StderrGate(call.onStderr, hold);
  let started = false;
  let remoteCode: number | null = null;
  let remoteStderr = '';
  const dir = deps.privateDir();
  // The receiver's temp files go where hostout clears them (rsync-temp.ts);
  // not for a preview (--dry-run), which must leave both sides as they are,
  // nor into a scratch destination, which is thrown away if rsync fails (only
  // the exclude stays: a source's own temp area does not travel).
  const runId = tempRunId();
  let temp: ReceiverTemp | undefined = call.extraFlags.includes('--dry-run') ? undefined : receiverTemp(options, runId);
  const scratchArgs = temp && options.scratch ? temp.args.filter((a) => a.startsWith('--exclude=')) : [];
  if (options.scratch) temp = undefined;
  if (temp && options.direction === 'pull' && !prepareLocalTemp(temp)) {
    deps.log.debug(`[${host.name}] cannot make ${temp.dir}: rsync keeps its temp files beside the files`);
    temp = undefined;
  }
  let tunnelError: Error | undefined;
  let remoteSignal: string | undefined;
  /** Set when either side gave up for want of data (rsync's --timeout, or the relay's inactivity check). */
  let stalled = false;
  let remoteCommand = '';
  const remoteRuns: Promise<void>[] = [];
  const channels: ClientChannel[] = [];
  let localRsync: ChildProcess | undefined;
  let stopLocal: NodeJS.Timeout | undefined;
  // The remote side failed (killed, lost): the local rsync cannot succeed
  // and should follow at once. If it does not (blocked on a relay that will
  // never read again), stop it, so a dead production never leaves hostout
  // waiting. (After a remote success the local side may still have work:
  // a pull's last renames and directory times.)
  let localEnded = false;
  const remoteFailed = () => {
    // Once the local rsync has ended there is nothing to stop, and a timer
    // left running would keep the process (a SIGTERM's exit) waiting.
    if (localEnded) return;
    stopLocal ??= setTimeout(() => {
      deps.log.debug(`[${host.name}] the remote rsync failed ${LOCAL_EXIT_GRACE_MS / 1000} s ago and the local one still runs: stopping it`);
      void stopChild(localRsync);
    }, LOCAL_EXIT_GRACE_MS);
  };
  const tunnel = new TunnelServer(dir, `rsync-${process.pid}-${randomBytes(4).toString('hex')}`, (session) => {
    let channel: ClientChannel | undefined;
    const remoteRsync = options.remoteSudo && session.command.startsWith('sudo rsync ') ? session.command.slice('sudo '.length) : session.command;
    const wrapped = temp && options.direction === 'push' ? `${remoteTempWrapper(temp, runId)} ${remoteRsync}` : remoteRsync;
    const sudo = options.remoteSudo ? sudoRsyncLine(session.command, wrapped) : undefined;
    deps.log.debug(`[${host.name}] rsync remote side (${conn.label}): ${session.command}`);
    remoteCommand = session.command;
    remoteRuns.push(
      runOnChannel({
        connection: conn,
        hostName: host.name,
        command: sudo?.actual ?? wrapped,
        shown: session.command,
        stdin: session.stdin,
        collect: false,
        responder: sudo ? call.responder() : undefined,
        onChannel: (c) => {
          channel = c;
          channels.push(c);
          c.on('exit', (_code: number | null, signal?: string) => {
            if (signal) remoteSignal = signal;
          });
        },
        onStdout: (chunk) => {
          if (!started) {
            started = true;
            gate.open();
          }
          // Backpressure: stop reading the ssh channel while the relay's socket is full.
          if (!session.stdout(chunk) && channel) {
            const ch = channel;
            ch.pause();
            session.onceDrain(() => ch.resume());
          }
        },
        onStderr: (chunk) => {
          if (remoteStderr.length < 4096) remoteStderr += chunk.toString('utf8');
          session.stderr(chunk);
        },
      }).then(
        (r) => {
          remoteCode = r.code;
          session.exit(r.code);
          if (r.code === RSYNC_TIMEOUT_EXIT) stalled = true;
          if (r.code !== 0) remoteFailed();
        },
        (e: Error) => {
          tunnelError = e;
          session.stderr(Buffer.from(`${e.message}\n`));
          session.exit(255);
          remoteFailed();
        },
      ),
    );
  });
  await tunnel.listen();
  const { relay, interpreter } = chooseRelay(deps.relay);
  deps.log.debug(`[${host.name}] rsync remote shell: the ${relay} relay`);
  const rsh = relayCommand(relay, interpreter, dir, tunnel.socketPath).map(rshWord).join(' ');
  const argv = rsyncArgv(options, { ...rsyncTarget(call), compare }, rsh, [...call.extraFlags, ...(temp?.args ?? scratchArgs)]);
  if (temp) deps.log.debug(`[${host.name}] rsync temp files: ${temp.args.join(' ')}`);
  // Stopped from outside (closeAll: SIGINT, SIGTERM): stop the local rsync too, which would outlive us.
  let interrupted = false;
  const stopped = () => {
    interrupted = true;
    return stopChild(localRsync);
  };
  deps.running.add(stopped);
  const timeoutS = host.rsyncTimeoutS;
  const watchdog = timeoutS > 0 ? setInterval(() => {
    if (stalled || Date.now() - tunnel.lastActivity < timeoutS * 1000 + RELAY_STALL_GRACE_MS) return;
    stalled = true;
    deps.log.debug(`[${host.name}] nothing moved through the rsync relay for ${Math.round((Date.now() - tunnel.lastActivity) / 1000)} s: stopping rsync`);
    for (const c of channels) c.close();
    // A local rsync killed outright (it may be stopped too) leaves its relay waiting for a status that never comes.
    void stopChild(localRsync).then(() => tunnel.disconnect());
  }, 1000) : undefined;
  let result: RawResult;
  try {
    result = await runArgv(argv, {
      interactiveStdin: call.interactive && !!options.localSudo,
      onStdout: call.onStdout,
      onStderr: (chunk) => gate.write(chunk),
      onSpawn: (child) => (localRsync = child),
    });
  } catch (e) {
    throw new TransportError(`cannot run rsync: ${(e as Error).message} (is rsync installed?)`, { host: host.name, kind: 'local', cause: e });
  } finally {
    localEnded = true;
    deps.running.delete(stopped);
    clearInterval(watchdog);
    if (temp && options.direction === 'pull') removeLocalTemp(temp);
    clearTimeout(stopLocal);
    tunnel.close();
  }
  // The local rsync is gone, so its relay too, and the remote side's input
  // has ended: it exits by itself. If it has not within the grace time,
  // close its channel (a remote rsync stuck in a write, say). After a
  // timeout the remote side is the one that stalled, and a run being stopped
  // (SIGINT, SIGTERM) exits at once: no use waiting for it then.
  if (result.code === RSYNC_TIMEOUT_EXIT) stalled = true;
  const grace = stalled || interrupted ? 0 : REMOTE_EXIT_GRACE_MS;
  await boundedWait(Promise.allSettled(remoteRuns), grace, () => {
    deps.log.debug(`[${host.name}] the local rsync ended${grace ? ` ${grace / 1000} s ago` : ''} and the remote one still runs: closing its channel`);
    for (const c of channels) c.close();
  });
  if (hold && compare === 'nanoseconds' && refusedNanoseconds(remoteCode, remoteStderr, started)) {
    gate.drop();
    return { result, refused: true, started, interrupted, remoteStderr };
  }
  gate.open();
  const done = (r: RawResult): Attempt => ({ result: r, refused: false, started, interrupted, remoteStderr });
  if (result.code !== 0) {
    // A connection that failed under rsync explains its failure better than rsync's own status.
    if (tunnelError instanceof TransportError) throw tunnelError;
    // Nothing moved for rsync-timeout: the remote side stalled (stopped, a hung disk) while sshd still answered.
    if (stalled) {
      throw new TransportError(
        `no data moved for ${timeoutS} s (rsync-timeout) to or from ${conn.label}; gave up on: ${remoteCommand || 'rsync'}`,
        { host: host.name, target: conn.label, command: remoteCommand, kind: 'lost' },
      );
    }
    // The remote rsync killed by a signal (the OOM killer, say): that is the failure to report.
    if (remoteSignal) return done({ ...result, code: null, signal: remoteSignal });
  }
  return done(result);
}
