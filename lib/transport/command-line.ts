/**
 * How each primitive's call becomes a command line. Shared by the real and the
 * recording transport, so --dry-run prints exactly what a real run executes.
 */
import { ConfigError, TransportError, UsageError } from '../errors';
import type { HostSettings, RsyncCompress } from './host-settings';
import { maskSecrets } from './mask';
import { shellJoin, shellQuote } from './quote';
import type { LocalRunOptions, RsyncOptions } from './types';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `cd DIR && export K=V && COMMAND`, every value quoted. */
export function withCwdAndEnv(command: string, opts: { cwd?: string; env?: Record<string, string> }): string {
  const parts: string[] = [];
  if (opts.cwd) parts.push(`cd ${shellQuote(opts.cwd)}`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new UsageError(`invalid environment variable name '${k}'`);
    parts.push(`export ${k}=${shellQuote(v)}`);
  }
  parts.push(command);
  return parts.join(' && ');
}

/** Wrap in the host's `shell` (default `/bin/bash -l -c`), like Fabric did; '' means no wrapper. */
export function wrapInShell(commandLine: string, shell: string): string {
  return shell ? `${shell} ${shellQuote(commandLine)}` : commandLine;
}

/** The prompt sudo prints when it wants the password: unique, so we never answer anything else. */
export const SUDO_PROMPT = '[hostout-sudo-password]';
/** Printed on stderr by the command once sudo let it run: from then on stdin belongs to the command. */
export const SUDO_READY = '[hostout-sudo-ready]';

export interface SudoCommand {
  /** What runs on the host. */
  actual: string;
  /** What logs, records and errors show (no prompt plumbing). */
  display: string;
}

/**
 * `sudo -S` with our own prompt; the command first prints SUDO_READY so the
 * transport knows when sudo stopped reading the password from stdin.
 */
export function sudoCommand(commandLine: string, opts: { user?: string; shell: string }): SudoCommand {
  const shell = opts.shell || '/bin/sh -c';
  const userPart = opts.user ? ` -u ${shellQuote(opts.user)}` : '';
  return {
    actual: `sudo -S -p ${shellQuote(SUDO_PROMPT)} -H${userPart} -- ${shell} ${shellQuote(`echo ${shellQuote(SUDO_READY)} >&2; ${commandLine}`)}`,
    display: `sudo -H${userPart} -- ${shell} ${shellQuote(commandLine)}`,
  };
}

/** Local argv for `local.run`: /bin/sh -c as we are, `su` or `sudo -u` as another user, `sudo` prefix. */
export function localArgv(command: string, opts: LocalRunOptions, currentUser: string, isRoot: boolean): string[] {
  const other = opts.as && opts.as !== currentUser ? opts.as : undefined;
  if (!other && !opts.sudo) return ['/bin/sh', '-c', command];
  // cwd and env travel inside the command: su/sudo reset the environment, and the other user may not reach our cwd.
  const inner = withCwdAndEnv(command, { cwd: opts.cwd, env: opts.env });
  if (opts.sudo || !isRoot) return ['sudo', '-H', ...(other ? ['-u', other] : []), '--', '/bin/sh', '-c', inner];
  // As root, su needs no password; -s because service users often have nologin as their shell.
  return ['su', '-s', '/bin/sh', other as string, '-c', inner];
}

/** The line records and logs show for a local command. */
export function displayLocal(command: string, opts: LocalRunOptions, argv: string[]): string {
  if (argv[0] === '/bin/sh') return withCwdAndEnv(command, { cwd: opts.cwd, env: opts.env });
  return shellJoin(argv);
}

/** Flags of pushdeploy's `_rsync` (compat §5.3). */
export const RSYNC_BASE_FLAGS = ['-pthlrz'];

export interface RsyncTarget {
  user: string;
  hostname: string;
  /** Default lz4 (host-settings.ts says why). */
  compress?: RsyncCompress;
}

/**
 * rsync's argv (no shell involved). `rsh` is the remote shell rsync runs:
 * hostout's tunnel through the already-open ssh connection.
 */
export function rsyncArgv(opts: RsyncOptions, target: RsyncTarget, rsh: string): string[] {
  const remote = (p: string) => `${target.user}@${target.hostname}:${p}`;
  const argv = ['rsync'];
  if (opts.delete) argv.push('--delete');
  for (const e of opts.exclude ?? []) argv.push(`--exclude=${e}`);
  const compress = target.compress ?? 'lz4';
  // The original's -pthlrz, with the compression named (or dropped).
  argv.push(...(compress === 'no' ? ['-pthlr'] : [...RSYNC_BASE_FLAGS, `--compress-choice=${compress}`]));
  argv.push(...(opts.relative ? ['-R'] : []), ...(opts.extra ?? []));
  if (opts.remoteSudo) argv.push('--rsync-path=sudo rsync');
  argv.push('--rsh', rsh);
  const sources = typeof opts.from === 'string' ? [opts.from] : [...opts.from];
  if (opts.direction === 'push') argv.push(...sources, remote(opts.to));
  else if (sources.length === 1) argv.push(remote(sources[0]), opts.to);
  else throw new TransportError('rsync pulls one source at a time');
  return opts.localSudo ? ['sudo', '--', ...argv] : argv;
}

/** The original's refusal (compat §4 `sudo`), as a configuration error that names the host. */
export function refuseSudoIfDisabled(settings: HostSettings, command: string): void {
  if (settings.noSudo) {
    throw new ConfigError(`cannot run '${maskSecrets(command, settings.secrets)}' with sudo: no-sudo is set for this host`, { host: settings.name });
  }
}
