/**
 * The built-in collective.hostout commands (compat §4), on the transport
 * primitives only. Loaded for every host after its plugins (unless
 * `extends-only`), so a plugin overrides any of them by defining the same name
 * and may call `ctx.next()` to run ours.
 *
 * Users (compat §4): L = the login `user` (sudo runs as L), B = the
 * `buildout-user` connection (`{ as: 'buildout' }`). Every value that reaches a
 * shell goes through shellQuote. Deliberate differences from the original are
 * in docs/compat.md.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CommandError, ConfigError, shellQuote as q, validateGroup, validatePath, validateUser, type CommandContext, type CommandSpec, type Plugin } from 'hostout';
import { configClosure, releaseId } from './config-files';

type Ctx = CommandContext;

const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);
const lines = (v: string | undefined): string[] => (v ?? '').split('\n').map((l) => l.trim()).filter(Boolean);

/** The remote buildout directory. */
const remotePath = (ctx: Ctx): string => ctx.options.path;
const cache = (ctx: Ctx): string => ctx.options['buildout-cache'].replace(/\/+$/, '');
const downloads = (ctx: Ctx): string => `${cache(ctx)}/downloads`;
const major = (ctx: Ctx): string => (ctx.options['python-version'] || '3').split('.').slice(0, 2).join('.');
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

/** Refused before anything runs, the same way (ConfigError, exit 2) as the transport refuses `remote.sudo`. */
function refuseSudo(ctx: Ctx, what: string): void {
  if (ctx.options['no-sudo'] === 'true') {
    throw new ConfigError(`cannot ${what}: no-sudo is set for this host`, { host: ctx.name, option: 'no-sudo' });
  }
}

/** The files a deploy ships: each `buildout` cfg, the local cfgs their extends reach, and `include`. */
function shippedFiles(ctx: Ctx): string[] {
  const cfgs = configClosure(ctx.buildoutDirectory, words(ctx.options.buildout));
  return [...cfgs, ...words(ctx.options.include).filter((f) => !cfgs.includes(f))];
}

function hostoutConfigName(ctx: Ctx): string {
  return `${ctx.name}-${releaseId(ctx.buildoutDirectory, shippedFiles(ctx))}.cfg`;
}

