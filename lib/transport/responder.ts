/**
 * Answering sudo's password prompt, as a responder object (the idea of
 * Invoke's watchers): it reads a command's stderr, answers the one prompt we
 * told sudo to print (SUDO_PROMPT) with the password, and tells the caller
 * when sudo let the command run (SUDO_READY), so stdin is held back until
 * sudo no longer reads it. Every command made by sudoLine() or
 * sudoRsyncLine() — `remote.sudo` and rsync's `--rsync-path="sudo rsync"` —
 * runs through the same responder on the ssh backend.
 */
import { SUDO_PROMPT, SUDO_READY } from './command-line';

/** What the responder does to the command it watches. */
export interface ResponderIo {
  /** Write to the command's stdin (the password and its newline). */
  answer(text: string): void;
  /** sudo is done: stdin now belongs to the command. */
  ready(): void;
  /** Output of the command's own stderr (sudo's part removed). */
  stderr(chunk: Buffer): void;
  /** sudo asked a second time (the password was wrong), or asked with no password to give. */
  fail(why: 'rejected' | 'no-password', cause?: unknown): void;
}

export class SudoResponder {
  private pending = '';
  private isReady = false;
  private prompts = 0;

  constructor(private readonly password: () => Promise<string | undefined>) {}

  get ready(): boolean {
    return this.isReady;
  }

  /** Feed one chunk of the command's stderr. */
  feed(chunk: Buffer, io: ResponderIo): void {
    if (this.isReady) {
      io.stderr(chunk);
      return;
    }
    // latin1 keeps every byte as one char, so no multibyte sequence is split across chunks.
    this.pending += chunk.toString('latin1');
    while (this.pending.includes(SUDO_PROMPT)) {
      this.pending = this.pending.replace(SUDO_PROMPT, '');
      if (++this.prompts > 1) {
        io.fail('rejected');
        return;
      }
      this.password().then(
        (password) => (password === undefined ? io.fail('no-password') : io.answer(`${password}\n`)),
        (e: unknown) => io.fail('no-password', e),
      );
    }
    const marker = this.pending.indexOf(`${SUDO_READY}\n`);
    if (marker >= 0) {
      this.isReady = true;
      const before = this.pending.slice(0, marker);
      const after = this.pending.slice(marker + SUDO_READY.length + 1);
      this.pending = '';
      if (before) io.stderr(Buffer.from(before, 'latin1'));
      if (after) io.stderr(Buffer.from(after, 'latin1'));
      io.ready();
    }
  }

  /** At the end: whatever sudo said before it gave up (e.g. "user is not in the sudoers file"). */
  flush(io: Pick<ResponderIo, 'stderr'>): void {
    if (!this.isReady && this.pending) io.stderr(Buffer.from(this.pending.replace(SUDO_PROMPT, ''), 'latin1'));
    this.pending = '';
  }
}
