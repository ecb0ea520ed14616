/**
 * Turns a host's hostout options (plus ~/.ssh/config) into the concrete
 * connection settings: where to connect, as whom, with which keys and
 * passwords, and how to wrap commands. Pure: reads files, changes nothing,
 * so the recording (--dry-run) transport shows the same user@host:port as a
 * real run.
 *
 * Option names are the original collective.hostout ones (its recipe's and run time's):
 *   host (host[:port]), user, password, identity-file, buildout-user,
 *   buildout-password, no-sudo, shell; Fabric's key_filename is honoured too.
 * Additions of ours: port, sudo-password, buildout-identity-file,
 *   strict-host-key-checking, known-hosts-file.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { ConfigValueError, commentLeftInValue } from '../validate';
import { isTrue } from '../flags';
import { secretsOf } from './secret';
import { expandSshPath, lookupSshConfig, type SshEnvironment } from './ssh-config';

export type HostKeyPolicy = 'yes' | 'accept-new' | 'no';

/** One way of logging in: a user and what proves it. Two identities per host at most. */
export interface Identity {
  user: string;
  /** Private key files to offer, in order (only those that exist). */
  keyFiles: string[];
  password?: string;
  /** For encrypted key files: `identity-passphrase`, else $HOSTOUT_IDENTITY_PASSPHRASE (identity-keys.ts). */
  passphrase?: { value: string; source: string };
  /** Offer the ssh-agent's keys (unless IdentitiesOnly and key files are given). */
  useAgent: boolean;
}

export interface HostSettings {
  /** The hostout part name, e.g. `first-site`. */
  name: string;
  /** The host as written in the options (before ssh config), used for the ssh config lookup. */
  alias: string;
  /** What we actually connect to (ssh config HostName applied). */
  hostname: string;
  /**
   * Where `hostname` came from: the `host` option, ~/.ssh/config's HostName
   * for the part name, or nowhere (then it is only the part name, and a
   * command that connects is refused: see requireConnectable).
   */
  hostSource: 'option' | 'ssh-config' | 'none';
  port: number;
  login: Identity;
  buildout: Identity;
  /** The `identity-file` (or Fabric's `key_filename`) option, `~` expanded; offered first. */
  identityFile?: string;
  /** Password fed to `sudo -S`; `sudo-password`, else the login `password`. */
  sudoPassword?: string;
  noSudo: boolean;
  /** Command wrapper like Fabric's env.shell; '' means run the command line as is. */
  shell: string;
  /** `[user@]host[:port]` hops, from ssh config ProxyJump (or the `proxy-jump` option). */
  proxyJump: string[];
  hostKeyPolicy: HostKeyPolicy;
  /** Files searched for host keys; new keys (accept-new) go to the first. */
  knownHostsFiles: string[];
  /** System-wide known hosts, read only. */
  globalKnownHostsFiles: string[];
  agentSocket?: string;
  connectTimeoutMs: number;
  /** rsync's compression for this host: an algorithm for `--compress-choice`, or 'no' (option `rsync-compress`). */
  rsyncCompress: RsyncCompress;
  /** Seconds an rsync may move no data before it is given up (option `rsync-timeout`, default 60; 0: never). */
  rsyncTimeoutS: number;
  /** Every secret of this host, for masking (`secretsOf`: the one list). */
  secrets: string[];
  /** Key files the options name (`identity-file`, `buildout-identity-file`) that do not exist: refused where a connection opens. */
  missingKeyFiles: { option: string; file: string }[];
}

const RSYNC_COMPRESS = ['lz4', 'zstd', 'zlibx', 'zlib', 'no'] as const;
export type RsyncCompress = (typeof RSYNC_COMPRESS)[number];

/**
 * The original ran every rsync with -z, which rsync ≥ 3.2 turns into zstd.
 * lz4 is the default here: on the push benchmark's 200 MB of source-like
 * files zstd cost 1.9 s of CPU and lz4 0.5 s (no compression: 0), so zstd
 * slows any link faster than ~0.8 Gbit/s while lz4 still halves text.
 * `rsync-compress = zstd` suits slow links; `no`, fast local networks;
 * `zlib`, rsync older than 3.2 at either end.
 */
function parseRsyncCompress(name: string, value: string | undefined): RsyncCompress {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'lz4';
  if (v === 'false' || v === 'none') return 'no';
  if ((RSYNC_COMPRESS as readonly string[]).includes(v)) return v as RsyncCompress;
  throw new ConfigError(`rsync-compress must be one of ${RSYNC_COMPRESS.join(', ')}, not '${value}'`, { host: name, option: 'rsync-compress' });
}

