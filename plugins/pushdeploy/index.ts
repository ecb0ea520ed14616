/**
 * hostout.pushdeploy: build on the staging server, rsync the result to
 * production, restart. `extends = hostout.pushdeploy` activates it.
 * See docs/pushdeploy.md.
 */
import { definePlugin, isTrue, type CommandSpec, type HostOptions } from 'hostout';
import { COMMANDS, runCommand } from './commands';
import { normaliseFlags } from './settings';

export { VAR_EXCLUDES, buildoutArgv } from './commands';
export { normaliseFlags, readSettings, type SiteSettings } from './settings';
export { detectRepositoryVcs, detectCheckoutVcs, type Vcs } from './vcs';
// The release machinery, for plugins that deploy several hosts at once (prepare all, flip all, flip back).
export { SiteReleases, RELEASE_ID, type FlipResult, type ReleaseMeta, type ReleaseSite, type ReleaseState } from './releases';
export { DeployLock, describeHolder, type LockHolder, type RemoteScript } from './lock';

const commands: Record<string, CommandSpec> = {};
for (const [name, [description]] of Object.entries(COMMANDS)) {
  commands[name] = { description, run: (ctx, ...args) => runCommand(name, ctx, args) };
}

export const plugin = definePlugin({
  name: 'hostout.pushdeploy',
  commands,
  defaults: (options: HostOptions) => normaliseFlags(options),
  // `hostout web1 web2 deploy`: every host prepares its release first, all flip only
  // once all prepared, then each activates; a failure anywhere flips back every host
  // that went live and restarts it (lib/cli/all-or-nothing.ts). Each host's deploy lock
  // is held from its prepare to `finish`, which prunes and gives it back.
  // With `instances` (a rolling restart behind haproxy), one host at a time: each flips and rolls
  // while the others serve; with `canary`, the first one is watched before any other flips.
  phases: {
    deploy: {
      prepare: 'prepare', flip: 'flip', activate: 'activate', rollback: 'rollback', finish: 'finish',
      oneHostAtATime: (options) => (options.instances ?? '').trim() !== '',
      canary: { command: 'canary', wanted: (options) => isTrue(options.canary) },
    },
  },
  // `hostout web deploy --lock-wait 60 --canary`: host options of every host using pushdeploy, for this run.
  options: [
    { name: 'lock-wait', type: 'number', placeholder: 'SECONDS', sets: 'lock-wait', description: 'wait up to SECONDS for a host locked by another deploy (default: exit 75 at once)' },
    { name: 'canary', type: 'boolean', sets: 'canary', description: 'with instances and several hosts: the first host goes live, rolls and is watched for canary-wait seconds before any other flips' },
  ],
});

export default plugin;
