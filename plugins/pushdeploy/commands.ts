/**
 * The pushdeploy commands (as of hostout.pushdeploy's last release, 2013), on the transport
 * primitives only. Staging is the machine hostout runs on (`ctx.local`,
 * local paths = `path`); production is the host (`ctx.remote`, same `path`).
 *
 * Differences from the original, all deliberate (docs/pushdeploy.md lists them):
 * git as well as hg; `checkout` exists; buildout flags pass through; clear
 * errors instead of crashes; missing production data is skipped with a
 * warning; var/ ownership is restored even when buildout fails; remote
 * supervisor commands and restart lines run in `path` (so a buildout's own
 * etc/supervisord.conf is found).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError, ConfigError, InterruptedError, UsageError, shellJoin, shellQuote, validateBranch, validatePath, validateRepository, type CommandContext, type CommandResult, type FlipOutcome, type PrepareResult } from 'hostout';
import { assumedStagingBuildout, readStagingBuildout, requireStagingBuildout, type BuildoutDirectories } from './annotate';
import { stagingManifest } from './manifest';
import { describeHolder, type KeptLock, type LockOpening, type RemoteScript } from './lock';
import { RELEASE_ID, releaseTreeName, SiteReleases, type AfterFlip, type FlipResult, type ReleaseMeta, type ReleaseState } from './releases';
import {
  readSettings, requirePython, requireRestartLines, requireSupervisorConf, type SiteSettings,
} from './settings';
import { cloneCommand, detectCheckoutVcs, detectRepositoryVcs, updateCommands } from './vcs';
import { InstanceRoll, RollFailure } from './roll';
import { retryUntil } from './retry';
import { readRollSettings, type RollSettings } from './roll-settings';

/**
 * push's var/ rsync never sends these: production data, logs, backups,
 * runtime files (the original's list, plus FileStorage side files, backup
 * folders and pid/lock/socket files). Folders such as var/log still arrive
 * (empty of logs) because programs expect them.
 */
export const VAR_EXCLUDES = [
  'blobstorage*', '*.fs', '*.fs.*', '*.old', '*.zip', '*.log', '*.backup', '*backups/', '*.pid', '*.lock', '*.sock',
];

const isDir = (p: string): boolean => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The staged trees a release is made of (names inside `path`), trees pushed in place, and staging's listing being read. */
interface Staged {
  names: string[];
  inPlace: string[];
  listing: Promise<string | undefined>;
}

/** A release prepared on production by push/deploy/prepare, and production's state around it. */
interface Prepared {
  release: ReleaseMeta;
  state: ReleaseState;
}

/** Per-command helpers bound to one host's context and settings. */
class Site {
  readonly s: SiteSettings;
  readonly releases: SiteReleases;
  /** With `instances`: the rolling restart that replaces the `restart` lines (roll.ts). */
  readonly rolling?: RollSettings;
  readonly roll?: InstanceRoll;
  constructor(readonly ctx: CommandContext) {
    const s = readSettings(ctx.name, ctx.options);
    // --no-rollback (ctx.rollback false) keeps a failed release live, whatever `auto-rollback` says.
    this.s = ctx.rollback === false ? { ...s, autoRollback: false } : s;
    this.rolling = readRollSettings(ctx.name, ctx.options, this.s.hostname);
    if (this.rolling) this.roll = new InstanceRoll({ ctx, site: this.s.site, r: this.rolling, run: (line, o) => this.remotely(line, this.s.path, o) });
    // A deploy across hosts holds each host's lock from its prepare to the run's finish: every phase presents it.
    const kept = ctx.once(`pushdeploy:kept-lock:${JSON.stringify([ctx.name, this.s.path])}`, (): KeptLock => ({}));
    this.releases = new SiteReleases({ ctx, s: this.s, script: this.script, kept, keepLock: ctx.phase !== undefined && ctx.phase !== 'finish' });
  }

  /** The name the lock holder gets: a phase of a deploy across hosts is that deploy. */
  private lockCommand(command: string): string {
    return this.ctx.phase ? 'deploy' : command;
  }

  /** A multi-line step on production (lock, flip…): logged by its label, run like `remotely`. */
  readonly script: RemoteScript = (label, script, opts = {}) => {
    this.ctx.log.debug(`[${this.s.site}] ${label}`);
    const o = { allowFailure: opts.allowFailure, readOnly: opts.readOnly, stdin: opts.stdin };
    return this.s.remoteSudo ? this.ctx.remote.sudo(script, o) : this.ctx.remote.run(script, o);
  };

  /**
   * A local step's progress line. A dry run prints none: the transport's plan
   * line of the same command (`[site] local: …`) already shows it.
   */
  step(label: string, detail: string): void {
    if (!this.ctx.dryRun) this.ctx.log.info(`[localhost] ${label}: ${detail}`);
  }

  /** `S su <bu> -c "<cmd>"` of the original. */
  asBuildoutUser(label: string, command: string, opts: { cwd?: string; allowFailure?: boolean } = {}): Promise<CommandResult> {
    this.step(label, command);
    return this.ctx.local.run(command, { as: this.s.buildoutUser, sudo: this.s.localSudo, ...opts });
  }

  /** `S <cmd>` of the original: as us, with sudo when local-sudo. */
  locally(label: string, command: string, cwd?: string): Promise<CommandResult> {
    this.step(label, command);
    return this.ctx.local.run(command, { sudo: this.s.localSudo, cwd });
  }

