/** Running the real `node bin/hostout.js` process (built dist/) for the command-line tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'hostout.js');

/** `npm test` builds dist/ first (pretest); a direct `npx jest` run builds it here when missing. */
export function ensureBuilt(): void {
  if (existsSync(path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT, stdio: 'ignore', timeout: 240_000,
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A HOME with nothing in it: no ~/.buildout/default.cfg, no ~/.ssh/config of the machine running the tests. */
export const EMPTY_HOME = mkdtempSync(path.join(os.tmpdir(), 'hostout-cli-home-'));

export function hostout(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: EMPTY_HOME, USER: 'tester', CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
