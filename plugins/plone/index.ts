/**
 * hostout.plone: ZODB tasks with the buildout's bin/repozo — back up, restore,
 * download a FileStorage, and copy a FileStorage or blobstorage to another
 * host of the same machine. `extends = hostout.plone` activates it;
 * `fsrestore`, `fscopy` and `blobcopy` stop and start the programs through
 * `supervisorctl`, so the host (or the target) also needs hostout.supervisor.
 *
 * Written against the public API only (`hostout`), as a third-party plugin
 * would be. Differences from the Python plugin are listed in docs/compat.md.
 */
import * as path from 'node:path';
import { ConfigError, UsageError, definePlugin, shellQuote as q, type CommandContext, type HostHandle } from 'hostout';

type Ctx = CommandContext;

/** A storage name (`Data.fs`, `blobstorage`): one plain path component. */
function storageName(value: string, what: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(value)) throw new UsageError(`${what} '${value}' is not a plain file name`);
  return value;
}

/** A directory relative to the buildout (`var/filestorage`): no absolute path, no `..`, no option-like words. */
function relativeDir(value: string, what: string): string {
  const parts = value.split('/').filter(Boolean);
  if (value.startsWith('/') || !parts.length || parts.some((p) => p === '..' || p.startsWith('-'))) {
    throw new UsageError(`${what} '${value}' must be a directory relative to the buildout directory`);
  }
  return parts.join('/');
}

const asBuildout = (ctx: Ctx) => ({ as: 'buildout' as const, cwd: ctx.options.path, echo: true });

function needSupervisor(ctx: Ctx, who: string, has: (cmd: string) => boolean): void {
  if (!has('supervisorctl')) {
    throw new ConfigError(`${ctx.command} stops and starts ${who}'s programs with supervisorctl: add hostout.supervisor to ${who}'s extends`);
  }
}

/** The other host of fscopy/blobcopy: loaded, and on the same machine (the copy goes through this machine's /tmp). */
async function sameMachineTarget(ctx: Ctx, name: string | undefined): Promise<HostHandle> {
  if (!name) throw new UsageError(`${ctx.command} needs the TARGET host: hostout ${ctx.name} ${ctx.command} TARGET`);
  const target = ctx.hosts[name];
  if (!target) throw new UsageError(`${ctx.command}: '${name}' is not a host; hosts are: ${Object.keys(ctx.hosts).join(' ')}`);
  if (name === ctx.name) throw new UsageError(`${ctx.command}: the target must be another host than '${ctx.name}'`);
  await target.load();
  if (target.options.host !== ctx.options.host || target.options.port !== ctx.options.port) {
    throw new ConfigError(
      `${ctx.command} copies on one machine: '${name}' is ${target.options.host}:${target.options.port}, ` +
        `'${ctx.name}' is ${ctx.options.host}:${ctx.options.port}`,
    );
  }
  return target;
}

/**
 * Copy `<path>/<relative>` into a fresh private temp dir that the target's
 * buildout user can read; returns the temp dir. The original used a fixed
 * /tmp/<name> and chown (which only root may do).
 */
async function stage(ctx: Ctx, relative: string): Promise<string> {
  const r = await ctx.remote.run(
    `tmp=$(mktemp -d /tmp/hostout-copy.XXXXXXXX) && cp -R ${q(relative)} "$tmp"/ && chmod -R a+rX "$tmp" && echo "$tmp"`,
    { as: 'buildout', cwd: ctx.options.path },
  );
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  // The recording transport (--dry-run, tests) answers nothing: name the dir as mktemp's template.
  return /^\/tmp\/hostout-copy\.[A-Za-z0-9]+$/.test(dir) ? dir : '/tmp/hostout-copy.XXXXXXXX';
}

async function fsbackup(ctx: Ctx, filestorage = 'Data.fs', filestorageDir = 'var/filestorage'): Promise<void> {
  const db = storageName(filestorage, 'filestorage');
  const dir = relativeDir(filestorageDir, 'filestorage_dir');
  await ctx.remote.run(`mkdir -p ${q(`var/backups/${db}`)}`, asBuildout(ctx));
  await ctx.remote.run(`bin/repozo --backup -f ${q(`${dir}/${db}`)} --gzip -r ${q(`var/backups/${db}`)}`, asBuildout(ctx));
}

