/**
 * pushdeploy's command sequences, call by call, against hostout.pushdeploy's
 * commands (datakurre/hostout.pushdeploy at d2a6c1a) and the deliberate differences of docs/pushdeploy.md.
 * The staging side is a real temp directory (the plugin looks at it);
 * the transport is a recorder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import plugin, { normaliseFlags, buildoutArgv, detectRepositoryVcs, readSettings, VAR_EXCLUDES } from '../../plugins/pushdeploy';
import { readStagingBuildout } from '../../plugins/pushdeploy/annotate';
import { ConfigError, LockedError, UsageError } from '../../lib/errors';
import type { HostOptions } from '../../lib/hostout/types';
import type { CommandContext } from '../../lib/hostout/types';
import { createRecordingLogger } from '../../lib/log';
import type { CommandResult, LocalRunOptions, RsyncOptions, SudoOptions } from '../../lib/transport/types';

/* A recording HostTransport: each call the plugin makes becomes one structured line
   (what the plugin asked the transport for, not how the transport renders it). */
export interface Recorder {
  calls: string[];
  /** For each ctx.remote.connect(), how many calls had been made before it. */
  connects: number[];
  logLines: string[];
  ctx: CommandContext;
}

export interface RecorderOptions {
  /** Exit status per call line (first regexp that matches wins); default 0. */
  codes?: Array<[RegExp, number]>;
  /** remote.exists answer; default true. */
  exists?: (path: string) => boolean;
  /** stdout per call line (first regexp that matches wins); default ''. */
  stdout?: Array<[RegExp, string]>;
  /** ctx.dryRun; default false. */
  dryRun?: boolean;
}

export function recordingContext(name: string, options: HostOptions, ro: RecorderOptions = {}): Recorder {
  const calls: string[] = [];
  const connects: number[] = [];
  const onceValues = new Map<string, unknown>();
  const log = createRecordingLogger();
  const answer = (line: string, allowFailure?: boolean): CommandResult => {
    calls.push(line);
    const code = ro.codes?.find(([re]) => re.test(line))?.[1] ?? 0;
    if (code !== 0 && !allowFailure) throw new Error(`recorded failure (${code}): ${line}`);
    return { stdout: ro.stdout?.find(([re]) => re.test(line))?.[1] ?? '', stderr: '', code };
  };
  const localFlags = (o: LocalRunOptions) =>
    [o.sudo ? 'sudo' : '', o.as ? `as=${o.as}` : '', o.cwd ? `cwd=${o.cwd}` : ''].filter(Boolean).join(' ');
  const ctx: CommandContext = {
    name,
    command: 'test',
    options,
    next: async () => undefined,
    call: async () => undefined,
    has: (command: string) => command in plugin.commands,
    hosts: {},
    remote: {
      run: async (cmd, o = {}) => answer(`remote[${o.cwd ? `cwd=${o.cwd}` : ''}]: ${cmd}`, o.allowFailure),
      sudo: async (cmd, o: SudoOptions = {}) => answer(`remote sudo[${o.cwd ? `cwd=${o.cwd}` : ''}]: ${cmd}`, o.allowFailure),
      put: async () => { throw new Error('put not expected'); },
      get: async () => { throw new Error('get not expected'); },
      exists: async (p) => { calls.push(`exists: ${p}`); return ro.exists ? ro.exists(p) : true; },
      connect: () => void connects.push(calls.length),
      httpGet: async () => { throw new Error('httpGet not expected'); },
      socketExchange: async () => { throw new Error('socketExchange not expected'); },
    },
    local: { run: async (cmd, o = {}) => answer(`local[${localFlags(o)}]: ${cmd}`, o.allowFailure) },
    rsync: async (o: RsyncOptions) => {
      const flags = [
        o.direction, o.relative ? 'relative' : '', o.delete ? 'delete' : '', o.remoteSudo ? 'remote-sudo' : '', o.localSudo ? 'local-sudo' : '',
        ...(o.exclude ?? []).map((e) => `exclude=${e}`), ...(o.extra ?? []),
      ].filter(Boolean).join(' ');
      return answer(`rsync[${flags}]: ${typeof o.from === 'string' ? o.from : o.from.join(' ')} -> ${o.to}`);
    },
    log,
    dryRun: ro.dryRun ?? false,
    offline: false,
    assume: (what) => { throw new Error(`nothing is assumed when not offline: ${what}`); },
    buildoutDirectory: '/nonexistent',
    once: <T>(key: string, make: () => T): T => {
      if (!onceValues.has(key)) onceValues.set(key, make());
      return onceValues.get(key) as T;
    },
    report: () => undefined,
  };
  return { calls, connects, logLines: log.lines, ctx };
}

const me = os.userInfo().username;
let root: string;
let site: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-unit-'));
  site = path.join(root, 'first_site');
  fs.mkdirSync(site);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function options(extra: HostOptions = {}): HostOptions {
  return normaliseFlags({
    path: site, user: 'root', 'buildout-user': me, 'effective-user': 'zope', host: 'example.com',
    restart: 'supervisorctl restart first-site:*', 'bootstrap-python': '/usr/bin/python3', ...extra,
  });
}

