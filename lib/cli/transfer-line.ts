/**
 * A running transfer's progress as one line for a person:
 * `rsync: 1,234 of 20,000 files, 812.4 MB (41%), 25.3 MB/s, 0:00:31 left`.
 */
import type { TransferProgress } from '../events';

/** Bytes in decimal units, as `du -h --si` and rsync's -h print them. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export function formatTransferProgress(p: TransferProgress): string {
  const count = (n: number) => n.toLocaleString('en-US');
  // Files checked of the list (a growing list's total is only what rsync knows so far).
  const files = p.filesTotal === undefined
    ? `${count(p.filesTransferred)} files sent`
    : `${count(p.filesChecked ?? 0)} of ${p.listComplete ? '' : 'at least '}${count(p.filesTotal)} files (${count(p.filesTransferred)} sent)`;
  const end = p.percent >= 100 ? `done in ${clock(p.etaSeconds)}` : `${clock(p.etaSeconds)} left`;
  return `rsync: ${files}, ${formatBytes(p.bytes)} (${p.percent}%), ${formatBytes(p.bytesPerSecond)}/s, ${end}`;
}
