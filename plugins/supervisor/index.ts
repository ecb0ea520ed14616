/**
 * hostout.supervisor: control the buildout's supervisord (bin/supervisord,
 * bin/supervisorctl, as collective.recipe.supervisor makes them) and stop it
 * around a deploy. `extends = hostout.supervisor` activates it.
 *
 * Written against the public API only (`hostout`), as a third-party plugin
 * would be. Differences from the Python plugin are listed in docs/compat.md.
 *
 * Options: `supervisor` (the bin/<name>d, bin/<name>ctl prefix; default
 * `supervisor`), `sudosupervisor` (the same, for a supervisord run by root),
 * `rollingrestart` (restart after the deploy instead of stopping before it),
 * `install-on-startup` (predeploy installs the boot script), `effective-user`,
 * `buildout-user`, `path`.
 */
import { ConfigError, SET_UNLESS_FALSE, definePlugin, readFlag, shellQuote as q, type CommandContext, type HostOptions } from 'hostout';

type Ctx = CommandContext;

/** supervisorctl's exit status when it reached supervisord but some process is not running (supervisor 4). */
const STATUS_NOT_ALL_RUNNING = 3;
/** How long supervisorstartup waits for a supervisord it started to answer. */
const STARTUP_WAIT_MS = 15000;

/** A `supervisor`/`sudosupervisor` value becomes part of a path: a plain file-name prefix only. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** `rollingrestart` and `install-on-startup` count as set unless empty or a false word (the originals tested presence). */
const isSet = (value: string | undefined): boolean => readFlag(value, SET_UNLESS_FALSE);

/** The bin/ prefix of the supervisor scripts: `sudosupervisor` wins over `supervisor`. */
function prefix(ctx: Ctx): string {
  return ctx.options.sudosupervisor || ctx.options.supervisor;
}

function bin(ctx: Ctx, script: 'd' | 'ctl'): string {
  return `${ctx.options.path.replace(/\/+$/, '')}/bin/${prefix(ctx)}${script}`;
}

const asBuildout = (ctx: Ctx) => ({ as: 'buildout' as const, cwd: ctx.options.path, echo: true });

/** `status` exits 3 when a program is not running: that is its report, not a failure to reach supervisord. */
const reached = (code: number | null, isStatus: boolean) => code === 0 || (isStatus && code === STATUS_NOT_ALL_RUNNING);