/** How long an rsync may move no data at all before it is given up (rsync's --timeout). */
export const DEFAULT_RSYNC_TIMEOUT_S = 60;

/**
 * `rsync-timeout`: whole seconds, 0 to wait forever (rsync's own meaning of
 * --timeout=0). A stalled remote rsync (stopped, or blocked on a hung disk)
 * otherwise keeps the run waiting while sshd still answers keepalives.
 */
function parseRsyncTimeout(name: string, value: string | undefined): number {
  const v = (value ?? '').trim();
  if (v === '') return DEFAULT_RSYNC_TIMEOUT_S;
  if (!/^\d+$/.test(v)) throw new ConfigError(`rsync-timeout must be a whole number of seconds (0: no timeout), not '${value}'`, { host: name, option: 'rsync-timeout' });
  return Number(v);
}

/** Fabric's default env.shell, which the original wrapped every remote command in. */
export const DEFAULT_SHELL = '/bin/bash -l -c';

function parsePolicy(value: string | undefined, where: string): HostKeyPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'yes' || v === 'ask') return 'yes'; // no interactive "ask": refusing is the safe reading
  if (v === 'accept-new') return 'accept-new';
  if (v === 'no' || v === 'off') return 'no';
  throw new ConfigError(`StrictHostKeyChecking must be yes, accept-new or no, not '${value}' (${where})`);
}

/** Split `host[:port]` (also `[v6addr]:port`). */
export function splitHostPort(spec: string): { host: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (bracket) return { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : undefined };
  const m = /^([^:]+):(\d+)$/.exec(spec);
  if (m) return { host: m[1], port: Number(m[2]) };
  return { host: spec };
}

function existingKeys(files: string[]): string[] {
  return files.filter((f) => existsSync(f));
}

