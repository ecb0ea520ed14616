import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every entry under a dir with its size, mtime, inode and owner, sorted: "nothing changed" means equal snapshots. */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      out.push(`${p} ${st.size} ${st.mtimeMs} ${st.ino} ${st.uid}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}