/** Production's answer to the deploy lock's first step: the lock was free. */
const LOCK_FREE: [RegExp, string] = [/^remote(?: sudo)?\[\]: action=attempt\n/, 'acquired\n'];

async function run(command: string, opts: HostOptions, args: string[] = [], ro: RecorderOptions = {}) {
  // The lock first: its round trip carries the releases' script too (which a fake answer to 'acquired' alone leaves to a round trip of its own; e2e-round-trips checks the fold).
  const rec = recordingContext('first-site', opts, { ...ro, stdout: [LOCK_FREE, ...(ro.stdout ?? [])] });
  const result = await plugin.commands[command].run(rec.ctx, ...args);
  return { ...rec, result };
}

function writeBuildout(extra = ''): void {
  fs.writeFileSync(path.join(site, 'buildout.cfg'), `[buildout]\nparts =\n${extra}`);
}

describe('recipe-time normalisation: one yes/no reading for every flag (docs/compat.md)', () => {
  test.each([
    ['True', 'true'], ['true', 'true'], ['Yes', 'true'], ['yes', 'true'], ['1', 'true'],
    // The original's list was case-sensitive and had no 'on'; hostout reads every flag one way.
    ['TRUE', 'true'], ['on', 'true'], [' YES ', 'true'],
    ['y', 'false'], ['false', 'false'], ['no', 'false'], ['0', 'false'], ['', 'false'],
  ])('%p becomes %p', (raw, expected) => {
    const o = normaliseFlags({ 'local-sudo': raw, 'remote-sudo': raw, 'local-restart': raw });
    expect(o).toEqual({ 'local-sudo': expected, 'remote-sudo': expected, 'local-restart': expected });
  });
  test('absent flags become false, other options untouched', () => {
    expect(normaliseFlags({ path: '/x' })).toEqual({ path: '/x', 'local-sudo': 'false', 'remote-sudo': 'false', 'local-restart': 'false' });
  });
  test('the plugin exposes it as its defaults hook and lists every command', () => {
    expect(plugin.name).toBe('hostout.pushdeploy');
    expect(plugin.defaults?.({ 'remote-sudo': 'yes' }, { part: 'site', buildoutDirectory: '/b' })).toMatchObject({ 'remote-sudo': 'true' });
    expect(Object.keys(plugin.commands).sort()).toEqual([
      'activate', 'annotate', 'bootstrap', 'buildout', 'canary', 'checkout', 'clone', 'cook_resources', 'deploy', 'deploy_etc',
      'deploy_supervisor', 'finish', 'flip', 'haproxy', 'prepare', 'pull', 'push', 'releases', 'restart', 'rollback', 'stage', 'stage_supervisor',
      'start', 'stop', 'unlock', 'update',
    ]);
  });
});

describe('checkout / clone', () => {
  test('hg clone with a branch, as the buildout user (original: su bu -c "hg clone repo -r br path")', async () => {
    fs.rmdirSync(site);
    const { calls } = await run('checkout', options({ 'buildout-user': 'plone' }), ['http://dev.example.com/myrepo', 'mybranch']);
    expect(calls).toEqual([`local[as=plone]: hg clone -r mybranch -- http://dev.example.com/myrepo ${site}`]);
  });
  test('git by URL shape, with local sudo', async () => {
    fs.rmdirSync(site);
    const { calls } = await run('clone', options({ 'local-sudo': 'yes' }), ['https://github.com/x/y.git', 'main']);
    expect(calls).toEqual([`local[sudo as=${me}]: git clone --branch main -- https://github.com/x/y.git ${site}`]);
  });
  test('git and hg by what a local repository is', () => {
    const g = path.join(root, 'g'); fs.mkdirSync(path.join(g, '.git'), { recursive: true });
    const h = path.join(root, 'h'); fs.mkdirSync(path.join(h, '.hg'), { recursive: true });
    expect(detectRepositoryVcs(g).vcs).toBe('git');
    expect(detectRepositoryVcs(h).vcs).toBe('hg');
    expect(detectRepositoryVcs('hg+ssh://x/y')).toEqual({ vcs: 'hg', url: 'ssh://x/y' });
    expect(detectRepositoryVcs('git+ssh://x/y')).toEqual({ vcs: 'git', url: 'ssh://x/y' });
    expect(detectRepositoryVcs('ssh://hg.example.com/repo').vcs).toBe('hg');
  });
  test('refuses a non-empty path and a missing repository argument, running nothing', async () => {
    fs.writeFileSync(path.join(site, 'x'), '');
    await expect(run('checkout', options(), ['/r'])).rejects.toThrow(/already exists and is not empty/);
    await expect(run('checkout', options(), [])).rejects.toBeInstanceOf(UsageError);
  });
  test('a path with spaces and quotes is quoted', async () => {
    const odd = path.join(root, "it's a site");
    const { calls } = await run('checkout', options({ path: odd }), ['/repo.git']);
    expect(calls).toEqual([`local[as=${me}]: git clone -- /repo.git '${odd.replace(/'/g, "'\\''")}'`]);
  });
});

