/**
 * Which release a production site runs, read from its `.hostout/current`:
 * a link to `releases/<ID>` (a file naming the id on a production that no
 * flip has switched to the link yet). '' when there is none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function liveRelease(hostoutDir: string): string {
  const c = path.join(hostoutDir, 'current');
  const st = fs.lstatSync(c, { throwIfNoEntry: false });
  if (!st) return '';
  return st.isSymbolicLink() ? fs.readlinkSync(c).replace(/^releases\//, '') : fs.readFileSync(c, 'utf8').trim();
}
