/**
 * Run the real zc.buildout 2.13.2 (the oracle) and our `hostout` CLI, both as
 * real processes, so the buildout suites can compare them.
 *
 * - runOracle():        fixtures/buildout-oracle.py (resolved values as JSON)
 * - runRealBuildout():  the real `buildout` command (annotate, query), through
 *                       fixtures/buildout-gen/buildout-real.py which only aliases
 *                       collections.MutableMapping & co. (2.13.2 predates 3.10)
 * - OracleBatch:        one python process answering many requests (importing
 *                       zc.buildout costs ~0.3 s, so hundreds of cases need it)
 * - runHostout():       `node bin/hostout.js ...` (dist/, built by the e2e globalSetup)
 *
 * Every run gets HOME pointing at an empty directory (and no BUILDOUT_HOME)
 * unless the caller passes its own, so ~/.buildout/default.cfg of the machine
 * never leaks into a result.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HOSTOUT_BIN, ROOT } from './built';
import { SKIPPED_ORACLE_TEST, oraclePolicy } from './oracle-policy';

export const REPO_ROOT = ROOT;
/** Debian's interpreter: the one python3-zc.buildout is installed for (PATH may hold another). */
export const PYTHON = '/usr/bin/python3';
export const ORACLE_SCRIPT = path.join(REPO_ROOT, 'fixtures', 'buildout-oracle.py');
export const REAL_BUILDOUT_SCRIPT = path.join(REPO_ROOT, 'fixtures', 'buildout-gen', 'buildout-real.py');
export const ORACLE_BATCH_SCRIPT = path.join(REPO_ROOT, 'fixtures', 'buildout-gen', 'oracle-batch.py');
export { HOSTOUT_BIN };

export interface ProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface OracleResult extends ProcessResult {
  /** Parsed stdout when the oracle succeeded, else undefined. */
  json?: Record<string, unknown>;
}

/** Environment overrides for a run: HOME / BUILDOUT_HOME (absolute paths). */
export interface RunEnv {
  HOME?: string;
  BUILDOUT_HOME?: string;
}

let availability: boolean | undefined;

/** True when the real zc.buildout can be imported (always in CI: .ci/apt-packages.txt). */
export function oracleAvailable(): boolean {
  if (availability === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import zc.buildout'], { encoding: 'utf8', timeout: 30000 });
    availability = r.status === 0;
  }
  return availability;
}

/**
 * Whether this test file compares with the oracle (oracle-policy.ts): true when
 * it is installed; without it the file fails at once, unless HOSTOUT_SKIP_ORACLE=1
 * outside CI, and then a skipped test names the comparisons left out. Call once,
 * at the top level of a test file.
 */
export function requireOracle(): boolean {
  if (oraclePolicy(oracleAvailable(), process.env) === 'run') return true;
  test.skip(SKIPPED_ORACLE_TEST, () => undefined);
  return false;
}

let sharedEmptyHome: string | undefined;

/** An empty directory used as HOME so no user default.cfg is ever read by accident. */
export function emptyHome(): string {
  if (!sharedEmptyHome || !fs.existsSync(sharedEmptyHome)) {
    sharedEmptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'hostout-empty-home-'));
  }
  return sharedEmptyHome;
}
// Made once per test file that asks for it (each file has its own modules): removed when the file is done.
afterAll(() => {
  if (sharedEmptyHome) fs.rmSync(sharedEmptyHome, { recursive: true, force: true });
  sharedEmptyHome = undefined;
});

