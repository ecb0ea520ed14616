/**
 * hostout.overridedeploy: deploy without releasing or uploading the develop
 * eggs. `predeploy` empties the local versions file (all pins dropped), and
 * `uploadeggs` only writes a pinned.cfg that turns `develop` off. The remote
 * buildout then resolves every egg itself. `extends = hostout.overridedeploy`
 * activates it.
 *
 * Written against the public API only (`hostout`), as a third-party plugin
 * would be. Differences from the Python plugin are listed in docs/compat.md.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { definePlugin, shellQuote as q } from 'hostout';

/** What the original's uploadeggs uploaded instead of eggs. */
export const PINNED_CFG = '[buildout]\ndevelop=\n[versions]\n';
/** What the original's predeploy wrote over the local versions file. */
export const EMPTY_VERSIONS = '[versions]\n';

export default definePlugin({
  name: 'hostout.overridedeploy',

  commands: {
    deploy: {
      description: 'predeploy, uploadeggs, uploadbuildout, buildout and then postdeploy',
      async run(ctx) {
        for (const step of ['predeploy', 'uploadeggs', 'uploadbuildout', 'buildout', 'postdeploy']) await ctx.call(step);
      },
    },

    predeploy: {
      description: 'Perform any initial plugin tasks. Call bootstrap if needed',
      async run(ctx) {
        // The versions file is the buildout's (`versionsfile`, relative to the buildout directory), not the current directory's.
        const file = path.resolve(ctx.buildoutDirectory, ctx.options.versionsfile || 'hostoutversions.cfg');
        if (ctx.dryRun) ctx.log.info(`would write ${JSON.stringify(EMPTY_VERSIONS)} to ${file}`);
        else writeFileSync(file, EMPTY_VERSIONS);
        return ctx.next();
      },
    },

    uploadeggs: {
      description: 'Upload only a pinned.cfg that turns develop off: no eggs are released or uploaded',
      async run(ctx) {
        await ctx.remote.run(`printf '%s' ${q(PINNED_CFG)} > pinned.cfg`, { as: 'buildout', cwd: ctx.options.path });
      },
    },
  },
});
