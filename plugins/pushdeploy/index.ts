/**
 * hostout.pushdeploy: build on the staging server, rsync the result to
 * production, restart. `extends = hostout.pushdeploy` activates it.
 * See docs/pushdeploy.md.
 */
import { definePlugin, type CommandSpec, type HostOptions } from 'hostout';
import { COMMANDS, runCommand } from './commands';
import { normaliseFlags } from './settings';

export { VAR_EXCLUDES, buildoutArgv } from './commands';
export { normaliseFlags, readSettings, type SiteSettings } from './settings';
export { detectRepositoryVcs, detectCheckoutVcs, type Vcs } from './vcs';

const commands: Record<string, CommandSpec> = {};
for (const [name, [description]] of Object.entries(COMMANDS)) {
  commands[name] = { description, run: (ctx, ...args) => runCommand(name, ctx, args) };
}

export const plugin = definePlugin({
  name: 'hostout.pushdeploy',
  commands,
  defaults: (options: HostOptions) => normaliseFlags(options),
});

export default plugin;
