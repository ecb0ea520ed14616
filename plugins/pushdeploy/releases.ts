/**
 * Releases on production: prepare a new one next to the live one (hard links
 * to its unchanged files), switch it live with one rename (`.hostout/current`,
 * a symbolic link to `releases/<ID>`; <path>/bin, eggs, parts, etc are links
 * through it, so scripts keep using <path>/bin), switch back, list, prune.
 * See docs/pushdeploy.md for the layout.
 *
 * The flip is one POSIX sh script run on production detached from the ssh
 * connection (setsid, SIGHUP ignored): whatever happens to hostout or the
 * connection, it runs to its end. The switch itself is atomic; the script
 * keeps a journal while it makes or removes tree links around it, and a flip
 * whose script was stopped half-way (the machine crashed) is tidied by
 * `recover()` for the release `current` names (the switch either happened or
 * not). The script is idempotent, so recovery is the same script.
 *
 * `SiteReleases` is what push/deploy/rollback are made of, exported so that a
 * multi-host deploy can prepare every host, flip them all, and flip back.
 */
import * as os from 'node:os';
import { CommandError, ConfigError, HostoutError, TransportError, UsageError, shellQuote, type CommandContext, type CommandResult } from 'hostout';
import { DeployLock, forceUnlock, type KeptLock, type LockHolder, type LockOpening, type RemoteScript } from './lock';
import type { SiteSettings } from './settings';
import { shellProgram } from './shell-programs';
import { FLIP_SCRIPT, flipRoundTrip } from './flip';
import { PendingRecord, recordReleaseScript } from './prepare';
import { pruneScript } from './prune';
import { NEXT_MARK, parseReleaseState, RELEASE_ID, releaseStateScript, type ReleaseMeta, type ReleaseState } from './state';
import { enclosingCheckoutVcs } from './vcs';

export { RELEASE_ID, type ReleaseMeta, type ReleaseState } from './state';
export { FLIP_SCRIPT };

/** A top-level tree name a release may hold. */
const TREE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
/** Names inside `path` that are never part of a release. */
const NOT_A_TREE = new Set(['var', '.hostout']);

export interface FlipResult {
  from: string;
  to: string;
  /** Milliseconds the renames took on production, when its `date` tells nanoseconds. */
  flipMs?: number;
  /** Milliseconds of the whole flip command, as hostout saw it. */
  roundTripMs: number;
  /** The flip also pruned old releases and gave back the deploy lock (`flip(…, { last: true })`, or `after` with `finish`). */
  finished?: boolean;
  /** `after`'s lines ran in the flip's round trip: how many ran, and the one that failed (index, exit status, stderr). */
  after?: { ran: number; failed?: { index: number; status: number; stderr: string } };
}

/**
 * What runs on production in the flip's round trip once the flip went
 * through (sh/after-flip.sh): the restart lines, in `path`, stopping at the
 * first that fails; with `finish`, when each one passed, the pruning and the
 * unlock as well (the command has nothing left to do on production).
 */
export interface AfterFlip {
  lines: string[];
  finish: boolean;
}

/** The program run after a flip in its round trip (sh/after-flip.sh). */
export const AFTER_FLIP_SCRIPT = shellProgram('after-flip.sh');

/** How many of after-flip.sh's lines ran, and the one that failed, from its answer. */
function afterAnswer(r: CommandResult): NonNullable<FlipResult['after']> {
  const ran = [...r.stdout.matchAll(/^@@hostout:ran (\d+)$/gm)].length;
  const failed = /^@@hostout:failed (\d+) (\d+)$/m.exec(r.stdout);
  return { ran, failed: failed ? { index: Number(failed[1]) - 1, status: Number(failed[2]), stderr: r.stderr } : undefined };
}

/** Whether a tree directory of the staging buildout can be a release tree: directly inside `path`, a plain name. */
export function releaseTreeName(sitePath: string, dir: string): string | undefined {
  if (!dir.startsWith(`${sitePath}/`)) return undefined;
  const name = dir.slice(sitePath.length + 1);
  return TREE_NAME.test(name) && !NOT_A_TREE.has(name) ? name : undefined;
}

