/**
 * Every option default and derived value of the collective.hostout recipe
 * (buildout time) and of `HostOut.__init__` (run
 * time). We read buildout.cfg directly, so both run here, in that order, on the
 * part's merged options; plugins' `defaults` hooks run before (see runtime.ts),
 * so a plugin's value wins over ours, as the original's recipe order did.
 *
 * Every value stays a string (HostOptions). Booleans we derive are written as
 * 'true'/'false' so plugins compare one way. Deliberate differences from the
 * original are listed in docs/compat.md.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { SET_UNLESS_FALSE, flagValue, readFlag } from '../flags';
import { readConfiguredFile } from '../named-file';
import { resolveHostSettings, splitHostPort, type HostSettings } from '../transport/host-settings';
import { lookupSshConfig, defaultSshEnvironment, type SshEnvironment } from '../transport/ssh-config';
import type { HostOptions } from './types';

/** A host's final options and the connection settings computed from them, once. */
export interface RuntimeDefaults {
  options: HostOptions;
  settings: HostSettings;
}

/** What option defaulting needs from outside the part: the buildout and the local machine. */
export interface OptionEnvironment {
  /** The buildout directory (absolute). */
  buildoutDirectory: string;
  /** `[buildout] parts-directory` (absolute); default `<buildout>/parts`. */
  partsDirectory?: string;
  /** `[buildout] versions`: the name of the versions section. */
  versionsSection?: string;
  /** `[buildout] develop`, whitespace separated, for uploadeggs. */
  develop?: string;
  /** Where ~/.ssh/config is and who the local user is (tests inject; default from $HOME). */
  ssh?: SshEnvironment;
}

/** Set `key` to `value` unless the option is present (the recipe's `setdefault`). */
function setDefault(o: HostOptions, key: string, value: string): void {
  if (!(key in o)) o[key] = value;
}

/** First present key among old and new names (`remote_path` → `path`, …). */
function renamed(o: HostOptions, key: string, oldKey: string, fallback: string): void {
  if (!(key in o)) o[key] = oldKey in o ? o[oldKey] : fallback;
}

/** The recipe's buildout-time defaults: what the generated hostout.cfg holds. */
export function applyRecipeDefaults(partName: string, options: HostOptions, env: OptionEnvironment): HostOptions {
  const o = { ...options };
  const partsDir = env.partsDirectory ?? path.join(env.buildoutDirectory, 'parts');
  o.versions = env.versionsSection || 'versions';
  o.location = path.join(partsDir, 'hostout');
  setDefault(o, 'dist_dir', 'dist');
  setDefault(o, 'buildout', 'buildout.cfg');
  setDefault(o, 'user', '');
  setDefault(o, 'hostname', partName);
  setDefault(o, 'buildout-group', 'buildout');
  setDefault(o, 'host', '');
  setDefault(o, 'password', '');
  renamed(o, 'post-commands', 'start_cmd', '');
  renamed(o, 'pre-commands', 'stop_cmd', '');
  renamed(o, 'include', 'extra_config', '');
  setDefault(o, 'parts', '');
  setDefault(o, 'versionsfile', 'hostoutversions.cfg');
  renamed(o, 'path', 'remote_path', `/var/buildout/${partName}`);
  setDefault(o, 'buildout_location', env.buildoutDirectory);
  // The original used the local buildout Python's version; we have no local Python.
  // Python 3 is what a current host has (docs/compat.md).
  setDefault(o, 'python-version', '3');
  setDefault(o, 'hostimage', 'ubuntu');
  // The original's main part added its `packages` to the develop eggs uploadeggs releases; here each host's own.
  const develop = [...new Set(`${env.develop ?? ''} ${o.packages ?? ''}`.split(/\s+/).filter(Boolean))];
  setDefault(o, 'develop', develop.join('\n'));
  return o;
}

/**
 * The files a host's options name, read once when the host is loaded, before
 * anything connects: each must be a regular file of bounded size (named-file.ts),
 * else exit 2 naming the option and the file. A missing key or known_hosts
 * file is no error here (ssh skips a missing key; a missing known_hosts is empty).
 */
