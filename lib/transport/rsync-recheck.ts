/**
 * Files a push took as unchanged without reading their content, sent again by checksum.
 *
 * rsync's quick check takes a file whose size and modification time (to the
 * nanosecond, see rsync-compare.ts) match the receiver's copy as unchanged
 * and only fixes its attributes. When the mode, owner or group differ too,
 * the content may well differ as well: files extracted from an archive carry
 * whole-second times, and a regenerated config file often has the same
 * length. Two cases keep stale content:
 *   - an in-place push itemizes such a file `.f...p.....`: not transferred
 *     (`.`), a regular file (`f`), size and time alike, attributes changed;
 *   - a push with `--link-dest` itemizes it `cf...p.....`: copied locally
 *     (`c`) from the link-dest file, whose content is the old one.
 * The rule: an itemized regular file (`f` second) that was not sent (`.` or
 * `c` first), is not new (no `+`), and whose size and time are unchanged (`.`
 * third... fifth: checksum, size, time) but some attribute changed. Every
 * such file is pushed a second time with `--checksum`, so its content is
 * compared and sent if it differs. A file with a changed size or time was
 * transferred in the first pass (`>`), so it never needs this. The second
 * pass runs only when there are such files: a push without any costs nothing
 * more than the itemized lines of what it changed.
 */

/** rsync's per-file line for the first pass; the prefix tells it from any other output. */
export const ITEMIZED_PREFIX = 'hostout-itemized:';
export const ITEMIZED_OUT_FORMAT = `--out-format=${ITEMIZED_PREFIX}%i %n`;

/** Whether an itemize string says the file's content was taken as unchanged while its attributes changed. */
export function contentUnchecked(itemize: string): boolean {
  if (!/^[.c]f/.test(itemize) || itemize.includes('+')) return false;
  // Third to fifth: checksum, size, time: all unchanged; something after them changed.
  return /^[.c]f\.\.\./.test(itemize) && /[^. ]/.test(itemize.slice(5));
}

/** rsync writes unprintable bytes of a name as `\#ooo` (octal): back to the bytes. */
export function decodeRsyncName(name: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of name.matchAll(/\\#([0-7]{3})/g)) {
    parts.push(Buffer.from(name.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1], 8)]));
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(Buffer.from(name.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

export interface Itemized {
  /** The files to push again by checksum, as rsync named them (relative to the transfer's root). */
  recheck: Buffer[];
  /** stdout without the itemized lines, as the caller would have seen it without them. */
  rest: string;
}

/** Splits a first pass's stdout into the files to check again and everything else. */
export function splitItemized(stdout: string): Itemized {
  const recheck: Buffer[] = [];
  const rest: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(ITEMIZED_PREFIX)) {
      rest.push(line);
      continue;
    }
    const body = line.slice(ITEMIZED_PREFIX.length);
    const space = body.indexOf(' ');
    if (space > 0 && contentUnchecked(body.slice(0, space))) recheck.push(decodeRsyncName(body.slice(space + 1)));
  }
  return { recheck, rest: rest.join('\n') };
}

/** Keeps the itemized lines out of what the caller sees as rsync's output, line by line as it streams. */
export class ItemizedFilter {
  private pending = '';

  constructor(private readonly sink: ((chunk: Buffer) => void) | undefined) {}

  push(chunk: Buffer): void {
    const text = this.pending + chunk.toString('utf8');
    const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    this.pending = text.slice(cut + 1);
    this.emit(text.slice(0, cut + 1));
  }

  flush(): void {
    this.emit(this.pending);
    this.pending = '';
  }

  private emit(text: string): void {
    const kept = text.split(/(?<=[\n\r])/).filter((l) => !l.startsWith(ITEMIZED_PREFIX)).join('');
    if (kept) this.sink?.(Buffer.from(kept));
  }
}

/**
 * Where a name of the transfer comes from: the source directory rsync's name
 * is relative to (a second pass runs `--files-from` relative to it, which
 * lands the file where the first pass put it).
 */
export function sourceRoots(from: string | readonly string[], relative: boolean | undefined): { root: string; prefix: string }[] {
  const sources = typeof from === 'string' ? [from] : [...from];
  return sources.map((s) => {
    if (relative) {
      const at = s.indexOf('/./');
      if (at >= 0) return { root: s.slice(0, at) || '/', prefix: s.slice(at + 3).replace(/\/+$/, '') };
      return { root: s.startsWith('/') ? '/' : '.', prefix: s.replace(/^\/+/, '').replace(/\/+$/, '') };
    }
    if (s.endsWith('/')) return { root: s, prefix: '' };
    const cut = s.lastIndexOf('/');
    return { root: cut > 0 ? s.slice(0, cut) : cut === 0 ? '/' : '.', prefix: s.slice(cut + 1) };
  });
}
