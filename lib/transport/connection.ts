/**
 * ssh connections (node-ssh over ssh2): one per host and identity per run,
 * opened on first use and reused by every command, sftp transfer and rsync.
 * Handles the host key check, the authentication methods OpenSSH would try
 * (identity files, agent, password), ProxyJump chains, and turns ssh2's
 * errors into messages a person can act on.
 */
import { NodeSSH, type Config as NodeSshConfig } from 'node-ssh';
import type { AuthenticationType, Client, ConnectConfig, ParsedKey, ServerHostKeyAlgorithm } from 'ssh2';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors';
import type { Logger } from '../log';
import type { RsyncComparison } from './command-line';
import { resolveHostSettings, type HostSettings, type Identity } from './host-settings';
import { loadIdentityKeys, lockedKeysAdvice, type AskPassphrase } from './identity-keys';
import { decideHostKey, knownKeyTypes } from './known-hosts';
import type { SshEnvironment } from './ssh-config';
import { SSH_FAILURE_KIND, classifySshError } from './ssh-errors';

/** Host key algorithms ssh2 negotiates, and the known_hosts key type each belongs to. */
const HOST_KEY_ALGORITHMS: { alg: string; type: string }[] = [
  { alg: 'ssh-ed25519', type: 'ssh-ed25519' },
  { alg: 'ecdsa-sha2-nistp256', type: 'ecdsa-sha2-nistp256' },
  { alg: 'ecdsa-sha2-nistp384', type: 'ecdsa-sha2-nistp384' },
  { alg: 'ecdsa-sha2-nistp521', type: 'ecdsa-sha2-nistp521' },
  { alg: 'rsa-sha2-512', type: 'ssh-rsa' },
  { alg: 'rsa-sha2-256', type: 'ssh-rsa' },
  { alg: 'ssh-rsa', type: 'ssh-rsa' },
];

/** Ask first for key types we already know for this host, like OpenSSH, so a known host is not "changed" for a different type. */
function hostKeyAlgorithmOrder(known: string[]): string[] {
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => known.includes(a.type));
  const rest = HOST_KEY_ALGORITHMS.filter((a) => !known.includes(a.type));
  return [...preferred, ...rest].map((a) => a.alg);
}

type AuthMethod =
  | { type: 'publickey'; username: string; key: Buffer | ParsedKey }
  | { type: 'agent'; username: string; agent: string }
  | { type: 'password'; username: string; password: string };

/** OpenSSH's order: identity files (decrypted when they need it, identity-keys.ts), the agent, the password. */
async function authMethods(
  settings: HostSettings,
  identity: Identity,
  deps: ConnectionDeps,
  typed: Map<string, Promise<string>>,
): Promise<{ methods: AuthMethod[]; lockedKeys: string[] }> {
  const agentSocket = identity.useAgent ? settings.agentSocket : undefined;
  const { keys, lockedKeys } = await loadIdentityKeys({
    hostName: settings.name,
    target: `${identity.user}@${settings.hostname}:${settings.port}`,
    files: identity.keyFiles,
    passphrase: identity.passphrase,
    agentSocket,
    ask: deps.askPassphrase,
    typed,
    log: deps.log,
  });
  const methods: AuthMethod[] = keys.map((k) => ({ type: 'publickey', username: identity.user, key: k.decrypted ?? k.data }));
  if (agentSocket) methods.push({ type: 'agent', username: identity.user, agent: agentSocket });
  if (identity.password !== undefined) methods.push({ type: 'password', username: identity.user, password: identity.password });
  return { methods, lockedKeys };
}

/**
 * Keepalives: a connection that stops answering (a crashed or frozen host, a
 * pulled cable, a firewall dropping the flow) is given up
 * (KEEPALIVE_COUNT_MAX + 1) * KEEPALIVE_INTERVAL_MS = 20 s after its last
 * answer, so 15 to 20 s after it went silent. It was 15 s x 4 (~75 s); 20 s
 * still leaves room for an answer queued behind a full TCP send buffer on a
 * slow link (a few MB at 256 KB/s), which a tighter bound would not.
 */