describe('update', () => {
  test('hg: pull, then update -C to the branch, in path', async () => {
    fs.mkdirSync(path.join(site, '.hg'));
    const { calls } = await run('update', options(), ['stable']);
    expect(calls).toEqual([
      `local[as=${me} cwd=${site}]: hg pull`,
      `local[as=${me} cwd=${site}]: hg update -C -- stable`,
    ]);
  });
  test('git: fetch, force checkout of the branch, hard reset to upstream', async () => {
    fs.mkdirSync(path.join(site, '.git'));
    const { calls } = await run('update', options(), ['stable']);
    expect(calls).toEqual([
      `local[as=${me} cwd=${site}]: git fetch --tags origin`,
      `local[as=${me} cwd=${site}]: git checkout -f stable --`,
      expect.stringMatching(/git reset --hard '@\{upstream\}'/),
    ]);
  });
  test('not a checkout: a clear error, nothing run', async () => {
    await expect(run('update', options())).rejects.toThrow(/is not a git or Mercurial checkout: run 'hostout first-site checkout/);
  });
});

describe('bootstrap', () => {
  // A staging checkout: bootstrap runs in it.
  beforeEach(() => writeBuildout());
  test('bootstrap-python with --distribute first', async () => {
    const { calls } = await run('bootstrap', options());
    expect(calls).toEqual([`local[as=${me} cwd=${site}]: /usr/bin/python3 bootstrap.py --distribute`]);
  });
  test('retries without --distribute when the first fails (original message printed)', async () => {
    const { calls, logLines } = await run('bootstrap', options({ 'bootstrap-python': '', executable: '/opt/py' }), [], { codes: [[/--distribute/, 2]] });
    expect(calls).toEqual([
      `local[as=${me} cwd=${site}]: /opt/py bootstrap.py --distribute`,
      `local[as=${me} cwd=${site}]: /opt/py bootstrap.py`,
    ]);
    expect(logLines).toContain('First bootstrap failed: we have a new bootstrap which has --distribute option now default. Trying again...');
  });
  test('a failing retry fails the command', async () => {
    await expect(run('bootstrap', options(), [], { codes: [[/bootstrap/, 1]] })).rejects.toThrow(/bootstrap.py/);
  });
  test("no bootstrap-python and no executable: the staging buildout's own Python ([buildout] executable), as the original's README says", async () => {
    writeBuildout('executable = /opt/site-python/bin/python\n');
    const { calls } = await run('bootstrap', options({ 'bootstrap-python': '' }));
    expect(calls).toEqual([`local[as=${me} cwd=${site}]: /opt/site-python/bin/python bootstrap.py --distribute`]);
    // Not set anywhere: zc.buildout's default, the Python that runs buildout.
    writeBuildout();
    const { calls: byDefault } = await run('bootstrap', options({ 'bootstrap-python': '' }));
    expect(byDefault).toEqual([expect.stringMatching(new RegExp(`^local\\[as=${me} cwd=${site}\\]: /\\S*python3 bootstrap.py --distribute$`))]);
  });
  test('no bootstrap-python, no executable and no staging buildout yet: a clear configuration error (the original ran "None bootstrap.py")', async () => {
    fs.rmSync(path.join(site, 'buildout.cfg'));
    const p = run('bootstrap', options({ 'bootstrap-python': '' }));
    await expect(p).rejects.toBeInstanceOf(ConfigError);
    await expect(run('bootstrap', options({ 'bootstrap-python': '' }))).rejects.toThrow(/staging buildout .* does not exist/);
  });
});

describe('bootstrap without a staging buildout', () => {
  test('with bootstrap-python set too: the same clear configuration error, nothing run (it was checked only without bootstrap-python)', async () => {
    const rec = recordingContext('first-site', options({ 'bootstrap-python': '/usr/bin/python3' }));
    await expect(plugin.commands.bootstrap.run(rec.ctx)).rejects.toThrow(/staging buildout .*buildout\.cfg does not exist: check it out first/);
    await expect(plugin.commands.bootstrap.run(rec.ctx)).rejects.toBeInstanceOf(ConfigError);
    expect(rec.calls).toEqual([]);
  });
});

describe('dry-run progress lines', () => {
  test('a local step is printed once, by the transport plan; a real run labels buildout\'s chown of var `buildout`', async () => {
    writeBuildout();
    fs.mkdirSync(path.join(site, 'var'));
    const dry = await run('buildout', options(), [], { dryRun: true });
    expect(dry.logLines.filter((l) => l.startsWith('[localhost]'))).toEqual([]);
    const real = await run('buildout', options());
    expect(real.logLines.filter((l) => l.startsWith('[localhost]'))).toEqual([
      `[localhost] buildout: chown -R -- ${me} ${site}/var`,
      `[localhost] buildout: bin/buildout`,
      `[localhost] buildout: chown -R -- zope ${site}/var`,
    ]);
  });
});

describe('buildout', () => {
  test('argv: part names become install, flags (with values) and assignments pass through', () => {
    expect(buildoutArgv([])).toEqual(['bin/buildout']);
    expect(buildoutArgv(['-o'])).toEqual(['bin/buildout', '-o']);
    expect(buildoutArgv(['a', '-o', 'b'])).toEqual(['bin/buildout', '-o', 'install', 'a', 'b']);
    expect(buildoutArgv(['-N', '-c', 'prod.cfg', 'site:x=1', 'p'])).toEqual(['bin/buildout', '-N', '-c', 'prod.cfg', 'site:x=1', 'install', 'p']);
  });
  test('chowns var to the buildout user, runs buildout as them, chowns var back to the effective user', async () => {
    fs.mkdirSync(path.join(site, 'var'));
    const { calls } = await run('buildout', options(), ['instance', '-o', '-v']);
    expect(calls).toEqual([
      `local[]: chown -R -- ${me} ${site}/var`,
      `local[as=${me} cwd=${site}]: bin/buildout -o -v install instance`,
      `local[]: chown -R -- zope ${site}/var`,
    ]);
  });
  test('var goes back to the effective user even when buildout fails', async () => {
    fs.mkdirSync(path.join(site, 'var'));
    const rec = recordingContext('first-site', options({ 'local-sudo': 'true' }), { codes: [[/bin\/buildout/, 1]] });
    await expect(plugin.commands.buildout.run(rec.ctx)).rejects.toThrow(/bin\/buildout/);
    expect(rec.calls).toEqual([
      `local[sudo]: chown -R -- ${me} ${site}/var`,
      `local[sudo as=${me} cwd=${site}]: bin/buildout`,
      `local[sudo]: chown -R -- zope ${site}/var`,
    ]);
  });
});

describe('pull', () => {
  test('creates var/filestorage, rsyncs Data.fs and blobstorage from production with --delete, chowns var', async () => {
    const { calls } = await run('pull', options({ 'remote-sudo': 'true', 'local-sudo': 'true' }));
    expect(calls).toEqual([
      `local[sudo]: mkdir -p ${site}/var/filestorage`,
      `exists: ${site}/var/filestorage/Data.fs`,
      `rsync[pull delete remote-sudo local-sudo]: ${site}/var/filestorage/Data.fs -> ${site}/var/filestorage/Data.fs`,
      `exists: ${site}/var/blobstorage`,
      `rsync[pull delete remote-sudo local-sudo]: ${site}/var/blobstorage -> ${site}/var`,
      `local[sudo]: chown -R -- zope ${site}/var`,
    ]);
  });
  test('what production lacks is skipped with a warning, not a crash', async () => {
    fs.mkdirSync(path.join(site, 'var', 'filestorage'), { recursive: true });
    const { calls, logLines } = await run('pull', options(), [], { exists: (p) => p.endsWith('Data.fs') });
    expect(calls).toEqual([
      `exists: ${site}/var/filestorage/Data.fs`,
      `rsync[pull delete]: ${site}/var/filestorage/Data.fs -> ${site}/var/filestorage/Data.fs`,
      `exists: ${site}/var/blobstorage`,
      `local[]: chown -R -- zope ${site}/var`,
    ]);
    expect(logLines.join('\n')).toMatch(/warning: .*production has no .*var\/blobstorage/);
  });
});

/** One line per call: a script's first line that says what it is, an rsync or command as recorded. */
const outline = (calls: string[]) => calls.map((c) => {
  const [first, ...rest] = c.split('\n');
  const who = first.replace(/\]: .*/s, ']');
  const action = (a: string) => c.includes(`\naction=${a}\n`) || first.endsWith(`]: action=${a}`);
  // The lock's round trip; with what the command runs first once the lock is its own (the releases and next/).
  if (action('attempt')) return rest.some((l) => l.includes('@@hostout:current')) ? `${who}: lock, state` : `${who}: lock`;
  if (rest.some((l) => l.includes('@@hostout:current'))) return `${who}: state${/^.*\]: mkdir/.test(first) ? ` after ${first.replace(/^.*\]: /, '')}` : ''}`;
  const releaseOnly = first.endsWith(']: (') && rest[0] === 'action=release';
  const unlocks = !releaseOnly && action('release');
  // A deploy's restart lines in the flip's round trip (after-flip.sh): `set -- LINE…` before the program.
  const after = rest.find((l) => l.startsWith('set -- '));
  if (rest.some((l) => l.includes('HOSTOUT_FLIP_SCRIPT'))) return `${who}: flip${after ? `, then ${after.slice(7)}` : ''}${unlocks ? ', unlock' : ''}`;
  if (releaseOnly) return `${who}: unlock`;
  // A command's last script gives the lock back in its own round trip: `( SCRIPT ); s=$?; <unlock>; exit $s`.
  if (unlocks) {
    const what = /\]: \( true$/.test(first) ? '' : /\/\.hostout\/next\/meta\.json/.test(first) ? 'finalize, ' : 'prune, ';
    return `${who}: ${what}unlock`;
  }
  if (/^local\[\]: cd \S+ && find .* -printf/.test(first)) return 'local[]: list the staged trees';
  const phase = action('renew') ? /"phase":"(\w+)"/.exec(c) : null;
  if (phase) return `${who}: lock phase ${phase[1]}`;
  return c.replace(/\/\.hostout\/next\/meta\.json.*\/releases\/\d{8}T\d{6}Z$/s, '/.hostout/next/meta.json … mv into releases/ID');
});