function checkNamedFiles(partName: string, o: HostOptions, settings: HostSettings): void {
  // Read, not only examined: a key or known_hosts file is small, and /proc/self/mem only fails on read (EIO).
  // A key this user may not read is no error here either: only a connection reads it (and says so
  // there); a local command of the host (`buildout -o` run by a non-root hostout) never does.
  const check = (option: string, file: string) => void readConfiguredFile(file, { option, host: partName, missingIsFine: true, unreadableIsFine: true });
  if (settings.identityFile) check((o['identity-file'] ?? '').trim() ? 'identity-file' : 'key_filename', settings.identityFile);
  if ((o['buildout-identity-file'] ?? '').trim() && settings.buildout !== settings.login) {
    for (const file of settings.buildout.keyFiles) check('buildout-identity-file', file);
  }
  if ((o['known-hosts-file'] ?? '').trim()) for (const file of settings.knownHostsFiles) check('known-hosts-file', file);
}

/** The host options that name local files: ssh keys and known-hosts files (a whitespace list). */
const LOCAL_FILE_OPTIONS = ['identity-file', 'key_filename', 'buildout-identity-file'];
const LOCAL_FILE_LIST_OPTIONS = ['known-hosts-file'];

/**
 * A relative local path in a hostout option is relative to the buildout
 * directory, whatever the current directory (`cd /tmp && hostout -c
 * /site/buildout.cfg …` uses /site/deploykey). `~` and ssh's `%d` are left to
 * the transport's expansion.
 */
function resolveLocalPaths(o: HostOptions, buildoutDirectory: string): void {
  const resolve = (p: string): string => (/^[~%]/.test(p) || path.isAbsolute(p) ? p : path.resolve(buildoutDirectory, p));
  for (const key of LOCAL_FILE_OPTIONS) {
    const v = (o[key] ?? '').trim();
    if (v) o[key] = resolve(v);
  }
  for (const key of LOCAL_FILE_LIST_OPTIONS) {
    const v = (o[key] ?? '').trim();
    if (v) o[key] = v.split(/\s+/).map(resolve).join(' ');
  }
}

/** `HostOut.__init__`'s run-time derivations, with the fixes listed in docs/compat.md. */
export function applyRuntimeDefaults(partName: string, options: HostOptions, env: OptionEnvironment): RuntimeDefaults {
  const o = { ...options };
  resolveLocalPaths(o, env.buildoutDirectory);
  const ssh = env.ssh ?? defaultSshEnvironment();
  const { host: alias } = splitHostPort((o.host ?? '').trim() || partName);
  const cfg = lookupSshConfig(alias, ssh);

  if (!(o['identity-file'] ?? '').trim() && !(o.key_filename ?? '').trim()) {
    // The original's generated key, when ~/.ssh/config names none for this host.
    const generated = path.join(o.location ?? path.join(env.buildoutDirectory, 'parts', 'hostout'), 'hostout_rsa');
    if (!cfg.identityFiles[0] && existsSync(generated)) o['identity-file'] = generated;
  }
  // Every option the transport also reads, read ONCE here: what a plugin sees in
  // ctx.options (user, port, identity-file, …) is what the transport connects with.
  const settings = resolveHostSettings(partName, o, ssh);
  checkNamedFiles(partName, o, settings);
  // The login user is `user`, else ~/.ssh/config's User, else the local user (what ssh itself uses),
  // and buildout-user/effective-user follow it (the original fell back to root).
  o.user = settings.login.user;
  o.port = String(settings.port);
  if (!(o['buildout-user'] ?? '').trim()) o['buildout-user'] = settings.buildout.user;
  if (!(o['effective-user'] ?? '').trim()) o['effective-user'] = o['buildout-user'];
  const firstKey = settings.identityFile ?? cfg.identityFiles[0];
  if (firstKey) o['identity-file'] = firstKey;

  o['no-sudo'] = settings.noSudo ? 'true' : 'false';
  o['force-python-compile'] = flagValue(o['system-python-use-not'] ?? o['force-python-compile']);
  // `tunnel = false` no longer enables the tunnel (the original tested the string's truth).
  o.tunnel = readFlag(o.tunnel, SET_UNLESS_FALSE) ? o.tunnel.trim() : '';

  const remoteParent = path.posix.dirname(o.path);
  setDefault(o, 'python-path', o['python-prefix'] ?? path.posix.join(remoteParent, 'python'));
  // One cache per machine, as bootstrap creates it (1.0a5's default; issue #24 of the original).
  if (!(o['buildout-cache'] ?? '').trim()) o['buildout-cache'] = path.posix.join(remoteParent, 'buildout-cache');
  o.download_cache = path.posix.join(o['buildout-cache'].replace(/\/+$/, ''), 'downloads');
  return { options: o, settings };
}
