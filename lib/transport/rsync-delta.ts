/**
 * What a `rsync --dry-run --itemize-changes` says it would do, as counts a
 * person can read: files and links created, updated and deleted, per
 * top-level tree (`bin/`, `eggs/`, …). Each itemized line is
 * `YXcstpoguax path` (Y: `<` sent, `>` received, `c` created locally, `h`
 * hard link, `.` attributes only; X the file type; `+++++++++` a new item)
 * or `*deleting path`. Directories count only when created or deleted.
 */
export interface RsyncDelta {
  created: number;
  updated: number;
  deleted: number;
  /** Changed items per top-level tree. */
  perTree: Record<string, number>;
  /** `create 3, update 1, delete 0 (bin/ 2, eggs/ 2)`. */
  summary: string;
}

const ITEM = /^([<>ch.*])(deleting|[fdLDS])\S*\s+(.*)$/;

export function summariseItemized(output: string): RsyncDelta {
  const delta: RsyncDelta = { created: 0, updated: 0, deleted: 0, perTree: {}, summary: '' };
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    const m = ITEM.exec(line);
    if (!m) continue;
    const [, change, type, file] = m;
    const isDir = type === 'd';
    let kind: 'created' | 'updated' | 'deleted' | undefined;
    if (change === '*' && type === 'deleting') kind = 'deleted';
    else if (line.slice(2, 11) === '+++++++++') kind = 'created';
    else if (!isDir && (change === '<' || change === '>' || change === 'c' || change === 'h')) kind = 'updated';
    if (!kind || (isDir && kind === 'updated')) continue;
    delta[kind]++;
    const tree = file.includes('/') ? `${file.split('/')[0]}/` : file;
    delta.perTree[tree] = (delta.perTree[tree] ?? 0) + 1;
  }
  const trees = Object.entries(delta.perTree).map(([t, n]) => `${t} ${n}`).join(', ');
  delta.summary = `create ${delta.created}, update ${delta.updated}, delete ${delta.deleted}${trees ? ` (${trees})` : ''}`;
  return delta;
}