describe('push, deploy_etc and deploy', () => {
  function stagedSite(): void {
    writeBuildout();
    for (const d of ['bin', 'eggs', 'parts/system/etc', 'var/filestorage', 'etc', 'products']) fs.mkdirSync(path.join(site, d), { recursive: true });
  }
  const trees = ['bin', 'eggs', 'parts', 'products', 'etc'];
  const pushCalls = (rs: boolean, opts: { ownership?: string; chown?: boolean } = { chown: true }) => {
    const r = rs ? 'remote sudo' : 'remote';
    const sync = rs ? 'push remote-sudo' : 'push';
    const next = `${site}/.hostout/next`;
    // The recorder writes no listing, so next/ starts empty and rsync links with --link-dest;
    // var/ goes while the trees do; staging is no checkout, so no commit is asked for.
    return [
      'local[]: list the staged trees',
      // The lock's round trip carries the releases' script; the recorder answers 'acquired' alone, so they are asked again.
      `${r}[]: lock, state`,
      `${r}[]: state after mkdir -p -- ${site}/var && chown -- zope ${site} ${site}/var || exit 1`,
      `rsync[${sync.replace('push', 'push relative delete')} --link-dest=${site}${opts.ownership ? ` ${opts.ownership}` : ''}]: ${trees.map((d) => `${site}/./${d}/`).join(' ')} -> ${next}`,
      `rsync[${sync} ${VAR_EXCLUDES.map((e) => `exclude=${e}`).join(' ')} --ignore-existing]: ${site}/var/ -> ${site}/var`,
      ...(opts.chown ? [`${r}[]: chown -R -- zope ${next}`] : []),
      `${r}[]: flip`,
      `${r}[]: unlock`,
    ];
  };
  test('push: lock; read releases (with the original\'s mkdir/chowns); the trees in one rsync into .hostout/next (--delete, --link-dest to the live trees); var without chown and never production data; flip; unlock', async () => {
    stagedSite();
    const { calls } = await run('push', options());
    expect(outline(calls)).toEqual(pushCalls(false));
    // .hostout/next is emptied in the state's round trip, and the release is named in the flip's.
    const state = calls.find((c) => c.includes('@@hostout:current')) as string;
    expect(state).toContain(`rm -rf ${site}/.hostout/next && mkdir -p ${site}/.hostout/releases && mkdir ${site}/.hostout/next || exit 1`);
    const flip = calls.find((c) => c.includes('HOSTOUT_FLIP_SCRIPT')) as string;
    expect(flip).toMatch(new RegExp(`printf '%s\\\\n' '\\{"id":"(\\d{8}T\\d{6}Z)",.*"trees":\\["bin","eggs","parts","products","etc"\\]\\}' > ${site}/.hostout/next/meta\\.json && printf '%s\\\\n' bin eggs parts products etc > ${site}/.hostout/next/trees && mv ${site}/.hostout/next ${site}/.hostout/releases/\\d{8}T\\d{6}Z \\|\\| exit 5`));
    for (const data of ['*.fs', 'blobstorage*', '*.log', '*.backup']) expect(VAR_EXCLUDES).toContain(data);
  });
  test('push, deploy and prepare start the ssh handshake before reading staging (once); commands that only read production do not', async () => {
    stagedSite();
    for (const command of ['push', 'deploy', 'prepare']) {
      // (production answers that the flip went through and deploy's restart line ran after it)
      const { connects, calls } = await run(command, options({ restart: 'true' }), [], { stdout: [[/HOSTOUT_FLIP_SCRIPT/, 'live X\n@@hostout:ran 1\n@@hostout:ran 2\n']] });
      expect([command, connects]).toEqual([command, [0]]);
      expect(calls.length).toBeGreaterThan(3);
    }
    expect((await run('releases', options())).connects).toEqual([]);
  });
  test('prepare records the release (next/ renamed into releases/) in the round trip that gives the lock back, after var/\'s rsync; the flip command gives the lock back in its flip\'s round trip and prunes nothing', async () => {
    stagedSite();
    const { calls } = await run('prepare', options());
    const o = outline(calls);
    // var/'s rsync (beside the trees') is over before the lock goes.
    expect(o.indexOf(`rsync[push ${VAR_EXCLUDES.map((e) => `exclude=${e}`).join(' ')} --ignore-existing]: ${site}/var/ -> ${site}/var`)).toBeLessThan(o.length - 1);
    expect(o[o.length - 1]).toBe('remote[]: finalize, unlock');
    expect(o.filter((l) => l.endsWith('unlock'))).toHaveLength(1);
    expect(calls[calls.length - 1]).toMatch(new RegExp(`^remote\\[\\]: \\( printf '%s\\\\n' '\\{"id":"\\d{8}T\\d{6}Z".* > ${site}/\\.hostout/next/meta\\.json && .* && mv ${site}/\\.hostout/next ${site}/\\.hostout/releases/\\d{8}T\\d{6}Z \\|\\| exit 5\\n\\); s=\\$\\?`));

    const old = '20200101T000000Z';
    const next = '20200102T000000Z';
    const meta = (id: string) => JSON.stringify({ id, created: '2020-01-01T00:00:00Z', stagingHost: 's', user: 'u', pid: 1, command: 'push', trees });
    const state = `zope\n@@hostout:current\n${old}\n@@hostout:releases\n${meta(old)}\n${meta(next)}\n`;
    const flip = await run('flip', options({ 'keep-releases': '1' }), [], { stdout: [[/@@hostout:current/, state]] });
    expect(outline(flip.calls)).toEqual(['remote[]: lock', 'remote[]: state', 'remote[]: flip, unlock']);
    // Nothing pruned although keep-releases = 1: a deploy across hosts may still flip back to the old release.
    expect(flip.calls[flip.calls.length - 1]).not.toContain('trash');
  });
  test('push onto a live release: the flip\'s round trip also prunes (keep-releases) and gives the lock back', async () => {
    stagedSite();
    const old = '20200101T000000Z';
    const meta = JSON.stringify({ id: old, created: '2020-01-01T00:00:00Z', stagingHost: 's', user: 'u', pid: 1, command: 'push', trees });
    const state = `zope\n@@hostout:current\n${old}\n@@hostout:releases\n${meta}\n`;
    const { calls } = await run('push', options({ 'keep-releases': '1' }), [], { stdout: [[/@@hostout:current/, state]] });
    const o = outline(calls);
    expect(o.slice(-2)).toEqual([`rsync[push ${VAR_EXCLUDES.map((e) => `exclude=${e}`).join(' ')} --ignore-existing]: ${site}/var/ -> ${site}/var`, 'remote[]: flip, unlock']);
    const flip = calls[calls.length - 1];
    // Pruning (old is no longer live and beyond keep-releases = 1) only after a flip that went through.
    expect(flip).toMatch(new RegExp(`\\[ \\$s = 0 \\] \\|\\| exit \\$s\\n\\{ mkdir -p ${site}/\\.hostout/trash && mv ${site}/\\.hostout/releases/${old} `));
  });
  test('push as root on production: rsync sets the owner (--chown), no chown -R pass', async () => {
    stagedSite();
    const { calls } = await run('push', options(), [], { stdout: [[/@@hostout:current/, 'root\n']] });
    expect(outline(calls)).toEqual(pushCalls(false, { ownership: '--chown=zope' }));
  });
  test('push --dry-run --offline (no answer to id -un): plans from the login user, root here, as the real run would', async () => {
    stagedSite();
    const { calls } = await run('push', options(), [], { dryRun: true });
    expect(calls.find((c) => c.includes('--link-dest'))).toMatch(/^rsync\[push relative delete --link-dest=\S+ --chown=zope\]/);
    expect(calls.join('\n')).not.toMatch(/chown -R/);
    const asDeploy = await run('push', options({ user: 'deploy' }), [], { dryRun: true });
    expect(asDeploy.calls.join('\n')).toMatch(/^remote\[\]: chown -R -- zope \S+\/\.hostout\/next$/m);
  });
  test('push logged in as the effective user: what it writes is already its own, no chown -R pass', async () => {
    stagedSite();
    const { calls } = await run('push', options(), [], { stdout: [[/@@hostout:current/, 'zope\n']] });
    expect(outline(calls)).toEqual(pushCalls(false, {}));
    expect(calls.join('\n')).not.toMatch(/chown -R|--chown/);
  });
  test('push: a tree outside the site (bin-directory elsewhere) is pushed in place, outside releases, with a warning', async () => {
    stagedSite();
    const bin = path.join(root, 'elsewhere-bin');
    fs.mkdirSync(bin);
    writeBuildout(`bin-directory = ${bin}\n`);
    const { calls, logLines } = await run('push', options());
    const o = outline(calls);
    expect(o[3]).toBe(`rsync[push relative delete --link-dest=${site}]: ${['eggs', 'parts', 'products', 'etc'].map((d) => `${site}/./${d}/`).join(' ')} -> ${site}/.hostout/next`);
    expect(o.slice(6, 8)).toEqual([`rsync[push]: ${bin}/ -> ${bin}`, `remote[]: chown -R -- zope ${bin}`]);
    expect(logLines.join('\n')).toMatch(/elsewhere-bin is not a directory directly inside .*pushed in place, outside releases/);
  });
  test('push with remote-sudo: every remote step through sudo, rsync with sudo rsync', async () => {
    stagedSite();
    const { calls } = await run('push', options({ 'remote-sudo': 'true' }));
    expect(outline(calls)).toEqual(pushCalls(true, { ownership: '--chown=zope' }));
  });
  test('deploy: push, deploy_etc, then every non-empty restart line on production', async () => {
    stagedSite();
    // production's answer to the flip's round trip: the flip went through, then each line ran (after-flip.sh's lines).
    const ran = 'live X\nflipped\n@@hostout:ran 1\n@@hostout:ran 2\n@@hostout:ran 3\n';
    const { calls, logLines } = await run('deploy', options({ restart: '\nsupervisorctl restart first-site:*\n\n  echo done  \n' }), [], { stdout: [[/HOSTOUT_FLIP_SCRIPT/, ran]] });
    const push = pushCalls(false);
    // deploy_etc's command and the restart lines ride in the flip's round trip (the lock's phase note too, on production);
    // a first deploy prunes nothing and gives the lock back in a round trip of its own.
    expect(outline(calls)).toEqual([
      ...push.slice(0, -2),
      `remote[]: flip, then '${`cp -R ${site}/parts/system/etc/. /etc && supervisorctl reread && supervisorctl update`.replace(/'/g, "'\\''")}' 'supervisorctl restart first-site:*' 'echo done'`,
      push.at(-1),
    ]);
    const flip = calls.find((c) => c.includes('HOSTOUT_FLIP_SCRIPT')) as string;
    expect(flip).toContain(`{ site=${site}\n`);
    expect(flip).toMatch(/\nrenew='action=renew\n/);
    // They are said as they were before, once they ran.
    expect(logLines.filter((l) => / run: /.test(l))).toEqual([
      expect.stringContaining('run: cp -R'), '[first-site] run: supervisorctl restart first-site:*', '[first-site] run: echo done',
    ]);
  });
  test('a second deploy finds the lock held by a live holder: exit 75 naming it, nothing changed', async () => {
    stagedSite();
    const holder = JSON.stringify({ token: 'x', stagingHost: 'elsewhere', bootId: 'b', user: 'ann', pid: 42, pidStart: '1', command: 'deploy', started: '2026-11-29T20:00:00Z', leaseUntil: 2000000000 });
    const rec = recordingContext('first-site', options(), { stdout: [[/if mkdir/, `held\n1900000000\n1900000000\n${holder}\n`]] });
    const err = await Promise.resolve(plugin.commands.deploy.run(rec.ctx)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).exitCode).toBe(75);
    expect((err as Error).message).toMatch(/locked by another deploy: ann on elsewhere \(pid 42\), 'deploy' since 2026-11-29T20:00:00Z/);
    // Staging's listing is read (read-only) while the lock is asked for.
    expect(outline(rec.calls)).toEqual(['local[]: list the staged trees', 'remote[]: lock, state']);
  });
  test('deploy without restart: a clear error before anything runs', async () => {
    stagedSite();
    const rec = recordingContext('first-site', options({ restart: '  \n' }));
    await expect(plugin.commands.deploy.run(rec.ctx)).rejects.toThrow(/'restart' is empty or missing/);
    expect(rec.calls).toEqual([]);
  });
  test('deploy_etc does nothing without parts/system/etc', async () => {
    writeBuildout();
    const { calls } = await run('deploy_etc', options());
    expect(calls).toEqual([]);
  });
  test('push before a checkout: says what to do', async () => {
    await expect(run('push', options())).rejects.toThrow(/does not exist: check it out first/);
  });
  test('annotate reads the directories with our engine, as the buildout user', async () => {
    writeBuildout('bin-directory = scripts\n');
    const { result } = await run('annotate', options());
    expect(result).toMatchObject({ 'bin-directory': path.join(site, 'scripts'), directory: site });
  });
});