  /** `RS <cmd>`: sudo on production when remote-sudo, else as the login user. */
  remotely(command: string, cwd?: string, o: { cleanup?: boolean } = {}): Promise<CommandResult> {
    // Fabric-style progress line, like the original's `[host] run: …`.
    this.ctx.log.info(`[${this.s.site}] ${this.s.remoteSudo ? 'sudo' : 'run'}: ${command}`);
    return this.s.remoteSudo ? this.ctx.remote.sudo(command, { cwd, cleanup: o.cleanup }) : this.ctx.remote.run(command, { cwd, cleanup: o.cleanup });
  }

  pushDir(from: string, to: string, extra?: { exclude?: string[]; extra?: string[] }): Promise<CommandResult> {
    this.step('rsync', `${from} -> production:${to}`);
    return this.ctx.rsync({
      from: `${from}/`, to, direction: 'push', remoteSudo: this.s.remoteSudo, localSudo: this.s.localSudo, ...extra,
    });
  }

  private annotated?: Promise<BuildoutDirectories>;

  /**
   * The staged trees of a command that will transfer them: production's
   * ssh handshake starts first, so it runs while staging's buildout is read
   * and listed (the first round trip then finds the connection open).
   */
  private async stagedForTransfer(): Promise<Staged> {
    this.ctx.remote.connect();
    return this.stagedTrees(await this.annotate());
  }

  /**
   * The staging buildout, read once per run for every host that has the same
   * one (deploy reads it for push and for deploy_etc). A failure is read
   * again for each host, so that its message names that host.
   */
  annotate(): Promise<BuildoutDirectories> {
    const { s } = this;
    if (this.stagingAssumed()) {
      this.annotated ??= Promise.resolve(this.ctx.once(`pushdeploy:assumed-staging:${JSON.stringify([s.site, s.buildoutConfig])}`, () => {
        this.ctx.assume(`staging's buildout ${s.buildoutConfig} has run: bin, eggs, parts and etc are staged in ${s.path}`);
        return assumedStagingBuildout(s);
      }));
      return this.annotated;
    }
    const key = `pushdeploy:staging-buildout:${JSON.stringify([s.buildoutConfig, s.path, s.buildoutUser])}`;
    this.annotated ??= this.ctx.once(key, () => readStagingBuildout(s)).catch(() => readStagingBuildout(s));
    return this.annotated;
  }

  /**
   * An offline dry run on a machine without the staging buildout (not the
   * staging machine, or before its checkout): what it would read there is
   * assumed, so the plan goes on. Any other run reads it, or stops saying
   * what to do.
   */
  private stagingAssumed(): boolean {
    return this.ctx.offline && !fs.existsSync(this.s.buildoutConfig);
  }

  /** Once per host and run: the same assumption is listed once however many commands rest on it. */
  private assumeOnce(key: string, what: string): void {
    this.ctx.once(`pushdeploy:assumed:${JSON.stringify([this.s.site, key])}`, () => this.ctx.assume(what));
  }

  // ---- the commands ----

  async clone(repository?: string, branch?: string): Promise<void> {
    if (!repository) throw new UsageError(`usage: hostout ${this.s.site} checkout REPOSITORY [BRANCH]`, { host: this.s.site });
    validateRepository(repository, { option: 'REPOSITORY', host: this.s.site });
    if (branch !== undefined) validateBranch(branch, { option: 'BRANCH', host: this.s.site });
    const { vcs, url } = detectRepositoryVcs(repository);
    if (fs.existsSync(this.s.path) && fs.readdirSync(this.s.path).length > 0) {
      throw new ConfigError(
        `${this.s.path} already exists and is not empty: run 'hostout ${this.s.site} update' to update it, or move it away to check out afresh`,
        { host: this.s.site },
      );
    }
    await this.asBuildoutUser('clone', cloneCommand(vcs, url, this.s.path, branch));
  }

  async update(branch?: string): Promise<void> {
    if (branch !== undefined) validateBranch(branch, { option: 'BRANCH', host: this.s.site });
    let vcs = detectCheckoutVcs(this.s.path);
    if (!vcs && this.stagingAssumed()) {
      this.assumeOnce('checkout', `${this.s.path} is a git checkout`);
      vcs = 'git';
    }
    if (!vcs) {
      throw new ConfigError(
        `${this.s.path} is not a git or Mercurial checkout: run 'hostout ${this.s.site} checkout REPOSITORY [BRANCH]' first`,
        { host: this.s.site },
      );
    }
    for (const command of updateCommands(vcs, branch)) await this.asBuildoutUser('update', command, { cwd: this.s.path });
  }

  async bootstrap(...args: string[]): Promise<void> {
    // Checked whichever Python is used (reading the staging buildout for its executable checked it too).
    if (!this.stagingAssumed()) requireStagingBuildout(this.s);
    // bootstrap-python, else `executable`, else the staging buildout's own Python
    // (its [buildout] executable): the original's "python of the current buildout".
    const python = this.s.python ?? (await this.annotate()).buildout.executable ?? this.assumedPython() ?? requirePython(this.s);
    const first = shellJoin([python, 'bootstrap.py', '--distribute', ...args]);
    const result = await this.asBuildoutUser('bootstrap', first, { cwd: this.s.path, allowFailure: true });
    if (result.code === 0) return;
    this.ctx.log.info('First bootstrap failed: we have a new bootstrap which has --distribute option now default. Trying again...');
    await this.asBuildoutUser('bootstrap', shellJoin([python, 'bootstrap.py', ...args]), { cwd: this.s.path });
  }

