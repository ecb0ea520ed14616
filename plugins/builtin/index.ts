/**
 * The built-in collective.hostout commands (collective.hostout master's fabfile), on the transport
 * primitives only. Loaded for every host after its plugins (unless
 * `extends-only`), so a plugin overrides any of them by defining the same name
 * and may call `ctx.next()` to run ours.
 *
 * Users: L = the login `user` (sudo runs as L), B = the
 * `buildout-user` connection (`{ as: 'buildout' }`). Every value that reaches a
 * shell goes through shellQuote. Deliberate differences from the original are
 * in docs/compat.md.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ini from 'ini';
import { CommandError, ConfigError, TransportError, configFilesOf, isTrue, parseBuildoutSections, refuseSudo, shellQuote as q, validateGroup, validatePath, validateUser, type CommandContext, type CommandSpec, type Plugin } from 'hostout';
import { helperCommands } from './remote-helpers';
import { pythonCommands } from './python-install';
import { retiredCommands } from './retired';
import { escalate, major, remotePath } from './shared';
import { developEggHash, installedEggVersions, normaliseProjectName, releaseId, staticEggMetadata } from './config-files';

type Ctx = CommandContext;

const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);
const lines = (v: string | undefined): string[] => (v ?? '').split('\n').map((l) => l.trim()).filter(Boolean);

const cache = (ctx: Ctx): string => ctx.options['buildout-cache'].replace(/\/+$/, '');
const downloads = (ctx: Ctx): string => `${cache(ctx)}/downloads`;
const asBuildout = (ctx: Ctx) => ({ as: 'buildout' as const, cwd: remotePath(ctx) });

/** The original's `_subRemote`: pre/post commands written with the local buildout path run in the remote one. */
function subRemote(ctx: Ctx, line: string): string {
  const local = ctx.buildoutDirectory.replace(/\/+$/, '');
  return local ? line.split(local).join(remotePath(ctx)) : line;
}

/** Write a remote file as the buildout user, through the shell so --dry-run shows the content. */
async function writeRemoteFile(ctx: Ctx, file: string, content: string): Promise<void> {
  await ctx.remote.run(`printf '%s' ${q(content)} > ${q(file)}`, asBuildout(ctx));
}

/** The public key of `identity-file`: its .pub file, else derived with ssh-keygen -y (only for a key without passphrase). */
async function identityPublicKey(ctx: Ctx): Promise<string | undefined> {
  const key = ctx.options['identity-file'];
  if (!key) return undefined;
  if (existsSync(`${key}.pub`)) return readFileSync(`${key}.pub`, 'utf8').trim();
  if (!existsSync(key)) return undefined;
  const derived = await ctx.local.run(`ssh-keygen -y -P '' -f ${q(key)}`, { allowFailure: true, readOnly: true });
  return derived.code === 0 && derived.stdout.trim() ? derived.stdout.trim() : undefined;
}

/**
 * Before bootstrap changes anything: with a buildout-user other than the login
 * user and no buildout-password, bootstrap must install a key the later logins
 * as the buildout user can use (the original generated one; not doing so was its
 * issue #10). Without a usable key, and when that login does not already work,
 * stop here with what to configure.
 */
async function requireBuildoutUserKey(ctx: Ctx): Promise<void> {
  const bu = ctx.options['buildout-user'];
  if (bu === ctx.options.user || ctx.options['buildout-password'] || (await identityPublicKey(ctx))) return;
  let loginWorks = false;
  try {
    loginWorks = (await ctx.remote.run('true', { as: 'buildout', allowFailure: true, readOnly: true })).code === 0;
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
  }
  if (loginWorks) return;
  const generated = path.join(ctx.options.location || path.join(ctx.buildoutDirectory, 'parts', 'hostout'), 'hostout_rsa');
  throw new ConfigError(
    `bootstrap would create buildout-user '${bu}', but hostout could not log in as '${bu}' afterwards: ` +
      `there is no identity-file whose public key it can install for '${bu}', and no buildout-password. ` +
      `Set identity-file = <a private key> (its .pub is installed for '${bu}'), or buildout-password, ` +
      `or create the key hostout uses by default: ssh-keygen -t rsa -b 4096 -N '' -f ${generated}. Nothing was changed on the host.`,
    { host: ctx.name, option: 'identity-file' },
  );
}

/**
 * The files a deploy ships, relative to the buildout directory: every local
 * file the config engine reads for each `buildout` cfg (its extends chains,
 * as zc.buildout reads them: comments and blank lines inside `extends`
 * skipped), then the `include` files and directories (old name
 * `extra_config`). A file that does not exist is a ConfigError (exit 2), so
 * the upload is never incomplete. Computed once per run for the same options.
 */