describe('annotate as the buildout user sees it', () => {
  test("the buildout user's ~/.buildout/default.cfg counts (HOME from the passwd database)", async () => {
    writeBuildout();
    const home = path.join(root, 'home-of-plone');
    fs.mkdirSync(path.join(home, '.buildout'), { recursive: true });
    fs.writeFileSync(path.join(home, '.buildout', 'default.cfg'), '[buildout]\neggs-directory = /srv/shared-eggs\n');
    const passwd = path.join(root, 'passwd');
    fs.writeFileSync(passwd, `root:x:0:0:root:/root:/bin/sh\nplone:x:1234:1234::${home}:/bin/sh\n`);
    const dirs = await readStagingBuildout(readSettings('first-site', options({ 'buildout-user': 'plone' })), passwd);
    expect(dirs.eggs).toBe('/srv/shared-eggs');
    expect(dirs.bin).toBe(path.join(site, 'bin'));
    expect(dirs.parts).toBe(path.join(site, 'parts'));
  });
  test('an unknown buildout user is a clear error', async () => {
    writeBuildout();
    const passwd = path.join(root, 'passwd');
    fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\n');
    await expect(readStagingBuildout(readSettings('first-site', options({ 'buildout-user': 'nobody-here' })), passwd))
      .rejects.toThrow(/buildout-user 'nobody-here' does not exist on this \(staging\) machine/);
  });
});

