/**
 * What staging holds in the release trees, as the fast prepare on production
 * needs it: one line per file and symlink, GNU find's
 * `TYPE SIZE MTIME MODE`, a tab, and the path relative to `path`
 * (`eggs/foo.egg/x.py`). Production's LINK_NEXT_SCRIPT (releases.ts) reads it
 * on stdin: never logged, never in argv.
 *
 * Why: the fast prepare starts the new release as hard links to every live
 * file (`cp -al`, a fraction of what rsync --link-dest costs, since rsync
 * 3.4 opens every component of the link-dest path once per file). rsync then
 * replaces a changed file with a new one, which never touches the live
 * inode; but a file whose size and modification time are unchanged and whose
 * mode (or owner, or nanoseconds) is not would get its attributes changed in
 * place, on the inode the live tree shares. Production compares this listing
 * with its live files and gives those few files an inode of their own first.
 *
 * GNU find writes it (a third of what a walk in Node takes, and in a process
 * of its own, so it runs while the first round trips to production are under
 * way), into a private temporary file rather than stdout: 20,000 lines have
 * no place in the -v output or the run log.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tmp from 'tmp';
import { shellQuote, type LocalShell } from 'hostout';

/**
 * The listing of `trees` (names inside `sitePath`), or undefined when it
 * cannot be made (no GNU find on staging) or cannot go through a line-based
 * listing (a path with a tab or newline). The caller then prepares the slower
 * way, with rsync --link-dest into an empty directory.
 */
export async function stagingManifest(local: LocalShell, sitePath: string, trees: readonly string[], sudo = false): Promise<string | undefined> {
  let dir: string | undefined;
  try {
    // Named as the run's private dir is (`hostout--<pid>-…`, the tmp package's form), so that a run killed
    // before its finally (SIGKILL) leaves nothing for long: the next run removes it once the pid is gone.
    dir = tmp.dirSync({ prefix: 'hostout-', tmpdir: os.tmpdir(), mode: 0o700 }).name;
    const file = path.join(dir, 'listing');
    const names = trees.map(shellQuote).join(' ');
    const find = `cd ${shellQuote(sitePath)} && find ${names} \\( -type f -o -type l \\) -printf '%y %s %T@ %m\\t%p\\0' > ${shellQuote(file)}`;
    const r = await local.run(find, { allowFailure: true, readOnly: true, sudo });
    if (r.code !== 0) return undefined;
    const entries = fs.readFileSync(file, 'utf8').split('\0');
    entries.pop();
    // One tab (after the attributes), no newline: otherwise production could not tell the lines apart.
    if (entries.some((e) => e.includes('\n') || e.indexOf('\t') !== e.lastIndexOf('\t') || e.includes('\ufffd'))) return undefined;
    return entries.length ? `${entries.join('\n')}\n` : '';
  } catch {
    return undefined;
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