/** A new release id from a time: `YYYYMMDDTHHMMSSZ`, made unique among `taken`. */
export function newReleaseId(taken: readonly string[], now = new Date(), suffix = ''): string {
  const base = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let id = `${base}${suffix}`;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}${suffix}`;
  return id;
}

/** The UTC time a release id names. */
export function releaseTime(id: string): Date {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(id);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : new Date();
}

/**
 * The fast start of .hostout/next (sh/link-next.sh, sent by nextScript()): run in a subshell in
 * `path` (it lists and links the live release's trees, through `current`), with `eu` (the effective user) and `trees` set, staging's listing
 * (manifest.ts) on stdin. Prints `linked N` (N files copied to an inode of
 * their own) or `link-dest` (next/ left empty: prepare links with rsync).
 * Tree names are plain (TREE_NAME), so the unquoted lists split on spaces.
 */
export const LINK_NEXT_SCRIPT = shellProgram('link-next.sh');


/** What SiteReleases needs from the command that uses it. */
export interface ReleaseSite {
  ctx: CommandContext;
  s: SiteSettings;
  /** Runs a script on production as the site's remote steps run (sudo with remote-sudo). */
  script: RemoteScript;
  /**
   * The lock the run keeps for this host from one command to the next (a
   * phase of a deploy across hosts): withLock() presents it instead of taking
   * the lock again, and, with `keepLock`, leaves a lock it took there for the
   * next phase instead of giving it back (finishRun() does).
   */
  kept?: KeptLock;
  keepLock?: boolean;
}

/** Who made a release, for its meta.json. */
function maker(command: string): Omit<ReleaseMeta, 'id' | 'trees' | 'commit' | 'adopted'> {
  return {
    created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    stagingHost: os.hostname(),
    user: os.userInfo().username,
    pid: process.pid,
    command,
  };
}

function failure(site: string, command: string, reason: string, r?: CommandResult): CommandError {
  const tail = (r?.stderr ?? '').trim().split('\n').slice(-5).join('\n');
  return new CommandError(`${reason}${tail ? `: ${tail}` : ''}`, { host: site, command: command, status: r?.code ?? null, stderrTail: tail });
}

/** One site's releases on production, and its deploy lock. */
export class SiteReleases {
  private lockHold?: DeployLock;
  private lockDepth = 0;

  constructor(private readonly site: ReleaseSite) {}

  private get s(): SiteSettings {
    return this.site.s;
  }

  private get dir(): string {
    return `${this.s.path}/.hostout`;
  }

  private info(message: string): void {
    this.site.ctx.log.info(`[${this.s.site}] ${message}`);
  }

  /** The lock token while held (the flip refuses to run for anyone else). */
  get lockToken(): string | undefined {
    return this.lockHold?.token;
  }

  /**
   * Run `fn` holding the deploy lock (re-entrant: a deploy's push holds it
   * once). On taking it, an interrupted flip is recovered first. A lock the
   * run kept (`kept`) is presented again, not taken; with `keepLock` a lock
   * taken here stays held for the run's next command.
   */
  async withLock<T>(command: string, fn: (opened?: CommandResult) => Promise<T>, opening?: LockOpening): Promise<T> {
    const kept = this.site.kept?.lock;
    if (this.lockHold || kept?.isHeld) {
      if (!this.lockHold && kept?.lost) throw kept.lostError();
      const presented = !this.lockHold;
      this.lockHold ??= kept;
      this.lockDepth++;
      try {
        return await fn();
      } finally {
        this.lockDepth--;
        if (presented) this.lockHold = undefined;
      }
    }
    const lock = new DeployLock({
      site: this.s.site, path: this.s.path, command, run: this.site.script, log: this.site.ctx.log, lease: this.s.lockLease, dryRun: this.site.ctx.dryRun,
    });
    // `opening` rides in the round trip that takes the lock (`opened`: its answer), unless a flip waits for recovery first.
    const { journal, then: opened } = await lock.acquire(this.s.lockWait, opening);
    this.lockHold = lock;
    // Kept for the run's next phase from here on: a failure or Ctrl-C below still ends with finishRun().
    if (this.site.keepLock && this.site.kept) this.site.kept.lock = lock;
    try {
      if (journal) await this.recover();
      return await fn(opened);
    } finally {
      this.lockHold = undefined;
      if (!this.keepsLock) await lock.release();
    }
  }

  /** The lock stays held after this command (a phase of a deploy across hosts). */
  private get keepsLock(): boolean {
    return !!this.site.keepLock && !!this.site.kept;
  }

  /** This command took the lock itself (not a re-entry) and gives it back at its end: its last step may do so. */
  private get ownsLock(): boolean {
    return !!this.lockHold && this.lockDepth === 0 && !this.keepsLock;
  }

  /**
   * The end of a deploy across hosts on this host: prune (when `prune`: every
   * host's flip went through) and give back the lock the run kept, in one
   * round trip after reading the releases. Nothing when the run holds no lock
   * here (its prepare never got it).
   */
  async finishRun(prune: boolean): Promise<string[]> {
    const kept = this.site.kept;
    const lock = kept?.lock;
    if (!kept || !lock?.isHeld) return [];
    kept.lock = undefined;
    if (lock.lost) {
      await lock.release();
      throw lock.lostError();
    }
    try {
      // The releases as this run's flip left them (kept), or read again; pruned only while the lock is still ours.
      const known = kept.state;
      kept.state = undefined;
      // A release the run prepared but never flipped is recorded here, not lost.
      const record = kept.record;
      kept.record = undefined;
      const { gone, script } = prune ? pruneScript(this.dir, this.s.keepReleases, known ?? await this.state()) : { gone: [], script: 'true' };
      const pruning = known && gone.length ? `if (\n${lock.script('ours')}); then\n${script}\nfi` : script;
      const guarded = record ? `${record.script}\n${pruning}` : pruning;
      const r = await lock.releaseWith(gone.length ? 'prune' : 'unlock', guarded);
      if (r.code !== 0 && !this.site.ctx.dryRun) throw failure(this.s.site, 'finish', `pruning releases ${gone.join(', ')} failed (exit status ${r.code}); the deploy lock was given back`, r);
      this.saidPruned(gone);
      return gone;
    } finally {
      await lock.release(); // when reading the releases failed: the lock still goes
    }
  }

  /**
   * A command's last script: with the lock given back in the same round trip
   * when this command took it (one round trip less), else on its own.
   */
  private lastStep(label: string, script: string): Promise<CommandResult> {
    return this.lockHold && this.ownsLock ? this.lockHold.releaseWith(label, script) : this.site.script(label, script, { allowFailure: true });
  }

  /** The releases a phase of this run left (KeptLock.state), taken once: the next phase need not read them again. */
  takeKeptState(): ReleaseState | undefined {
    const kept = this.site.kept;
    const state = kept?.state;
    if (kept) kept.state = undefined;
    return state;
  }

  /** A phase of a deploy across hosts: production's releases after its prepare or flip, for the run's next phase (KeptLock.state). */
  keepState(state: ReleaseState): void {
    if (this.site.kept && this.site.keepLock) this.site.kept.state = { ...state, releases: [...state.releases] };
  }

  /**
   * `after`'s lines on production in one round trip (sh/after-flip.sh, no
   * flip): a phase of a deploy across hosts that activates the release its
   * flip made live.
   */
  async runAfter(after: AfterFlip): Promise<NonNullable<FlipResult['after']>> {
    const lock = this.lockHold as DeployLock;
    const q = shellQuote;
    const values = [`site=${q(this.s.path)}`, `renew=${q(lock.renewalScript('restart'))}`, `every=${lock.renewEvery}`, `set -- ${after.lines.map(q).join(' ')}`];
    const r = await this.site.script('activate', `${values.join('\n')}\n${AFTER_FLIP_SCRIPT}`, { allowFailure: true });
    if (r.code !== 0) throw failure(this.s.site, 'activate', `running the restart lines on production failed (exit status ${r.code})`, r);
    return afterAnswer(r);
  }

  /** Tell the lock what we are doing (shown to a command that finds the lock held). */
  phase(name: string): Promise<void> {
    return this.lockHold?.renew(name) ?? Promise.resolve();
  }

  /**
   * Production's releases in one round trip. `prefix` runs first in the same
   * command (push's mkdir and chowns); `trees` are the names to look for in `path`.
   */
  async state(trees: readonly string[] = [], prefix = '', stdin?: string): Promise<ReleaseState> {
    // A --dry-run asks production for its releases for real (read-only) and only records the changes of `prefix`.
    const ask = this.site.ctx.dryRun && prefix !== '';
    if (ask) await this.site.script('releases', prefix, { stdin });
    const script = [...(prefix && !ask ? [prefix] : []), releaseStateScript(this.dir, this.s.path, trees)].join('\n');
    const r = await this.site.script('releases', script, { readOnly: !prefix || ask, stdin: ask ? undefined : stdin });
    const { ctx } = this.site;
    // Offline the script was recorded, not run: its empty answer is an assumption, said once per host.
    if (ctx.offline) ctx.once(`pushdeploy:assumed-releases:${JSON.stringify([this.s.site, this.s.path])}`, () => ctx.assume('production has no releases yet, none live (a first deploy)', 'asked'));
    return parseReleaseState(r.stdout);
  }

  /** The releases from the answer of `opening` run in the lock's round trip (releasesOpening()); a failure is a remote command's. */
  stateFrom(opened: CommandResult): ReleaseState {
    if (opened.code !== 0) throw failure(this.s.site, 'releases', `reading the releases and starting ${this.dir}/next on production failed (exit status ${opened.code})`, opened);
    return parseReleaseState(opened.stdout);
  }

  /** What state(trees, prefix, stdin) runs, for the round trip that takes the lock. */
  releasesOpening(trees: readonly string[], prefix: string, stdin?: string): LockOpening {
    return { script: `${prefix}\n${releaseStateScript(this.dir, this.s.path, trees)}`, stdin };
  }

  /**
   * Run the flip script detached from the connection: `setsid` (and SIGHUP
   * ignored inside), output to .hostout/flip.log, and wait for it. If the
   * connection dies meanwhile, the script still finishes.
   */
  private async runFlip(from: string, to: string, prefix = '', finish?: string, send?: (script: string) => Promise<CommandResult>): Promise<FlipResult & { answer: CommandResult }> {
    for (const id of [from, to]) if (id !== '-' && !RELEASE_ID.test(id)) throw new UsageError(`'${id}' is not a release id`);
    const script = flipRoundTrip(this.dir, [this.s.path, from, to, this.lockToken ?? ''], prefix, finish);
    const started = Date.now();
    const r = send ? await send(script) : finish ? await this.lastStep('flip', script) : await this.site.script('flip', script, { allowFailure: true });
    const roundTripMs = Date.now() - started;
    if (r.code !== 0 && !this.site.ctx.dryRun) {
      // The script's last line says which release `current` names after it: the switch is one rename, so that is what is live.
      const live = /^live (\S+)$/m.exec(r.stdout)?.[1];
      const now = live === undefined
        ? 'production is on whichever release .hostout/current names (the switch is one rename); the next hostout command for this host tidies the flip'
        : live === to ? `production is on release ${to}`
          : live === '-' ? 'production has no release live (nothing was switched)' : `production is still on release ${live} (nothing was switched)`;
      throw failure(this.s.site, 'flip', `the flip from ${from} to ${to} failed (exit status ${r.code}); ${now}`, { ...r, stderr: `${r.stderr}\n${r.stdout.split('\n').filter((l) => !/^live \S+$/.test(l)).join('\n')}` });
    }
    const us = /flipped in (\d+) us/.exec(r.stdout);
    return { from, to, flipMs: us ? Number(us[1]) / 1000 : undefined, roundTripMs, answer: r };
  }

  /**
   * The flip's round trip with `after` in it (sh/after-flip.sh after a flip
   * that went through; then `prune` and the unlock when `after.finish` and
   * every line passed).
   */
  private async runFlipAndAfter(from: string, to: string, prefix: string, after: AfterFlip, prune?: string): Promise<FlipResult> {
    const lock = this.lockHold as DeployLock;
    const q = shellQuote;
    const values = [`site=${q(this.s.path)}`, `renew=${q(lock.renewalScript('restart'))}`, `every=${lock.renewEvery}`, `set -- ${after.lines.map(q).join(' ')}`];
    const finishing = after.finish && prune !== undefined && this.ownsLock;
    const started = Date.now();
    const r = await lock.runReleasing('flip', (unlock) => {
      // The line written before the pruning and the unlock ends this shell (SIGPIPE) when hostout is gone: the lock of
      // a deploy killed mid-restart stays, to be taken over as stale and said so, as when each step was its own round trip.
      const tail = finishing ? `\n[ -z "$failed" ] || exit 0\necho @@hostout:ran-all\n${prune}\n${unlock}\necho @@hostout:finished` : '';
      return this.runFlipScript(from, to, prefix, `${values.join('\n')}\n${AFTER_FLIP_SCRIPT}${tail}`);
    }, (answer) => finishing && answer.code === 0 && /^@@hostout:finished$/m.test(answer.stdout));
    const roundTripMs = Date.now() - started;
    // The flip's answer read as any flip's (a failure says what is live), then what ran after it.
    const flip = await this.runFlip(from, to, prefix, undefined, async () => r);
    flip.roundTripMs = roundTripMs;
    flip.after = afterAnswer(r);
    flip.finished = /^@@hostout:finished$/m.test(r.stdout);
    return flip;
  }

  private runFlipScript(from: string, to: string, prefix: string, finish: string): string {
    return flipRoundTrip(this.dir, [this.s.path, from, to, this.lockToken ?? ''], prefix, finish);
  }

  /**
   * Tidy a flip that was stopped half-way: the switch is one rename, so
   * `current` names the live release either way; the tree links are made
   * right for it (links made for the other release removed).
   */
  async recover(state?: ReleaseState): Promise<ReleaseState | undefined> {
    if (this.site.ctx.dryRun) return state;
    const st = state ?? (await this.state());
    if (!st.journal) return st;
    const target = st.current ?? '-';
    const { from, to } = st.journal;
    await this.runFlip(target, target);
    // The switch is one rename: it was done (completed) or not (undone); only the tree links around it needed tidying.
    const what = target === to && from !== to ? 'completed' : 'undone';
    const now = target === '-' ? 'production has no release live (as before that flip)' : `production is on release ${target}`;
    this.site.ctx.log.warn(`[${this.s.site}] found an interrupted flip from ${from} to ${to} (the flip script was stopped half-way): ${what} it, ${now}`);
    return this.state();
  }

  /**
   * The staging checkout's commit, for the release's meta.json (undefined when
   * `path` is in no git or Mercurial checkout). Only the tool whose directory
   * is there runs: starting Mercurial costs a Python start-up.
   */
  private async commit(): Promise<string | undefined> {
    const { ctx, s } = this.site;
    const vcs = enclosingCheckoutVcs(s.path);
    if (!vcs) return undefined;
    const q = shellQuote(s.path);
    const ask = vcs === 'git' ? `git -c safe.directory='*' -C ${q} rev-parse --short=12 HEAD` : `hg --cwd ${q} id -i`;
    const r = await ctx.local.run(`${ask} 2>/dev/null`, { allowFailure: true, readOnly: true }).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trim().split('\n')[0] || undefined : undefined;
  }

  /**
   * The script that starts .hostout/next for a transfer (run in the round
   * trip that reads the releases). A leftover next/ (an interrupted transfer)
   * is removed, not reused.
   *
   * With `linkTo` (the effective user) and staging's listing on stdin
   * (manifest.ts), next/ starts as hard links to the live trees (`cp -al`),
   * so rsync only sends and writes what changed. rsync writes a changed file
   * as a new file and renames it over the link, which never touches the live
   * inode; it would change in place only the attributes of a file whose size
   * and time match staging's: LINK_NEXT_SCRIPT gives those files an inode of
   * their own first. Without GNU find/cp on production, or logged in as
   * neither the effective user nor root, next/ stays empty and prepare()
   * links with rsync --link-dest (slower: rsync 3.4+ opens every component of
   * the link-dest path once per file).
   */
  nextScript(trees: readonly string[], linkTo?: string): string {
    const q = shellQuote;
    const next = `${this.dir}/next`;
    const clean = `rm -rf ${q(next)} && mkdir -p ${q(`${this.dir}/releases`)} && mkdir ${q(next)} || exit 1`;
    if (linkTo === undefined) return clean;
    const vars = `cd ${q(this.s.path)} || exit 1; eu=${q(linkTo)}; trees=${q(trees.join(' '))}`;
    return `${clean}