  /** Offline without a staging buildout to name its Python: python3, said so. */
  private assumedPython(): string | undefined {
    if (!this.stagingAssumed()) return undefined;
    this.assumeOnce('python', `bootstrap.py runs with python3 (no bootstrap-python or executable is set, and no staging buildout names one)`);
    return 'python3';
  }

  async buildout(...args: string[]): Promise<void> {
    const argv = buildoutArgv(args);
    const varDir = `${this.s.path}/var`;
    const hasVar = isDir(varDir);
    if (hasVar) await this.locally('buildout', shellJoin(['chown', '-R', '--', this.s.buildoutUser, varDir]));
    try {
      await this.asBuildoutUser('buildout', shellJoin(argv), { cwd: this.s.path });
    } finally {
      // Hand var/ back to the site's user even when buildout failed (the original left it to the buildout user).
      if (isDir(varDir)) await this.locally('buildout', shellJoin(['chown', '-R', '--', this.s.effectiveUser, varDir]));
    }
  }

  async pull(): Promise<void> {
    const p = this.s.path;
    if (!isDir(`${p}/var/filestorage`)) await this.locally('pull', shellJoin(['mkdir', '-p', `${p}/var/filestorage`]));
    const dataFs = `${p}/var/filestorage/Data.fs`;
    const blobs = `${p}/var/blobstorage`;
    for (const [from, to] of [[dataFs, dataFs], [blobs, `${p}/var`]] as const) {
      // A dry run that cannot ask assumes production has its data, and shows the pull.
      if (!(await this.ctx.remote.exists(from, { assume: true }))) {
        this.ctx.log.warn(`[${this.s.site}] production has no ${from}; nothing to pull for it`);
        continue;
      }
      this.step('rsync', `production:${from} -> ${to}`);
      await this.ctx.rsync({ from, to, direction: 'pull', delete: true, remoteSudo: this.s.remoteSudo, localSudo: this.s.localSudo });
    }
    await this.locally('pull', shellJoin(['chown', '-R', '--', this.s.effectiveUser, `${p}/var`]));
  }

  async stage(): Promise<void> {
    // Fail before touching anything when the final step cannot run.
    if (this.s.localRestart) requireRestartLines(this.s, 'stage');
    await this.pull();
    await this.update();
    await this.bootstrap();
    await this.buildout();
    if (this.s.localRestart) {
      for (const line of this.s.restartLines) await this.locally('restart', line, this.s.path);
    }
  }

  /**
   * Transfer the staged trees into a new release on production (not live yet),
   * and new files of var/. Trees outside `path`, or deeper inside it, are
   * pushed in place as before: they cannot be renamed with the release.
   */
  /** The release trees of the staged buildout: names directly inside `path`, and trees pushed in place. */
  private releaseTrees(dirs: BuildoutDirectories): { names: string[]; inPlace: string[] } {
    const { s } = this;
    // Assumed staged (annotate said so): the trees a buildout makes, all inside `path`.
    if (dirs.assumed) return { names: ['bin', 'eggs', 'parts', 'etc'], inPlace: [] };
    const trees: string[] = [];
    for (const dir of [dirs.bin, dirs.eggs, dirs.parts]) {
      if (isDir(dir)) trees.push(dir);
      else this.ctx.log.warn(`[${s.site}] staging has no ${dir}; skipped (run 'hostout ${s.site} stage' first?)`);
    }
    for (const dir of [`${s.path}/products`, `${s.path}/etc`]) if (isDir(dir) && !trees.includes(dir)) trees.push(dir);
    const names = trees.map((d) => releaseTreeName(s.path, d)).filter((n): n is string => n !== undefined);
    const inPlace = trees.filter((d) => releaseTreeName(s.path, d) === undefined);
    if (!names.length) {
      throw new ConfigError(`staging has nothing to release in ${s.path} (no bin, eggs, parts, products or etc inside it): run 'hostout ${s.site} stage' first`, { host: s.site });
    }
    return { names, inPlace };
  }

  /**
   * The staged trees and staging's listing of them (manifest.ts), begun before
   * the lock is asked for so that reading staging overlaps the round trips.
   */
  private stagedTrees(dirs: BuildoutDirectories): Staged {
    const trees = this.releaseTrees(dirs);
    // Made once per run: every host of a deploy gets the same staging (and the same listing of it).
    const key = `pushdeploy:listing:${JSON.stringify([this.s.path, trees.names, this.s.localSudo])}`;
    const listing = this.ctx.once(key, () => stagingManifest(this.ctx.local, this.s.path, trees.names, this.s.localSudo));
    return { ...trees, listing };
  }

  /**
   * The first round trip of a transfer, after the lock in the same one
   * (withLock's opening): the original's three steps (mkdir, chown path,
   * chown var), starting .hostout/next (with staging's listing on stdin: hard
   * links to the live trees need it, manifest.ts) and reading production's
   * releases, which also says who we are there: that decides how the trees
   * get their owner.
   */
  private async releasesRoundTrip(staged: Staged): Promise<{ prefix: string; listing?: string }> {
    const { s } = this;
    const eu = s.effectiveUser;
    const setup = `${shellJoin(['mkdir', '-p', '--', `${s.path}/var`])} && ${shellJoin(['chown', '--', eu, s.path, `${s.path}/var`])} || exit 1`;
    const listing = await staged.listing;
    return { prefix: `${setup}\n${this.releases.nextScript(staged.names, listing === undefined ? undefined : eu)}`, listing };
  }

  /** withLock's opening for a transfer: its first round trip rides in the lock's. */
  private async transferOpening(staged: Staged): Promise<LockOpening> {
    const { prefix, listing } = await this.releasesRoundTrip(staged);
    return this.releases.releasesOpening(staged.names, prefix, listing);
  }

