/**
 * Local helpers of the built-in commands that only READ local files: a
 * release id hashed from the files a deploy ships (which files: the config
 * engine's record, `configFilesOf`), develop eggs' content hashes and the
 * versions the local buildout installed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

function hashInto(h: ReturnType<typeof createHash>, abs: string, rel: string): void {
  if (!existsSync(abs)) return;
  h.update(rel + '\0');
  if (statSync(abs).isDirectory()) {
    for (const e of readdirSync(abs).sort()) hashInto(h, path.join(abs, e), path.join(rel, e));
  } else {
    h.update(readFileSync(abs));
  }
}

/** A short content hash of the files a deploy ships: changes iff they change. */
export function releaseId(dir: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) hashInto(h, path.resolve(dir, f), f);
  return h.digest('hex').slice(0, 12);
}

/** What a develop egg's content hash leaves out: build output, VCS data and caches, which change without the code changing. */
const NOT_CONTENT = new Set(['build', 'dist', '__pycache__', '.git', '.hg', '.svn', '.bzr', '.tox', '.eggs', '.nox', '.mypy_cache', '.pytest_cache']);

/**
 * A content hash of a develop egg's source tree, for its release's version tag:
 * it changes iff a file that ends up in the egg changes (the original tagged
 * released develop eggs the same way, so a code change made a new version).
 */
export function developEggHash(src: string): string {
  const h = createHash('sha256');
  const walk = (abs: string, rel: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (NOT_CONTENT.has(e.name) || e.name.endsWith('.egg-info') || /\.py[co]$/.test(e.name)) continue;
      const childAbs = path.join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(childAbs, childRel);
      else if (e.isFile()) {
        h.update(`${childRel}\0`);
        h.update(readFileSync(childAbs));
        h.update('\0');
      }
    }
  };
  walk(src, '');
  return h.digest('hex').slice(0, 12);
}

/** The pip/pkg_resources comparison form of a project name. */
export function normaliseProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * The versions the local buildout installed, from the egg paths its bin/
 * scripts put on sys.path (`…/Name-1.2-py3.11.egg`): the working sets of its
 * installed parts, what was tested locally. Keyed by project name.
 */
export function installedEggVersions(binDirectory: string): Record<string, string> {
  const versions: Record<string, string> = {};
  if (!existsSync(binDirectory)) return versions;
  const egg = /[/\\]([A-Za-z0-9_.]+)-([A-Za-z0-9_.+!]+)-py\d+(?:\.\d+)?(?:-[A-Za-z0-9_.-]+)?\.egg\b/g;
  for (const e of readdirSync(binDirectory).sort()) {
    const file = path.join(binDirectory, e);
    let text: string;
    try {
      if (!statSync(file).isFile() || statSync(file).size > 1_000_000) continue;
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(egg)) {
      // Egg file names have '_' for '-' (setuptools' to_filename); projects use '-'.
      const name = m[1].replace(/_/g, '-');
      if (!(name in versions)) versions[name] = m[2];
    }
  }
  return versions;
}

/**
 * The name and version a develop egg's setup.py (or setup.cfg [metadata])
 * writes as plain string literals: what a dry run that runs nothing assumes
 * setup.py would print. Undefined where it computes them.
 */
export function staticEggMetadata(src: string): { name?: string; version?: string } {
  const read = (f: string): string => (existsSync(path.join(src, f)) ? readFileSync(path.join(src, f), 'utf8') : '');
  const py = read('setup.py');
  const literal = (key: string): string | undefined => new RegExp(`\\b${key}\\s*=\\s*(['"])([^'"\\n]+)\\1`).exec(py)?.[2];
  const cfg = read('setup.cfg');
  const fromCfg = (key: string): string | undefined => new RegExp(`^${key}\\s*[=:]\\s*([^\\s#;]+)\\s*$`, 'm').exec(cfg)?.[1];
  const version = literal('version') ?? fromCfg('version');
  return { name: literal('name') ?? fromCfg('name'), version: version && !version.startsWith('attr:') && !version.startsWith('file:') ? version : undefined };
}
