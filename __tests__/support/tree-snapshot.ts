import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Every entry under a dir with its size, mtime, inode, owner, group, mode and
 * (files) content checksum, sorted: "nothing changed" means equal snapshots.
 */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      const sum = st.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '-';
      out.push(`${p} ${st.size} ${st.mtimeMs} ${st.ino} ${st.uid}:${st.gid} ${st.mode.toString(8)} ${sum}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}
