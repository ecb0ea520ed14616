/**
 * Local commands on the machine hostout runs on (pushdeploy's staging side):
 * `/bin/sh -c` as the current user, or as another user through `su` (when we
 * are root) or `sudo -u`, optionally through sudo. No other shell is involved
 * between us and that /bin/sh: argv goes straight to spawn.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { TransportError } from '../errors';
import type { Logger } from '../log';
import { displayLocal, localArgv } from './command-line';
import { commandFailure } from './exec';
import type { HostSettings } from './host-settings';
import { maskSecrets } from './mask';
import { lineLogger } from './remote';
import type { CommandResult, LocalRunOptions, LocalShell } from './types';

export interface SpawnResult extends CommandResult {
  signal?: string;
}

/** spawn() an argv, collect output, feed stdin; never through a shell. */
export function runArgv(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; onStdout?: (c: Buffer) => void; onStderr?: (c: Buffer) => void; interactiveStdin?: boolean },
): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      // sudo may want to ask for a password on the terminal; it reads /dev/tty itself.
      stdio: [opts.stdin !== undefined ? 'pipe' : opts.interactiveStdin ? 'inherit' : 'ignore', 'pipe', 'pipe'],
    });
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

export class ProcessLocalShell implements LocalShell {
  constructor(private readonly settings: HostSettings, private readonly log: Logger, private readonly interactive: boolean) {}

  async run(command: string, opts: LocalRunOptions = {}): Promise<CommandResult> {
    const { settings, log } = this;
    const isRoot = process.getuid?.() === 0;
    const argv = localArgv(command, opts, os.userInfo().username, isRoot);
    const display = displayLocal(command, opts, argv);
    log.debug(`[${settings.name}] local: ${maskSecrets(display, settings.secrets)}`);
    const plain = argv[0] === '/bin/sh';
    const emit = (l: string) => (opts.echo ? log.info(maskSecrets(l, settings.secrets)) : log.debug(maskSecrets(l, settings.secrets)));
    const outLog = lineLogger(`[localhost] out: `, emit);
    const errLog = lineLogger(`[localhost] err: `, emit);
    let r: SpawnResult;
    try {
      r = await runArgv(argv, {
        // For su/sudo the cwd and env are inside the command (command-line.ts); spawn itself stays where we are.
        cwd: plain ? opts.cwd : undefined,
        env: plain ? { ...process.env, ...opts.env } : process.env,
        stdin: opts.stdin,
        interactiveStdin: this.interactive && !plain,
        onStdout: (c) => outLog.push(c),
        onStderr: (c) => errLog.push(c),
      });
    } catch (e) {
      throw new TransportError(`cannot run locally: ${maskSecrets(display, settings.secrets)}: ${(e as Error).message}`, { host: settings.name });
    } finally {
      outLog.flush();
      errLog.flush();
    }
    if (r.code !== 0 && !opts.allowFailure) {
      throw commandFailure(settings.name, 'localhost', display, r.code, r.signal, r.stderr, settings.secrets);
    }
    return { stdout: r.stdout, stderr: r.stderr, code: r.code };
  }
}