function shippedFiles(ctx: Ctx): Promise<string[]> {
  const dir = ctx.buildoutDirectory;
  const key = `collective.hostout:shipped\0${dir}\0${ctx.options.buildout ?? ''}\0${ctx.options.include ?? ''}`;
  return ctx.once(key, async () => {
    const files: string[] = [];
    const add = (abs: string) => {
      const rel = path.relative(dir, abs) || '.';
      if (!files.includes(rel)) files.push(rel);
    };
    for (const cfg of words(ctx.options.buildout)) {
      const abs = path.resolve(dir, cfg);
      if (!existsSync(abs)) {
        throw new ConfigError(`buildout = ${cfg}: ${abs} does not exist (it is the cfg the host's buildout runs, so it must be shipped)`, { host: ctx.name, option: 'buildout' });
      }
      for (const file of await configFilesOf({ config: abs, cwd: dir, userDefaults: false })) add(file);
    }
    for (const extra of words(ctx.options.include)) {
      const abs = path.resolve(dir, extra);
      if (!existsSync(abs)) throw new ConfigError(`include = ${extra}: ${abs} does not exist`, { host: ctx.name, option: 'include' });
      add(abs);
    }
    return files;
  });
}

async function hostoutConfigName(ctx: Ctx): Promise<string> {
  return `${ctx.name}-${releaseId(ctx.buildoutDirectory, await shippedFiles(ctx))}.cfg`;
}

/** First line of a versions file hostout wrote; a file without it (the Python recipe's, or the user's) is never overwritten. */
export const VERSIONS_FILE_MARKER = '# Written by hostout: the versions the local buildout installed (from its bin/ scripts).';

const versionsFilePath = (ctx: Ctx): string => path.resolve(ctx.buildoutDirectory, ctx.options.versionsfile || 'hostoutversions.cfg');
const versionsSection = (ctx: Ctx): string => ctx.options.versions || 'versions';

/**
 * The original recipe wrote `versionsfile` (hostoutversions.cfg) on every local
 * buildout run with the versions it had picked, so production is pinned to what
 * was tested. We have no buildout-time step, so it is (re)written here from the
 * eggs the local buildout installed; a file hostout did not write is left alone.
 */
export function refreshVersionsFile(ctx: Ctx): void {
  const file = versionsFilePath(ctx);
  if (existsSync(file) && !readFileSync(file, 'utf8').startsWith(VERSIONS_FILE_MARKER)) return;
  const picked = installedEggVersions(path.join(ctx.buildoutDirectory, 'bin'));
  delete picked['collective.hostout'];
  if (Object.keys(picked).length === 0 || ctx.dryRun) return;
  const sorted = Object.fromEntries(Object.entries(picked).sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase())));
  writeFileSync(file, versionsFileText(versionsSection(ctx), sorted));
}

/**
 * The versions file hostout writes, written by `ini`. The section name goes in
 * as ini's `section` option: as a key, ini would write `[versions.py3]` as
 * `[versions\.py3]`, a section buildout does not know.
 */
export function versionsFileText(section: string, pins: Record<string, string>): string {
  return `${VERSIONS_FILE_MARKER}\n${ini.stringify(pins, { section, whitespace: true })}`;
}

/**
 * The sections of a buildout file hostout reads (a versions file, a pinned.cfg),
 * read as buildout reads it (`ini` does not: it splits `[versions.py3]` into
 * nested objects and reads a continuation line as an option of its own).
 */
function buildoutSections(file: string): Record<string, Record<string, string>> {
  return parseBuildoutSections(readFileSync(file, 'utf8'), file);
}

/** The pins of the versions file (empty when there is none). */
export function readVersionsFile(ctx: Ctx): Record<string, string> {
  const file = versionsFilePath(ctx);
  if (!existsSync(file)) return {};
  return buildoutSections(file)[versionsSection(ctx)] ?? {};
}

/**
 * The zc.buildout bootstrap installs: the `zc.buildout-version` option, else the
 * versions file's zc.buildout, else the original's default 1.4.3 for Python 2
 * (1.4.3 does not run on Python 3, where the newest release is installed).
 */
export function zcBuildoutVersion(ctx: Ctx): string {
  const pinned = Object.entries(readVersionsFile(ctx)).find(([n]) => normaliseProjectName(n) === 'zc-buildout')?.[1];
  return ctx.options['zc.buildout-version'] || pinned || (major(ctx).startsWith('2') ? '1.4.3' : '');
}

/** Where uploadeggs keeps the pinned.cfg it uploaded, so `buildout` knows the released develop eggs. */
const localPinnedCfg = (ctx: Ctx): string => path.join(path.resolve(ctx.buildoutDirectory, ctx.options.dist_dir || 'dist'), `pinned-${ctx.name}.cfg`);

/** The develop eggs uploadeggs released last (normalised names). */
function releasedEggNames(ctx: Ctx): Set<string> {
  const file = localPinnedCfg(ctx);
  if (!existsSync(file)) return new Set();
  const pins = buildoutSections(file).versions ?? {};
  return new Set(Object.keys(pins).map(normaliseProjectName));
}

