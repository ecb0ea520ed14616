/**
 * hostout.cloud (1.0a5, 2012): created cloud VMs through apache-libcloud
 * (Python) before bootstrap. Not supported: libcloud's Python drivers cannot
 * run here and the plugin was abandoned in 2012 (its EC2 and Rackspace APIs
 * and images are long gone). A host that extends it still loads: its other
 * commands run on `host` as configured, each cloud command exits 2 saying so,
 * and a run warns once per host.
 */
import type { CommandContext, CommandSpec, Plugin } from 'hostout';
import { goneCommand } from './absorbed';

const NAME = 'hostout.cloud';
const WHY =
  'it created cloud VMs with apache-libcloud (Python), which hostout cannot run, and was abandoned in 2012. ' +
  "Create the VM with your provider's tools, then set host (and user, identity-file) in the part; " +
  'a plugin can find it at run time with a resolve() hook (docs/plugins.md)';

const COMMANDS: Array<[string, string]> = [
  ['create', 'create the VM'],
  ['destroy', 'destroy the VM'],
  ['reboot', 'reboot the VM'],
  ['is_created', 'tell whether the VM exists'],
  ['nodestate', "print the VM's state"],
  ['printnode', 'print the VM'],
  ['list_nodes', "list the provider's VMs"],
  ['list_sizes', "list the provider's sizes"],
  ['list_images', "list the provider's images"],
  ['list_providers', 'list the libcloud providers'],
  ['sethost', "set the host from the VM's address"],
  ['setuser', 'set the login user to root when none is set'],
];

const warned = (ctx: CommandContext): void => {
  ctx.once(`${NAME}:warning:${ctx.name}`, () => ctx.log.warn(
    `[${ctx.name}] extends = ${NAME}: not supported (${WHY.split('. ')[0]}); ` +
      `its commands exit 2, the others run on host = ${ctx.options.host || '(not set)'} as configured`,
  ));
};

const plugin: Plugin = {
  name: NAME,
  commands: Object.fromEntries(COMMANDS.map(([name, what]): [string, CommandSpec] => [name, goneCommand(NAME, what, WHY)])),
  init(command, ctx) {
    // The cloud commands say it themselves, with exit 2.
    if (!COMMANDS.some(([name]) => name === command)) warned(ctx);
  },
};

export default plugin;
