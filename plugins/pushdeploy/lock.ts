/**
 * The deploy lock of a production site: `<path>/.hostout/lock`, a directory
 * made with `mkdir` (atomic on every POSIX filesystem, so of two deploys
 * started at once exactly one gets it), holding `holder`, one line of JSON that
 * says who holds it. See docs/pushdeploy.md.
 *
 * A lock never blocks forever after its holder died: it is stale when the
 * holder ran on this staging host (same boot) and its process is gone, or when
 * its lease ran out (the holder renews it every lease/3 seconds while it
 * runs). Taking over a stale lock is itself guarded by a `mkdir`, so of two
 * commands that find the same stale lock, one takes it over.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { CommandError, LockedError, isPidAlive, shellQuote, type CommandResult, type Logger } from 'hostout';
import { shellProgram } from './shell-programs';
import type { ReleaseState } from './state';

/** The lock's shell program (sh/lock.sh): one action per run, its values set by quoted assignments before it. */
export const LOCK_SCRIPT = shellProgram('lock.sh');

/** What the lock records about its holder. */
export interface LockHolder {
  token: string;
  /** The staging host hostout ran on, and that host's boot id (a pid is only meaningful within one boot). */
  stagingHost: string;
  bootId: string;
  user: string;
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat): tells a reused pid apart. */
  pidStart: string;
  command: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What the holder was doing when it last said so (prepare, flip, restart…). */
  phase?: string;
  /** Production's clock (seconds since the epoch) after which the lock is stale unless renewed. */
  leaseUntil?: number;
}

/** Runs one shell script on production (through sudo when remote-sudo); the caller logs it. */
export type RemoteScript = (label: string, script: string, opts?: { allowFailure?: boolean; readOnly?: boolean; stdin?: string }) => Promise<CommandResult>;

/** A lock directory that records no holder is stale after this many seconds (its holder died between mkdir and writing). */
const EMPTY_LOCK_GRACE = 30;
/** How long giving the lock back waits for a renewal under way. */
const RENEWAL_WAIT_MS = 10_000;

/**
 * A deploy lock a run keeps from one command to the next: the phases of a
 * deploy across several hosts (prepare, flip, activate, rollback) each present
 * it, and the run's `finish` gives it back. One per host and site path,
 * shared through ctx.once.
 */
export interface KeptLock {
  lock?: DeployLock;
  /**
   * Production's releases as the run's flip (or flip back) left them: the
   * run's last phase prunes from it without reading them again (nothing else
   * changes them while the run holds the lock, and it prunes only while the
   * lock is still its own).
   */
  state?: ReleaseState;
  /**
   * The recording of the release the run's `prepare` transferred (prepare.ts),
   * left for the run's flip of that release, or its `finish` when no flip
   * came (the release is then recorded, not lost): no round trip of its own.
   */
  record?: { id: string; script: string };
}