export const KEEPALIVE_INTERVAL_MS = 5000;
export const KEEPALIVE_COUNT_MAX = 3;
/** (KEEPALIVE_COUNT_MAX + 1) * KEEPALIVE_INTERVAL_MS, in seconds, as messages and docs say it. */
export const SILENT_CONNECTION_LIMIT_S = ((KEEPALIVE_COUNT_MAX + 1) * KEEPALIVE_INTERVAL_MS) / 1000;

/**
 * The TCP connection to a host, opened here rather than by ssh2 so that
 * Nagle's algorithm is off from the first packet. ssh2 leaves it on, and every
 * short exchange (the login's service request, each command's channel
 * requests, rsync's small writes through the relay) then waited for the
 * peer's delayed ACK, 40 ms on Linux. Measured on loopback: a command's round
 * trip went from ~50 ms to ~11 ms and the login from ~130 ms to ~80 ms.
 * Errors are the socket's own (ECONNREFUSED…), or ssh2's timeout shape, so
 * connectError() words them as it words ssh2's.
 */
function openTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, noDelay: true });
    const fail = (e: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' })), timeoutMs);
    sock.once('error', fail);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeListener('error', fail);
      // Until ssh2 adds its own listener: an error then must not crash the process (ssh2 sees the socket closed).
      sock.on('error', () => undefined);
      resolve(sock);
    });
  });
}

export interface ConnectionDeps {
  log: Logger;
  sshEnv: SshEnvironment;
  /** Ask for an encrypted identity file's passphrase on the terminal (not echoed); unset without one. */
  askPassphrase?: AskPassphrase;
}

/** One authenticated ssh connection. `client()` connects on first use. */
export class SshConnection {
  private connecting?: Promise<Client>;
  private ssh?: NodeSSH;
  private closedByUs = false;
  /**
   * Bumped by close(). An attempt begun before then gives up and closes what
   * it opened: with connect() starting handshakes early, a run can end (a
   * broken staging, Ctrl-C) while one is under way, and a connection nobody
   * closes would keep the process alive.
   */
  private generation = 0;
  /** The socket of the attempt under way, for close() to end it. */
  private opening?: Duplex;
  /** Encrypted identity files skipped for want of a passphrase (named when authentication fails). */
  private lockedKeys: string[] = [];
  /** Set when the connection went away without us closing it. */
  dropped = false;
  /**
   * How this host's rsync compares a push's files, by the words it is started
   * with (`rsync`, `sudo rsync`): learnt from the run's first push there
   * (rsync-compare.ts), kept for the rest of the run.
   */
  readonly rsyncComparison = new Map<string, RsyncComparison>();
  private readonly dropListeners = new Set<(err: TransportError) => void>();

  constructor(
    readonly settings: HostSettings,
    readonly identity: Identity,
    private readonly deps: ConnectionDeps,
    private readonly pool: ConnectionPool,
  ) {}

  get label(): string {
    return `${this.identity.user}@${this.settings.hostname}:${this.settings.port}`;
  }

