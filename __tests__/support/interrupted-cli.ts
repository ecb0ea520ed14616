/**
 * A hostout process a test interrupts: started with its output piped and
 * collected; `until` waits (bounded) for what it prints, `interrupt` sends
 * SIGINT and waits (bounded) for its exit status, `dispose` kills it by pid
 * when it is still there (call it in `finally`, so a failed test leaves no
 * process behind).
 */
import { spawn } from 'node:child_process';

export interface InterruptedCli {
  readonly stdout: string;
  readonly stderr: string;
  /** Wait until `ready(stdout)` holds, then `settleMs` more; rejects naming `what` and the output after `timeoutMs`. */
  until(ready: (stdout: string) => boolean, what: string, timeoutMs: number, settleMs?: number): Promise<void>;
  /** SIGINT, then its exit code; rejects when it has not exited after `timeoutMs`. */
  interrupt(timeoutMs: number): Promise<number | null>;
  dispose(): void;
}

export function startInterruptedCli(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): InterruptedCli {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const seen: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const check of seen) check();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    until: (ready, what, timeoutMs, settleMs = 0) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: ${stdout} ${stderr}`)), timeoutMs);
        let done = false;
        const check = () => {
          if (done || !ready(stdout)) return;
          done = true;
          clearTimeout(timer);
          setTimeout(resolve, settleMs);
        };
        seen.push(check);
        check();
      }),
    interrupt: async (timeoutMs) => {
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([exited, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no exit after SIGINT')), timeoutMs); })]);
      } finally {
        clearTimeout(timer);
      }
    },
    dispose: () => {
      if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    },
  };
}