/**
 * The versions file without the pins of released develop eggs: its lines are
 * copied into the generated cfg, whose own [versions] beat pinned.cfg's, so a
 * develop egg's old pin would shadow its new hash-tagged release. Names are
 * compared whole (the original dropped every line that merely started with one).
 */
function versionsWithoutReleased(ctx: Ctx, text: string): string {
  const released = releasedEggNames(ctx);
  return text.split('\n').filter((line) => {
    const m = /^([A-Za-z0-9_.-]+)\s*[=:]/.exec(line);
    return !m || !released.has(normaliseProjectName(m[1]));
  }).join('\n');
}

/** The remote cfg `buildout` runs (the original's getHostoutFile template). */
export function hostoutConfig(ctx: Ctx): string {
  const out = [
    '[buildout]',
    `extends = ${[...words(ctx.options.buildout), 'pinned.cfg'].join(' ')}`,
    `eggs-directory = ${cache(ctx)}/eggs`,
    `download-cache = ${downloads(ctx)}`,
    `versions = ${ctx.options.versions || 'versions'}`,
    `extends-cache = ${downloads(ctx)}/extends`,
    'newest = true',
  ];
  if (ctx.options.parts.trim()) out.push(`parts = ${ctx.options.parts.trim()}`);
  const versionsFile = path.resolve(ctx.buildoutDirectory, ctx.options.versionsfile || 'hostoutversions.cfg');
  if (existsSync(versionsFile)) out.push('', versionsWithoutReleased(ctx, readFileSync(versionsFile, 'utf8')).trimEnd());
  return out.join('\n') + '\n';
}

function cmd(description: string, run: (ctx: Ctx, ...args: string[]) => unknown): CommandSpec {
  return { description, run };
}

