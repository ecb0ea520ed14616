/**
 * The last step of preparing a release: record it (its meta.json and list of
 * trees into .hostout/next, then next/ renamed into releases/<ID>). It needs
 * no round trip of its own: prepare() leaves it in a `PendingRecord`, and the
 * next round trip to production takes it (the flip's, or the `prepare`
 * command's last one, which also gives the lock back).
 */
import { shellQuote } from 'hostout';
import type { ReleaseMeta } from './state';

/** The script recording release `meta` from `<dir>/next` (`dir` is `<path>/.hostout`); exit status 5 when it fails. */
export function recordReleaseScript(dir: string, meta: ReleaseMeta): string {
  const q = shellQuote;
  const next = `${dir}/next`;
  const record = [
    `printf '%s\\n' ${q(JSON.stringify(meta))} > ${q(`${next}/meta.json`)}`,
    `printf '%s\\n' ${meta.trees.map(q).join(' ')} > ${q(`${next}/trees`)}`,
    `mv ${q(next)} ${q(`${dir}/releases/${meta.id}`)}`,
  ].join(' && ');
  return `${record} || exit 5`;
}

/** The recording of a prepared release, waiting for the next round trip: left once, taken once. */
export class PendingRecord {
  private pending?: { id: string; script: string };

  /** Leave the script that records release `id` for the next round trip (in place of any left before). */
  leave(id: string, script: string): void {
    this.pending = { id, script };
  }

  /** The script recording release `id`, when that is what is pending; nothing is pending afterwards either way. */
  take(id: string): string | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p?.id === id ? p.script : undefined;
  }
}
