/**
 * The run's private temp dir (0700): the rsync relay scripts and the tunnel
 * sockets, made by the `tmp` package, whose names carry the owner's pid
 * (`hostout--<pid>-<12 random characters>`), so a
 * dir left by a run that could not clean up (SIGKILL, a crash) is removed by
 * the next run, once no process has that pid any more.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tmp from 'tmp';
import { isPidAlive } from '../pid';

const PRIVATE_DIR = /^hostout--(\d+)-[A-Za-z0-9]{12}$/;

/** Remove our `hostout--<pid>-*` dirs in `tmpDir` whose pid is gone. Returns the removed paths. */
export function removeStalePrivateDirs(tmpDir = os.tmpdir()): string[] {
  const removed: string[] = [];
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = fs.readdirSync(tmpDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = PRIVATE_DIR.exec(name);
    if (!m || Number(m[1]) === process.pid || isPidAlive(Number(m[1]))) continue;
    const p = path.join(tmpDir, name);
    try {
      const st = fs.lstatSync(p);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // raced with another run's sweep, or not ours to remove
    }
  }
  return removed;
}

export interface PrivateDir {
  name: string;
  /** Remove it and everything in it (idempotent). */
  remove(): void;
}

/** Sweep stale dirs, then make ours (mode 0700). */
export function createPrivateDir(tmpDir = os.tmpdir()): PrivateDir {
  removeStalePrivateDirs(tmpDir);
  const dir = tmp.dirSync({ prefix: 'hostout-', tmpdir: tmpDir, mode: 0o700, unsafeCleanup: true });
  return { name: dir.name, remove: () => fs.rmSync(dir.name, { recursive: true, force: true }) };
}