export const commands: Record<string, CommandSpec> = {
  run: cmd('Execute cmd on remote as the buildout user, in the buildout directory', async (ctx, ...args) => {
    await ctx.remote.run(args.join(' '), { ...asBuildout(ctx), echo: true });
  }),

  sudo: cmd('Execute cmd on remote as root (sudo), in the buildout directory', async (ctx, ...args) => {
    refuseSudo(ctx, 'run sudo');
    await ctx.remote.sudo(args.join(' '), { cwd: remotePath(ctx), echo: true });
  }),

  put: cmd('Upload a local file or directory to the remote buildout directory (or to TARGET/FILE)', async (ctx, file, target) => {
    if (!file) throw new CommandError(`put needs a FILE`, { host: ctx.name, command: 'put' });
    const local = path.resolve(ctx.buildoutDirectory, file);
    // As the original: FILE keeps its relative path below TARGET (an absolute FILE keeps only its name there).
    const base = target ? path.posix.join(target, path.isAbsolute(file) ? path.basename(file) : file) : file;
    const remoteOf = (rel: string) => (path.posix.isAbsolute(rel) ? rel : path.posix.join(remotePath(ctx), rel));
    const walk = async (abs: string, rel: string): Promise<void> => {
      if (existsSync(abs) && statSync(abs).isDirectory()) {
        await ctx.remote.run(`mkdir -p ${q(remoteOf(rel))}`, asBuildout(ctx));
        for (const e of readdirSync(abs).sort()) await walk(path.join(abs, e), path.posix.join(rel, e));
      } else {
        ctx.log.info(abs);
        await ctx.remote.put(abs, remoteOf(rel), { as: 'buildout' });
      }
    };
    // TARGET may not exist yet on the host: create it (Fabric's put failed there).
    if (target && path.posix.dirname(base) !== '.') await ctx.remote.run(`mkdir -p ${q(remoteOf(path.posix.dirname(base)))}`, asBuildout(ctx));
    await walk(local, base);
  }),

  get: cmd('Download a file from the remote buildout directory to the local TARGET', async (ctx, file, target) => {
    if (!file) throw new CommandError(`get needs a FILE`, { host: ctx.name, command: 'get' });
    const remote = path.posix.isAbsolute(file) ? file : path.posix.join(remotePath(ctx), file);
    await ctx.remote.get(remote, path.resolve(ctx.buildoutDirectory, target ?? file), { as: 'buildout' });
  }),

  putrsync: cmd('rsync a local directory into the remote buildout directory', async (ctx, dir) => {
    if (!dir) throw new CommandError(`putrsync needs a DIRECTORY`, { host: ctx.name, command: 'putrsync' });
    const parent = path.posix.dirname(dir);
    await ctx.rsync({
      from: path.resolve(ctx.buildoutDirectory, dir),
      to: parent === '.' ? remotePath(ctx) : path.posix.join(remotePath(ctx), parent),
      direction: 'push',
      as: 'buildout',
    });
  }),

  deploy: cmd('predeploy, uploadeggs, uploadbuildout, buildout and then postdeploy', async (ctx) => {
    // Before anything connects: a cfg file that cannot be shipped stops the deploy here.
    await shippedFiles(ctx);
    for (const step of ['predeploy', 'uploadeggs', 'uploadbuildout', 'buildout', 'postdeploy']) await ctx.call(step);
  }),

  predeploy: cmd('Check the host is bootstrapped, then run the pre-commands', async (ctx) => {
    // A dry run that cannot ask assumes the host is bootstrapped, so it shows the rest of the plan.
    const bootstrapped = await ctx.remote.exists(`${remotePath(ctx)}/bin/buildout`, { as: 'buildout', assume: true });
    if (!bootstrapped) {
      throw new CommandError(
        `${remotePath(ctx)}/bin/buildout does not exist: the host does not seem to be bootstrapped; run 'hostout ${ctx.name} bootstrap' first`,
        { host: ctx.name, command: 'predeploy' },
      );
    }
    await ctx.call('precommands');
    return ctx.next();
  }),

  precommands: cmd('Run the pre-commands (sudo, in the buildout directory)', async (ctx) => {
    for (const line of lines(ctx.options['pre-commands'])) {
      refuseSudo(ctx, 'run pre-commands');
      await ctx.remote.sudo(`sh -c ${q(subRemote(ctx, line))}`, { cwd: remotePath(ctx), echo: true });
    }
  }),

  uploadeggs: cmd('Release the develop eggs locally and upload them with a pinned.cfg', async (ctx) => {
    const distRoot = path.resolve(ctx.buildoutDirectory, ctx.options.dist_dir || 'dist');
    const python = ctx.options.executable || 'python3';
    const pins: Record<string, string> = {};
    const releases: Array<{ out: string; files: string[] }> = [];
    let assumed = false;
    // First every develop egg is released locally, then what the host lacks is uploaded (the original's order).
    for (const dev of words(ctx.options.develop)) {
      const src = path.resolve(ctx.buildoutDirectory, dev);
      if (!existsSync(path.join(src, 'setup.py'))) {
        throw new ConfigError(`the develop egg ${dev} has no setup.py (${src}); uploadeggs releases develop eggs with setup.py`, { host: ctx.name, option: 'develop' });
      }
      const meta = await ctx.local.run(`${q(python)} setup.py --name --version`, { cwd: src, readOnly: true });
      let [name, version] = meta.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      // setup.py always prints both: no output means a dry run that ran nothing (--offline). The literal
      // name= and version= of setup.py (or setup.cfg) stand in, said to be assumed.
      const guessed = !name || !version ? staticEggMetadata(src) : undefined;
      if (guessed) {
        name ||= guessed.name ?? path.basename(src);
        version ||= guessed.version ?? '0';
        assumed = true;
        ctx.assume(`${dev} is ${name} ${version}${guessed.version ? ', as written in its setup files' : ': its setup files name no literal version'}`, 'asked');
      }
      // A changed develop egg gets a new version: its content hash as a PEP 440 local version label.
      const hash = developEggHash(src);
      const tag = `${version.includes('+') ? '.' : '+'}h${hash}`;
      const out = path.join(distRoot, `${path.basename(src)}-h${hash}`);
      const alreadyBuilt = existsSync(out) && readdirSync(out).length > 0;
      if (!alreadyBuilt) {
        const egginfo = `egg_info --tag-build ${q(tag)}`;
        await ctx.local.run(
          `rm -rf ${q(out)} && ${q(python)} setup.py -q ${egginfo} sdist --formats=zip --dist-dir ${q(out)}` +
            // Also a built egg: zc.buildout 2 installs it without easy_install, which current setuptools no longer has.
            // Only a pure-Python egg (no platform in its name) is kept: a compiled one may not run on the host.
            ` && { ${q(python)} setup.py -q ${egginfo} bdist_egg --dist-dir ${q(`${out}/.egg`)} || true; }` +
            ` && for e in ${q(`${out}/.egg`)}/*.egg; do [ -e "$e" ] || continue; case "\${e##*/}" in *-py[0-9]*-*.egg) ;; *.egg) mv "$e" ${q(out)}/ ;; esac; done` +
            ` && rm -rf ${q(`${out}/.egg`)}`,
          { cwd: src },
        );
      }
      // A dry run built nothing: the sdist it would build stands in (setuptools' <name>-<version>.zip).
      const built = alreadyBuilt || !ctx.dryRun
        ? readdirSync(out).filter((f) => f.endsWith('.zip') || f.endsWith('.egg')).sort()
        : [`${name.replace(/[^A-Za-z0-9.]+/g, '-')}-${version}${tag}.zip`];
      const sdist = built.find((f) => f.endsWith('.zip'));
      releases.push({ out, files: built });
      // The version as setuptools normalised it, from the sdist's name (<name>-<version>.zip).
      pins[name] = sdist ? sdist.slice(sdist.lastIndexOf('-') + 1, -'.zip'.length) : `${version}${tag}`;
    }
    const remoteDist = `${downloads(ctx)}/dist`;
    // The original's `ls`; the directory is created first (the original failed there on a host bootstrap had not prepared).
    const mkdirAndList = `mkdir -p ${q(remoteDist)} && ls -1 ${q(remoteDist)}`;
    // A dry run records the mkdir, so it asks for the listing on its own (read-only) to show which uploads a real run makes.
    const listing = ctx.dryRun
      ? await ctx.remote.run(`ls -1 ${q(remoteDist)}`, { as: 'buildout', readOnly: true, allowFailure: true })
      : await ctx.remote.run(mkdirAndList, { as: 'buildout' });
    if (ctx.dryRun) await ctx.remote.run(mkdirAndList, { as: 'buildout' });
    if (assumed && releases.length) ctx.assume(`${remoteDist} holds none of these releases yet`, 'asked');
    const present = new Set(listing.code === 0 ? listing.stdout.split('\n').map((f) => f.trim()).filter(Boolean) : []);
    for (const { out, files } of releases) {
      for (const file of files.filter((f) => !present.has(f))) {
        const target = `${remoteDist}/${file}`;
        await ctx.remote.put(path.join(out, file), `/tmp/${file}`, { as: 'buildout' });
        await ctx.remote.run(`mv -f ${q(`/tmp/${file}`)} ${q(target)} && chmod a+r ${q(target)}`, { as: 'buildout' });
      }
    }
    const pinned = ['[buildout]', 'develop =', 'auto-checkout =', '[versions]', ...Object.entries(pins).map(([n, v]) => `${n} = ${v}`)].join('\n') + '\n';
    if (!ctx.dryRun) {
      mkdirSync(distRoot, { recursive: true });
      writeFileSync(localPinnedCfg(ctx), pinned);
    }
    await writeRemoteFile(ctx, 'pinned.cfg', pinned);
  }),

  uploadbuildout: cmd('Upload the buildout cfg files and includes as a tarball and unpack it', async (ctx) => {
    const files = await shippedFiles(ctx);
    const id = releaseId(ctx.buildoutDirectory, files);
    const tgz = `deploy_${id}.tgz`;
    const local = path.join(path.resolve(ctx.buildoutDirectory, ctx.options.dist_dir || 'dist'), tgz);
    const target = `${downloads(ctx)}/dist/${tgz}`;
    if (!(await ctx.remote.exists(target, { as: 'buildout' }))) {
      await ctx.local.run(`mkdir -p ${q(path.dirname(local))} && tar -czf ${q(local)} ${files.map(q).join(' ')}`, { cwd: ctx.buildoutDirectory });
      await ctx.remote.run(`mkdir -p ${q(path.posix.dirname(target))}`, { as: 'buildout' });
      await ctx.remote.put(local, target, { as: 'buildout' });
    }
    await ctx.remote.run(`tar -p -xzf ${q(target)}`, asBuildout(ctx));
  }),

  buildout: cmd('Run the buildout on the remote server (as the buildout user)', async (ctx, ...args) => {
    const file = await hostoutConfigName(ctx);
    refreshVersionsFile(ctx);
    await writeRemoteFile(ctx, file, hostoutConfig(ctx));
    // The generated cfg says `versions = versions`; zc.buildout 2.13 crashes (KeyError) when no
    // extended file has that section, so the fallback pinned.cfg carries an empty one.
    await ctx.remote.run("test -f pinned.cfg || printf '[buildout]\\n[versions]\\n' > pinned.cfg", asBuildout(ctx));
    await ctx.remote.run(['bin/buildout', '-c', file, ...args].map(q).join(' '), { ...asBuildout(ctx), echo: true });
    await ctx.remote.run("find var -exec chmod g+w {} \\; || true", asBuildout(ctx));
  }),

  sudobuildout: cmd('Run the buildout on the remote server with sudo', async (ctx, ...args) => {
    refuseSudo(ctx, 'run sudobuildout');
    await ctx.remote.sudo(['bin/buildout', '-c', await hostoutConfigName(ctx), ...args].map(q).join(' '), { cwd: remotePath(ctx), echo: true });
  }),

  postdeploy: cmd('Install the sudo-parts, then run the post-commands (sudo)', async (ctx) => {
    const sudoParts = words(ctx.options['sudo-parts']);
    if (sudoParts.length) {
      refuseSudo(ctx, 'install sudo-parts');
      await ctx.remote.sudo(['bin/buildout', '-c', await hostoutConfigName(ctx), 'install', ...sudoParts].map(q).join(' '), { cwd: remotePath(ctx) });
    }
    for (const line of lines(ctx.options['post-commands'])) {
      refuseSudo(ctx, 'run post-commands');
      await ctx.remote.sudo(`sh -c ${q(subRemote(ctx, line))}`, { cwd: remotePath(ctx), echo: true });
    }
  }),

  detecthostos: cmd('Detect the operating system of the host (or use the hostos option)', async (ctx) => {
    if (ctx.options.hostos) return ctx.options.hostos.toLowerCase();
    const r = await ctx.remote.run(
      '( [ -e /etc/SuSE-release ] && echo SuSE ) || ( [ -e /etc/redhat-release ] && echo redhat ) || ' +
        '( [ -e /etc/fedora-release ] && echo fedora ) || lsb_release -is 2>/dev/null || ' +
        '( [ -e /etc/slackware-version ] && echo slackware ) || ( . /etc/os-release 2>/dev/null && echo "$ID" ) || echo unknown',
      { allowFailure: true, readOnly: true },
    );
    const os = (r.stdout.trim().split(/\s+/)[0] || 'unknown').toLowerCase();
    ctx.log.info(`Detected Hostos = ${os}`);
    return os;
  }),

  bootstrap: cmd('Install packages and users needed to get buildout running', async (ctx) => {
    await requireBuildoutUserKey(ctx);
    const os = String(await ctx.call('detecthostos'));
    await ctx.call(ctx.has(`bootstrap_users_${os}`) ? `bootstrap_users_${os}` : 'bootstrap_users');
    const pythonBin = `${ctx.options['python-path']}/bin`;
    const check = await ctx.remote.run(`PATH="$PATH":${q(pythonBin)}; python${major(ctx)} -V`, { as: 'buildout', allowFailure: true, readOnly: true });
    if (check.code !== 0) {
      if (isTrue(ctx.options['force-python-compile'])) await ctx.call('bootstrap_python_buildout');
      else await ctx.call(ctx.has(`bootstrap_python_${os}`) ? `bootstrap_python_${os}` : 'bootstrap_python');
    }
    const forced = isTrue(ctx.options['force-python-compile']);
    await ctx.call(!forced && ctx.has(`bootstrap_buildout_${os}`) ? `bootstrap_buildout_${os}` : 'bootstrap_buildout');
  }),

  bootstrap_users: cmd('Create the buildout and effective users and the buildout group', async (ctx) => {
    const bu = ctx.options['buildout-user'];
    const eu = ctx.options['effective-user'];
    const bg = ctx.options['buildout-group'];
    const present = await ctx.remote.run(
      `egrep ${q(`^${bu}:`)} /etc/passwd && egrep ${q(`^${eu}:`)} /etc/passwd && egrep ${q(`^${bg}:`)} /etc/group`,
      { allowFailure: true, readOnly: true },
    );
    if (present.code !== 0) {
      refuseSudo(ctx, 'create users');
      await ctx.remote.sudo(`groupadd ${q(bg)} || echo "group exists"`);
      for (const u of [...new Set([bu, eu])]) {
        await ctx.remote.sudo(`egrep ${q(`^${u}:`)} /etc/passwd || useradd -M -g ${q(bg)} ${q(u)} || useradd -g ${q(bg)} ${q(u)}`);
        await ctx.remote.sudo(`gpasswd -a ${q(u)} ${q(bg)}`);
      }
    }
    // The original generated an RSA-1024 key next to the buildout; we install the identity-file's key
    // (requireBuildoutUserKey stopped bootstrap earlier when there is none and one is needed).
    const pub = ctx.options['buildout-password'] ? undefined : await identityPublicKey(ctx);
    if (pub) await ctx.call('copy_key', bu, pub);
  }),

  copy_key: cmd("Add a public KEY to OWNER's ~/.ssh/authorized_keys", async (ctx, owner, key) => {
    if (!owner || !key) throw new CommandError(`copy_key needs OWNER and KEY`, { host: ctx.name, command: 'copy_key' });
    validateUser(owner, { option: 'OWNER', host: ctx.name }); // `~owner` below is left to the shell's tilde expansion
    const home = `~${owner}`; // tilde-expanded by the shell: not quoted
    const script = [
      `mkdir -p ${home}/.ssh`,
      `touch ${home}/.ssh/authorized_keys`,
      `(grep -qxF ${q(key)} ${home}/.ssh/authorized_keys || echo ${q(key)} >> ${home}/.ssh/authorized_keys)`,
      `chown -R -- ${q(owner)} ${home}/.ssh`,
      `chmod go-rwx ${home}/.ssh ${home}/.ssh/authorized_keys`,
    ].join(' && ');
    if (owner === ctx.options.user) await ctx.remote.run(script);
    else {
      refuseSudo(ctx, 'install a key for another user');
      await ctx.remote.sudo(script);
    }
  }),

  bootstrap_buildout: cmd('Create the buildout directory and caches, a virtualenv and bin/buildout', async (ctx) => {
    const p = remotePath(ctx);
    const bu = ctx.options['buildout-user'];
    const bg = ctx.options['buildout-group'];
    const dirs = [p, `${cache(ctx)}/eggs`, `${downloads(ctx)}/dist`, `${downloads(ctx)}/extends`];
    const mk = `mkdir -p ${dirs.map(q).join(' ')}`;
    // Escalate like the original's runescalatable: as the buildout user, else with sudo.
    const asB = await ctx.remote.run(mk, { as: 'buildout', allowFailure: true });
    if (asB.code !== 0) {
      refuseSudo(ctx, 'create the buildout directory');
      await ctx.remote.sudo(mk);
      await ctx.call('requireOwnership', p, bu, bg, 'recursive');
      await ctx.call('requireOwnership', cache(ctx), bu, bg, 'recursive');
    }
    const v = major(ctx);
    // A bin/python of another Python version is replaced, as the original did.
    const current = `test -x bin/python && bin/python -V 2>&1 | grep -q ${q(`^Python ${v}`)}`;
    // Python 2 has no venv module: virtualenv, as the original (virtualenv-X.Y, else virtualenv -p pythonX.Y).
    const create = v.startsWith('2') ? `{ virtualenv-${v} . || virtualenv -p python${v} . ; }` : `python${v} -m venv .`;
    await ctx.remote.run(`PATH="$PATH":${q(`${ctx.options['python-path']}/bin`)}; ${current} || ${create}`, asBuildout(ctx));
    refreshVersionsFile(ctx);
    const version = zcBuildoutVersion(ctx);
    const pin = version ? `==${version}` : '';
    await ctx.remote.run(`test -x bin/buildout || bin/python -m pip install -q ${q(`zc.buildout${pin}`)}`, asBuildout(ctx));
    await ctx.remote.run(`test -f buildout.cfg || printf '[buildout]\\nparts =\\n' > buildout.cfg`, asBuildout(ctx));
  }),

  requireOwnership: cmd('Make PATH owned by USER:GROUP (sudo; RECURSIVE if the 4th arg is given)', async (ctx, file, user, group, recursive) => {
    if (!file || !user) throw new CommandError(`requireOwnership needs PATH and USER`, { host: ctx.name, command: 'requireOwnership' });
    validateUser(user, { option: 'USER', host: ctx.name });
    if (group) validateGroup(group, { option: 'GROUP', host: ctx.name });
    validatePath(file, { option: 'PATH', host: ctx.name });
    refuseSudo(ctx, 'change ownership');
    const owner = group ? `${user}:${group}` : user;
    // find -prune -user/-group is POSIX (GNU, BSD and busybox); GNU stat --format is not (FreeBSD, the original's issue #34).
    const test = `find ${q(file)} -prune -user ${q(user)}${group ? ` -group ${q(group)}` : ''}`;
    await ctx.remote.sudo(`[ -n "$(${test})" ] || chown ${recursive ? '-R ' : ''}-- ${q(owner)} ${q(file)}`);
  }),

  setowners: cmd('Ensure ownership and permissions are correct on buildout and cache', async (ctx) => {
    const p = remotePath(ctx);
    const bu = ctx.options['buildout-user'];
    const eu = ctx.options['effective-user'];
    const bg = ctx.options['buildout-group'];
    const c = cache(ctx);
    const cacheDirs = [c, `${downloads(ctx)}/dist`, `${c}/eggs`];
    // Each step as the buildout user first, then the login user, then sudo (the original's runescalatable).
    // `-exec … {} +` (not `\;`): find then fails when a chown or chmod fails, so the next user is tried.
    await escalate(ctx, `find ${q(p)} -maxdepth 1 -mindepth 1 ! -name var -exec chown -R -- ${q(`${bu}:${bg}`)} '{}' + -exec chmod -R u+rw,g+r-w,o-rw '{}' +`, 'set owners');
    const groupExec = `find ${q(p)} -perm -u+x ! -path ${q(`${p}/var`)} -exec chmod g+x '{}' +`;
    if (eu === bu) await ctx.remote.run(groupExec, { as: 'buildout' });
    else {
      refuseSudo(ctx, 'set owners');
      await ctx.remote.sudo(groupExec);
    }
    await escalate(ctx, `mkdir -p ${q(`${p}/var`)}`, 'set owners');
    if (eu !== bu) {
      refuseSudo(ctx, 'set owners');
      await ctx.remote.sudo(`chown -R -- ${q(`${eu}:${bg}`)} ${q(`${p}/var`)} && chmod -R u+rw,g+wrs,o-rw ${q(`${p}/var`)}`, { allowFailure: true });
    }
    await escalate(ctx, `mkdir -p ${cacheDirs.map(q).join(' ')}`, 'set owners');
    // Nothing of the buildout or its cache for other users; the cache readable by the group.
    await escalate(ctx, `chmod -R o-xrw ${q(p)}`, 'set owners');
    await escalate(ctx, `chmod -R o-xrw ${cacheDirs.map(q).join(' ')} && chgrp -R -- ${q(bg)} ${q(c)} && find ${q(c)} -perm -u+r -exec chmod g+r '{}' +`, 'set owners');
  }),

  install_bootscript: cmd('Install an init script that runs STARTCMD/STOPCMD in the buildout directory', async (ctx, startcmd, stopcmd, prefname) => {
    if (!startcmd || !stopcmd) throw new CommandError(`install_bootscript needs STARTCMD and STOPCMD`, { host: ctx.name, command: 'install_bootscript' });
    refuseSudo(ctx, 'install a boot script');
    // The name becomes a file in /etc/init.d and header lines of the script.
    if (prefname && /[/\x00-\x1f]/.test(prefname)) {
      throw new CommandError(`install_bootscript: PREFNAME must not contain '/' or control characters`, { host: ctx.name, command: 'install_bootscript' });
    }
    const name = `buildout-${prefname || ctx.name}`;
    const file = `/etc/init.d/${name}`;
    const script = [
      '#!/bin/sh',
      // chkconfig (RHEL family) needs its header; update-rc.d/insserv (Debian family) read the LSB block.
      '# chkconfig: 2345 90 10',
      `# description: buildout ${name}, generated by hostout`,
      '### BEGIN INIT INFO',
      `# Provides:          ${name}`,
      '# Required-Start:    $remote_fs $network',
      '# Required-Stop:     $remote_fs $network',
      '# Default-Start:     2 3 4 5',
      '# Default-Stop:      0 1 6',
      `# Short-Description: buildout ${name}, generated by hostout`,
      '### END INIT INFO',
      `cd ${q(remotePath(ctx))} || exit 1`,
      'case "$1" in',
      `  start) ${startcmd} ;;`,
      `  stop) ${stopcmd} ;;`,
      `  restart) ${stopcmd}; ${startcmd} ;;`,
      '  *) echo "Usage: $0 {start|stop|restart}"; exit 1 ;;',
      'esac',
      'exit $?',
      '',
    ].join('\n');
    await ctx.remote.sudo(`printf '%s' ${q(script)} > ${q(file)} && chown root ${q(file)} && chmod +x ${q(file)}`);
    await ctx.remote.sudo(`(which update-rc.d && update-rc.d ${q(name)} defaults) || (test -f /sbin/chkconfig && /sbin/chkconfig --add ${q(name)})`);
  }),

  uninstall_bootscript: cmd('Remove an init script installed by install_bootscript', async (ctx, prefname) => {
    refuseSudo(ctx, 'remove a boot script');
    const name = `buildout-${prefname || ctx.name}`;
    await ctx.remote.sudo(`(which update-rc.d && update-rc.d -f ${q(name)} remove) || (test -f /sbin/chkconfig && /sbin/chkconfig --del ${q(name)}) || true`);
    await ctx.remote.sudo(`rm -f ${q(`/etc/init.d/${name}`)}`);
  }),

  bootscript_list: cmd('List the init scripts installed by hostout', async (ctx) => {
    await ctx.remote.run('ls -l /etc/init.d/buildout-*', { allowFailure: true, echo: true, readOnly: true });
  }),

  ...pythonCommands,
  ...helperCommands,
  ...retiredCommands,
};

