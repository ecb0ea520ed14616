/**
 * Which releases go beyond keep-releases, and the script that removes them:
 * never the live one; renamed away at once into .hostout/trash, deleted in
 * the background. SiteReleases sends it as a command's last step.
 */
import { shellQuote } from 'hostout';
import type { ReleaseState } from './state';

/** What to prune for `state` (`dir` is `<path>/.hostout`), and its script ('true' when nothing). */
export function pruneScript(dir: string, keep: number, state: ReleaseState): { gone: string[]; script: string } {
  const ids = state.releases.map((r) => r.id);
  const kept = new Set(ids.slice(-keep));
  if (state.current) kept.add(state.current);
  const gone = ids.filter((id) => !kept.has(id));
  const q = shellQuote;
  const trash = `${dir}/trash`;
  const script = gone.length ? [
    `mkdir -p ${q(trash)}`,
    ...gone.map((id) => `mv ${q(`${dir}/releases/${id}`)} ${q(`${trash}/${id}.$$`)}`),
    // Deleting thousands of hard links takes a while: nobody waits for it.
    `(setsid rm -rf ${q(trash)}/* > /dev/null 2>&1 < /dev/null &)`,
  ].join(' && ') : 'true';
  return { gone, script };
}
