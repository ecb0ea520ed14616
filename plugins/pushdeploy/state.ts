/**
 * What production's releases are, read in one round trip: the script that
 * prints them in sections (`@@hostout:NAME` lines) and the reader of its
 * output. SiteReleases.state() (releases.ts) sends the script, after what the
 * command runs first in the same round trip (push's mkdir, nextScript()).
 */
import { shellQuote } from 'hostout';
import { shellProgram } from './shell-programs';

/** A release id: `20261129T201530Z`, `…-2`, `…-adopted`. Checked before any id reaches a shell or a path. */
export const RELEASE_ID = /^\d{8}T\d{6}Z(-[0-9]+)?(-adopted)?$/;

export interface ReleaseMeta {
  id: string;
  /** ISO time the release was made. */
  created: string;
  stagingHost: string;
  user: string;
  pid: number;
  command: string;
  /** The staging checkout's commit (git) or changeset (hg), when known. */
  commit?: string;
  /** The release adopted from a production deployed without releases. */
  adopted?: boolean;
  /** Its top-level trees (bin, eggs, parts, etc, products…). */
  trees: string[];
}

export interface ReleaseState {
  /** The production login (`id -un`). */
  whoami: string;
  /** The live release, when production has releases. */
  current?: string;
  /** `flip FROM TO` while a flip runs or after one was stopped half-way. */
  journal?: { from: string; to: string };
  /** Every complete release, oldest first. */
  releases: ReleaseMeta[];
  /** Which of the asked-for tree names exist in `path`. */
  live: string[];
  /**
   * How .hostout/next was started in the same round trip (nextScript):
   * `linked` (hard links to the live trees, `copied` files given an inode of
   * their own) or not (empty: rsync --link-dest does the linking).
   */
  next?: { linked: boolean; copied: number };
}

const MARK = '@@hostout:';

/** The line that starts the section of nextScript()'s answer (`linked N` or `link-dest`). */
export const NEXT_MARK = `${MARK}next`;

/** The program printing production's releases (sh/release-state.sh). */
export const RELEASE_STATE_SCRIPT = shellProgram('release-state.sh');

/** The script printing production's releases (`dir` is `<path>/.hostout`); `trees` are the names to look for in `path`. */
export function releaseStateScript(dir: string, path: string, trees: readonly string[]): string {
  const q = shellQuote;
  // In a subshell: its variables stay its own in the round trip it shares.
  return `(\nd=${q(dir)}; site=${q(path)}; trees=${q(trees.join(' '))}\n${RELEASE_STATE_SCRIPT})`;
}

/** The releases from the output of releaseStateScript() (and of what ran before it in the same round trip). */
export function parseReleaseState(stdout: string): ReleaseState {
  const sections: Record<string, string[]> = { whoami: [] };
  let at = 'whoami';
  for (const line of stdout.split('\n')) {
    if (line.startsWith(MARK)) at = line.slice(MARK.length);
    else if (line.trim() !== '') (sections[at] ??= []).push(line.trim());
  }
  const releases: ReleaseMeta[] = [];
  for (const line of sections.releases ?? []) {
    try {
      const m = JSON.parse(line) as ReleaseMeta;
      if (RELEASE_ID.test(m.id)) releases.push(m);
    } catch {
      // a meta.json being written by hand or half-copied: not a release
    }
  }
  releases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const current = sections.current?.[0]?.replace(/^releases\//, '');
  const j = /^flip (\S+) (\S+)$/.exec(sections.journal?.[0] ?? '');
  const next = /^linked (\d+)$/.exec(sections.next?.[0] ?? '');
  return {
    next: sections.next ? { linked: !!next, copied: next ? Number(next[1]) : 0 } : undefined,
    whoami: sections.whoami[sections.whoami.length - 1] ?? '',
    current: current && RELEASE_ID.test(current) ? current : undefined,
    journal: j ? { from: j[1], to: j[2] } : undefined,
    releases,
    live: sections.live ?? [],
  };
}