export default definePlugin({
  name: 'hostout.plone',

  commands: {
    fsbackup: {
      description: 'Back up a FileStorage with bin/repozo into var/backups/FILESTORAGE\nUsage: fsbackup [FILESTORAGE=Data.fs] [FILESTORAGE_DIR=var/filestorage]',
      run: (ctx, filestorage?: string, filestorageDir?: string) => fsbackup(ctx, filestorage, filestorageDir),
    },

    fsrestore: {
      description: 'Stop the programs, restore a FileStorage from var/backups with bin/repozo, start them\nUsage: fsrestore [FILESTORAGE=Data.fs] [FILESTORAGE_DIR=var/filestorage]',
      async run(ctx, filestorage = 'Data.fs', filestorageDir = 'var/filestorage') {
        const db = storageName(filestorage, 'filestorage');
        const dir = relativeDir(filestorageDir, 'filestorage_dir');
        needSupervisor(ctx, ctx.name, (c) => ctx.has(c));
        await ctx.call('supervisorctl', 'stop', 'all');
        await ctx.remote.run(`bin/repozo --recover -o ${q(`${dir}/${db}`)} -r ${q(`var/backups/${db}`)}`, asBuildout(ctx));
        await ctx.call('supervisorctl', 'start', 'all');
      },
    },

    fsget: {
      description: 'Download a database from the remote server and overwrite the local one\nUsage: fsget [FILESTORAGE=Data.fs] [FILESTORAGE_DIR=var/filestorage]',
      async run(ctx, filestorage = 'Data.fs', filestorageDir = 'var/filestorage') {
        const db = storageName(filestorage, 'filestorage');
        const dir = relativeDir(filestorageDir, 'filestorage_dir');
        await ctx.call('fsbackup', db, dir);
        const backups = `var/backups/${db}`;
        const local = path.join(ctx.buildoutDirectory, backups);
        await ctx.local.run(`mkdir -p ${q(local)} ${q(path.join(ctx.buildoutDirectory, dir))}`);
        await ctx.rsync({ direction: 'pull', from: `${ctx.options.path}/${backups}/`, to: `${local}/`, as: 'buildout' });
        await ctx.local.run(`bin/repozo --recover -o ${q(`${dir}/${db}`)} -r ${q(backups)}`, { cwd: ctx.buildoutDirectory, echo: true });
      },
    },

    fscopy: {
      description: 'Move the Data.fs to TARGET (must be on the same machine)\nUsage: fscopy TARGET [FILESTORAGE=Data.fs] [FILESTORAGE_DIR=var/filestorage]',
      async run(ctx, tgt?: string, filestorage = 'Data.fs', filestorageDir = 'var/filestorage') {
        const db = storageName(filestorage, 'filestorage');
        const dir = relativeDir(filestorageDir, 'filestorage_dir');
        const target = await sameMachineTarget(ctx, tgt);
        if (!target.has('fsrestore')) throw new ConfigError(`fscopy restores on '${target.name}' with fsrestore: add hostout.plone to ${target.name}'s extends`);
        needSupervisor(ctx, target.name, (c) => target.has(c));
        await ctx.call('fsbackup', db, dir);
        const tmp = await stage(ctx, `var/backups/${db}`);
        try {
          await target.call('run', `mkdir -p var/backups && rm -rf ${q(`var/backups/${db}`)} && cp -R ${q(`${tmp}/${db}`)} ${q(`var/backups/${db}`)}`);
        } finally {
          await ctx.remote.run(`rm -rf ${q(tmp)}`, { as: 'buildout' });
        }
        await target.call('fsrestore', db, dir);
      },
    },

    blobcopy: {
      description: 'Copy blobstorage to TARGET buildout (must be on the same machine)\nUsage: blobcopy TARGET [BLOBSTORAGE=blobstorage]',
      async run(ctx, tgt?: string, blobstorage = 'blobstorage') {
        const blobs = storageName(blobstorage, 'blobstorage');
        const target = await sameMachineTarget(ctx, tgt);
        needSupervisor(ctx, target.name, (c) => target.has(c));
        const tmp = await stage(ctx, `var/${blobs}`);
        try {
          await target.call('supervisorctl', 'stop', 'all');
          await target.call('run', `mkdir -p var && rm -rf ${q(`var/${blobs}`)} && cp -R ${q(`${tmp}/${blobs}`)} ${q(`var/${blobs}`)}`);
        } finally {
          await ctx.remote.run(`rm -rf ${q(tmp)}`, { as: 'buildout' });
        }
        await target.call('supervisorctl', 'start', 'all');
      },
    },
  },
});
