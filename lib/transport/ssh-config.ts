/**
 * Reading `~/.ssh/config` for one host, with the maintained `ssh-config`
 * parser (Host patterns, Match, first-value-wins like OpenSSH). We only turn
 * its computed result into the few typed values hostout uses.
 */
import { FileRefused, configuredFileError, readNamedFile } from '../named-file';
import * as os from 'node:os';
import * as path from 'node:path';
// ssh-config ships CommonJS code but ESM-only typings: take the types with resolution-mode, the code with require.
import type SSHConfigModule from 'ssh-config' with { 'resolution-mode': 'import' };
type SSHConfig = SSHConfigModule;
const { parse: parseSshConfig } = require('ssh-config') as { parse(text: string): SSHConfig };

/** Where the ssh files live. Tests point these at temp files; nothing reads /root/.ssh behind their back. */
export interface SshEnvironment {
  /** Home directory used for `~` and the default files. Default: $HOME. */
  home: string;
  /** The user ssh config file. Default: $HOSTOUT_SSH_CONFIG, else <home>/.ssh/config. */
  configPath: string;
  /** The local user name (OpenSSH's default login user). */
  localUser: string;
  /** ssh-agent socket. Default: $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** The environment the HOSTOUT_* variables are read from (the CLI's, not necessarily the process's). Default: process.env. */
  variables?: NodeJS.ProcessEnv;
}

export function defaultSshEnvironment(env: NodeJS.ProcessEnv = process.env): SshEnvironment {
  const home = env.HOME || os.homedir();
  return {
    home,
    configPath: env.HOSTOUT_SSH_CONFIG || path.join(home, '.ssh', 'config'),
    localUser: env.USER || env.LOGNAME || os.userInfo().username,
    agentSocket: env.SSH_AUTH_SOCK || undefined,
    variables: env,
  };
}

/** The ssh config values hostout uses for one host alias. */
export interface SshConfigEntry {
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxyJump?: string;
  strictHostKeyChecking?: string;
  userKnownHostsFiles?: string[];
  identityAgent?: string;
  connectTimeoutSeconds?: number;
}

/** Expand `~` and the common `%` tokens of ssh config paths. */
export function expandSshPath(p: string, sshEnv: SshEnvironment, tokens: { host?: string; user?: string } = {}): string {
  let out = p.replace(/%(.)/g, (all, t: string) => {
    if (t === 'd') return sshEnv.home;
    if (t === 'h') return tokens.host ?? all;
    if (t === 'r') return tokens.user ?? all;
    if (t === 'u') return sshEnv.localUser;
    if (t === '%') return '%';
    return all;
  });
  if (out === '~') out = sshEnv.home;
  else if (out.startsWith('~/')) out = path.join(sshEnv.home, out.slice(2));
  return out;
}

/**
 * Parsed files, reused while the text is the same: a run that resolves many
 * hosts parses ~/.ssh/config once (reading it again is cheap, parsing is
 * not), and a rewritten file is parsed again without anybody clearing anything.
 */
const parsedCache = new Map<string, { text: string; config: SSHConfig }>();

function loadConfig(configPath: string): SSHConfig | null {
  let text: string;
  try {
    text = readNamedFile(configPath).toString('utf8');
  } catch (e) {
    if (!(e instanceof FileRefused)) throw e;
    // No ssh config (or an unreadable one): OpenSSH defaults apply. A device, FIFO or huge file: say so.
    if (['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'].includes(e.code ?? '')) return null;
    throw configuredFileError(configPath, e, { option: 'ssh config file' });
  }
  const hit = parsedCache.get(configPath);
  if (hit?.text === text) return hit.config;
  const config = parseSshConfig(text);
  parsedCache.set(configPath, { text, config });
  return config;
}

/** For tests and the recording transport: no ~/.ssh/config, no agent, keys only where a test puts them. */
export function hermeticSshEnvironment(home = '/nonexistent/hostout-hermetic-home'): SshEnvironment {
  return { home, configPath: path.join(home, '.ssh', 'config'), localUser: os.userInfo().username };
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** What `ssh -G alias` would say about the keys hostout uses (no Match exec). */
export function lookupSshConfig(alias: string, sshEnv: SshEnvironment): SshConfigEntry {
  const config = loadConfig(sshEnv.configPath);
  if (!config) return { identityFiles: [] };
  // ignoreCase: OpenSSH keywords are case-insensitive; matchExec off: hostout must not run commands from config.
  const raw = config.compute(alias, { ignoreCase: true, matchExec: false });
  const get = (k: string) => raw[k.toLowerCase()] ?? raw[k];
  const port = first(get('Port'));
  const timeout = first(get('ConnectTimeout'));
  const hostName = first(get('HostName'));
  const user = first(get('User'));
  const tokens = { host: hostName ? hostName.replace(/%h/g, alias) : alias, user };
  return {
    hostName: tokens.host === alias && !hostName ? undefined : tokens.host,
    port: port ? Number(port) : undefined,
    user,
    identityFiles: all(get('IdentityFile')).map((f) => expandSshPath(f, sshEnv, tokens)),
    identitiesOnly: first(get('IdentitiesOnly'))?.toLowerCase() === 'yes' ? true : undefined,
    proxyJump: first(get('ProxyJump')),
    strictHostKeyChecking: first(get('StrictHostKeyChecking'))?.toLowerCase(),
    userKnownHostsFiles: get('UserKnownHostsFile') === undefined
      ? undefined
      : all(get('UserKnownHostsFile')).flatMap((v) => v.split(/\s+/)).filter(Boolean).map((f) => expandSshPath(f, sshEnv, tokens)),
    identityAgent: first(get('IdentityAgent')),
    connectTimeoutSeconds: timeout ? Number(timeout) : undefined,
  };
}
