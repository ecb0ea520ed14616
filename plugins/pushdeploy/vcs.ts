/**
 * Git and Mercurial for `checkout`/`clone`/`update`. The original knew only hg
 * (and crashed on a git URL); we pick the tool from the repository URL, or from what
 * the staging checkout in `path` already is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shellJoin } from 'hostout';

export type Vcs = 'git' | 'hg';

/** An explicit `git+URL` / `hg+URL` prefix wins; returns the URL without it. */
function explicitPrefix(url: string): { vcs: Vcs; url: string } | undefined {
  const m = /^(git|hg)\+(.+)$/.exec(url);
  return m ? { vcs: m[1] as Vcs, url: m[2] } : undefined;
}

/**
 * Which tool a repository URL needs. Local directories are looked at; URLs by
 * their shape (`.git` suffix, git@/git:// schemes, the big git hosts).
 * Anything else stays Mercurial, as in the original.
 */
export function detectRepositoryVcs(repository: string): { vcs: Vcs; url: string } {
  const prefixed = explicitPrefix(repository);
  if (prefixed) return prefixed;
  const local = repository.startsWith('file://') ? repository.slice('file://'.length) : repository;
  if (local.startsWith('/') || local.startsWith('.')) {
    if (fs.existsSync(path.join(local, '.hg'))) return { vcs: 'hg', url: repository };
    // A working tree (.git) or a bare repository (HEAD + objects/).
    if (fs.existsSync(path.join(local, '.git')) || (fs.existsSync(path.join(local, 'HEAD')) && fs.existsSync(path.join(local, 'objects')))) {
      return { vcs: 'git', url: repository };
    }
  }
  if (/\.git\/?$/.test(repository) || /^git(@|:\/\/)/.test(repository) || /^(ssh|https?):\/\/([^/]*@)?(github\.com|gitlab\.com)\//.test(repository)) {
    return { vcs: 'git', url: repository };
  }
  return { vcs: 'hg', url: repository };
}

/** What the checkout in `dir` is, or undefined when it is neither. */
export function detectCheckoutVcs(dir: string): Vcs | undefined {
  if (fs.existsSync(path.join(dir, '.git'))) return 'git';
  if (fs.existsSync(path.join(dir, '.hg'))) return 'hg';
  return undefined;
}

/** What the checkout that holds `dir` is (the nearest `.git` or `.hg` at or above it), as `git -C`/`hg -R` find it. */
export function enclosingCheckoutVcs(dir: string): Vcs | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const vcs = detectCheckoutVcs(d);
    if (vcs || path.dirname(d) === d) return vcs;
  }
}

/** The clone command line (original: `hg clone <repository>[ -r <branch>] <path>`). */
export function cloneCommand(vcs: Vcs, url: string, target: string, branch?: string): string {
  // `--` ends option parsing: the URL and the target are never options (validate.ts refuses the rest).
  if (vcs === 'hg') return shellJoin(['hg', 'clone', ...(branch ? ['-r', branch] : []), '--', url, target]);
  return shellJoin(['git', 'clone', ...(branch ? ['--branch', branch] : []), '--', url, target]);
}

/**
 * The update command lines, run in the checkout (original: `hg pull`, then
 * `hg update -C[ <branch>]`: fetch, then move to the branch head discarding
 * local changes). The git equivalent: fetch, check the branch out by force,
 * then hard-reset to its upstream when it tracks one.
 */
export function updateCommands(vcs: Vcs, branch?: string): string[] {
  // `--` after the options: the branch is a revision, never an option (`--orphan=x`, `--config=hooks…`).
  if (vcs === 'hg') return ['hg pull', shellJoin(['hg', 'update', '-C', ...(branch ? ['--', branch] : [])])];
  return [
    'git fetch --tags origin',
    // git checkout's own `--` ends the revision and starts paths: BRANCH -- means "this is a branch".
    ...(branch ? [shellJoin(['git', 'checkout', '-f', branch, '--'])] : []),
    "if git rev-parse --abbrev-ref --symbolic-full-name '@{upstream}' >/dev/null 2>&1; then git reset --hard '@{upstream}'; else git reset --hard HEAD; fi",
  ];
}
