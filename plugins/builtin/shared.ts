/**
 * Small helpers the built-in command modules share: where the buildout is on
 * the host, the Python major version, the original's runescalatable and the
 * no-sudo refusal.
 */
import { ConfigError, type CommandContext } from 'hostout';

type Ctx = CommandContext;

/** The remote buildout directory. */
export const remotePath = (ctx: Ctx): string => ctx.options.path;

/** `python-version` cut to X.Y (or X), as the original's `major`. */
export const major = (ctx: Ctx): string => (ctx.options['python-version'] || '3').split('.').slice(0, 2).join('.');

/** Refused before anything runs, the same way (ConfigError, exit 2) as the transport refuses `remote.sudo`. */
export function refuseSudo(ctx: Ctx, what: string): void {
  if (ctx.options['no-sudo'] === 'true') {
    throw new ConfigError(`cannot ${what}: no-sudo is set for this host`, { host: ctx.name, option: 'no-sudo' });
  }
}

/**
 * The original's runescalatable: as the buildout user, else as the login user,
 * else with sudo. Most steps then need no sudo on a host where the buildout
 * user owns its files.
 */
export async function escalate(ctx: Ctx, command: string, what: string, cwd?: string, echo = false): Promise<void> {
  if ((await ctx.remote.run(command, { as: 'buildout', cwd, allowFailure: true, echo })).code === 0) return;
  if (ctx.options.user !== ctx.options['buildout-user'] && (await ctx.remote.run(command, { cwd, allowFailure: true, echo })).code === 0) return;
  refuseSudo(ctx, what);
  await ctx.remote.sudo(command, { cwd, echo });
}

