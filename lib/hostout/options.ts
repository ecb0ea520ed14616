/**
 * Every option default and derived value of the collective.hostout recipe
 * (compat §2.2, buildout time) and of `HostOut.__init__` (compat §2.3, run
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
import { lookupSshConfig, expandSshPath, defaultSshEnvironment, type SshEnvironment } from '../transport/ssh-config';
import type { HostOptions } from './types';

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

/** Boolean options the original parsed with its own truthy words; we keep each option's word list. */
function flag(value: string | undefined, truthyWords: string[]): string {
  return truthyWords.includes((value ?? '').trim()) ? 'true' : 'false';
}

/** The recipe's buildout-time defaults (compat §2.2). */
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
  setDefault(o, 'develop', env.develop ?? '');
  return o;
}

/** `HostOut.__init__`'s run-time derivations (compat §2.3), with the §7.4 fixes. */
export function applyRuntimeDefaults(partName: string, options: HostOptions, env: OptionEnvironment): HostOptions {
  const o = { ...options };
  const ssh = env.ssh ?? defaultSshEnvironment();
  const hostSpec = (o.host ?? '').trim() || partName;
  const m = /^([^:]+):(\d+)$/.exec(hostSpec);
  const alias = m ? m[1] : hostSpec;
  const cfg = lookupSshConfig(alias, ssh);
  // Fix of §7.4.10: the login user is `user`, else ~/.ssh/config's User, else the
  // local user (what ssh itself uses), and buildout-user/effective-user follow it.
  const loginUser = (o.user ?? '').trim() || cfg.user || ssh.localUser;
  o.user = loginUser;
  if (!(o['buildout-user'] ?? '').trim()) o['buildout-user'] = loginUser;
  if (!(o['effective-user'] ?? '').trim()) o['effective-user'] = o['buildout-user'];
  if (!(o.port ?? '').trim()) o.port = String(m ? Number(m[2]) : cfg.port ?? 22);

  if (!(o['identity-file'] ?? '').trim()) {
    const fromConfig = cfg.identityFiles[0];
    const generated = path.join(o.location ?? path.join(env.buildoutDirectory, 'parts', 'hostout'), 'hostout_rsa');
    if (fromConfig) o['identity-file'] = fromConfig;
    else if (existsSync(generated)) o['identity-file'] = generated;
  } else {
    o['identity-file'] = expandSshPath(o['identity-file'].trim(), ssh);
  }

  // Each flag keeps the original's own truthy words (compat §2.3), normalised to 'true'/'false'.
  o['no-sudo'] = flag((o['no-sudo'] ?? '').toLowerCase(), ['yes', 'true']);
  o['force-python-compile'] = flag(o['system-python-use-not'] ?? o['force-python-compile'], ['True', 'true', 'yes', 'Yes']);
  // Fix of §7.4.11: `tunnel = false` no longer enables the tunnel.
  o.tunnel = /^(|false|no|off|0)$/i.test((o.tunnel ?? '').trim()) ? '' : o.tunnel.trim();

  const remoteParent = path.posix.dirname(o.path);
  setDefault(o, 'python-path', o['python-prefix'] ?? path.posix.join(remoteParent, 'python'));
  // Fix of §7.4.12 / issue #24: one cache per machine, as bootstrap creates it (1.0a5's default).
  if (!(o['buildout-cache'] ?? '').trim()) o['buildout-cache'] = path.posix.join(remoteParent, 'buildout-cache');
  o.download_cache = path.posix.join(o['buildout-cache'].replace(/\/+$/, ''), 'downloads');
  return o;
}
