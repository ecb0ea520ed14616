/**
 * `annotate`: the staging buildout's [buildout] section as the buildout user
 * sees it (their ~/.buildout/default.cfg included), computed by our own
 * config engine instead of running Python (the original ran zc.buildout in process).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadBuildout } from 'hostout';
import type { SiteSettings } from './settings';

/** The [buildout] directories push and friends need, absolute. */
export interface BuildoutDirectories {
  bin: string;
  eggs: string;
  parts: string;
  /** Every resolved option of [buildout], as `annotate` returns it. */
  buildout: Record<string, string>;
  /** Not read: an offline dry run found no staging buildout and assumed buildout's defaults. */
  assumed?: boolean;
}

/**
 * What an offline dry run plans with when staging has no buildout to read
 * (the README's `--dry-run --offline` on a machine that is not the staging
 * one): zc.buildout's default directories inside `path`, and the trees a
 * release is made of taken as staged. The caller says so (ctx.assume).
 */
export function assumedStagingBuildout(s: SiteSettings): BuildoutDirectories {
  return {
    bin: `${s.path}/bin`, eggs: `${s.path}/eggs`, parts: `${s.path}/parts`,
    buildout: { directory: s.path, 'bin-directory': `${s.path}/bin`, 'eggs-directory': `${s.path}/eggs`, 'parts-directory': `${s.path}/parts` },
    assumed: true,
  };
}

/** A local user's home directory from the passwd database (what Python's expanduser('~user') reads). */
export function homeOf(user: string, passwdFile = '/etc/passwd'): string {
  const line = fs.readFileSync(passwdFile, 'utf8').split('\n').find((l) => l.split(':')[0] === user);
  const home = line?.split(':')[5];
  if (!home) {
    throw new ConfigError(`buildout-user '${user}' does not exist on this (staging) machine: create it, or set buildout-user to an existing user`);
  }
  return home;
}

/** Stop with what to do when the staging buildout is not checked out. */
export function requireStagingBuildout(s: SiteSettings): void {
  if (!fs.existsSync(s.buildoutConfig)) {
    throw new ConfigError(
      `the staging buildout ${s.buildoutConfig} does not exist: check it out first (hostout ${s.site} checkout REPOSITORY [BRANCH])`,
      { host: s.site },
    );
  }
}

/** `passwdFile` is where the buildout user's home is looked up (tests point it elsewhere). */
export async function readStagingBuildout(s: SiteSettings, passwdFile = '/etc/passwd'): Promise<BuildoutDirectories> {
  requireStagingBuildout(s);
  const home = homeOf(s.buildoutUser, passwdFile);
  const loaded = await loadBuildout({
    config: s.buildoutConfig,
    cwd: s.path,
    userDefaults: true,
    assignments: [],
    env: { ...process.env, HOME: home },
  });
  const buildout = loaded.section('buildout');
  const dir = (option: string): string => {
    const value = buildout[option];
    if (!value) throw new ConfigError(`${s.buildoutConfig}: [buildout] has no ${option}`, { host: s.site });
    // os.path.join(path, value) of the original: an absolute value wins.
    return path.resolve(s.path, value);
  };
  return { bin: dir('bin-directory'), eggs: dir('eggs-directory'), parts: dir('parts-directory'), buildout };
}
