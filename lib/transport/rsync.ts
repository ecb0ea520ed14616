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
import { TunnelServer, TUNNEL_RELAY_NODE_SOURCE, TUNNEL_RELAY_PERL_SOURCE, type RsyncRelay } from './rsync-tunnel';
import type { SudoPasswords } from './sudo-password';
import type { CommandResult, RsyncOptions } from './types';

export interface RsyncDeps {
  pool: ConnectionPool;
  log: Logger;
  sudoPasswords: SudoPasswords;
  interactive: boolean;
  /** The run's private temp dir (0700), for the relay and the sockets. */
  privateDir: () => string;
  /** The relay rsync runs as its remote shell (default: see chooseRelay). */
  relay?: RsyncRelay;
}

let sessionCounter = 0;

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
  if (word.includes("'")) throw new TransportError(`cannot pass a path containing a single quote to rsync --rsh: ${word}`);
  return shellQuote(word);
}

/** For `--rsync-path="sudo rsync"`: the remote command, made to answer sudo's prompt like remote.sudo. */
function sudoRsyncCommand(command: string): string | undefined {
  if (!command.startsWith('sudo rsync ')) return undefined;
  const rest = command.slice('sudo '.length);
  return `sudo -S -p ${shellQuote(SUDO_PROMPT)} -H -- /bin/sh -c ${shellQuote(`echo ${shellQuote(SUDO_READY)} >&2; exec "$@"`)} hostout-rsync ${rest}`;
}

export function createRsync(settings: HostSettings, deps: RsyncDeps) {
  return async (opts: RsyncOptions): Promise<CommandResult> => {
    const { log } = deps;
    const identity = opts.as === 'buildout' ? settings.buildout : settings.login;
    const conn = deps.pool.get(settings, identity);
    const target = { user: identity.user, hostname: settings.hostname, compress: settings.rsyncCompress };
    const display = shellJoin(rsyncArgv(opts, target, TUNNEL_RSH_DISPLAY));
    log.debug(`[${settings.name}] rsync: ${maskSecrets(display, settings.secrets)}`);
    await conn.client(); // connection and host key problems surface here, as for any command

    const dir = deps.privateDir();
    let tunnelError: Error | undefined;
    const remoteRuns: Promise<void>[] = [];
    const tunnel = new TunnelServer(dir, `rsync-${process.pid}-${++sessionCounter}`, (session) => {
      let channel: ClientChannel | undefined;
      const sudoCmd = opts.remoteSudo ? sudoRsyncCommand(session.command) : undefined;
      log.debug(`[${settings.name}] rsync remote side (${conn.label}): ${session.command}`);
      remoteRuns.push(
        execOnConnection({
          connection: conn,
          settings,
          command: sudoCmd ?? session.command,
          display: session.command,
          stdin: session.stdin,
          collect: false,
          allowFailure: true,
          sudoPassword: sudoCmd ? deps.sudoPasswords.forHost(settings, identity.user) : undefined,
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
    log.debug(`[${settings.name}] rsync remote shell: the ${relay} relay`);
    const rsh = relayCommand(relay, interpreter, dir, tunnel.socketPath).map(rshWord).join(' ');
    const argv = rsyncArgv(opts, target, rsh);
    const emit = (l: string) => (opts.echo ? log.info(l) : log.debug(l));
    const outLog = lineLogger(`[localhost] rsync: `, emit);
    const errLog = lineLogger(`[localhost] rsync: `, emit);
    let result;
    try {
      result = await runArgv(argv, {
        interactiveStdin: deps.interactive && !!opts.localSudo,
        onStdout: (c) => outLog.push(c),
        onStderr: (c) => errLog.push(c),
      });
      await Promise.allSettled(remoteRuns);
    } catch (e) {
      throw new TransportError(`cannot run rsync: ${(e as Error).message} (is rsync installed?)`, { host: settings.name });
    } finally {
      outLog.flush();
      errLog.flush();
      tunnel.close();
    }
    if (result.code !== 0) {
      if (tunnelError instanceof TransportError) throw tunnelError;
      throw commandFailure(settings.name, conn.label, display, result.code, result.signal, result.stderr, settings.secrets);
    }
    return { stdout: result.stdout, stderr: result.stderr, code: result.code };
  };
}
