/**
 * rsync's whole-transfer progress (`--info=progress2`, rsync 3.1 and later)
 * as data. The local rsync alone prints it (the option never reaches the
 * remote side, so production's rsync version does not matter), on stdout,
 * one line per update, each begun with a carriage return:
 *
 *     \r      40464720  99%   20.30MB/s    0:00:01 (xfr#299, to-chk=1/301)
 *
 * bytes so far (digits; `9,252` or `40.51M` in other locales and with -h),
 * percent of the bytes known so far, the rate (rsync's own units of 1024
 * bytes: kB/s, MB/s, GB/s), the time left (h:mm:ss; elapsed on the last
 * line), then how many files were transferred and how many of the file list
 * are still to check (`ir-chk` while incremental recursion still grows the
 * list, `to-chk` once it is complete). The first line has no parenthesis.
 */

/** One progress update of one rsync transfer. */
export interface TransferProgress {
  /** Bytes of file data transferred so far. */
  bytes: number;
  /** Percent of the whole transfer's bytes (as far as rsync knows them). */
  percent: number;
  /** Current rate, bytes per second. */
  bytesPerSecond: number;
  /** Estimated seconds left (the elapsed time on the last update). */
  etaSeconds: number;
  /** Files transferred so far (`xfr#`; an update in the middle of a file repeats the last count). */
  filesTransferred: number;
  /** Files of the list checked so far, and the list's size (absent on the first update). */
  filesChecked?: number;
  filesTotal?: number;
  /** Whether the file list is complete (`to-chk`), or still growing (`ir-chk`): filesTotal is then a lower bound. */
  listComplete?: boolean;
}

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };
const RATE_UNITS: Record<string, number> = { k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

const PROGRESS2 = /^\s*([\d.,]+)([KMGTP]?)\s+(\d{1,3})%\s+([\d.,]+)([kKMGT])B\/s\s+(\d+):(\d\d):(\d\d)\s*(?:\(xfr#(\d+),\s*(to|ir)-chk=(\d+)\/(\d+)\))?\s*$/;

/** `40505080`, `40,505,080`, `40.505.080` (locales), `40.51M` (-h): a whole number of bytes. */
function byteCount(digits: string, unit: string): number {
  if (unit) return Math.round(Number(digits.replace(/,/g, '')) * UNITS[unit]);
  return Number(digits.replace(/[,.]/g, ''));
}

/** One `--info=progress2` line (without its carriage return), or undefined when the line is not one. */
export function parseProgressLine(line: string): TransferProgress | undefined {
  const m = PROGRESS2.exec(line);
  if (!m) return undefined;
  const [, bytes, unit, percent, rate, rateUnit, h, min, sec, xfr, chk, left, total] = m;
  const p: TransferProgress = {
    bytes: byteCount(bytes, unit),
    percent: Number(percent),
    // The rate is always printed with two decimals; a locale may write the decimal point as a comma.
    bytesPerSecond: Math.round(Number(rate.replace(',', '.')) * RATE_UNITS[rateUnit]),
    etaSeconds: Number(h) * 3600 + Number(min) * 60 + Number(sec),
    filesTransferred: xfr === undefined ? 0 : Number(xfr),
  };
  if (total !== undefined) {
    p.filesTotal = Number(total);
    p.filesChecked = Number(total) - Number(left);
    p.listComplete = chk === 'to';
  }
  return p;
}

/**
 * Splits an rsync's stdout into its progress updates and its other output:
 * updates end with a carriage return (or the newline after the last one),
 * other output comes on with its newlines, for the usual line handling.
 * An update printed in the middle of a file has no file counts: it gets the
 * last ones, so that every update says how far the files are.
 */
export class ProgressSplitter {
  private partial = '';
  private files: Pick<TransferProgress, 'filesTransferred' | 'filesChecked' | 'filesTotal' | 'listComplete'> = { filesTransferred: 0 };

  constructor(private readonly onProgress: (p: TransferProgress) => void, private readonly onOther: (text: string) => void) {}

  push(chunk: Buffer | string): void {
    this.partial += chunk.toString();
    let at: number;
    while ((at = this.partial.search(/[\r\n]/)) >= 0) {
      const segment = this.partial.slice(0, at);
      const newline = this.partial[at] === '\n';
      this.partial = this.partial.slice(at + 1);
      this.take(segment, newline);
    }
  }

  /** The end of the output: what is left is not a complete update. */
  flush(): void {
    if (this.partial) this.take(this.partial, false);
    this.partial = '';
  }

  private take(segment: string, newline: boolean): void {
    const p = parseProgressLine(segment);
    if (p && p.filesTotal !== undefined) this.files = { filesTransferred: p.filesTransferred, filesChecked: p.filesChecked, filesTotal: p.filesTotal, listComplete: p.listComplete };
    if (p) this.onProgress({ ...p, ...this.files });
    else if (segment !== '' || newline) this.onOther(newline ? `${segment}\n` : segment);
  }
}

/**
 * At most one update per `intervalMs` (rsync prints one per file, thousands a
 * second on small files): the first at once, later ones when the interval
 * has passed; `last` always goes through (the transfer's end).
 */
export function throttleProgress(emit: (p: TransferProgress) => void, intervalMs = 500, now: () => number = Date.now): {
  update(p: TransferProgress): void;
  /** Send the last update held back, if any (the transfer ended). */
  end(): void;
} {
  let lastSent = -Infinity;
  let held: TransferProgress | undefined;
  return {
    update(p) {
      const t = now();
      if (t - lastSent >= intervalMs) {
        lastSent = t;
        held = undefined;
        emit(p);
      } else held = p;
    },
    end() {
      if (held) emit(held);
      held = undefined;
    },
  };
}
