/**
 * `annotate`: the staging buildout's [buildout] section as the buildout user
 * sees it (their ~/.buildout/default.cfg included), computed by our own
 * config engine instead of running Python (compat §5.4 `annotate`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../lib/errors';
import type { SiteSettings } from './settings';

/** The [buildout] directories push and friends need, absolute. */
export interface BuildoutDirectories {
  bin: string;
  eggs: string;
  parts: string;
  /** Every resolved option of [buildout], as `annotate` returns it. */
  buildout: Record<string, string>;
}

/** The slice of lib/buildout's public surface this plugin uses. */
interface LoadedBuildout {
  get(section: string, option: string): string | undefined;
  section(name: string): unknown;
}
interface LoadBuildoutOptions {
  config: string;
  cwd: string;
  userDefaults?: boolean;
  assignments?: string[];
  env?: Record<string, string | undefined>;
}
type LoadBuildout = (options: LoadBuildoutOptions) => LoadedBuildout | Promise<LoadedBuildout>;

function engine(): LoadBuildout {
  // Resolved at call time so this plugin loads (and lists its commands) even
  // where the config engine is unavailable; the path is the engine's public entry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(__dirname, '..', '..', 'lib', 'buildout', 'index')) as { loadBuildout?: LoadBuildout };
  if (typeof mod.loadBuildout !== 'function') throw new Error('lib/buildout/index does not export loadBuildout');
  return mod.loadBuildout;
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

function asRecord(section: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = section instanceof Map ? [...section.entries()] : Object.entries((section ?? {}) as object);
  for (const [k, v] of entries) if (typeof v === 'string') out[String(k)] = v;
  return out;
}

export async function readStagingBuildout(s: SiteSettings): Promise<BuildoutDirectories> {
  if (!fs.existsSync(s.buildoutConfig)) {
    throw new ConfigError(
      `[${s.site}] the staging buildout ${s.buildoutConfig} does not exist: check it out first (hostout ${s.site} checkout REPOSITORY [BRANCH])`,
    );
  }
  const home = homeOf(s.buildoutUser);
  const loaded = await engine()({
    config: s.buildoutConfig,
    cwd: s.path,
    userDefaults: true,
    assignments: [],
    env: { ...process.env, HOME: home },
  });
  const buildout = asRecord(loaded.section('buildout'));
  const dir = (option: string): string => {
    const value = loaded.get('buildout', option) ?? buildout[option];
    if (!value) throw new ConfigError(`[${s.site}] ${s.buildoutConfig}: [buildout] has no ${option}`);
    // os.path.join(path, value) of the original: an absolute value wins.
    return path.resolve(s.path, value);
  };
  return { bin: dir('bin-directory'), eggs: dir('eggs-directory'), parts: dir('parts-directory'), buildout };
}
