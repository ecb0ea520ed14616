/**
 * rsync through the ssh backend: the system rsync runs locally, its remote
 * shell tunnelled through the pooled ssh connection of the chosen identity
 * (see rsync-tunnel.ts), so all rsyncs and commands of a run share one login
 * per host and identity. `--rsync-path="sudo rsync"` is answered by the same
 * sudo responder as `remote.sudo`; a local `sudo` prefix asks on the terminal.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClientChannel } from 'ssh2';
import { TransportError } from '../errors';
import type { Logger } from '../log';
import { rsyncArgv, sudoRsyncLine, TUNNEL_RSH_DISPLAY } from './command-line';
import type { RawResult, RsyncRun } from './backends/backend';
import { runArgv } from './backends/local';
import { runOnChannel, type SshBackend } from './backends/ssh';
import { shellQuote } from './quote';
import { TunnelServer, TUNNEL_RELAY_NODE_SOURCE, TUNNEL_RELAY_PERL_SOURCE, type RsyncRelay } from './rsync-tunnel';

export interface RsyncDeps {
  ssh: SshBackend;
  log: Logger;
  /** The run's private temp dir (0700), for the relay and the sockets. */
  privateDir: () => string;
  /** The relay rsync runs as its remote shell (default: see chooseRelay). */
  relay?: RsyncRelay;
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
  return { user: call.identity.user, hostname: call.host.hostname, compress: call.host.rsyncCompress };
}

export async function runRsync(call: RsyncRun, deps: RsyncDeps): Promise<RawResult> {
  const { host, identity, options } = call;
  const conn = deps.ssh.pool.get(host, identity);
  await conn.client(); // connection and host key problems surface here, as for any command

  const dir = deps.privateDir();
  let tunnelError: Error | undefined;
  const remoteRuns: Promise<void>[] = [];
  const tunnel = new TunnelServer(dir, `rsync-${process.pid}-${randomBytes(4).toString('hex')}`, (session) => {
    let channel: ClientChannel | undefined;
    const sudo = options.remoteSudo ? sudoRsyncLine(session.command) : undefined;
    deps.log.debug(`[${host.name}] rsync remote side (${conn.label}): ${session.command}`);
    remoteRuns.push(
      runOnChannel({
        connection: conn,
        hostName: host.name,
        command: sudo?.actual ?? session.command,
        shown: session.command,
        stdin: session.stdin,
        collect: false,
        responder: sudo ? call.responder() : undefined,
        onChannel: (c) => (channel = c),
        onStdout: (chunk) => {
          // Backpressure: stop reading the ssh channel while the relay's socket is full.
          if (!session.stdout(chunk) && channel) {
            const ch = channel;
            ch.pause();
            session.onceDrain(() => ch.resume());
          }
        },
        onStderr: (chunk) => session.stderr(chunk),
      }).then(
        (r) => session.exit(r.code),
        (e: Error) => {
          tunnelError = e;
          session.stderr(Buffer.from(`${e.message}\n`));
          session.exit(255);
        },
      ),
    );
  });
  await tunnel.listen();
  const { relay, interpreter } = chooseRelay(deps.relay);
  deps.log.debug(`[${host.name}] rsync remote shell: the ${relay} relay`);
  const rsh = relayCommand(relay, interpreter, dir, tunnel.socketPath).map(rshWord).join(' ');
  const argv = rsyncArgv(options, rsyncTarget(call), rsh, call.extraFlags);
  let result: RawResult;
  try {
    result = await runArgv(argv, {
      interactiveStdin: call.interactive && !!options.localSudo,
      onStdout: call.onStdout,
      onStderr: call.onStderr,
    });
    await Promise.allSettled(remoteRuns);
  } catch (e) {
    throw new TransportError(`cannot run rsync: ${(e as Error).message} (is rsync installed?)`, { host: host.name, kind: 'local', cause: e });
  } finally {
    tunnel.close();
  }
  // A connection that failed under rsync explains its failure better than rsync's own status.
  if (result.code !== 0 && tunnelError instanceof TransportError) throw tunnelError;
  return result;
}