  client(): Promise<Client> {
    const attempt = this.attempt();
    // A failed attempt is reported to the calls that waited for it; the call after them tries again.
    attempt.catch(() => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
    return attempt;
  }

  /**
   * Start connecting now. The next client() gets this same attempt: when it
   * failed, that call reports the failure (once) rather than trying again
   * behind the user's back.
   */
  warmUp(): void {
    this.attempt().catch(() => undefined);
  }

  private attempt(): Promise<Client> {
    if (!this.connecting || this.dropped) {
      this.dropped = false;
      this.connecting = this.connect();
    }
    return this.connecting;
  }

  /** The node-ssh wrapper (sftp helpers); connects first. */
  async nodeSsh(): Promise<NodeSSH> {
    await this.client();
    return this.ssh as NodeSSH;
  }

  /** Called with an error if the connection drops (to fail running commands). Returns an unsubscribe. */
  onDrop(listener: (err: TransportError) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  private async connect(): Promise<Client> {
    const { settings, identity, deps } = this;
    const { log } = deps;
    const started = Date.now();
    const generation = this.generation;
    const closed = () => generation !== this.generation;
    const stopped = () => new TransportError(`the connection to ${this.label} was closed while it was being opened`, { host: settings.name, target: this.label, kind: 'lost' });
    /** After each wait: if close() came meanwhile, end what this attempt opened and give up. */
    const stopIfClosed = (end: () => void) => {
      if (!closed()) return;
      end();
      throw stopped();
    };
    const jumped = settings.proxyJump.length > 0;
    let sock: Duplex | undefined;
    if (jumped) sock = await this.pool.jumpStream(settings);

    let hostKeyRefusal: string | undefined;
    const { methods, lockedKeys } = await authMethods(settings, identity, deps, this.pool.typedPassphrases);
    stopIfClosed(() => sock?.destroy());
    this.lockedKeys = lockedKeys;
    if (methods.length === 0 && lockedKeys.length > 0) {
      throw new TransportError(`cannot log in to ${this.label}: ${lockedKeysAdvice(lockedKeys)}`, { host: settings.name, target: this.label, kind: 'auth' });
    }
    if (methods.length === 0) {
      throw new TransportError(
        `cannot log in to ${this.label}: no identity file, ssh-agent or password to authenticate with ` +
          `(set identity-file or password for the host, or IdentityFile in ~/.ssh/config)`,
        { host: settings.name, target: this.label, kind: 'auth' },
      );
    }
    if (!sock) {
      try {
        sock = await openTcp(settings.hostname, settings.port, settings.connectTimeoutMs);
      } catch (e) {
        throw this.connectError(e as Error & { code?: string; level?: string });
      }
      stopIfClosed(() => sock?.destroy());
    }
    this.opening = sock;
    const known = knownKeyTypes([...settings.knownHostsFiles, ...settings.globalKnownHostsFiles], settings.hostname, settings.port);
    const config: ConnectConfig = {
      host: settings.hostname,
      port: settings.port,
      username: identity.user,
      sock,
      authHandler: methods as unknown as AuthenticationType[],
      // What is left of ConnectTimeout after the TCP connection (or the jump) took its share.
      readyTimeout: Math.max(1000, settings.connectTimeoutMs - (Date.now() - started)),
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      algorithms: { serverHostKey: hostKeyAlgorithmOrder(known) as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        const decision = decideHostKey(settings.hostKeyPolicy, settings.knownHostsFiles, settings.globalKnownHostsFiles, settings.hostname, settings.port, key);
        if (decision.warning) log.warn(`[${settings.name}] ${decision.warning}`);
        if (!decision.accept) hostKeyRefusal = decision.message;
        return decision.accept;
      },
    };
    log.debug(`[${settings.name}] connecting to ${this.label}${jumped ? ` through ${settings.proxyJump.join(',')}` : ''}`);
    const ssh = new NodeSSH();
    try {
      await ssh.connect(config as NodeSshConfig);
    } catch (e) {
      ssh.dispose();
      sock.destroy();
      throw closed() ? stopped() : this.connectError(e as Error & { code?: string; level?: string }, hostKeyRefusal);
    } finally {
      if (this.opening === sock) this.opening = undefined;
    }
    stopIfClosed(() => {
      ssh.dispose();
      sock?.destroy();
    });
    this.ssh = ssh;
    const client = ssh.connection as Client;
    // node-ssh drops its own 'error' listener once connected: without ours a dropped connection would crash the process.
    let silent = false;
    client.on('error', (err: Error & { level?: string }) => {
      // ssh2 says 'Keepalive timeout' (level client-timeout) and then closes the socket.
      if (classifySshError(err) === 'keepalive') silent = true;
      log.debug(`[${settings.name}] ssh connection error: ${err.message}`);
    });
    client.on('close', () => {
      if (this.closedByUs) return;
      this.dropped = true;
      const how = silent ? `went silent (no answer to ${KEEPALIVE_COUNT_MAX} keepalives in ${SILENT_CONNECTION_LIMIT_S} s)` : 'was lost';
      const err = new TransportError(`the ssh connection to ${this.label} ${how}`, { host: settings.name, target: this.label, kind: 'lost' });
      for (const l of this.dropListeners) l(err);
    });
    return client;
  }

  private connectError(e: Error & { code?: string; level?: string }, hostKeyRefusal?: string): TransportError {
    const { settings } = this;
    const where = `${settings.hostname} port ${settings.port}`;
    const fields = { host: settings.name, target: this.label, cause: e };
    if (hostKeyRefusal) return new TransportError(hostKeyRefusal, { ...fields, kind: 'hostkey' });
    const failure = classifySshError(e);
    const error = (message: string) => new TransportError(message, { ...fields, kind: SSH_FAILURE_KIND[failure] });
    switch (failure) {
      case 'refused':
        return error(`connection refused by ${where}: is sshd running there, and is the port right?`);
      case 'unknown-host':
        return error(`unknown host '${settings.hostname}' (DNS lookup failed)`);
      case 'no-route':
        return error(`${where} is unreachable: ${e.message}`);
      case 'timeout':
      case 'keepalive':
        return error(`timed out after ${settings.connectTimeoutMs / 1000} s connecting to ${where} (no ssh handshake); set ConnectTimeout in ~/.ssh/config to wait longer`);
      case 'auth': {
        const tried = [
          ...this.identity.keyFiles.filter((k) => !this.lockedKeys.includes(k)).map((k) => `key ${k}`),
          ...(this.identity.useAgent && settings.agentSocket ? ['ssh-agent'] : []),
          ...(this.identity.password !== undefined ? ['password'] : []),
        ].join(', ');
        const locked = this.lockedKeys.length ? `; ${lockedKeysAdvice(this.lockedKeys)}` : '';
        return error(`authentication failed for ${this.identity.user}@${where} (tried ${tried || 'nothing usable'})${locked}`);
      }
      case 'closed':
        return error(`${where} closed the connection during the ssh handshake (${e.message})`);
      default:
        return error(`cannot connect to ${where}: ${e.message}`);
    }
  }

  /** Disconnect (idempotent). */
  close(): void {
    this.closedByUs = true;
    this.generation++;
    this.opening?.destroy();
    this.opening = undefined;
    this.ssh?.dispose();
    this.ssh = undefined;
    this.connecting = undefined;
  }
}

/** Every connection of a run, keyed by target and identity, so each is opened once. */
export class ConnectionPool {
  private readonly connections = new Map<string, SshConnection>();
  /** Identity-file passphrases typed this run, per file (identity-keys.ts). */
  readonly typedPassphrases = new Map<string, Promise<string>>();

  constructor(private readonly deps: ConnectionDeps) {}

  get(settings: HostSettings, identity: Identity): SshConnection {
    const key = JSON.stringify([settings.hostname, settings.port, settings.proxyJump, identity.user, identity.keyFiles, identity.password ?? null]);
    let conn = this.connections.get(key);
    if (!conn) {
      conn = new SshConnection(settings, identity, this.deps, this);
      this.connections.set(key, conn);
    }
    return conn;
  }

  /** A stream to settings' host:port through its ProxyJump chain (each hop resolved with ~/.ssh/config, like OpenSSH). */
  async jumpStream(settings: HostSettings): Promise<Duplex> {
    const hops = settings.proxyJump;
    const lastHop = hops[hops.length - 1];
    const m = /^(?:([^@]+)@)?(.+)$/.exec(lastHop) as RegExpExecArray;
    const hopOptions: Record<string, string> = { host: m[2] };
    if (m[1]) hopOptions.user = m[1];
    // An explicit strict-host-key-checking for the target also governs its jump hosts.
    hopOptions['strict-host-key-checking'] = settings.hostKeyPolicy;
    const hopSettings = resolveHostSettings(`${settings.name} via ${lastHop}`, hopOptions, this.deps.sshEnv);
    // Earlier hops of the chain carry this one; a ProxyJump in the hop's own config is ignored when a chain is given.
    const hopWithChain: HostSettings = { ...hopSettings, proxyJump: hops.length > 1 ? hops.slice(0, -1) : hopSettings.proxyJump.filter((h) => h !== lastHop) };
    const jump = this.get(hopWithChain, hopWithChain.login);
    const client = await jump.client();
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, settings.hostname, settings.port, (err, stream) => {
        if (err) reject(new TransportError(`jump host ${lastHop} could not open a channel to ${settings.hostname}:${settings.port}: ${err.message}`, { host: settings.name, kind: 'unreachable', cause: err }));
        else resolve(stream);
      });
    });
  }

  closeAll(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}
