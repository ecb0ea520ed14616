/**
 * Values from buildout.cfg or the command line that end up as words of a
 * command line: user and group names, paths, branches, repositories. Quoting
 * keeps them away from the shell, but not away from the tool: `su -m`,
 * `chown --reference=/etc/passwd`, `hg update --config=hooks…` or
 * `git checkout --orphan=x` take a value as an option with no shell involved.
 * So every such value is checked here, once, before anything runs, and a bad
 * one is refused with a ConfigError (exit 2) that names the option and shows
 * the value. Callers also end option parsing with `--` where the tool allows
 * it; this module is the part that does not depend on the tool.
 */
import { ConfigError } from './errors';

/** Where a value came from, for the message: the option (or argument) name and the host. */
export interface ValueSource {
  option: string;
  host?: string;
}

/** A configuration value hostout refuses; `option` and `value` say which. */
export class ConfigValueError extends ConfigError {
  readonly option: string;
  readonly value: string;
  constructor(reason: string, source: ValueSource, value: string) {
    super(`${source.option} = ${show(value)}: ${reason}`, { host: source.host, option: source.option });
    this.option = source.option;
    this.value = value;
  }
}

/**
 * The value as the message shows it: as written when it is plain, else as a
 * JSON string so a newline or escape character is visible instead of acted on.
 */
function show(value: string): string {
  return /^[\x21-\x7e]+$/.test(value) ? value : JSON.stringify(value);
}

/** POSIX portable user and group names (useradd's own rule): letter or `_` first, at most 32 characters. */
const PORTABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const MAX_NAME_LENGTH = 32;

const CONTROL = /[\x00-\x1f\x7f]/;

export function isPortableName(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && PORTABLE_NAME.test(value);
}

/**
 * Why a value looks like a comment that stayed in it (`user = # Put a sudo
 * username here`): buildout takes `#` or `;` as a comment only at the start
 * of a line, so after `=` it is part of the value. undefined otherwise.
 */
export function commentLeftInValue(value: string): string | undefined {
  return /^[#;]/.test(value.trim())
    ? "the value is a comment left in the configuration (buildout treats '#' as a comment only at the start of a line): put the real value there, or remove the option"
    : undefined;
}

function checkName(kind: 'user' | 'group', value: string, source: ValueSource): string {
  if (isPortableName(value)) return value;
  const why = commentLeftInValue(value) ?? (value === ''
    ? `the ${kind} name is empty`
    : value.length > MAX_NAME_LENGTH
      ? `a ${kind} name has at most ${MAX_NAME_LENGTH} characters`
      : value.startsWith('-')
        ? `a ${kind} name cannot start with '-' (su, chown and useradd would take it as an option)`
        : `not a portable ${kind} name: letters, digits, '_', '.' and '-', starting with a letter or '_'`);
  throw new ConfigValueError(why, source, value);
}

/** A user name that reaches su, sudo -u, chown, useradd or rsync --chown. */
export function validateUser(value: string, source: ValueSource): string {
  return checkName('user', value, source);
}

/** A group name that reaches chgrp, chown USER:GROUP, groupadd or useradd -g. */
export function validateGroup(value: string, source: ValueSource): string {
  return checkName('group', value, source);
}

/**
 * A path that becomes a command's argument (mkdir, chown, cd, rsync's target).
 * Control characters are refused because a newline splits the remote command
 * line: rsync's target would become another path. `absolute` for the options
 * that name a directory on a host.
 */
export function validatePath(value: string, source: ValueSource, opts: { absolute?: boolean } = {}): string {
  if (value === '') throw new ConfigValueError('the path is empty', source, value);
  if (CONTROL.test(value)) throw new ConfigValueError('a path cannot contain a newline, tab or other control character', source, value);
  if (value.startsWith('-')) throw new ConfigValueError("a path cannot start with '-' (it would be taken as an option)", source, value);
  if (opts.absolute && !value.startsWith('/')) throw new ConfigValueError('must be an absolute path', source, value);
  return value;
}

/**
 * Mercurial reads `--config`, `--cwd`, `-R`/`--repository` and `--debugger`
 * anywhere on its command line, before it parses the command's own options.
 */
const HG_EARLY_OPTION = /(^|\s)(--config|--cwd|--repository|--debugger|-R)(=|\s|$)/;

/** `checked` is what reaches git or hg; `value` is what the user wrote (shown in the message). */
function checkRevisionLike(kind: 'branch' | 'repository', checked: string, source: ValueSource, value = checked): void {
  if (checked.trim() === '') throw new ConfigValueError(`the ${kind} is empty`, source, value);
  if (CONTROL.test(checked)) throw new ConfigValueError(`a ${kind} cannot contain a newline, tab or other control character`, source, value);
  if (checked.startsWith('-')) throw new ConfigValueError(`a ${kind} cannot start with '-' (git or hg would take it as an option)`, source, value);
  if (HG_EARLY_OPTION.test(checked)) throw new ConfigValueError(`a ${kind} cannot contain an hg option such as --config`, source, value);
}

/** A branch (or tag, or revision) given to `git clone --branch`, `git checkout`, `hg clone -r`, `hg update`. */
export function validateBranch(value: string, source: ValueSource): string {
  checkRevisionLike('branch', value, source);
  return value;
}

/**
 * A repository URL or directory for `git clone` / `hg clone`, with or without
 * a `git+`/`hg+` prefix. An ssh URL whose host starts with '-' is refused too:
 * ssh would read `ssh://-oProxyCommand=…` as an option.
 */
export function validateRepository(value: string, source: ValueSource): string {
  const url = value.replace(/^(git|hg)\+/, '');
  checkRevisionLike('repository', url, source, value);
  const host = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?(.*)$/i.exec(url)?.[1];
  if (host !== undefined && host.startsWith('-')) {
    throw new ConfigValueError("a repository's host cannot start with '-' (ssh would take it as an option)", source, value);
  }
  return value;
}