  private async prepareRelease(command: string, staged: Staged, opened?: CommandResult): Promise<Prepared> {
    const { s } = this;
    const eu = s.effectiveUser;
    const { names, inPlace } = staged;
    const { prefix, listing } = await this.releasesRoundTrip(staged);
    const state = opened ? this.releases.stateFrom(opened) : await this.releases.state(names, prefix, listing);
    // With remote-sudo everything runs as root; `--dry-run --offline` gets no answer, and the login `user` is what `id -un` would say.
    const remoteUser = s.remoteSudo ? 'root' : state.whoami || (this.ctx.dryRun ? (this.ctx.options.user ?? '').trim() : '');
    // Ownership as the original's `chown -R effective-user` after each tree:
    // rsync as root sets it while it writes (--chown); a login that is the
    // effective user already owns what it writes; anyone else still needs chown -R.
    const chownInRsync = remoteUser === 'root';
    const ownership = chownInRsync ? [`--chown=${eu}`] : [];
    const chownAfter = !chownInRsync && remoteUser !== eu;
    // The release is renamed into releases/ by the flip's round trip, or (`prepare`) by the
    // command's last one, with the unlock (finalizePrepared).
    const preparing = this.releases.prepare(names, {
      ownership, chownTo: chownAfter ? eu : undefined, state, command, listed: listing !== undefined,
    });
    // Production's var/ is its own: never its data, never an existing file (no chown, as in the original).
    // Its new files go while the release's trees do (a second channel of the same connection), except
    // under --dry-run, whose preview lines would interleave.
    const pushVar = () => (isDir(`${s.path}/var`) ? this.pushDir(`${s.path}/var`, `${s.path}/var`, { exclude: VAR_EXCLUDES, extra: ['--ignore-existing'] }) : undefined);
    const varPushed = this.ctx.dryRun ? undefined : pushVar();
    const [prepared, varDone] = await Promise.allSettled([preparing, varPushed]);
    if (prepared.status === 'rejected') throw prepared.reason;
    if (varDone.status === 'rejected') throw varDone.reason;
    const release = prepared.value;
    state.releases.push(release);
    for (const dir of inPlace) {
      this.ctx.log.warn(`[${s.site}] ${dir} is not a directory directly inside ${s.path}: pushed in place, outside releases (no --delete)`);
      await this.pushDir(dir, dir, { extra: ownership });
    }
    if (inPlace.length && chownAfter) await this.remotely(shellJoin(['chown', '-R', '--', eu, ...inPlace]));
    if (this.ctx.dryRun) await pushVar();
    return { release, state };
  }

  /** prepare + flip: the new release is live when this returns. */
  private async pushRelease(command: string, staged: Staged, opts: { last?: boolean; opened?: CommandResult; after?: AfterFlip } = {}): Promise<Prepared & { flip: FlipResult }> {
    const prepared = await this.prepareRelease(command, staged, opts.opened);
    const after = opts.after;
    const flip = await this.flipTo(prepared.release.id, prepared.state, { last: opts.last, after, sayAfter: after && (() => this.sayAfterFlip(after)) });
    return { ...prepared, flip };
  }