/** The commands that put `buildout-group` on a command line (bootstrap reaches it through its steps). */
const GROUP_COMMANDS = new Set(['bootstrap', 'bootstrap_users', 'bootstrap_buildout', 'setowners']);
/** The commands that use `buildout-cache` (a deploy's steps write or read below it). */
const CACHE_COMMANDS = new Set(['deploy', 'uploadeggs', 'uploadbuildout', 'buildout', 'bootstrap', 'bootstrap_buildout', 'setowners']);

/**
 * The option a user name was written in: `buildout-user` defaults to `user`
 * and `effective-user` to `buildout-user`, so a bad inherited value is
 * reported where the user wrote it.
 */
function userOption(o: Readonly<Record<string, string>>, option: 'buildout-user' | 'effective-user'): string {
  if (option === 'effective-user' && o['effective-user'] === o['buildout-user']) return userOption(o, 'buildout-user');
  if (option === 'buildout-user' && o['buildout-user'] === o.user) return 'user';
  return option;
}

/**
 * The options a command puts on command lines as users, groups and
 * directories, checked before it runs (lib/validate.ts says why
 * quoting is not enough). Only what the command uses: an empty
 * `buildout-group` (the original accepted one) stops the commands that need a
 * group, not `run uptime`.
 */
function validateOptions(command: string, ctx: Ctx): void {
  const o = ctx.options;
  const host = ctx.name;
  for (const option of ['buildout-user', 'effective-user'] as const) validateUser(o[option] ?? '', { option: userOption(o, option), host });
  validatePath(o.path ?? '', { option: 'path', host });
  if (GROUP_COMMANDS.has(command)) validateGroup(o['buildout-group'] ?? '', { option: 'buildout-group', host });
  if (CACHE_COMMANDS.has(command)) validatePath(o['buildout-cache'] ?? '', { option: 'buildout-cache', host });
}

// A named export as well: the loader takes a module that exports `commands` as the plugin itself.
// The commands that ship or name the cfg files (deploy, uploadbuildout, buildout, sudobuildout,
// postdeploy with sudo-parts) check them first, in the command itself, not in init: init runs for
// every command of the name, also when another plugin's implementation (pushdeploy's `buildout`,
// `deploy`) is the one that runs and ships nothing of this kind.
export const init: NonNullable<Plugin['init']> = async (command, ctx) => {
  validateOptions(command, ctx);
};

const plugin: Plugin = { name: 'collective.hostout', commands, init };
export default plugin;
