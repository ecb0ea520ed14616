/**
 * Small helpers the built-in command modules share: where the buildout is on
 * the host, the Python major version, and the original's runescalatable
 * (the no-sudo refusal is the public API's `refuseSudo`).
 */
import { refuseSudo, type CommandContext } from 'hostout';

type Ctx = CommandContext;

/** The remote buildout directory. */
export const remotePath = (ctx: Ctx): string => ctx.options.path;

/** `python-version` cut to X.Y (or X), as the original's `major`. */
export const major = (ctx: Ctx): string => (ctx.options['python-version'] || '3').split('.').slice(0, 2).join('.');

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