function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may contain spaces). */
export function processStart(pid: number): string | undefined {
  const stat = readFileOr(`/proc/${pid}/stat`, '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function processAlive(pid: number, start: string): boolean {
  if (!isPidAlive(pid)) return false;
  const now = processStart(pid);
  return now === undefined || start === '' || now === start;
}

/** `holder` as a person reads it: `root on staging1 (pid 4242), 'deploy', since 2026-11-29T20:15:30Z`. */
export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'an unknown holder (the lock records nobody)';
  const phase = h.phase ? `, during ${h.phase}` : '';
  return `${h.user} on ${h.stagingHost} (pid ${h.pid}), '${h.command}' since ${h.started}${phase}`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.token === 'string' && typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Why a held lock is stale, or undefined when its holder may still be at work. */
export function staleReason(holder: LockHolder | undefined, remoteNow: number, lockAge: number, here = thisHost()): string | undefined {
  if (!holder) return lockAge > EMPTY_LOCK_GRACE ? `it records no holder and is ${lockAge} s old` : undefined;
  if (holder.stagingHost === here.stagingHost && holder.bootId === here.bootId && !processAlive(holder.pid, holder.pidStart)) {
    return `its holder, pid ${holder.pid} on ${holder.stagingHost}, is gone`;
  }
  if (holder.leaseUntil !== undefined && remoteNow > holder.leaseUntil) {
    return `its lease ran out ${remoteNow - holder.leaseUntil} s ago`;
  }
  return undefined;
}

function thisHost(): { stagingHost: string; bootId: string } {
  return { stagingHost: os.hostname(), bootId: readFileOr('/proc/sys/kernel/random/boot_id', '') };
}

/** The result of trying to take the lock once; `then`: the answer of what ran after it in the same round trip. */
type Attempt = { acquired: true; journal?: string; then?: CommandResult } | { acquired: false; holder?: LockHolder; stale?: string };

/** The line that starts the answer of what runs in the lock's round trip after taking it. */
const THEN_MARK = '@@hostout:then';

/**
 * What a command runs in the round trip that takes the lock, once it is taken
 * and no interrupted flip waits for recovery: `script` with `stdin` on its
 * standard input (a lock found held reads and drops it).
 */
export interface LockOpening {
  script: string;
  stdin?: string;
}

/** After `echo acquired`, the same script prints the flip journal, so recovery needs no round trip of its own. */
const journalOf = (lines: string[]) => lines.slice(1).join('\n').trim() || undefined;

export interface DeployLockOptions {
  site: string;
  /** The site's directory on production. */
  path: string;
  command: string;
  run: RemoteScript;
  log: Logger;
  /** Seconds a lock lasts without renewal. */
  lease: number;
  /** Under --dry-run the scripts are recorded, not run: the lock is assumed free. */
  dryRun: boolean;
}

/** One command's hold on a site's deploy lock. */
export class DeployLock {
  private readonly holder: LockHolder;
  private renewer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private held = false;
  /** Set when a renewal found the lock no longer ours (taken over after our lease ran out). */
  lost = false;

  constructor(private readonly o: DeployLockOptions) {
    const here = thisHost();
    this.holder = {
      token: crypto.randomBytes(12).toString('hex'),
      ...here,
      user: os.userInfo().username,
      pid: process.pid,
      pidStart: processStart(process.pid) ?? '',
      command: o.command,
      started: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
  }

  get token(): string {
    return this.holder.token;
  }

  private get dir(): string {
    return `${this.o.path}/.hostout`;
  }

  /**
   * sh/lock.sh doing `action`, its values set before it as quoted
   * assignments. The holder line's lease is computed on production's clock
   * (`$(date +%s)` at write time), so staging's clock never matters.
   */
  script(action: 'attempt' | 'takeover' | 'renew' | 'release' | 'ours', extra: Record<string, string> = {}): string {
    // leaseUntil is written from production's clock, not from ours.
    const json = JSON.stringify({ ...this.holder, leaseUntil: undefined });
    return lockProgram(action, { d: this.dir, token: this.holder.token, holder: json.slice(0, -1), lease: String(this.o.lease), grace: String(EMPTY_LOCK_GRACE), ...extra });
  }

  private async attempt(opening?: LockOpening): Promise<Attempt> {
    const d = this.dir;
    // What the command does first rides in the same round trip, in a subshell of its own, once the lock is ours.
    const then = opening && !this.o.dryRun
      ? `\nif [ -n "$locked" ]; then echo ${THEN_MARK}; (\n${opening.script}\n); exit $?; else cat > /dev/null; fi`
      : '';
    const r = await this.o.run('lock', `${this.script('attempt')}${then}`, { allowFailure: true, stdin: then ? opening?.stdin : undefined });
    const mark = r.stdout.indexOf(`\n${THEN_MARK}\n`);
    if (mark >= 0 && r.stdout.startsWith('acquired\n')) {
      // Taken; what ran after it answered (its exit status is the round trip's).
      return { acquired: true, then: { stdout: r.stdout.slice(mark + THEN_MARK.length + 2), stderr: r.stderr, code: r.code } };
    }
    if (r.code !== 0) {
      // Typically: the login may not write <path> (permission denied), or the disk is full.
      const why = r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit status ${r.code}`;
      throw new CommandError(`cannot take the deploy lock ${d}/lock on production: ${why}`, { host: this.o.site, command: 'lock', status: r.code, stderrTail: r.stderr });
    }
    const lines = r.stdout.split('\n');
    if (this.o.dryRun) return { acquired: true };
    if (lines[0] === 'acquired') return { acquired: true, journal: journalOf(lines) };
    if (lines[0] !== 'held') throw new LockedError(`cannot read the deploy lock ${d}/lock: ${r.stdout}${r.stderr}`.trim(), { host: this.o.site });
    const now = Number(lines[1]);
    const holder = parseHolder(lines.slice(3).join('\n').trim());
    const stale = staleReason(holder, now, now - Number(lines[2]));
    return { acquired: false, holder, stale };
  }

  /** Take over a lock found stale; false when another command took it first. */
  private async takeOver(stale: LockHolder | undefined): Promise<Attempt> {
    const r = await this.o.run('lock', this.script('takeover', { stale: stale?.token ?? '' }));
    const lines = r.stdout.split('\n');
    return lines[0] === 'acquired' ? { acquired: true, journal: journalOf(lines) } : { acquired: false };
  }

  /**
   * Take the lock, waiting up to `waitSeconds` for its holder; throws
   * LockedError naming the holder when it stays held.
   */
  async acquire(waitSeconds: number, opening?: LockOpening): Promise<{ journal?: string; then?: CommandResult }> {
    const deadline = Date.now() + waitSeconds * 1000;
    let said = false;
    let journal: string | undefined;
    let then: CommandResult | undefined;
    for (;;) {
      const a = await this.attempt(opening);
      if (a.acquired) {
        journal = a.journal;
        then = a.then;
        break;
      }
      // Of several commands that find the same stale lock, one takes it over; the others wait as for any holder.
      const taken = a.stale !== undefined ? await this.takeOver(a.holder) : undefined;
      if (taken?.acquired) {
        journal = taken.journal;
        this.o.log.warn(`[${this.o.site}] took over the deploy lock of ${describeHolder(a.holder)}: ${a.stale}`);
        break;
      }
      const who = describeHolder(a.holder);
      if (Date.now() >= deadline) {
        throw new LockedError(
          `production is locked by another deploy: ${who}. ` +
            `Wait for it (--lock-wait SECONDS), or if it is not running any more, remove the lock with 'hostout ${this.o.site} unlock'`,
          { host: this.o.site, holder: who },
        );
      }
      if (!said) this.o.log.info(`[${this.o.site}] waiting up to ${waitSeconds} s for the deploy lock of ${who}`);
      said = true;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(50, deadline - Date.now()))));
    }
    this.held = true;
    if (!this.o.dryRun) this.startRenewing();
    return { journal, then };
  }

  /** The script renewing the lease with `phase` recorded (run on production by after-flip.sh). */
  renewalScript(phase: string): string {
    this.holder.phase = phase;
    return this.script('renew');
  }

  /** Every how many seconds the lease is renewed. */
  get renewEvery(): number {
    return Math.max(1, Math.floor(this.o.lease / 3));
  }

  /** Rewrite the holder with a new lease (and phase), only while the lock is still ours. */
  renew(phase?: string): Promise<void> {
    if (phase) this.holder.phase = phase;
    if (!this.held || this.o.dryRun) return Promise.resolve();
    const script = this.script('renew');
    const previous = this.renewing ?? Promise.resolve();
    this.renewing = previous.then(async () => {
      const r = await this.o.run('lock', script, { allowFailure: true });
      if (r.code === 0 && r.stdout.trim() === 'lost' && !this.lost) {
        this.lost = true;
        this.o.log.warn(`[${this.o.site}] the deploy lock is no longer ours (another command took it over after its lease ran out)`);
      }
    }).catch(() => undefined);
    return this.renewing;
  }

  /** The shell text that removes the lock if it is still ours (in a subshell: the caller's variables stay its own). */
  private releaseScript(): string {
    return `(\n${this.script('release')})`;
  }

  /**
   * Stop renewing and wait for a renewal under way: nothing may rewrite the
   * holder after the release. Bounded: a renewal stuck on a dead connection
   * must not keep the run from ending (the release then fails as well, and
   * the lock is stale once this process is gone).
   */
  private async settle(): Promise<void> {
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.renewing, new Promise<void>((r) => { timer = setTimeout(r, RENEWAL_WAIT_MS).unref(); })]);
    clearTimeout(timer);
  }

  /** Whether this command still holds the lock (taken, not yet given back). */
  get isHeld(): boolean {
    return this.held;
  }

  /** The error for a command that finds the lock it held taken over by another (its lease ran out meanwhile). */
  lostError(): LockedError {
    return new LockedError(
      `the deploy lock of this run was taken over by another command while it ran (its lease of ${this.o.lease} s ran out): production may have changed under it; see 'hostout ${this.o.site} releases'`,
      { host: this.o.site },
    );
  }

  /**
   * Run the script `make(unlock)` makes, which gives the lock back itself
   * (with the text `unlock`) only when it should: `released(r)` tells from
   * its answer whether it did. Renewals from here stop meanwhile (the script
   * renews on production while it runs, after-flip.sh) and start again when
   * the lock stays held.
   */
  async runReleasing(label: string, make: (unlock: string) => string, released: (r: CommandResult) => boolean): Promise<CommandResult> {
    await this.settle();
    try {
      const r = await this.o.run(label, make(this.releaseScript()), { allowFailure: true });
      if (released(r)) this.held = false;
      return r;
    } finally {
      if (this.held && !this.o.dryRun) this.startRenewing();
    }
  }

  private startRenewing(): void {
    this.renewer = setInterval(() => void this.renew(), (this.o.lease * 1000) / 3);
    this.renewer.unref();
  }

  /** Remove the lock if it is still ours. */
  async release(): Promise<void> {
    await this.settle();
    if (!this.held) return;
    this.held = false;
    await this.o.run('unlock', this.releaseScript(), { allowFailure: true });
  }

  /**
   * Run a command's last script and remove the lock in the same round trip
   * (one round trip less per deploy). The lock goes even when `script` fails,
   * as release() would.
   */
  async releaseWith(label: string, script: string): Promise<CommandResult> {
    await this.settle();
    if (!this.held) return this.o.run(label, script, { allowFailure: true });
    this.held = false;
    return this.o.run(label, `( ${script}
); s=$?
${this.releaseScript()}
exit $s`, { allowFailure: true });
  }
}

/** `unlock`: remove a site's lock whoever holds it; returns who held it (undefined when it was free). */
export async function forceUnlock(o: { path: string; run: RemoteScript }): Promise<{ held: boolean; holder?: LockHolder }> {
  const r = await o.run('unlock', lockProgram('force', { d: `${o.path}/.hostout` }));
  const lines = r.stdout.split('\n');
  return { held: lines[0] === 'held', holder: parseHolder(lines.slice(1).join('\n').trim()) };
}

/** sh/lock.sh for `action`, after its values as quoted assignments. */
function lockProgram(action: string, values: Record<string, string>): string {
  const assignments = Object.entries({ action, ...values }).map(([k, v]) => `${k}=${shellQuote(v)}`).join('\n');
  return `${assignments}\n${LOCK_SCRIPT}`;
}