echo ${NEXT_MARK}
(
${vars}
${LINK_NEXT_SCRIPT}) || exit 1`;
  }

  /** The recording of the release prepare() transferred, left to the flip, or to the command's end (one round trip less). */
  private readonly pendingRecord = new PendingRecord();

  /**
   * The `prepare` command's last step: rename the release into releases/ (left
   * pending by prepare()) and give the lock back, in one round trip. Called when nothing else of the command runs on
   * production any more (var/'s rsync included).
   */
  async finalizePrepared(id: string, state?: ReleaseState): Promise<void> {
    const kept = this.site.kept;
    if (kept && this.site.keepLock && state && !this.site.ctx.dryRun) {
      // A phase of a deploy across hosts: the run's flip (or finish) records it, with the releases as they are now.
      const script = this.pendingRecord.take(id);
      if (script !== undefined) kept.record = { id, script };
      this.keepState(state);
      return;
    }
    const pending = this.pendingRecord.take(id);
    if (pending === undefined) return;
    const r = await this.lastStep('prepare', pending);
    if (r.code !== 0 && !this.site.ctx.dryRun) {
      throw failure(this.s.site, 'prepare', `release ${id} was transferred but could not be recorded on production (exit status ${r.code}); production is unchanged`, r);
    }
  }

  /**
   * Transfer the staging trees (names inside `path`) into a new release next
   * to the live one: rsync --delete into .hostout/next (started by
   * nextScript(): hard links to the live trees, or empty and then
   * --link-dest), renamed to .hostout/releases/<ID> once complete. Does not flip.
   * `ownership` are rsync's extra words for the owner (--chown=…).
   *
   * The caller has started next/ with nextScript() (in the round trip of
   * state(), whose answer `opts.state` is); `listed`: staging's listing was
   * sent with it.
   * The release is renamed into releases/ by the flip's round trip (or by
   * finalizePrepared(), the `prepare` command's last one) rather than by one
   * of its own.
   */
  async prepare(
    trees: readonly string[],
    opts: { ownership: string[]; chownTo?: string; state: ReleaseState; command: string; listed?: boolean },
  ): Promise<ReleaseMeta> {
    const { ctx, s } = this.site;
    const q = shellQuote;
    const next = `${this.dir}/next`;
    // A --dry-run did not run nextScript(): it shows what a real run does when staging could be listed.
    const linked = opts.state.next ? opts.state.next.linked : ctx.dryRun && opts.listed === true;
    const sources = trees.map((t) => `${s.path}/./${t}/`);
    if (ctx.dryRun) {
      this.info(`delta: what the new release changes against the live trees`);
      // --keep-dirlinks: production's trees are links to the live release's directories; compare with what they point to.
      await ctx.rsync({
        from: sources, to: s.path, relative: true, delete: true, direction: 'push', remoteSudo: s.remoteSudo, localSudo: s.localSudo,
        extra: ['--dry-run', '--itemize-changes', '--keep-dirlinks', ...opts.ownership],
      });
    }
    const copied = opts.state.next?.copied ? `; ${opts.state.next.copied} file(s) whose attributes change copied first` : '';
    this.info(`prepare: ${trees.join(', ')} -> ${next} (unchanged files hard-linked to the live ones${linked ? ` by cp -al${copied}` : ' by rsync --link-dest'})`);
    // Asked while rsync runs: nothing waits for it.
    const commit = this.commit();
    try {
      // next/ is scratch: removed if this fails, and started afresh by the next prepare.
      // --link-dest=<path>: rsync looks up <path>/bin/FILE, which the tree links lead into the live release.
      await ctx.rsync({
        from: sources, to: next, relative: true, delete: true, direction: 'push', remoteSudo: s.remoteSudo, localSudo: s.localSudo, scratch: true,
        extra: [...(linked ? [] : [`--link-dest=${s.path}`]), ...opts.ownership],
      });
      if (opts.chownTo) await this.site.script('prepare', `chown -R -- ${q(opts.chownTo)} ${q(next)}`);
    } catch (e) {
      const why = e instanceof HostoutError ? e.reason : e instanceof Error ? e.message : String(e);
      const stderr = e instanceof CommandError ? e.stderrTail : '';
      // rsync's own words may not reach us (a receiver that died of it says nothing more), so
      // ask production, before the partial release is removed, how much room is left.
      const avail = await this.site.script('prepare', `df -Pk -- ${q(s.path)} | awk 'NR==2 {print $4}'`, { allowFailure: true, readOnly: true }).catch(() => undefined);
      const noRoom = !!avail && avail.code === 0 && /^\d+$/.test(avail.stdout.trim()) && Number(avail.stdout.trim()) < 1024;
      // Free the space (a full disk is a usual cause); production was not touched.
      await this.site.script('prepare', `rm -rf ${q(next)}`, { allowFailure: true }).catch(() => undefined);
      const full = noRoom || /No space left on device|Disk quota exceeded/i.test(`${why}\n${stderr}`) ? " production's disk is full." : '';
      const live = opts.state.current ? `still on release ${opts.state.current}` : 'unchanged';
      const message = `the transfer of the new release failed, production is ${live} (the partial release was removed).${full} ${why}`;
      // A connection lost, silent or stalled under the transfer keeps its class (exit 74), as docs/cli.md says.
      if (e instanceof TransportError) throw new TransportError(message, { host: s.site, kind: e.kind, target: e.target, command: e.command, cause: e });
      throw new CommandError(message, { host: s.site, command: opts.command, status: e instanceof CommandError ? e.status : null, stderrTail: e instanceof CommandError ? e.stderrTail : '' });
    }
    const taken = opts.state.releases.map((r) => r.id);
    const meta: ReleaseMeta = { id: newReleaseId(taken), ...maker(opts.command), commit: await commit, trees: [...trees] };
    this.pendingRecord.leave(meta.id, recordReleaseScript(this.dir, meta));
    this.info(`prepared release ${meta.id}`);
    return meta;
  }

  /**
   * Make release `to` live. Without a live release, the live trees of
   * production (deployed by the original, or by hand) are first adopted as a
   * release of their own, so they can be flipped back to.
   */
  async flip(to: string, state: ReleaseState, opts: { last?: boolean; unlock?: boolean; after?: AfterFlip; sayAfter?: () => void } = {}): Promise<FlipResult> {
    if (!RELEASE_ID.test(to)) throw new UsageError(`'${to}' is not a release id`);
    // The recording of `to` left by this run's prepare (a deploy across hosts), taken by the flip that makes it live.
    const kept = this.site.kept?.record?.id === to ? this.site.kept.record : undefined;
    if (kept && this.site.kept) this.site.kept.record = undefined;
    const pending = this.pendingRecord.take(to) ?? kept?.script ?? '';
    const target = state.releases.find((r) => r.id === to);
    if (!target && !this.site.ctx.dryRun) throw new ConfigError(`production has no release ${to}; 'hostout ${this.s.site} releases' lists them`, { host: this.s.site });
    if (state.current === to) throw new UsageError(`release ${to} is live already`, { host: this.s.site });
    let from = state.current ?? '-';
    let prefix = pending;
    if (!state.current) {
      const live = (target?.trees ?? []).filter((t) => state.live.includes(t));
      if (live.length) {
        // Named one second before the release that replaces it, so that it sorts before it (ids sort by age).
        const before = new Date(releaseTime(to).getTime() - 1000);
        const adopted: ReleaseMeta = { id: newReleaseId(state.releases.map((r) => r.id), before, '-adopted'), ...maker('adopted'), adopted: true, trees: live };
        const a = `${this.dir}/releases/${adopted.id}`;
        const q = shellQuote;
        prefix += (prefix ? '\n' : '') + [
          `mkdir ${q(a)}`,
          `printf '%s\\n' ${q(JSON.stringify(adopted))} > ${q(`${a}/meta.json`)}`,
          `printf '%s\\n' ${live.map(q).join(' ')} > ${q(`${a}/trees`)}`,
          `printf '%s\\n' ${q(adopted.id)} > ${q(`${this.dir}/current`)}`,
        ].join(' && ') + ' || exit 5';
        from = adopted.id;
        this.info(`adopting the trees deployed before hostout kept releases (${live.join(', ')}) as release ${adopted.id}`);
      }
    }
    this.info(`flip: ${from === '-' ? 'no release' : from} -> ${to}`);
    // The command's last step: prune and give back the lock in the flip's round trip.
    // (Not when adopting: the adopted release is not in `state` yet.)
    const after = opts.last && state.current && this.ownsLock ? pruneScript(this.dir, this.s.keepReleases, { ...state, current: to }) : undefined;
    // `unlock`: the command ends with this flip but keeps every release (the `flip` command: a
    // deploy across hosts may still flip back to `from`); only the lock goes in its round trip.
    const finish = after?.script ?? (opts.unlock && this.ownsLock ? 'true' : undefined);
    // A deploy's restart lines (and, with nothing left after them, the pruning and the unlock) ride in the flip's round trip.
    const fold = opts.after && this.lockHold && !this.site.ctx.dryRun ? opts.after : undefined;
    const pruning = fold && state.current ? pruneScript(this.dir, this.s.keepReleases, { ...state, current: to }) : undefined;
    if (fold) opts.sayAfter?.();
    const r = fold ? await this.runFlipAndAfter(from, to, prefix, fold, pruning?.script) : await this.runFlip(from, to, prefix, finish);
    if (r.finished && pruning) this.saidPruned(pruning.gone);
    this.info(`release ${to} is live (flip ${r.flipMs !== undefined ? `${r.flipMs.toFixed(1)} ms on production, ` : ''}${r.roundTripMs} ms with the round trip)`);
    if (after) {
      this.saidPruned(after.gone);
      r.finished = true;
    }
    return r;
  }

  /** The release before the live one (what `rollback` with no id goes to). */
  previous(state: ReleaseState): string | undefined {
    const older = state.releases.filter((r) => state.current === undefined || r.id < state.current);
    return older[older.length - 1]?.id;
  }

  /**
   * A command's last step: remove releases beyond keep-releases (never the
   * live one: renamed away at once, deleted in the background) and give the
   * deploy lock back, in one round trip.
   */
  async prune(state: ReleaseState): Promise<string[]> {
    const { gone, script } = pruneScript(this.dir, this.s.keepReleases, state);
    if (gone.length || this.ownsLock) await this.lastStep(gone.length ? 'prune' : 'unlock', script);
    this.saidPruned(gone);
    return gone;
  }

  private saidPruned(gone: string[]): void {
    if (gone.length) this.info(`pruned release${gone.length > 1 ? 's' : ''} ${gone.join(', ')} (keep-releases = ${this.s.keepReleases})`);
  }

  /** `unlock`. */
  unlock(): Promise<{ held: boolean; holder?: LockHolder }> {
    return forceUnlock({ path: this.s.path, run: this.site.script });
  }
}