export function resolveHostSettings(
  name: string,
  options: Readonly<Record<string, string>>,
  sshEnv: SshEnvironment,
): HostSettings {
  const hostOption = (options.host ?? '').trim();
  // No `host`: fall back to the part name, which ~/.ssh/config may map (Host first-site / HostName ...).
  const { host: alias, port: portInHost } = splitHostPort(hostOption || name);
  const cfg = lookupSshConfig(alias, sshEnv);
  const portOption = options.port?.trim() ? Number(options.port) : undefined;
  if (portOption !== undefined && !Number.isInteger(portOption)) {
    throw new ConfigError(`port must be a number, not '${options.port}'`, { host: name, option: 'port' });
  }
  // OpenSSH precedence: what the user wrote for this host beats ~/.ssh/config.
  const port = portInHost ?? portOption ?? cfg.port ?? 22;
  const hostname = cfg.hostName ?? alias;
  const hostSource = hostOption ? 'option' : cfg.hostName ? 'ssh-config' : 'none';
  // The ssh config user is the login user, and with no user anywhere the local user (the original fell back to root).
  const loginUser = options.user?.trim() || cfg.user || sshEnv.localUser;

  const optionKey = options['identity-file']?.trim() || options.key_filename?.trim();
  const identityFile = optionKey ? expandSshPath(optionKey, sshEnv) : undefined;
  const configKeys = cfg.identityFiles;
  const defaultKeys = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => path.join(sshEnv.home, '.ssh', k));
  // OpenSSH offers the configured keys first, then the default ones (unless IdentitiesOnly).
  const loginKeys = existingKeys(
    [...(identityFile ? [identityFile] : []), ...configKeys, ...(cfg.identitiesOnly ? [] : defaultKeys)],
  ).filter((k, i, a) => a.indexOf(k) === i);
  const agentSocket = cfg.identityAgent && cfg.identityAgent.toLowerCase() !== 'none'
    ? expandSshPath(cfg.identityAgent.replace(/^SSH_AUTH_SOCK$/, sshEnv.agentSocket ?? ''), sshEnv)
    : cfg.identityAgent?.toLowerCase() === 'none' ? undefined : sshEnv.agentSocket;

  const password = options.password || undefined;
  const variables = sshEnv.variables ?? process.env;
  const passphrase = options['identity-passphrase']
    ? { value: options['identity-passphrase'], source: 'from identity-passphrase' }
    : variables.HOSTOUT_IDENTITY_PASSPHRASE
      ? { value: variables.HOSTOUT_IDENTITY_PASSPHRASE, source: 'from HOSTOUT_IDENTITY_PASSPHRASE' }
      : undefined;
  const login: Identity = { user: loginUser, keyFiles: loginKeys, password, passphrase, useAgent: !!agentSocket };

  // The buildout user (the original's second connection): buildout-password, else its own key, else the same keys.
  const buildoutUser = options['buildout-user']?.trim() || loginUser;
  const buildoutPassword = options['buildout-password'] || undefined;
  const buildoutKeyOption = options['buildout-identity-file']?.trim();
  const buildoutKeys = buildoutKeyOption ? existingKeys([expandSshPath(buildoutKeyOption, sshEnv)]) : loginKeys;
  // A key the user configured is never skipped in silence (ssh's own default keys are, when absent).
  const missingKeyFiles = [
    ...(identityFile && !existsSync(identityFile) ? [{ option: options['identity-file']?.trim() ? 'identity-file' : 'key_filename', file: identityFile }] : []),
    ...(buildoutKeyOption && !existsSync(expandSshPath(buildoutKeyOption, sshEnv)) ? [{ option: 'buildout-identity-file', file: expandSshPath(buildoutKeyOption, sshEnv) }] : []),
  ];
  const buildout: Identity = buildoutUser === loginUser && !buildoutPassword && !buildoutKeyOption
    ? login
    : {
        user: buildoutUser,
        keyFiles: buildoutPassword ? [] : buildoutKeys,
        passphrase,
        password: buildoutPassword ?? (buildoutUser === loginUser ? password : undefined),
        useAgent: !buildoutPassword && !!agentSocket,
      };

  const policy = parsePolicy(options['strict-host-key-checking'], `[${name}] strict-host-key-checking`)
    ?? parsePolicy(variables.HOSTOUT_STRICT_HOST_KEY_CHECKING, 'HOSTOUT_STRICT_HOST_KEY_CHECKING')
    ?? parsePolicy(cfg.strictHostKeyChecking, sshEnv.configPath)
    ?? 'yes';
  const knownHostsOption = options['known-hosts-file']?.trim();
  const knownHostsFiles = knownHostsOption
    ? knownHostsOption.split(/\s+/).map((f) => expandSshPath(f, sshEnv))
    : cfg.userKnownHostsFiles ?? [path.join(sshEnv.home, '.ssh', 'known_hosts'), path.join(sshEnv.home, '.ssh', 'known_hosts2')];

  const proxySpec = options['proxy-jump']?.trim() || cfg.proxyJump;
  const proxyJump = proxySpec && proxySpec.toLowerCase() !== 'none' ? proxySpec.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const sudoPassword = options['sudo-password'] || password;

  return {
    name,
    alias,
    hostname,
    hostSource,
    port,
    login,
    buildout,
    identityFile,
    sudoPassword,
    noSudo: isTrue(options['no-sudo']),
    shell: options.shell !== undefined ? options.shell.trim() : DEFAULT_SHELL,
    proxyJump,
    hostKeyPolicy: policy,
    knownHostsFiles,
    globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    agentSocket,
    connectTimeoutMs: (cfg.connectTimeoutSeconds ?? 20) * 1000,
    rsyncCompress: parseRsyncCompress(name, options['rsync-compress']),
    rsyncTimeoutS: parseRsyncTimeout(name, options['rsync-timeout']),
    secrets: secretsOf(options, [passphrase?.value]),
    missingKeyFiles,
  };
}

/**
 * Refuses a host hostout cannot connect to, where a connection is about to
 * open (the ssh backend): listings, `--help` and offline dry runs never need
 * `host`, so a part without one, or with a placeholder left in it, only stops
 * the commands that connect. The original connected to an empty host there.
 */
export function requireConnectable(s: HostSettings): void {
  if (s.hostSource === 'none') {
    throw new ConfigError(
      `host is not set, so hostout does not know where to connect: set host = HOSTNAME[:PORT] in [${s.name}] ` +
        `(or give ~/.ssh/config a 'Host ${s.name}' entry with a HostName)`,
      { host: s.name, option: 'host' },
    );
  }
  const source = { option: s.hostSource === 'option' ? 'host' : `HostName (~/.ssh/config, Host ${s.alias})`, host: s.name };
  const comment = commentLeftInValue(s.hostname);
  if (comment) throw new ConfigValueError(comment, source, s.hostname);
  if (s.hostname.startsWith('-')) throw new ConfigValueError("a host name cannot start with '-'", source, s.hostname);
  if (/[\s\x00-\x1f\x7f]/.test(s.hostname)) throw new ConfigValueError('a host name cannot contain spaces or control characters', source, s.hostname);
  const missing = s.missingKeyFiles[0];
  if (missing) {
    throw new ConfigError(`${missing.option} = ${missing.file}: no such file (a relative path is relative to the buildout directory)`, { host: s.name, option: missing.option });
  }
}
