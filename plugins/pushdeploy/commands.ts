/**
 * The pushdeploy commands (compat §5.4, HEAD d2a6c1a), on the transport
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
import { ConfigError, UsageError, shellJoin, shellQuote, validateBranch, validateRepository, type CommandContext, type CommandResult } from 'hostout';
import { readStagingBuildout, type BuildoutDirectories } from './annotate';
import {
  readSettings, requirePython, requireRestartLines, requireSupervisorConf, type SiteSettings,
} from './settings';
import { cloneCommand, detectCheckoutVcs, detectRepositoryVcs, updateCommands } from './vcs';

/**
 * push's var/ rsync never sends these: production data, logs, backups,
 * runtime files (compat §5.4's list, plus FileStorage side files, backup
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

/** Per-command helpers bound to one host's context and settings. */
class Site {
  readonly s: SiteSettings;
  constructor(readonly ctx: CommandContext) {
    this.s = readSettings(ctx.name, ctx.options);
  }

  step(label: string, detail: string): void {
    this.ctx.log.info(`[localhost] ${label}: ${detail}`);
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
  remotely(command: string, cwd?: string): Promise<CommandResult> {
    // Fabric-style progress line, like the original's `[host] run: …`.
    this.ctx.log.info(`[${this.s.site}] ${this.s.remoteSudo ? 'sudo' : 'run'}: ${command}`);
    return this.s.remoteSudo ? this.ctx.remote.sudo(command, { cwd }) : this.ctx.remote.run(command, { cwd });
  }

  pushDir(from: string, to: string, extra?: { exclude?: string[]; extra?: string[] }): Promise<CommandResult> {
    this.step('rsync', `${from} -> production:${to}`);
    return this.ctx.rsync({
      from: `${from}/`, to, direction: 'push', remoteSudo: this.s.remoteSudo, localSudo: this.s.localSudo, ...extra,
    });
  }

  annotate(): Promise<BuildoutDirectories> {
    return readStagingBuildout(this.s);
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
    const vcs = detectCheckoutVcs(this.s.path);
    if (!vcs) {
      throw new ConfigError(
        `${this.s.path} is not a git or Mercurial checkout: run 'hostout ${this.s.site} checkout REPOSITORY [BRANCH]' first`,
        { host: this.s.site },
      );
    }
    for (const command of updateCommands(vcs, branch)) await this.asBuildoutUser('update', command, { cwd: this.s.path });
  }

  async bootstrap(...args: string[]): Promise<void> {
    // bootstrap-python, else `executable`, else the staging buildout's own Python
    // (its [buildout] executable): the original's "python of the current buildout".
    const python = this.s.python ?? (await this.annotate()).buildout.executable ?? requirePython(this.s);
    const first = shellJoin([python, 'bootstrap.py', '--distribute', ...args]);
    const result = await this.asBuildoutUser('bootstrap', first, { cwd: this.s.path, allowFailure: true });
    if (result.code === 0) return;
    this.ctx.log.info('First bootstrap failed: we have a new bootstrap which has --distribute option now default. Trying again...');
    await this.asBuildoutUser('bootstrap', shellJoin([python, 'bootstrap.py', ...args]), { cwd: this.s.path });
  }

  async buildout(...args: string[]): Promise<void> {
    const argv = buildoutArgv(args);
    const varDir = `${this.s.path}/var`;
    const hasVar = isDir(varDir);
    if (hasVar) await this.locally('pull', shellJoin(['chown', '-R', '--', this.s.buildoutUser, varDir]));
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
      if (!(await this.ctx.remote.exists(from))) {
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

  async push(): Promise<void> {
    const { s } = this;
    const eu = s.effectiveUser;
    // Read the staging buildout first (the original did it after the mkdir/chowns): a broken staging fails before production changes.
    const dirs = await this.annotate();
    const remoteUser = await this.productionUser();
    // The original's three steps (mkdir, chown path, chown var) in one round trip.
    await this.remotely(`${shellJoin(['mkdir', '-p', '--', `${s.path}/var`])} && ${shellJoin(['chown', '--', eu, s.path, `${s.path}/var`])}`);
    const trees: string[] = [];
    for (const dir of [dirs.bin, dirs.eggs, dirs.parts]) {
      if (isDir(dir)) trees.push(dir);
      else this.ctx.log.warn(`[${s.site}] staging has no ${dir}; skipped (run 'hostout ${s.site} stage' first?)`);
    }
    for (const dir of [`${s.path}/products`, `${s.path}/etc`]) if (isDir(dir)) trees.push(dir);
    // Ownership as the original's `chown -R effective-user` after each tree:
    // rsync as root sets it while it writes (--chown); a login that is the
    // effective user already owns what it writes; anyone else still needs chown -R.
    const chownInRsync = remoteUser === 'root';
    const ownership = chownInRsync ? [`--chown=${eu}`] : [];
    // The trees inside the site go in one rsync (-R keeps their paths below
    // the site): one remote rsync start and one file list instead of four.
    const inside = trees.filter((d) => d.startsWith(`${s.path}/`));
    const outside = trees.filter((d) => !inside.includes(d));
    if (inside.length) {
      this.step('rsync', `${inside.map((d) => d.slice(s.path.length + 1)).join(', ')} of ${s.path} -> production`);
      await this.ctx.rsync({
        from: inside.map((d) => `${s.path}/./${d.slice(s.path.length + 1)}/`),
        to: s.path,
        relative: true,
        direction: 'push',
        remoteSudo: s.remoteSudo,
        localSudo: s.localSudo,
        extra: ownership,
      });
    }
    for (const dir of outside) await this.pushDir(dir, dir, { extra: ownership });
    // Production's var/ is its own: never its data, never an existing file (no chown, as in the original).
    if (isDir(`${s.path}/var`)) await this.pushDir(`${s.path}/var`, `${s.path}/var`, { exclude: VAR_EXCLUDES, extra: ['--ignore-existing'] });
    if (trees.length && !chownInRsync && remoteUser !== eu) await this.remotely(shellJoin(['chown', '-R', '--', eu, ...trees]));
  }

  /**
   * Who push's commands and rsync run as on production: that decides how the
   * trees get their owner. root with remote-sudo; else asked with a read-only
   * question, so --dry-run (which runs those on the host) plans exactly what
   * the real run does. `--dry-run --offline` gets no answer and takes the login
   * `user` of the configuration, which is what `id -un` says unless another
   * name has uid 0.
   */
  async productionUser(): Promise<string> {
    if (this.s.remoteSudo) return 'root';
    const answer = await this.ctx.remote.run('id -un', { readOnly: true, allowFailure: true });
    return answer.stdout.trim() || (this.ctx.dryRun ? (this.ctx.options.user ?? '').trim() : '');
  }

  async deployEtc(): Promise<void> {
    const dirs = await this.annotate();
    const systemEtc = `${dirs.parts}/system/etc`;
    if (!isDir(systemEtc)) return;
    await this.remotely(`cp -R ${shellQuote(`${systemEtc}/.`)} /etc && supervisorctl reread && supervisorctl update`, this.s.path);
  }

  async deploy(): Promise<void> {
    const lines = requireRestartLines(this.s, 'deploy');
    await this.push();
    await this.deployEtc();
    for (const line of lines) await this.remotely(line, this.s.path);
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
    const from = `${dirs.parts}/${path.basename(conf)}`;
    this.step('rsync', `${from} -> production:${conf}`);
    await this.ctx.rsync({ from, to: conf, direction: 'push', remoteSudo: this.s.remoteSudo, localSudo: this.s.localSudo });
    await this.remotely('supervisorctl update', this.s.path);
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
  deploy: ['Push the staged buildout to production, install its etc, run the restart lines', (x) => x.deploy()],
  checkout: ['Check out the staging buildout: checkout REPOSITORY [BRANCH] (git or hg)', (x, a) => x.clone(a[0], a[1])],
  clone: ['Clone the staging buildout: clone REPOSITORY [BRANCH] (git or hg)', (x, a) => x.clone(a[0], a[1])],
  update: ['Update the staging buildout from its repository: update [BRANCH]', (x, a) => x.update(a[0])],
  bootstrap: ['Bootstrap the staging buildout with bootstrap-python or executable', (x, a) => x.bootstrap(...a)],
  buildout: ['Run the staging buildout: buildout [PART...] [-o] [buildout flags]', (x, a) => x.buildout(...a)],
  annotate: ["Return the staging buildout's [buildout] section as the buildout user sees it", async (x) => (await x.annotate()).buildout],
  pull: ['Copy production data (Data.fs, blobstorage) to staging', (x) => x.pull()],
  push: ['Copy the staged bin, eggs, parts, etc (and new var files) to production', (x) => x.push()],
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
