/**
 * A temp directory of the test file's own holding a FIFO nobody writes to
 * (reading it would block forever), for the tests of files a configuration
 * names: made before the file's tests, removed after them. `dir` and `fifo`
 * are there once the file's beforeAll hooks have run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface DirWithFifo {
  readonly dir: string;
  /** `dir`/pipe. */
  readonly fifo: string;
}

export function useDirWithFifo(prefix: string): DirWithFifo {
  const made = { dir: '', fifo: '' };
  beforeAll(() => {
    made.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.fifo = path.join(made.dir, 'pipe');
    execFileSync('mkfifo', [made.fifo]);
  });
  afterAll(() => {
    if (made.dir) fs.rmSync(made.dir, { recursive: true, force: true });
  });
  return made;
}
