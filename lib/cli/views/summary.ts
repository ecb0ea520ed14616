/**
 * The summary table of a run (built from the run-end event's rows): one row
 * per host with its commands, result and time, and any extra columns whose
 * values some row has (the releases before and after a deploy). Columns are
 * data, so a new kind of row value is one more entry in `columns`.
 */
import type { HostSummary } from '../../events';
import { NO_PAINT, type Paint } from '../io';

/** `1.2 s`, `3 min 4 s`: the summary's time column. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** An extra column: shown when any row has a value for it, `?` in the rows without. */
export interface SummaryColumn {
  header: string;
  value(row: HostSummary): string | undefined;
}

/** The columns between `result` and `time` by default: the live release before and after the run. */
export const RELEASE_COLUMNS: readonly SummaryColumn[] = [
  { header: 'release before', value: (r) => r.releaseBefore },
  { header: 'release after', value: (r) => r.releaseAfter },
];

/** One row of the summary table: a host's summary and, under their headings, the columns its run added. */
export type SummaryRow = HostSummary & { columns?: Readonly<Record<string, string>> };

/** The rows' own columns (a phased run's, e.g. its releases), in order of first appearance; else the release pair. */
function columnsOf(rows: readonly SummaryRow[]): readonly SummaryColumn[] {
  const headings = [...new Set(rows.flatMap((r) => Object.keys(r.columns ?? {})))];
  if (!headings.length) return RELEASE_COLUMNS;
  return headings.map((header) => ({ header, value: (r: SummaryRow) => r.columns?.[header] }));
}

export interface SummaryOptions {
  columns?: readonly SummaryColumn[];
  /** Colours for host names and results (none by default). */
  paint?: Paint;
}

/** The summary table printed at the end of a run of several hosts (and of a dry run of several). */
export function formatSummary(rows: readonly SummaryRow[], opts: SummaryOptions = {}): string[] {
  const p = opts.paint ?? NO_PAINT;
  const all = opts.columns ?? columnsOf(rows);
  // The release pair shows as a pair: either value on any row shows both columns.
  const shown = all === RELEASE_COLUMNS
    ? (rows.some((r) => all.some((c) => c.value(r))) ? all : [])
    : opts.columns ? all.filter((c) => rows.some((r) => c.value(r) !== undefined)) : all;
  const header = ['host', 'commands', 'result', ...shown.map((c) => c.header), 'time'];
  const body = rows.map((r) => [
    r.host,
    r.commands.join(' ') || '-',
    r.result === 'failed' || r.result === 'interrupted' ? `${r.result} (${r.exitStatus})` : r.result,
    ...shown.map((c) => c.value(r) ?? '?'),
    r.result === 'not started' ? '-' : formatDuration(r.durationMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  // Padding is measured on the plain text; colour wraps the padded cell.
  const styleOf = (row: HostSummary | undefined, i: number): ((t: string) => string) => {
    if (!row) return (t) => t;
    if (i === 0) return p.host;
    if (i === 2) return row.result === 'ok' ? p.ok : row.result === 'not started' ? p.dim : p.failed;
    return (t) => t;
  };
  const fmt = (cells: string[], row?: HostSummary) => {
    const last = cells.length - 1;
    const padded = cells.map((c, i) => (i === last ? c : c.padEnd(widths[i])));
    // Trailing blanks are trimmed before colouring, so the plain table is what it was.
    const text = padded.join('  ').trimEnd();
    if (p === NO_PAINT || !row) return text;
    return padded.map((c, i) => {
      const trimmed = c.trimEnd();
      return styleOf(row, i)(trimmed) + c.slice(trimmed.length);
    }).join('  ').trimEnd();
  };
  return [fmt(header), ...body.map((b, i) => fmt(b, rows[i]))];
}