/** `<path>/bin/<s>ctl ARGS` as the buildout user; ARGS default to `status`. Throws when it fails, unless `allowFailure`. */
async function supervisorctl(ctx: Ctx, args: string[], allowFailure = false) {
  const argv = args.length ? args : ['status'];
  const line = [bin(ctx, 'ctl'), ...argv].map(q).join(' ');
  const r = await ctx.remote.run(line, { ...asBuildout(ctx), allowFailure: true });
  if (!allowFailure && !reached(r.code, argv[0] === 'status')) {
    const said = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${line} exited with status ${r.code}${said ? `: ${said}` : ''}`);
  }
  return r;
}

/** Wait until supervisorctl reaches a supervisord we just started (the original slept 5 s). */
async function waitForSupervisord(ctx: Ctx): Promise<void> {
  if (ctx.dryRun) return;
  const deadline = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    const r = await ctx.remote.run(`${q(bin(ctx, 'ctl'))} status`, { as: 'buildout', cwd: ctx.options.path, allowFailure: true });
    if (reached(r.code, true)) return;
    if (Date.now() > deadline) {
      ctx.log.warn(`${ctx.name}: supervisord did not answer within ${STARTUP_WAIT_MS / 1000} s of starting`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function verb(name: string) {
  return {
    description: `supervisorctl ${name} command`,
    run: (ctx: Ctx, ...args: string[]) => ctx.call('supervisorctl', name, ...args),
  };
}

export default definePlugin({
  name: 'hostout.supervisor',

  // The Python plugin's recipe: `supervisor` names the bin/ scripts unless `sudosupervisor` does.
  defaults(options: HostOptions): HostOptions {
    const o = { ...options };
    if (!('sudosupervisor' in o)) o.sudosupervisor = '';
    o.sudosupervisor = o.sudosupervisor.trim();
    if (!('supervisor' in o)) o.supervisor = o.sudosupervisor ? '' : 'supervisor';
    o.supervisor = o.supervisor.trim();
    for (const key of ['supervisor', 'sudosupervisor']) {
      if (o[key] && !SAFE_NAME.test(o[key])) {
        throw new ConfigError(`${key} = ${o[key]}: expected the name prefix of bin/<name>d and bin/<name>ctl (letters, digits, '.', '_', '-')`);
      }
    }
    if (!o.supervisor && !o.sudosupervisor) throw new ConfigError('supervisor is empty: name the supervisor part (bin/<supervisor>d)');
    return o;
  },

  commands: {
    supervisorboot: {
      description: 'Installs supervisor into your init.d scripts in order to ensure that supervisor is started on boot',
      async run(ctx) {
        const base = ctx.options.sudosupervisor ? `bin/${ctx.options.sudosupervisor}` : `sudo -u ${q(ctx.options['effective-user'])} bin/${ctx.options.supervisor}`;
        return ctx.call('install_bootscript', `${base}d`, `${base}ctl shutdown`, `${ctx.name}-${prefix(ctx)}`);
      },
    },

    predeploy: {
      description: 'The usual predeploy, then stop the supervised programs (unless rollingrestart)',
      async run(ctx) {
        const result = await ctx.next();
        if (!isSet(ctx.options.rollingrestart)) await ctx.call('supervisorshutdown');
        if (isSet(ctx.options['install-on-startup'])) await ctx.call('supervisorboot');
        return result;
      },
    },

    postdeploy: {
      description: 'The usual postdeploy, then start (or, with rollingrestart, restart) supervisor',
      async run(ctx) {
        const result = await ctx.next();
        if (isSet(ctx.options.rollingrestart)) await ctx.call('supervisorshutdown');
        await ctx.call('supervisorstartup');
        return result;
      },
    },

    supervisorstartup: {
      description: 'Start the supervisor daemon',
      async run(ctx) {
        const reload = await ctx.remote.run(`${q(bin(ctx, 'ctl'))} reload`, { ...asBuildout(ctx), allowFailure: true });
        if (reload.code !== 0) {
          // Not running (or not reachable): start the daemon as the user it should run as.
          if (ctx.options.sudosupervisor) {
            await ctx.remote.sudo(`${q(bin(ctx, 'ctl'))} shutdown`, { cwd: ctx.options.path, allowFailure: true });
            await ctx.remote.sudo(q(bin(ctx, 'd')), { cwd: ctx.options.path, echo: true });
          } else if (ctx.options['effective-user'] === ctx.options['buildout-user']) {
            await ctx.remote.run(q(bin(ctx, 'd')), asBuildout(ctx));
          } else {
            await ctx.remote.sudo(q(bin(ctx, 'd')), { user: ctx.options['effective-user'], cwd: ctx.options.path, echo: true });
          }
          await waitForSupervisord(ctx);
        }
        return ctx.call('supervisorctl', 'status');
      },
    },

    supervisorshutdown: {
      description: 'Shutdown the supervisor daemon',
      async run(ctx) {
        // Stops the programs; a supervisord that is not running is fine here (the original ignored errors too).
        await supervisorctl(ctx, ['stop', 'all'], true);
      },
    },

    supervisorctl: {
      description: 'Takes command line arguments and runs supervisorctl on the remote host',
      async run(ctx, ...args) {
        await supervisorctl(ctx, args);
      },
    },

    restart: verb('restart'),
    start: verb('start'),
    stop: verb('stop'),
    status: verb('status'),
    tail: verb('tail'),
  },
});
