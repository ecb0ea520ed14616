/**
 * Plugins of collective.hostout that are gone, kept as names so the
 * buildouts that extend them still load:
 *
 * - hostout.ubuntu, hostout.debian and hostout.redhat (2010) added OS
 *   bootstrap commands that collective.hostout 1.0a4 absorbed and hostout has
 *   built in (`bootstrap` → `bootstrap_python_<hostos>`). Such a plugin keeps
 *   what its recipe did, `hostos` defaulting to its OS, and maps everything
 *   else to the built-in commands; `-v` says so.
 * - their extra commands (`installPIL`, `installPIP`) and every command of
 *   hostout.cloud are kept as names that exit 2 with the reason.
 *
 * docs/compat.md lists each plugin and what becomes of it.
 */
import { UsageError, type CommandSpec, type Plugin } from 'hostout';

/** A command of a gone plugin: listed, and exit 2 saying why and what to use instead. */
export function goneCommand(plugin: string, description: string, why: string): CommandSpec {
  return {
    description: `Not supported (${plugin}): ${description}`,
    run: (ctx) => {
      throw new UsageError(`${ctx.command} of ${plugin} is not supported by hostout: ${why}`, { host: ctx.name });
    },
  };
}

const PIL_WHY = 'it installed PIL with easy_install from 2010 packages; put Pillow in your buildout\'s eggs instead';

/**
 * An OS plugin absorbed into the built-ins: `hostos` defaults to `os` (its
 * recipe's default; hostout.redhat's said `ubuntu`, a copy-paste slip), and
 * under -v a note says where its commands went, once per host and run.
 */
export function absorbedOsPlugin(name: string, os: string, extra: Record<string, CommandSpec> = {}): Plugin {
  return {
    name,
    commands: extra,
    defaults(options) {
      if (!options.hostos) options.hostos = os;
    },
    init(_command, ctx) {
      ctx.once(`${name}:note:${ctx.name}`, () => ctx.log.debug(
        `[${ctx.name}] extends = ${name}: its OS bootstrap is built into hostout; bootstrap runs the built-in ` +
          `bootstrap_users, bootstrap_python_${ctx.options.hostos.toLowerCase() || os} and bootstrap_buildout, and predeploy checks bin/buildout ` +
          `(the plugin's own bootstrap and predeploy are not used)`,
      ));
    },
  };
}

export const installPIL = (plugin: string): CommandSpec => goneCommand(plugin, 'install PIL', PIL_WHY);
export const installPIP = (plugin: string): CommandSpec =>
  goneCommand(plugin, 'install pip', 'it installed pip with easy_install; bootstrap_buildout makes a virtualenv with pip in it');