describe('stage', () => {
  function checkout(): void {
    fs.mkdirSync(path.join(site, '.git'));
    writeBuildout();
    fs.mkdirSync(path.join(site, 'var', 'filestorage'), { recursive: true });
  }
  test('pull, update, bootstrap, buildout; no local restart by default', async () => {
    checkout();
    const { calls } = await run('stage', options());
    expect(calls).toEqual([
      `exists: ${site}/var/filestorage/Data.fs`,
      `rsync[pull delete]: ${site}/var/filestorage/Data.fs -> ${site}/var/filestorage/Data.fs`,
      `exists: ${site}/var/blobstorage`,
      `rsync[pull delete]: ${site}/var/blobstorage -> ${site}/var`,
      `local[]: chown -R -- zope ${site}/var`,
      `local[as=${me} cwd=${site}]: git fetch --tags origin`,
      expect.stringMatching(/git reset --hard/),
      `local[as=${me} cwd=${site}]: /usr/bin/python3 bootstrap.py --distribute`,
      `local[]: chown -R -- ${me} ${site}/var`,
      `local[as=${me} cwd=${site}]: bin/buildout`,
      `local[]: chown -R -- zope ${site}/var`,
    ]);
  });
  test('local-restart runs the restart lines locally, with local sudo', async () => {
    checkout();
    const { calls } = await run('stage', options({ 'local-restart': 'yes', 'local-sudo': 'yes', restart: 'a\nb' }));
    expect(calls.slice(-2)).toEqual([`local[sudo cwd=${site}]: a`, `local[sudo cwd=${site}]: b`]);
  });
  test('local-restart with an empty restart: a clear error before anything runs', async () => {
    checkout();
    const rec = recordingContext('first-site', options({ 'local-restart': 'true', restart: '' }));
    await expect(plugin.commands.stage.run(rec.ctx)).rejects.toThrow(/'restart' is empty/);
    expect(rec.calls).toEqual([]);
  });
});

