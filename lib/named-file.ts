/**
 * Reading a file that a configuration names (an `extends` file, the buildout
 * file itself, an identity file, known_hosts, the ssh config, a fabfile or a
 * plugin given as a path), with bounds: only a regular file, and at most
 * MAX_NAMED_FILE_BYTES of it. `extends = /dev/zero` or `identity-file =
 * /dev/zero` would otherwise grow without end, a FIFO would block the read
 * forever, and /proc/self/mem fails with EIO half-way. Every refusal is a
 * FileRefused (with the errno name when the system said no), which
 * `configuredFileError` turns into a ConfigError naming the option and file.
 * zc.buildout reads whatever it is given; these refusals are documented in
 * docs/buildout-compat.md.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'fs';
import { ConfigError } from './errors';

/** The most hostout reads of one named file (local, file: or http extends, keys, known_hosts…): 16 MiB. */
export const MAX_NAMED_FILE_BYTES = 16 * 1024 * 1024;

/** Why a file was refused, in words for the error message; `code` is the errno name when the system said no. */
export class FileRefused extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'FileRefused';
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
  return `it is larger than ${MAX_NAMED_FILE_BYTES / (1024 * 1024)} MiB, the most hostout reads of one configuration file`;
}

/** A system error as a FileRefused: its code, and Node's text without the path (the caller names the file). */
function refusedBySystem(err: unknown, doing: string): FileRefused {
  const e = err as NodeJS.ErrnoException;
  return new FileRefused(e.code ? `${doing} failed (${e.code})` : `${doing} failed: ${e.message}`, e.code);
}

/**
 * Open for reading and check it is a regular file of bounded size: the open
 * descriptor, which the caller closes. O_NONBLOCK so that opening a FIFO
 * returns at once (then fstat refuses it); it changes nothing for a regular
 * file. fstat after open, not stat before it: what is checked is what is read.
 */
function openRegular(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw refusedBySystem(err, 'opening it');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new FileRefused(`it is ${kindOf(st.mode)}, not a regular file`, st.isDirectory() ? 'EISDIR' : undefined);
    }
    if (st.size > MAX_NAMED_FILE_BYTES) throw new FileRefused(tooLarge());
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err instanceof FileRefused ? err : refusedBySystem(err, 'examining it');
  }
}

/**
 * Check, without reading it, that a file is one hostout may read: for files
 * that another reader (Node's require) then reads itself.
 */
export function checkNamedFile(path: string): void {
  closeSync(openRegular(path).fd);
}

/**
 * The bytes of a regular file, at most MAX_NAMED_FILE_BYTES. Read to the end,
 * not to st.size: /proc files say 0 and the file may change under us; one
 * byte more than the bound tells. A read error (EIO from /proc/self/mem) is a
 * FileRefused like the others.
 */
export function readNamedFile(path: string): Buffer {
  const { fd, size } = openRegular(path);
  try {
    let buf = Buffer.allocUnsafe(size + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > MAX_NAMED_FILE_BYTES) throw new FileRefused(tooLarge());
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(length * 2, 4096), MAX_NAMED_FILE_BYTES + 1));
        buf.copy(bigger);
        buf = bigger;
      }
      let n: number;
      try {
        n = readSync(fd, buf, length, buf.length - length, null);
      } catch (err) {
        throw refusedBySystem(err, 'reading it');
      }
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_NAMED_FILE_BYTES) throw new FileRefused(tooLarge());
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** A refusal in the words a person needs. */
export function refusalReason(err: FileRefused): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${err.code})`;
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return err.message;
  }
}

/** Which option named the file, for the error: `[host] file, line N: option = PATH: why`. */
export interface FileNaming {
  /** The option (or ssh config keyword) whose value named the file. */
  option: string;
  host?: string;
  /** Where the option was written, when known. */
  file?: string;
  line?: number;
}

/** The shown path: long paths shortened in the middle so the reason stays readable. */
function briefPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 80)}…${path.slice(-80)}` : path;
}

export function configuredFileError(path: string, err: FileRefused, naming: FileNaming): ConfigError {
  return new ConfigError(`${naming.option} = ${briefPath(path)}: ${refusalReason(err)}`, {
    host: naming.host,
    file: naming.file,
    line: naming.line,
    option: naming.option,
  });
}

/**
 * A file a configuration names, read safely: its bytes; undefined when it
 * does not exist and `missingIsFine` (a missing known_hosts is empty, a
 * missing default key is skipped), or when this user may not read it and
 * `unreadableIsFine`; every other refusal is a ConfigError
 * (exit 2) naming the option and the file. Never the file's content.
 */
export function readConfiguredFile(path: string, naming: FileNaming & { missingIsFine?: boolean; unreadableIsFine?: boolean }): Buffer | undefined {
  try {
    return readNamedFile(path);
  } catch (err) {
    if (!(err instanceof FileRefused)) throw err;
    if (err.code === 'ENOENT' && naming.missingIsFine) return undefined;
    if (err.code === 'EACCES' && naming.unreadableIsFine) return undefined;
    throw configuredFileError(path, err, naming);
  }
}

/**
 * Like readConfiguredFile without reading: for files read later (a key at
 * connection time) or by Node itself (a fabfile, a plugin path).
 */
export function checkConfiguredFile(path: string, naming: FileNaming & { missingIsFine?: boolean }): void {
  try {
    checkNamedFile(path);
  } catch (err) {
    if (!(err instanceof FileRefused)) throw err;
    if (err.code === 'ENOENT' && naming.missingIsFine) return;
    throw configuredFileError(path, err, naming);
  }
}