  /** Flip, and keep `state` true to production afterwards (an adopted release appears, `current` moves). */
  private async flipTo(id: string, state: ReleaseState, opts: { last?: boolean; unlock?: boolean; after?: AfterFlip; sayAfter?: () => void } = {}): Promise<FlipResult> {
    const flip = await this.releases.flip(id, state, opts);
    if (flip.from !== '-' && flip.from !== state.current && !state.releases.some((r) => r.id === flip.from)) {
      state.releases.push({ id: flip.from, created: '', stagingHost: '', user: '', pid: 0, command: 'adopted', adopted: true, trees: [] });
      state.releases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    state.current = id;
    return flip;
  }

  async push(): Promise<void> {
    // Read the staging buildout first (the original did it after the mkdir/chowns): a broken staging fails before production changes.
    const staged = await this.stagedForTransfer();
    await this.releases.withLock('push', async (opened) => {
      const { state, flip } = await this.pushRelease('push', staged, { last: true, opened });
      if (!flip.finished) await this.releases.prune(state);
    }, await this.transferOpening(staged));
  }

  async deployEtc(): Promise<void> {
    const line = await this.etcLine();
    if (line === undefined) return;
    await this.releases.withLock('deploy_etc', async () => {
      await this.remotely(line, this.s.path);
    });
  }

  /** deploy_etc's command on production, when staging has parts/system/etc. */
  private async etcLine(): Promise<string | undefined> {
    const dirs = await this.annotate();
    const systemEtc = `${dirs.parts}/system/etc`;
    return isDir(systemEtc) ? `cp -R ${shellQuote(`${systemEtc}/.`)} /etc && supervisorctl reread && supervisorctl update` : undefined;
  }

  /**
   * What a one-host deploy runs in its flip's round trip (releases.ts
   * AfterFlip): deploy_etc's command and the restart lines, then, without a
   * health check still to pass, the pruning and the unlock. A rolling restart
   * (`instances`), a phase of a deploy across hosts and a dry run keep their
   * own steps.
   */
  private async afterFlip(lines: string[]): Promise<AfterFlip | undefined> {
    if (this.roll || this.ctx.dryRun) return undefined;
    const etc = await this.etcLine();
    return { lines: [...(etc === undefined ? [] : [etc]), ...lines], finish: !this.s.healthcheck };
  }

  /** The lines of `after`, said as `remotely` says them, when the round trip that runs them starts. */
  private sayAfterFlip(after: AfterFlip): void {
    for (const line of after.lines) this.ctx.log.info(`[${this.s.site}] ${this.s.remoteSudo ? 'sudo' : 'run'}: ${line}`);
  }

  /** Whether every line of `after` ran: the one that failed is the error. */
  private ranAfterFlip(after: AfterFlip, answer: FlipResult['after']): void {
    const { ran = 0, failed } = answer ?? {};
    if (!failed && ran === after.lines.length) return;
    if (!failed) {
      throw new CommandError(`production said that only ${ran} of the ${after.lines.length} line(s) to run after the flip ran`, { host: this.s.site, command: after.lines[ran], status: null, stderrTail: '' });
    }
    const line = after.lines[failed.index];
    const tail = failed.stderr.trim().split('\n').slice(-5).join('\n');
    throw new CommandError(`command failed on ${this.s.site} with exit status ${failed.status}: ${line}${tail ? `\n${tail.split('\n').map((l) => `  ${l}`).join('\n')}` : ''}`, {
      host: this.s.site, command: line, status: failed.status, stderrTail: tail,
    });
  }

  /** `healthcheck`, every second until it passes or `healthcheck-timeout` runs out. */
  private async healthcheck(): Promise<void> {
    const { s } = this;
    const check = s.healthcheck;
    if (!check) return;
    void this.releases.phase('healthcheck'); // told to the lock while the check runs: nothing waits for it
    const start = Date.now();
    this.ctx.log.info(`[${s.site}] healthcheck: ${s.healthcheck} (up to ${s.healthcheckTimeout} s)`);
    const { passed, last, attempts } = await retryUntil((deadline) => {
      // Each attempt is itself bounded by what is left of the timeout (when production has coreutils' timeout):
      // SIGTERM to the check's process group, SIGKILL 2 s later for a check that ignores SIGTERM.
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const line = shellQuote(check);
      const cmd = `if command -v timeout >/dev/null 2>&1; then timeout -k 2 ${left} /bin/sh -c ${line}; else /bin/sh -c ${line}; fi`;
      return s.remoteSudo ? this.ctx.remote.sudo(cmd, { cwd: s.path, allowFailure: true }) : this.ctx.remote.run(cmd, { cwd: s.path, allowFailure: true });
    }, (r) => r.code === 0, { start, timeoutMs: s.healthcheckTimeout * 1000, intervalMs: 1000 });
    if (passed) {
      this.ctx.log.info(`[${s.site}] health check passed${attempts > 1 ? ` (attempt ${attempts})` : ''}`);
      return;
    }
    const tail = `${last.stdout}\n${last.stderr}`.trim().split('\n').slice(-3).join(' | ');
    throw new CommandError(
      `the health check '${s.healthcheck}' did not pass within ${s.healthcheckTimeout} s (${attempts} attempts, last exit status ${last.code}${tail ? `: ${tail}` : ''})`,
      { host: s.site, command: s.healthcheck, status: last.code, stderrTail: last.stderr },
    );
  }

  /** The restart lines on production (or, with `instances`, the rolling restart), then the health check. */
  private async restartAndCheck(lines: string[]): Promise<void> {
    void this.releases.phase('restart'); // told to the lock while the restart runs: nothing waits for it
    if (this.roll) await this.roll.roll();
    else for (const line of lines) await this.remotely(line, this.s.path);
    await this.healthcheck();
  }

  /** The restart lines a command needs, checked before anything changes; with `instances`, the balancer's answer instead. */
  private async restartPlan(command: string): Promise<string[]> {
    if (!this.roll) return requireRestartLines(this.s, command);
    await this.roll.preflight();
    return [];
  }

  async deploy(): Promise<void> {
    const lines = await this.restartPlan('deploy');
    const staged = await this.stagedForTransfer();
    const after = this.ctx.phase ? undefined : await this.afterFlip(lines);
    await this.releases.withLock('deploy', async (opened) => {
      const { state, release, flip } = await this.pushRelease('deploy', staged, { opened, after });
      try {
        if (after && flip.after) {
          // The restart lines ran in the flip's round trip.
          this.ranAfterFlip(after, flip.after);
          await this.healthcheck();
        } else {
          await this.deployEtc();
          await this.restartAndCheck(lines);
        }
      } catch (e) {
        // Ctrl-C mid-roll: the roll set its instances in hand back to ready and said where each stands.
        if (e instanceof InterruptedError && this.roll) {
          // An interrupted host's error is not printed (only its summary row): say it as a warning.
          const where = `${e.message}; release ${release.id} is live: the restarted instances run it, the others still run ${flip.from}`;
          this.ctx.log.warn(`[${this.s.site}] ${where}`);
          throw new InterruptedError(where, { host: this.s.site, cause: e });
        }
        if (!(e instanceof CommandError) || this.ctx.dryRun) throw e;
        const why = e.reason;
        const instances = e instanceof RollFailure ? e.restarted : [];
        if (flip.from === '-') throw new CommandError(`release ${release.id} is live but ${why} (there is no earlier release to roll back to)`, { host: this.s.site, command: 'deploy', status: e.status, stderrTail: e.stderrTail });
        if (!this.s.autoRollback) {
          const drained = e instanceof RollFailure ? `; ${e.instance.name} is left drained in haproxy` : '';
          throw new CommandError(`release ${release.id} is live but ${why}; not rolled back (--no-rollback)${drained}: 'hostout ${this.s.site} rollback' goes back to ${flip.from}`, { host: this.s.site, command: 'deploy', status: e.status, stderrTail: e.stderrTail });
        }
        this.ctx.log.warn(`[${this.s.site}] ${why}: rolling back to release ${flip.from}`);
        await this.flipTo(flip.from, state);
        let after = ' and restarted it';
        try {
          await this.deployEtc();
          await this.releases.phase('restart');
          if (this.roll) {
            // Only the instances that went through a restart run the new release: they roll back the same way.
            await this.roll.roll(instances, 'rollback');
            after = this.instancesAfter(instances, flip.from);
          } else for (const line of lines) await this.remotely(line, this.s.path);
        } catch (again) {
          after = `, but restarting it failed too: ${again instanceof Error ? again.message : String(again)}`;
        }
        throw new CommandError(`deploy of release ${release.id} failed (${why}); rolled back to release ${flip.from}${after}`, { host: this.s.site, command: 'deploy', status: e.status, stderrTail: e.stderrTail });
      }
      if (!flip.finished) await this.releases.prune(state);
    }, await this.transferOpening(staged));
  }

  /**
   * `prepare`: a new release on production, not live. Returns its id; as the
   * first phase of a deploy across hosts, `{ release, live }` (the live
   * release is where a cut-short flip goes back to), and the lock stays held.
   */
  async prepare(): Promise<PrepareResult> {
    const staged = await this.stagedForTransfer();
    return this.releases.withLock(this.lockCommand('prepare'), async (opened) => {
      const { release, state } = await this.prepareRelease('prepare', staged, opened);
      await this.releases.finalizePrepared(release.id, this.ctx.phase ? state : undefined);
      return this.ctx.phase ? { release: release.id, live: state.current } : release.id;
    }, await this.transferOpening(staged));
  }

  /**
   * `flip [ID]`: make a release live (default: the newest one newer than the
   * live one). No restart lines. Returns `{ release, from }`: the release now
   * live and the one it replaced (what a deploy across hosts flips back to).
   */
  async flip(id?: string): Promise<FlipOutcome & { release: string }> {
    if (id !== undefined && !RELEASE_ID.test(id)) throw new UsageError(`'${id}' is not a release id ('hostout ${this.s.site} releases' lists them)`, { host: this.s.site });
    return this.releases.withLock(this.lockCommand('flip'), async () => {
      // A phase of a deploy across hosts flips what its prepare left (the run held the lock since), else production is asked.
      const state = (this.ctx.phase && id !== undefined ? this.releases.takeKeptState() : undefined) ?? await this.releases.state(this.treeNamesGuess());
      const to = id ?? state.releases.filter((r) => !state.current || r.id > state.current).pop()?.id;
      if (!to) throw new ConfigError(`no release newer than the live one to flip to: give its id ('hostout ${this.s.site} releases' lists them)`, { host: this.s.site });
      if (this.ctx.phase && !this.ctx.dryRun && !state.releases.some((r) => r.id === to)) {
        // Not a usage error: the release this deploy prepared was removed while it ran (by hand, or after its lock was taken over).
        throw new CommandError(`release ${to}, prepared by this deploy, is gone from production: nothing was flipped`, { host: this.s.site, command: 'flip', status: null, stderrTail: '' });
      }
      const flipped = await this.flipTo(to, state, { unlock: true });
      if (this.ctx.phase) this.releases.keepState(state);
      // '-': nothing was live before (a first deploy), so there is nothing to flip back to.
      return { release: to, from: flipped.from === '-' ? undefined : flipped.from };
    });
  }

  /**
   * `activate`: what deploy does once the new release is live (install its etc,
   * the restart lines, the health check), under the lock: the last phase of a
   * deploy across several hosts, where the CLI flips every host back when one fails.
   */
  async activate(): Promise<void> {
    const lines = await this.restartPlan('activate');
    const after = await this.afterFlip(lines);
    await this.releases.withLock(this.lockCommand('activate'), async () => {
      if (after) {
        // deploy_etc's command, the lock's phase note and the restart lines in one round trip.
        this.sayAfterFlip(after);
        this.ranAfterFlip(after, await this.releases.runAfter(after));
        await this.healthcheck();
        return;
      }
      await this.deployEtc();
      await this.restartAndCheck(lines);
    });
  }

  /** The top-level tree names to look for on production when staging is not read (adoption by `flip`). */
  private treeNamesGuess(): string[] {
    return ['bin', 'eggs', 'parts', 'etc', 'products'];
  }

  /** `rollback [ID]`: flip to the release before the live one (or ID), run the restart lines and the health check. */
  async rollback(id?: string): Promise<string> {
    if (id !== undefined && !RELEASE_ID.test(id)) throw new UsageError(`'${id}' is not a release id ('hostout ${this.s.site} releases' lists them)`, { host: this.s.site });
    await this.roll?.preflight();
    return this.releases.withLock(this.lockCommand('rollback'), async () => {
      let state = await this.releases.state();
      if (this.ctx.phase && state.journal) state = (await this.releases.recover(state)) ?? state;
      if (this.ctx.phase && id !== undefined && state.current === id) {
        // A deploy across hosts whose flip here failed or was cut short before it went through.
        this.ctx.log.info(`[${this.s.site}] release ${id} is live: its flip did not go through, nothing to roll back`);
        return id;
      }
      if (!state.current && !this.ctx.dryRun) throw new ConfigError(`production has no releases yet: nothing to roll back to`, { host: this.s.site });
      const to = id ?? this.releases.previous(state);
      if (!to && !this.ctx.dryRun) throw new ConfigError(`there is no release before ${state.current} to roll back to`, { host: this.s.site });
      const target = to ?? 'PREVIOUS';
      await this.flipTo(target, state);
      if (this.ctx.phase) this.releases.keepState(state);
      if (this.roll || this.s.restartLines.length) await this.restartAndCheck(this.s.restartLines);
      else this.ctx.log.warn(`[${this.s.site}] no 'restart' lines: release ${target} is live, but nothing was restarted`);
      return target;
    });
  }

  /**
   * `finish [prune]`: the end of a deploy across hosts on this host (its last
   * phase, always run): prune old releases when every host went live, and give
   * back the deploy lock the run held since its prepare.
   */
  async finish(arg?: string): Promise<void> {
    if (arg !== undefined && arg !== 'prune') throw new UsageError(`usage: hostout ${this.s.site} finish [prune]`, { host: this.s.site });
    if (!this.ctx.phase) {
      this.ctx.log.info(`[${this.s.site}] finish ends a deploy across several hosts; this run holds no deploy lock here`);
      return;
    }
    await this.releases.finishRun(arg === 'prune');
  }

  /** `releases`: list them (and recover an interrupted flip first, under the lock). */
  async listReleases(): Promise<Array<ReleaseMeta & { live: boolean }>> {
    let state = await this.releases.state();
    if (state.journal) state = await this.releases.withLock('releases', () => this.releases.state());
    const rows = state.releases.map((r) => ({ ...r, live: r.id === state.current }));
    if (!rows.length) this.ctx.log.info(`[${this.s.site}] production has no releases yet (the first push makes one)`);
    for (const r of rows) {
      const from = r.adopted ? 'adopted: deployed before hostout kept releases' : `from ${r.stagingHost}${r.commit ? ` at ${r.commit}` : ''} by ${r.user} (${r.command})`;
      this.ctx.log.info(`${r.live ? '*' : ' '} ${r.id}  ${r.created}  ${from}${r.live ? '  (live)' : ''}`);
    }
    return rows;
  }

  /** What each instance runs after a rollback of `restarted` to `release` (the others were never restarted). */
  private instancesAfter(restarted: readonly { name: string }[], release: string): string {
    const all = this.rolling?.instances ?? [];
    const untouched = all.filter((i) => !restarted.some((r) => r.name === i.name)).map((i) => i.name);
    return `rolled ${restarted.map((i) => i.name).join(', ') || 'no instance'} back (drain, restart, health, ready)` +
      `${untouched.length ? `; ${untouched.join(', ')} never restarted` : ''}: every instance runs release ${release}`;
  }

  /** `haproxy COMMAND…`: one command to haproxy's runtime API (`haproxy-socket`) on this host; returns its answer. */
  async haproxy(words: string[]): Promise<string> {
    const socket = (this.ctx.options['haproxy-socket'] ?? '').trim();
    if (!socket) throw new ConfigError(`'haproxy' needs haproxy-socket: haproxy's admin socket on this host (stats socket PATH level admin), e.g. haproxy-socket = /run/haproxy/admin.sock`, { host: this.s.site });
    if (!words.length) throw new UsageError(`usage: hostout ${this.s.site} haproxy COMMAND… (e.g. haproxy show stat)`, { host: this.s.site });
    const command = words.join(' ');
    if (/[\n\r;]/.test(command)) throw new UsageError(`haproxy: one command at a time (no newline or ';'): ${command}`, { host: this.s.site });
    validatePath(socket, { option: 'haproxy-socket', host: this.s.site });
    // Putting a server back into service is sent even after Ctrl-C: a roll of another host
    // (haproxy-host) sets the instance it had in hand back to ready through here.
    const cleanup = /^set server \S+ state ready$/.test(command);
    return this.ctx.remote.socketExchange(socket, `${command}\n`, { readOnly: /^(show|help)\b/.test(command), cleanup });
  }

  /** `canary`: watch the live instances' health for `canary-wait` seconds (the first host of a deploy across hosts). */
  async canary(): Promise<void> {
    if (!this.roll) throw new ConfigError(`'canary' watches the site's instances: set instances (e.g. instances = instance1:8081 instance2:8082)`, { host: this.s.site });
    await this.roll.watch();
  }

  /** `unlock`: remove the deploy lock whoever holds it. */
  async unlock(): Promise<void> {
    const r = await this.releases.unlock();
    this.ctx.log.info(`[${this.s.site}] ${r.held ? `removed the deploy lock of ${describeHolder(r.holder)}` : 'the deploy lock was not held'}`);
  }

  async stageSupervisor(): Promise<void> {
    const conf = requireSupervisorConf(this.s, 'stage_supervisor');
    const dirs = await this.annotate();
    await this.locally('stage_supervisor', shellJoin(['cp', `${dirs.parts}/${path.basename(conf)}`, conf]));
    await this.locally('stage_supervisor', 'supervisorctl update');
  }

  async deploySupervisor(): Promise<void> {
    const conf = requireSupervisorConf(this.s, 'deploy_supervisor');
    const dirs = await this.annotate();
    await this.releases.withLock('deploy_supervisor', async () => {
      const from = `${dirs.parts}/${path.basename(conf)}`;
      this.step('rsync', `${from} -> production:${conf}`);
      await this.ctx.rsync({ from, to: conf, direction: 'push', remoteSudo: this.s.remoteSudo, localSudo: this.s.localSudo });
      await this.remotely('supervisorctl update', this.s.path);
    });
  }

  async cookResources(): Promise<void> {
    const dirs = await this.annotate();
    const name = dirs.buildout.buildoutname;
    if (!name) {
      throw new ConfigError(`cook_resources needs 'buildoutname' (the Plone site id) in [buildout] of ${this.s.buildoutConfig}`, { host: this.s.site });
    }
    const cook = (instance: string) => `${shellJoin([`${this.s.path}/bin/${instance}`, '-O', name, 'run'])} "$(which resourcecooker.py)"`;
    const first = await this.ctx.remote.sudo(cook('instance'), { allowFailure: true });
    if (first.code === 0) return;
    const second = await this.ctx.remote.sudo(cook('instance1'), { allowFailure: true });
    // As the original: a site whose resources cannot be cooked still deploys; say so and go on.
    if (second.code !== 0) {
      this.ctx.log.warn(
        `[${this.s.site}] cook_resources: neither bin/instance nor bin/instance1 could cook the resources ` +
          `(exit status ${first.code} and ${second.code}); the site runs with uncooked resources`,
      );
    }
  }

  /** Returns nothing: supervisorctl's output has been shown, and a raw result is no value to print. */
  async supervisorctl(verb: 'start' | 'stop' | 'restart'): Promise<void> {
    await this.remotely(shellJoin(['supervisorctl', verb, `${this.s.hostname}:*`]), this.s.path);
  }
}

/** zc.buildout options that take a value in the next word (so that word is not a part name). */
const BUILDOUT_VALUE_FLAGS = new Set(['-c', '-t']);

/**
 * `bin/buildout [flags…] [install part…]`. The original kept only `-o`;
 * every flag (and `section:option=value`) now passes through, words that
 * are neither are part names.
 */
export function buildoutArgv(args: readonly string[]): string[] {
  const flags: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      flags.push(a);
      if (BUILDOUT_VALUE_FLAGS.has(a) && i + 1 < args.length) flags.push(args[++i]);
    } else if (a.includes('=')) flags.push(a);
    else parts.push(a);
  }
  return ['bin/buildout', ...flags, ...(parts.length ? ['install', ...parts] : [])];
}