export function childEnv(env: RunEnv = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, HOME: env.HOME ?? emptyHome(), LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' };
  delete out.BUILDOUT_HOME;
  // the URL suite talks to 127.0.0.1 directly: a proxy from the environment must not intercept it
  for (const k of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete out[k];
  if (env.BUILDOUT_HOME !== undefined) out.BUILDOUT_HOME = env.BUILDOUT_HOME;
  return out;
}

/**
 * Run a process asynchronously (never spawnSync: the URL tests serve files
 * from this very event loop) with a hard timeout; a timeout is status 124.
 */
export function runProcess(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: RunEnv; timeoutMs?: number; input?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        status: timedOut ? 124 : code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n[killed after ${opts.timeoutMs ?? 60000} ms]` : stderr,
      });
    });
    child.stdin.end(opts.input ?? '');
  });
}

function withJson(r: ProcessResult): OracleResult {
  if (r.status !== 0) return r;
  try {
    return { ...r, json: JSON.parse(r.stdout) as Record<string, unknown> };
  } catch {
    return r;
  }
}

/** `buildout-oracle.py DIR ARGS...`: every section resolved, errors in "__errors__". */
export async function runOracle(dir: string, args: string[], env?: RunEnv): Promise<OracleResult> {
  return withJson(await runProcess(PYTHON, [ORACLE_SCRIPT, dir, ...args], { cwd: dir, env }));
}

/** The real `buildout ARGS...` (e.g. ['-U', 'annotate', 's']) run in DIR. */
export function runRealBuildout(dir: string, args: string[], env?: RunEnv): Promise<ProcessResult> {
  return runProcess(PYTHON, [REAL_BUILDOUT_SCRIPT, ...args], { cwd: dir, env });
}

/** `node bin/hostout.js ARGS...` in DIR. */
export function runHostout(dir: string, args: string[], env?: RunEnv, timeoutMs = 30000): Promise<ProcessResult> {
  return runProcess(process.execPath, [HOSTOUT_BIN, ...args], { cwd: dir, env, timeoutMs });
}

export type BatchMode = 'resolve' | 'annotate' | 'query';

export interface BatchRequest {
  dir: string;
  mode: BatchMode;
  /** resolve: oracle flags and assignments; annotate/query: a full buildout command line. */
  args: string[];
  env?: RunEnv;
}

/**
 * One long-lived python process answering requests in order (see
 * fixtures/buildout-gen/oracle-batch.py). Requests are queued; each
 * resolves with the same shape as a single run.
 */
export class OracleBatch {
  private child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: Array<{ resolve: (r: OracleResult) => void; reject: (e: Error) => void; mode: BatchMode }> = [];
  private stderr = '';
  private exited = false;

  constructor() {
    this.child = spawn(PYTHON, [ORACLE_BATCH_SCRIPT], { env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => this.onData(d));
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
    });
    this.child.on('close', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w.reject(new Error(`oracle batch exited: ${this.stderr.slice(-2000)}`));
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const w = this.waiting.shift();
      if (!w) continue;
      const r = JSON.parse(line) as ProcessResult;
      w.resolve(w.mode === 'resolve' ? withJson(r) : r);
    }
  }

  request(req: BatchRequest, timeoutMs = 60000): Promise<OracleResult> {
    if (this.exited) return Promise.reject(new Error('oracle batch already exited'));
    const env: Record<string, string> = { HOME: req.env?.HOME ?? emptyHome() };
    if (req.env?.BUILDOUT_HOME !== undefined) env.BUILDOUT_HOME = req.env.BUILDOUT_HOME;
    const p = new Promise<OracleResult>((resolve, reject) => {
      this.waiting.push({ resolve, reject, mode: req.mode });
    });
    this.child.stdin.write(JSON.stringify({ dir: req.dir, mode: req.mode, args: req.args, env }) + '\n');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`oracle batch: no answer in ${timeoutMs} ms for ${req.dir}`)), timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, 5000);
      this.child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end();
    });
  }
}

/** The last line of a buildout error report ("Error: ..." or the exception line of a traceback). */
export function errorTail(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const err = lines.findIndex((l) => l.startsWith('Error: '));
  if (err >= 0) return lines.slice(err).join('\n');
  return lines.slice(-1)[0] ?? '';
}

/** True when stderr holds a JavaScript stack trace (which users must never see). */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+(\(|:\d+)/m.test(stderr) || /^\s{4}at /m.test(stderr);
}
