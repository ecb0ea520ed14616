/**
 * Reading one configuration file with bounds: only a regular file, and at
 * most MAX_CONFIG_BYTES of it. `extends = /dev/zero` (or /dev/urandom) would
 * otherwise grow without end, and a FIFO would block the read forever.
 * zc.buildout reads whatever it is given; these refusals are documented in
 * docs/buildout-compat.md.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'fs';

/** The most a single configuration file (local, file: or http extends) may hold: 16 MiB. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Why a file was refused, in words for the error message; `code` is the errno name when the system said no. */
export class ConfigFileRefused extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

function kindOf(mode: number): string {
  const type = mode & constants.S_IFMT;
  if (type === constants.S_IFDIR) return 'a directory';
  if (type === constants.S_IFIFO) return 'a FIFO (named pipe)';
  if (type === constants.S_IFCHR) return 'a character device';
  if (type === constants.S_IFBLK) return 'a block device';
  if (type === constants.S_IFSOCK) return 'a socket';
  return 'not a regular file';
}

export function tooLarge(): string {
  return `it is larger than ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB, the most hostout reads of one configuration file`;
}

/**
 * The bytes of a regular file, at most MAX_CONFIG_BYTES. O_NONBLOCK so that
 * opening a FIFO returns at once (then fstat refuses it); it changes nothing
 * for a regular file. Errors from the system keep their code (ENOENT, EISDIR…).
 */
export function readConfigFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigFileRefused(e.message, e.code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new ConfigFileRefused(`it is ${kindOf(st.mode)}, not a regular file`, st.isDirectory() ? 'EISDIR' : undefined);
    }
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigFileRefused(tooLarge());
    // Read to the end, not to st.size: the file may change under us; one byte more than the bound tells.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > MAX_CONFIG_BYTES) throw new ConfigFileRefused(tooLarge());
        const bigger = Buffer.allocUnsafe(Math.min(length * 2, MAX_CONFIG_BYTES + 1));
        buf.copy(bigger);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
