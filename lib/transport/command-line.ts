/**
 * How each primitive's call becomes a command line, written once for every
 * backend: the real run, the recorder (`--dry-run --offline`, tests) and the
 * preview all print and run what these build. Every builder works on Lines
 * (secret.ts), so a secret reaches `actual` only.
 */
import { UsageError } from '../errors';
import { validateUser } from '../validate';
import type { RsyncCompress } from './host-settings';
import { shellJoin, shellQuote } from './quote';
import { isLine, joinLines, quoteLine, quoteValue, toLine, type CommandText, type Line, type Secret } from './secret';
import type { RsyncOptions } from './types';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface Placement {
  cwd?: string;
  env?: Record<string, string | Secret | Line>;
}

/**
 * `cd DIR && export K=V && COMMAND`, every value quoted. What runs groups
 * the command, `cd DIR && { COMMAND<newline>}`, so that it is parsed as if it
 * stood alone: in `cd DIR && nohup daemon >/dev/null 2>&1 &` the `&` would
 * put the whole list (cd included) in a background subshell that keeps the
 * session's output open until the daemon ends, so the command "returned"
 * only then (OpenSSH's `ssh host 'nohup daemon … &'` returns at once), and
 * in `a & b` the `b` would run outside DIR. The newline (not `;`) lets the
 * command end in `&` or a comment. Shown as typed, without the braces.
 */
export function withCwdAndEnv(command: CommandText, opts: Placement): Line {
  const parts: Line[] = [];
  if (opts.cwd) parts.push(toLine(`cd ${shellQuote(opts.cwd)}`));
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new UsageError(`invalid environment variable name '${k}'`);
    parts.push(joinLines([`export ${k}=`, isLine(v) ? quoteLine(v) : quoteValue(v)]));
  }
  const line = toLine(command);
  if (parts.length === 0) return line;
  parts.push({ ...line, actual: `{ ${line.actual}\n}` });
  return joinLines(parts, ' && ');
}

/** Wrap in the host's `shell` (default `/bin/bash -l -c`), like Fabric did; '' means no wrapper. */
export function wrapInShell(line: Line, shell: string): Line {
  return shell ? joinLines([`${shell} `, quoteLine(line)]) : line;
}

/** The prompt sudo prints when it wants the password: unique, so we never answer anything else. */
export const SUDO_PROMPT = '[hostout-sudo-password]';
/** Printed on stderr by the command once sudo let it run: from then on stdin belongs to the command. */
export const SUDO_READY = '[hostout-sudo-ready]';

/**
 * The one sudo wrapper: `sudo -S` with our own prompt, then a shell whose
 * script first prints SUDO_READY, so the responder (responder.ts) knows when
 * sudo stopped reading the password from stdin. `after` follows the quoted
 * script (arguments for `"$@"`).
 */
function sudoWrap(script: Line, opts: { user?: string; shell: string; after?: string }): string {
  const userPart = opts.user ? ` -u ${shellQuote(opts.user)}` : '';
  const announced = joinLines([`echo ${shellQuote(SUDO_READY)} >&2; `, script]);
  return `sudo -S -p ${shellQuote(SUDO_PROMPT)} -H${userPart} -- ${opts.shell || '/bin/sh -c'} ${quoteLine(announced).actual}${opts.after ? ` ${opts.after}` : ''}`;
}

/** `remote.sudo`'s line; `shown` leaves the prompt plumbing out. */
export function sudoLine(line: Line, opts: { user?: string; shell: string }): Line {
  const userPart = opts.user ? ` -u ${shellQuote(opts.user)}` : '';
  return {
    actual: sudoWrap(line, opts),
    shown: `sudo -H${userPart} -- ${opts.shell || '/bin/sh -c'} ${quoteLine(line).shown}`,
    secrets: line.secrets,
  };
}

/**
 * For rsync's `--rsync-path="sudo rsync"`: the remote command rsync asks for,
 * made to answer sudo's prompt like remote.sudo (rsync's argv passed on as "$@").
 * `run` is what sudo runs: rsync's words, or them under rsync's temp-file wrapper.
 */
export function sudoRsyncLine(command: string, run = command.slice('sudo '.length)): Line | undefined {
  if (!command.startsWith('sudo rsync ')) return undefined;
  const actual = sudoWrap(toLine('exec "$@"'), { shell: '/bin/sh -c', after: `hostout-rsync ${run}` });
  return { actual, shown: command, secrets: [] };
}

/** A local command: the argv that runs (one word may carry a secret) and how it is shown. */
export interface LocalCommand {
  argv: string[];
  shown: string;
  secrets: readonly string[];
  /** True when the command runs as we are, so spawn itself takes cwd and env. */
  plain: boolean;
}

