/**
 * Where sudo passwords come from: the host's `sudo-password` (or `password`)
 * option, else asked once per host on the terminal (not echoed), else none.
 * Passwords only ever travel to sudo's stdin.
 */
import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import type { HostSettings } from './host-settings';

/**
 * Read one line from the terminal without echoing it. The question goes to
 * stderr, or to `show` when the caller draws the terminal itself (the CLI's
 * listr2 view, which holds stderr's writes until it ends).
 */
export function promptHidden(question: string, show?: (question: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let muted = !!show;
    const output = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (!muted) process.stderr.write(chunk);
        cb();
      },
    });
    const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
    // Shown once the terminal no longer echoes (readline set it raw): an answer typed at once stays hidden.
    show?.(question);
    rl.question(question, (answer) => {
      rl.close();
      if (!show) process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
    rl.on('SIGINT', () => {
      rl.close();
      reject(new Error('interrupted while asking for the sudo password'));
    });
  });
}

export class SudoPasswords {
  private readonly asked = new Map<string, Promise<string>>();

  constructor(
    private readonly interactive: boolean,
    private readonly prompt: (question: string) => Promise<string> = promptHidden,
  ) {}

  /** The password for sudo on this host and login user, asking at most once per run. */
  forHost(settings: HostSettings, user: string): () => Promise<string | undefined> {
    return async () => {
      if (settings.sudoPassword !== undefined) return settings.sudoPassword;
      if (!this.interactive) return undefined;
      const key = `${user}@${settings.hostname}:${settings.port}`;
      let answer = this.asked.get(key);
      if (!answer) {
        answer = this.prompt(`[${settings.name}] sudo password for ${key}: `);
        this.asked.set(key, answer);
      }
      return answer;
    };
  }
}