type Handler = (site: Site, args: string[]) => Promise<unknown>;

/** Command name → [description (first line is listed), handler]. */
export const COMMANDS: Record<string, [string, Handler]> = {
  stage: ['Pull production data, update, bootstrap and run the staging buildout', (x) => x.stage()],
  deploy: ['Push the staged buildout to production as a new release, install its etc, run the restart lines and the health check (rolls back when they fail)', (x) => x.deploy()],
  checkout: ['Check out the staging buildout: checkout REPOSITORY [BRANCH] (git or hg)', (x, a) => x.clone(a[0], a[1])],
  clone: ['Clone the staging buildout: clone REPOSITORY [BRANCH] (git or hg)', (x, a) => x.clone(a[0], a[1])],
  update: ['Update the staging buildout from its repository: update [BRANCH]', (x, a) => x.update(a[0])],
  bootstrap: ['Bootstrap the staging buildout with bootstrap-python or executable', (x, a) => x.bootstrap(...a)],
  buildout: ['Run the staging buildout: buildout [PART...] [-o] [buildout flags]', (x, a) => x.buildout(...a)],
  annotate: ["Return the staging buildout's [buildout] section as the buildout user sees it", async (x) => (await x.annotate()).buildout],
  pull: ['Copy production data (Data.fs, blobstorage) to staging', (x) => x.pull()],
  push: ['Copy the staged bin, eggs, parts, etc to production as a new release and flip it live (and new var files)', (x) => x.push()],
  prepare: ['Transfer the staged buildout to production as a new release without making it live; returns its id', (x) => x.prepare()],
  flip: ['Make a prepared release live: flip [ID] (default: the newest newer than the live one); no restart', (x, a) => x.flip(a[0])],
  activate: ["Install the live release's etc, run the restart lines and the health check (deploy's last step)", (x) => x.activate()],
  rollback: ['Make the previous release (or rollback ID) live again and run the restart lines; no transfer', (x, a) => x.rollback(a[0])],
  finish: ["The end of a deploy across several hosts: prune old releases ('finish prune') and give back the deploy lock the run held", (x, a) => x.finish(a[0])],
  releases: ['List the releases on production (id, when, from which staging commit, which is live)', (x) => x.listReleases()],
  unlock: ['Remove the deploy lock of production, whoever holds it', (x) => x.unlock()],
  canary: ["Watch every instance's health URL for canary-wait seconds (a canary deploy's first host)", (x) => x.canary()],
  haproxy: ["Send one command to haproxy's runtime API (haproxy-socket) on this host: haproxy show stat", (x, a) => x.haproxy(a)],
  deploy_etc: ["Copy parts/system/etc to production's /etc and update supervisor", (x) => x.deployEtc()],
  stage_supervisor: ['Install the supervisor-conf program file on staging and update supervisor', (x) => x.stageSupervisor()],
  deploy_supervisor: ['Install the supervisor-conf program file on production and update supervisor', (x) => x.deploySupervisor()],
  cook_resources: ['Cook Plone resources on production (bin/instance, else bin/instance1)', (x) => x.cookResources()],
  start: ["Start the site's supervisor group on production", (x) => x.supervisorctl('start')],
  stop: ["Stop the site's supervisor group on production", (x) => x.supervisorctl('stop')],
  restart: ["Restart the site's supervisor group on production", (x) => x.supervisorctl('restart')],
};

export function runCommand(name: string, ctx: CommandContext, args: string[]): Promise<unknown> {
  const entry = COMMANDS[name];
  if (!entry) throw new UsageError(`hostout.pushdeploy has no command '${name}'`);
  return entry[1](new Site(ctx), args);
}