/** The remote cfg `buildout` runs (the original's getHostoutFile, compat §4). */
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
  if (existsSync(versionsFile)) out.push('', readFileSync(versionsFile, 'utf8').trimEnd());
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

  put: cmd('Upload a local file or directory to the remote buildout directory (or TARGET)', async (ctx, file, target) => {
    if (!file) throw new CommandError(`put needs a FILE`, { host: ctx.name, command: 'put' });
    const local = path.resolve(ctx.buildoutDirectory, file);
    const base = target ?? file;
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
    for (const step of ['predeploy', 'uploadeggs', 'uploadbuildout', 'buildout', 'postdeploy']) await ctx.call(step);
  }),

  predeploy: cmd('Check the host is bootstrapped, then run the pre-commands', async (ctx) => {
    const bootstrapped = await ctx.remote.exists(`${remotePath(ctx)}/bin/buildout`, { as: 'buildout' });
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
    const pins: string[] = [];
    const remoteDist = `${downloads(ctx)}/dist`;
    await ctx.remote.run(`mkdir -p ${q(remoteDist)}`, { as: 'buildout' });
    for (const dev of words(ctx.options.develop)) {
      const src = path.resolve(ctx.buildoutDirectory, dev);
      const out = path.join(distRoot, path.basename(src));
      const meta = await ctx.local.run('python3 setup.py --name --version', { cwd: src, readOnly: true });
      const [name = path.basename(src), version = '0'] = meta.stdout.trim().split('\n').map((s) => s.trim());
      await ctx.local.run(`rm -rf ${q(out)} && python3 setup.py -q sdist --formats=zip --dist-dir ${q(out)}`, { cwd: src });
      const listing = await ctx.local.run(`ls -1 ${q(out)}`);
      for (const zip of listing.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
        const target = `${remoteDist}/${zip}`;
        if (await ctx.remote.exists(target, { as: 'buildout' })) continue;
        await ctx.remote.put(path.join(out, zip), `/tmp/${zip}`, { as: 'buildout' });
        await ctx.remote.run(`mv -f ${q(`/tmp/${zip}`)} ${q(target)} && chmod a+r ${q(target)}`, { as: 'buildout' });
      }
      pins.push(`${name} = ${version}`);
    }
    await writeRemoteFile(ctx, 'pinned.cfg', ['[buildout]', 'develop =', 'auto-checkout =', '[versions]', ...pins].join('\n') + '\n');
  }),

  uploadbuildout: cmd('Upload the buildout cfg files and includes as a tarball and unpack it', async (ctx) => {
    const files = shippedFiles(ctx);
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
    const file = hostoutConfigName(ctx);
    await writeRemoteFile(ctx, file, hostoutConfig(ctx));
    // The generated cfg says `versions = versions`; zc.buildout 2.13 crashes (KeyError) when no
    // extended file has that section, so the fallback pinned.cfg carries an empty one.
    await ctx.remote.run("test -f pinned.cfg || printf '[buildout]\\n[versions]\\n' > pinned.cfg", asBuildout(ctx));
    await ctx.remote.run(['bin/buildout', '-c', file, ...args].map(q).join(' '), { ...asBuildout(ctx), echo: true });
    await ctx.remote.run("find var -exec chmod g+w {} \\; || true", asBuildout(ctx));
  }),

  sudobuildout: cmd('Run the buildout on the remote server with sudo', async (ctx, ...args) => {
    refuseSudo(ctx, 'run sudobuildout');
    await ctx.remote.sudo(['bin/buildout', '-c', hostoutConfigName(ctx), ...args].map(q).join(' '), { cwd: remotePath(ctx), echo: true });
  }),

  postdeploy: cmd('Install the sudo-parts, then run the post-commands (sudo)', async (ctx) => {
    const sudoParts = words(ctx.options['sudo-parts']);
    if (sudoParts.length) {
      refuseSudo(ctx, 'install sudo-parts');
      await ctx.remote.sudo(['bin/buildout', '-c', hostoutConfigName(ctx), 'install', ...sudoParts].map(q).join(' '), { cwd: remotePath(ctx) });
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
    const os = String(await ctx.call('detecthostos'));
    await ctx.call(ctx.has(`bootstrap_users_${os}`) ? `bootstrap_users_${os}` : 'bootstrap_users');
    const pythonBin = `${ctx.options['python-path']}/bin`;
    const check = await ctx.remote.run(`PATH="$PATH":${q(pythonBin)}; python${major(ctx)} -V`, { as: 'buildout', allowFailure: true, readOnly: true });
    if (check.code !== 0) {
      if (ctx.options['force-python-compile'] === 'true') await ctx.call('bootstrap_python_buildout');
      else await ctx.call(ctx.has(`bootstrap_python_${os}`) ? `bootstrap_python_${os}` : 'bootstrap_python');
    }
    const forced = ctx.options['force-python-compile'] === 'true';
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
    // The original generated an RSA-1024 key next to the buildout; we never create keys: we install an existing one.
    const pub = ctx.options['identity-file'] ? `${ctx.options['identity-file']}.pub` : '';
    if (!ctx.options['buildout-password'] && pub && existsSync(pub)) {
      await ctx.call('copy_key', bu, readFileSync(pub, 'utf8').trim());
    }
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

  bootstrap_python: cmd('Install python on the host (only Debian/Ubuntu apt is built in)', async (ctx) => {
    throw new CommandError(
      `python${major(ctx)} is not installed and hostout has no installer for this OS; ` +
        `install it on the host (or set python-path), or add a bootstrap_python_<os> command in a plugin`,
      { host: ctx.name, command: 'bootstrap_python' },
    );
  }),

  bootstrap_python_ubuntu: cmd('Install python with apt-get', async (ctx) => {
    refuseSudo(ctx, 'install python');
    const v = major(ctx);
    const pkg = `python${v}`;
    await ctx.remote.sudo('apt-get update -q');
    await ctx.remote.sudo(`DEBIAN_FRONTEND=noninteractive apt-get -yq install ${q(pkg)} ${q(`${pkg}-venv`)} ${q(`${pkg}-dev`)} build-essential`);
  }),

  bootstrap_python_debian: cmd('Install python with apt-get', (ctx) => ctx.call('bootstrap_python_ubuntu')),

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
    const venv = `test -x bin/python || python${major(ctx)} -m venv .`;
    await ctx.remote.run(`PATH="$PATH":${q(`${ctx.options['python-path']}/bin`)}; ${venv}`, asBuildout(ctx));
    const pin = ctx.options['zc.buildout-version'] ? `==${ctx.options['zc.buildout-version']}` : '';
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
    await ctx.remote.sudo(`[ "$(stat --format=%U:%G -- ${q(file)})" = ${q(group ? owner : `${user}:`)} ] || chown ${recursive ? '-R ' : ''}-- ${q(owner)} ${q(file)}`);
  }),

  setowners: cmd('Ensure ownership and permissions are correct on buildout and cache', async (ctx) => {
    refuseSudo(ctx, 'set owners');
    const p = remotePath(ctx);
    const bu = ctx.options['buildout-user'];
    const eu = ctx.options['effective-user'];
    const bg = ctx.options['buildout-group'];
    await ctx.remote.sudo(`find ${q(p)} -maxdepth 1 -mindepth 1 ! -name var -exec chown -R -- ${q(`${bu}:${bg}`)} '{}' \\; -exec chmod -R u+rw,g+r-w,o-rw '{}' \\;`);
    await ctx.remote.sudo(`find ${q(p)} -perm -u+x ! -path ${q(`${p}/var`)} -exec chmod g+x '{}' \\;`);
    await ctx.remote.sudo(`mkdir -p ${q(`${p}/var`)}`);
    if (eu !== bu) {
      await ctx.remote.sudo(`chown -R -- ${q(`${eu}:${bg}`)} ${q(`${p}/var`)} && chmod -R u+rw,g+wrs,o-rw ${q(`${p}/var`)}`, { allowFailure: true });
    }
    await ctx.remote.sudo(`mkdir -p ${[cache(ctx), `${downloads(ctx)}/dist`, `${cache(ctx)}/eggs`].map(q).join(' ')}`);
    await ctx.remote.sudo(`chgrp -R -- ${q(bg)} ${q(cache(ctx))} && chmod -R g+rw ${q(cache(ctx))}`);
  }),

  install_bootscript: cmd('Install an init script that runs STARTCMD/STOPCMD in the buildout directory', async (ctx, startcmd, stopcmd, prefname) => {
    if (!startcmd || !stopcmd) throw new CommandError(`install_bootscript needs STARTCMD and STOPCMD`, { host: ctx.name, command: 'install_bootscript' });
    refuseSudo(ctx, 'install a boot script');
    const name = `buildout-${prefname || ctx.name}`;
    const file = `/etc/init.d/${name}`;
    const script = [
      '#!/bin/sh',
      `# ${name}: generated by hostout`,
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
};

/**
 * The options our commands put on command lines as users, groups and
 * directories, checked before any command of the host runs (lib/hostout/validate.ts
 * says why quoting is not enough).
 */
function validateOptions(ctx: Ctx): void {
  const o = ctx.options;
  const host = ctx.name;
  for (const option of ['buildout-user', 'effective-user']) validateUser(o[option] ?? '', { option, host });
  validateGroup(o['buildout-group'] ?? '', { option: 'buildout-group', host });
  for (const option of ['path', 'buildout-cache']) validatePath(o[option] ?? '', { option, host });
}

// A named export as well: the loader takes a module that exports `commands` as the plugin itself.
export const init: NonNullable<Plugin['init']> = (_command, ctx) => validateOptions(ctx);

const plugin: Plugin = { name: 'collective.hostout', commands, init };
export default plugin;
