/**
 * The local-process backend: the machine hostout runs on (pushdeploy's
 * staging side). An argv goes straight to spawn, never through a shell of
 * ours; the command line inside it was built by command-line.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { TransportError } from '../../errors';
import type { LocalRun, RawResult } from './backend';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  onStdout?: (c: Buffer) => void;
  onStderr?: (c: Buffer) => void;
  /** Give the child our terminal as stdin (sudo may ask for a password; it reads /dev/tty itself). */
  interactiveStdin?: boolean;
  /** The child, once started (rsync's watchdog and closeAll may have to stop it). */
  onSpawn?: (child: ChildProcess) => void;
}

/** spawn() an argv, collect output, feed stdin; never through a shell. Rejects when the program cannot start. */
export function runArgv(argv: readonly string[], opts: SpawnOptions): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin !== undefined ? 'pipe' : opts.interactiveStdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => { out.push(c); opts.onStdout?.(c); });
    child.stderr?.on('data', (c: Buffer) => { err.push(c); opts.onStderr?.(c); });
    child.on('error', reject);
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    child.on('close', (code, signal) =>
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal: signal ?? undefined }),
    );
  });
}

export async function runLocal(call: LocalRun): Promise<RawResult> {
  const { command } = call;
  try {
    return await runArgv(command.argv, {
      // For su/sudo the cwd and env are inside the command (command-line.ts); spawn itself stays where we are.
      cwd: command.plain ? call.cwd : undefined,
      env: command.plain ? { ...process.env, ...call.env } : process.env,
      stdin: call.stdin,
      interactiveStdin: call.interactive && !command.plain,
      onStdout: call.onStdout,
      onStderr: call.onStderr,
    });
  } catch (e) {
    throw new TransportError(`cannot run locally: ${command.shown}: ${(e as Error).message}`, { host: call.host.name, target: 'localhost', command: command.shown, kind: 'local', cause: e });
  }
}