/** Local argv for `local.run`: /bin/sh -c as we are, `su` or `sudo -u` as another user, `sudo` prefix. */
export function localCommand(
  command: CommandText, opts: { as?: string; sudo?: boolean } & Placement, currentUser: string, isRoot: boolean,
): LocalCommand {
  const other = opts.as && opts.as !== currentUser ? opts.as : undefined;
  // su and sudo -u read a name starting with '-' (or sudo's '#uid') as something else.
  if (other !== undefined) validateUser(other, { option: 'as' });
  if (!other && !opts.sudo) {
    // cwd and env go to spawn itself; shown as `cd … && export …` so records read like the remote ones.
    const line = toLine(command);
    const shown = withCwdAndEnv({ ...line, actual: line.shown }, opts).shown;
    return { argv: ['/bin/sh', '-c', line.actual], shown, secrets: line.secrets, plain: true };
  }
  // cwd and env travel inside the command: su/sudo reset the environment, and the other user may not reach our cwd.
  const inner = withCwdAndEnv(command, opts);
  const head = opts.sudo || !isRoot
    ? ['sudo', '-H', ...(other ? ['-u', other] : []), '--', '/bin/sh', '-c']
    // As root, su needs no password; -s because service users often have nologin as their shell.
    : ['su', '-s', '/bin/sh', other as string, '-c'];
  return { argv: [...head, inner.actual], shown: `${shellJoin(head)} ${quoteLine(inner).shown}`, secrets: inner.secrets, plain: false };
}

/** Flags of pushdeploy's `_rsync`. */
export const RSYNC_BASE_FLAGS = ['-pthlrz'];

/** Shown as rsync's --rsh in records: the real value is a relay script in a private temp dir (rsync.ts). */
export const TUNNEL_RSH_DISPLAY = 'hostout-ssh-tunnel';

export interface RsyncTarget {
  user: string;
  hostname: string;
  /** Default lz4 (host-settings.ts says why). */
  compress?: RsyncCompress;
  /** rsync's --timeout in seconds (0 or unset: none). */
  timeout?: number;
  /** How the receiver tells a changed file (default `nanoseconds`; rsync-compare.ts says when it is `checksum`). */
  compare?: RsyncComparison;
}

/**
 * How rsync's receiver decides that a file needs sending: `nanoseconds`,
 * size and modification time to the nanosecond (`--modify-window=-1`, rsync
 * 3.1.3+ on the receiving side); `checksum`, size and a checksum of the
 * content (`--checksum`, any rsync; every file of equal size is read on both
 * sides), for a receiver whose rsync cannot compare nanoseconds.
 */
export type RsyncComparison = 'nanoseconds' | 'checksum';

/**
 * rsync's argv (no shell involved). `rsh` is the remote shell rsync runs:
 * hostout's tunnel through the already-open ssh connection. `extraFlags` are
 * the front's own (a preview's `--dry-run --itemize-changes`).
 */
export function rsyncArgv(opts: RsyncOptions, target: RsyncTarget, rsh: string, extraFlags: readonly string[] = []): string[] {
  const remote = (p: string) => `${target.user}@${target.hostname}:${p}`;
  const argv = ['rsync', ...extraFlags];
  if (opts.delete) argv.push('--delete');
  for (const e of opts.exclude ?? []) argv.push(`--exclude=${e}`);
  const compress = target.compress ?? 'lz4';
  // The original's -pthlrz, with the compression named (or dropped).
  argv.push(...(compress === 'no' ? ['-pthlr'] : [...RSYNC_BASE_FLAGS, `--compress-choice=${compress}`]));
  // Times compared to the nanosecond (receiver rsync 3.1.3+): with the default
  // whole-second quick check, a file rewritten at the same size within the
  // second production's copy was written in is never sent. An older receiver
  // refuses the option; it then compares content (rsync-compare.ts).
  argv.push(target.compare === 'checksum' ? '--checksum' : '--modify-window=-1');
  // A stalled side (a stopped or hung rsync, while sshd still answers keepalives) ends the transfer.
  if (target.timeout) argv.push(`--timeout=${target.timeout}`);
  argv.push(...(opts.relative ? ['-R'] : []), ...(opts.extra ?? []));
  if (opts.remoteSudo) argv.push('--rsync-path=sudo rsync');
  argv.push('--rsh', rsh);
  const sources = typeof opts.from === 'string' ? [opts.from] : [...opts.from];
  if (opts.direction === 'push') argv.push(...sources, remote(opts.to));
  else if (sources.length === 1) argv.push(remote(sources[0]), opts.to);
  else throw new UsageError('rsync pulls one source at a time');
  return opts.localSudo ? ['sudo', '--', ...argv] : argv;
}

/**
 * A preview of a push to a host that has no destination yet (rsync would
 * stop there: its target's parent is missing): the same selection, itemized
 * against an empty local directory, which tells what the push would create.
 */
export function rsyncIntoEmptyArgv(opts: RsyncOptions, emptyDir: string): string[] {
  const sources = typeof opts.from === 'string' ? [opts.from] : [...opts.from];
  return [
    'rsync', '--dry-run', '--itemize-changes', ...(opts.exclude ?? []).map((e) => `--exclude=${e}`), '-pthlr',
    ...(opts.relative ? ['-R'] : []), ...(opts.extra ?? []), ...sources, `${emptyDir}/`,
  ];
}