describe('supervisor commands', () => {
  test('stop/start/restart the hostname group on production (remote-sudo honoured)', async () => {
    expect((await run('stop', options())).calls).toEqual([`remote[cwd=${site}]: supervisorctl stop 'first-site:*'`]);
    expect((await run('start', options({ hostname: 'www' }))).calls).toEqual([`remote[cwd=${site}]: supervisorctl start 'www:*'`]);
    expect((await run('restart', options({ 'remote-sudo': 'true' }))).calls).toEqual([`remote sudo[cwd=${site}]: supervisorctl restart 'first-site:*'`]);
  });
  test('stage_supervisor / deploy_supervisor copy parts/<basename> to supervisor-conf and update', async () => {
    writeBuildout();
    const conf = '/etc/supervisor/conf.d/site.conf';
    expect((await run('stage_supervisor', options({ 'supervisor-conf': conf, 'local-sudo': 'true' }))).calls).toEqual([
      `local[sudo]: cp ${site}/parts/site.conf ${conf}`,
      'local[sudo]: supervisorctl update',
    ]);
    expect(outline((await run('deploy_supervisor', options({ 'supervisor-conf': conf }))).calls)).toEqual([
      'remote[]: lock',
      `rsync[push]: ${site}/parts/site.conf -> ${conf}`,
      `remote[cwd=${site}]: supervisorctl update`,
      'remote[]: unlock',
    ]);
  });
  test('without supervisor-conf: a clear error', async () => {
    await expect(run('deploy_supervisor', options())).rejects.toThrow(/needs the option 'supervisor-conf'/);
  });
  test('cook_resources: sudo bin/instance, falling back to bin/instance1', async () => {
    writeBuildout('buildoutname = Plone\n');
    const { calls } = await run('cook_resources', options(), [], { codes: [[/bin\/instance -O/, 1]] });
    expect(calls).toEqual([
      `remote sudo[]: ${site}/bin/instance -O Plone run "$(which resourcecooker.py)"`,
      `remote sudo[]: ${site}/bin/instance1 -O Plone run "$(which resourcecooker.py)"`,
    ]);
  });
  test('cook_resources: when both attempts fail it warns and succeeds, as the original (warn_only)', async () => {
    writeBuildout('buildoutname = Plone\n');
    const { calls, logLines } = await run('cook_resources', options(), [], { codes: [[/bin\/instance1? -O/, 127]] });
    expect(calls).toHaveLength(2);
    expect(logLines.join('\n')).toMatch(/cook_resources: neither bin\/instance nor bin\/instance1 could cook the resources \(exit status 127 and 127\)/);
  });
});

describe('option errors', () => {
  test('empty or relative path', async () => {
    await expect(run('push', options({ path: '' }))).rejects.toThrow(/the option 'path' is empty/);
    await expect(run('push', options({ path: 'rel/dir' }))).rejects.toThrow(/must be an absolute directory/);
  });
});
