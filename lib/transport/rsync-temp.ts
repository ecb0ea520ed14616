/**
 * Where rsync's receiver writes its temp files, so that none outlives a
 * killed rsync for long. By default rsync writes `.NAME.XXXXXX` beside each
 * file and removes it when it ends cleanly; a receiver killed by SIGKILL (the
 * OOM killer, a crash) leaves it there, looking like any dot file, and no
 * later run ever removes it. hostout gives every rsync
 * `--temp-dir=<base>/.hostout-rsync-tmp/<run id>` on the receiving side
 * (production for a push, this machine for a pull), where `<base>` is the
 * destination directory (or, for a single file, the directory it goes into:
 * the same filesystem, so finished files are renamed into place, not copied):
 * - the run's own dir is removed when its rsync ends, whatever its status
 *   (on production by the small shell wrapper the remote rsync runs under,
 *   which outlives an rsync killed by a signal);
 * - files in `.hostout-rsync-tmp` not written for STALE_TEMP_MINUTES are
 *   removed at the start of the next rsync to the same place (what a crash
 *   of the whole host, or of this machine, leaves), then empty dirs;
 * - `--exclude=/.hostout-rsync-tmp/` keeps `--delete` off it and keeps a
 *   source's own copy from travelling.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellQuote } from './quote';
import type { RsyncOptions } from './types';

export const RSYNC_TEMP_DIR = '.hostout-rsync-tmp';
/** A temp file not written for this long belongs to an rsync that is gone. */
export const STALE_TEMP_MINUTES = 60;

let counter = 0;

/** `<this host>-<pid>-<n>`: unique per rsync, safe in a path and a shell word. */
export function tempRunId(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'host';
  return `${host}-${process.pid}-${++counter}`;
}

export interface ReceiverTemp {
  /** The directory the temp area goes in. */
  base: string;
  /** Whether `base` is the transfer's root (the destination directory), which rsync creates when missing. */
  isDestination: boolean;
  /** `<base>/.hostout-rsync-tmp/<run id>`. */
  dir: string;
  /** What to add to rsync's argv. */
  args: string[];
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where a transfer's temp files go. The destination is a directory when the
 * sources' contents are copied (a trailing `/`, `-R`, several sources), or
 * a pushed source is a directory, or (pull) the local destination is one;
 * otherwise a single file lands at `to` and the temp area goes beside it.
 */
export function receiverTemp(opts: RsyncOptions, runId: string): ReceiverTemp {
  const sources = typeof opts.from === 'string' ? [opts.from] : [...opts.from];
  const posix = opts.direction === 'push' ? path.posix : path;
  const isDestination =
    !!opts.relative ||
    sources.length > 1 ||
    sources.every((s) => s.endsWith('/')) ||
    opts.to.endsWith('/') ||
    (opts.direction === 'push' ? sources.every(isDirectory) : isDirectory(opts.to));
  const base = isDestination ? opts.to.replace(/(.)\/+$/, '$1') : posix.dirname(opts.to);
  const dir = posix.join(base, RSYNC_TEMP_DIR, runId);
  return { base, isDestination, dir, args: [`--temp-dir=${dir}`, ...(isDestination ? [`--exclude=/${RSYNC_TEMP_DIR}/`] : [])] };
}

/**
 * The remote rsync's wrapper (push): clears stale temp files, makes the run's
 * temp dir, runs rsync (the words after it), removes the dir, keeps rsync's
 * status (or its signal). Not `exec`: the shell must outlive an rsync killed
 * by a signal.
 */
export function remoteTempWrapper(temp: ReceiverTemp, runId: string): string {
  const script = [
    'b=$1; r=$2; m=$3; t="$b/' + RSYNC_TEMP_DIR + '"; shift 3',
    '[ "$m" = 1 ] && [ ! -d "$b" ] && mkdir -- "$b" 2>/dev/null',
    `if [ -d "$t" ]; then find "$t" -mindepth 1 -type f -mmin +${STALE_TEMP_MINUTES} -exec rm -f -- {} + 2>/dev/null; find "$t" -mindepth 1 -type d -empty -delete 2>/dev/null; fi`,
    // A destination we may not write: drop --temp-dir, so rsync fails (or not) exactly as it would without us.
    'if ! mkdir -p -- "$t/$r" 2>/dev/null; then',
    '  d=0; for a in "$@"; do shift; if [ $d = 1 ]; then d=0; continue; fi',
    '    case $a in --temp-dir) d=1 ;; --temp-dir=*) ;; *) set -- "$@" "$a" ;; esac; done',
    'fi',
    '"$@"; s=$?',
    'rm -rf -- "$t/$r"; rmdir -- "$t" 2>/dev/null',
    // Killed by a signal: die of it too, so the ssh channel reports the signal as it would for rsync itself.
    '[ $s -gt 128 ] && [ $s -lt 160 ] && kill -$((s - 128)) $$',
    'exit $s',
  ].join('\n');
  return `/bin/sh -c ${shellQuote(script)} hostout-rsync ${shellQuote(temp.base)} ${shellQuote(runId)} ${temp.isDestination ? '1' : '0'}`;
}

/** Remove files under `dir` not written for STALE_TEMP_MINUTES, then empty directories. */
function clearStale(dir: string): void {
  const cutoff = Date.now() - STALE_TEMP_MINUTES * 60_000;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
      } else if (fs.lstatSync(p).mtimeMs < cutoff) fs.rmSync(p, { force: true });
    }
  };
  walk(dir);
}

/**
 * The local side of a pull: clear stale files, make the run's temp dir.
 * False when it cannot (a destination we may not write: rsync then keeps its
 * default temp files beside the files).
 */
export function prepareLocalTemp(temp: ReceiverTemp): boolean {
  try {
    if (temp.isDestination && !fs.existsSync(temp.base)) fs.mkdirSync(temp.base);
    const area = path.join(temp.base, RSYNC_TEMP_DIR);
    if (fs.existsSync(area)) clearStale(area);
    fs.mkdirSync(temp.dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** After a pull: remove the run's temp dir, and the area when it is empty. */
export function removeLocalTemp(temp: ReceiverTemp): void {
  try {
    fs.rmSync(temp.dir, { recursive: true, force: true });
    fs.rmdirSync(path.dirname(temp.dir));
  } catch {
    // another run's files are still there, or it is gone already
  }
}
