/**
 * Helpers of the original that were commands too: `runescalatable` (run as
 * the buildout user, else the login user, else with sudo), `get_url` (a
 * download on the host) and `hotfix` (a Products zip unpacked into the
 * buildout).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, shellQuote as q, validateGroup, type CommandContext, type CommandSpec } from 'hostout';
import { escalate, remotePath } from './shared';

type Ctx = CommandContext;

function cmd(description: string, run: (ctx: Ctx, ...args: string[]) => unknown): CommandSpec {
  return { description, run };
}

/** A URL for curl/wget: one of their schemes, so it cannot be read as an option, and one line. */
function checkUrl(ctx: Ctx, url: string | undefined): string {
  if (!url || !/^(https?|ftp|file):\/\/\S+$/i.test(url)) {
    throw new UsageError(`${ctx.command} needs a URL (http://, https://, ftp:// or file://), got ${JSON.stringify(url ?? '')}`, { host: ctx.name });
  }
  return url;
}

/** The file name a URL's path ends in (what `curl -O` would write). */
function urlFileName(ctx: Ctx, url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  if (!name || name === '.' || name === '..') throw new UsageError(`${ctx.command}: ${url} names no file; give an OUTPUT name`, { host: ctx.name });
  return name;
}

/** A file or directory name below the buildout: relative, no `..`, no leading `-`, one line. */
function checkRelative(ctx: Ctx, what: string, value: string): string {
  if (!value || path.posix.isAbsolute(value) || value.split('/').includes('..') || value.startsWith('-') || /[\x00-\x1f]/.test(value)) {
    throw new UsageError(`${ctx.command}: ${what} must be a relative path inside the buildout without '..', got ${JSON.stringify(value)}`, { host: ctx.name });
  }
  return value;
}

/** Download URL to FILE with the first of curl, wget and python3 the machine has (its error is the one shown). */
export function downloadCommand(url: string, file: string): string {
  return `if command -v curl >/dev/null 2>&1; then curl -fsSL -o ${q(file)} ${q(url)}; ` +
    `elif command -v wget >/dev/null 2>&1; then wget -q -O ${q(file)} ${q(url)}; ` +
    `else python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' ${q(url)} ${q(file)}; fi`;
}

export const helperCommands: Record<string, CommandSpec> = {
  runescalatable: cmd('Execute cmd in the buildout directory as the buildout user, else the login user, else with sudo', async (ctx, ...args) => {
    if (args.length === 0) throw new UsageError(`usage: hostout ${ctx.name} runescalatable CMD…`, { host: ctx.name });
    // The original's cd(path) replaced the caller's directory (a known bug); here it is always the buildout directory.
    await escalate(ctx, args.join(' '), 'run runescalatable', remotePath(ctx), true);
  }),

  get_url: cmd('Download URL on the host into the buildout directory (as OUTPUT, else its file name)', async (ctx, url, output) => {
    const u = checkUrl(ctx, url);
    const file = checkRelative(ctx, 'OUTPUT', output ?? urlFileName(ctx, u));
    // The original ran Python 2's urllib on the host, or curl through its tunnel's SOCKS proxy.
    await ctx.remote.run(downloadCommand(u, file), { as: 'buildout', cwd: remotePath(ctx), echo: true });
  }),

  hotfix: cmd('Download a hotfix zip here and unpack it on the host into DEST (default products)', async (ctx, url, dest = 'products') => {
    const u = checkUrl(ctx, url);
    const name = urlFileName(ctx, u);
    const target = checkRelative(ctx, 'DEST', dest);
    const group = ctx.options['buildout-group'];
    validateGroup(group, { option: 'buildout-group', host: ctx.name });
    const local = mkdtempSync(path.join(os.tmpdir(), 'hostout-hotfix-'));
    const remoteZip = `/tmp/hostout-hotfix-${process.pid}-${name}`;
    try {
      await ctx.local.run(downloadCommand(u, path.join(local, name)));
      await ctx.remote.put(path.join(local, name), remoteZip, { as: 'buildout' });
      const dir = path.posix.join(remotePath(ctx), target);
      // unzip, else Python's zipfile (the original's fallback); the group gets the files; the zip goes either way.
      await ctx.remote.run(
        `mkdir -p ${q(dir)} && cd ${q(dir)} && { unzip -o -q ${q(remoteZip)} || python3 -m zipfile -e ${q(remoteZip)} . ; } && chgrp -R -- ${q(group)} . ; ` +
          `s=$?; rm -f ${q(remoteZip)}; exit $s`,
        { as: 'buildout', echo: true },
      );
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  }),
};
