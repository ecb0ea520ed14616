/** The command-line grammar functions and the listing formats (the original's algorithm and texts). */
import { UsageError } from '../../lib/errors';
import { scanArgv, splitPositionals, type ScannedArgv } from '../../lib/cli/grammar';
import { formatReturnValue, formatValidCommands, formatValidHosts, notACommand, notAHost, unionListing } from '../../lib/cli/listing';
import { CONFIG_MODES, defaultOptions, OPTIONS, pluginOptionRows, type ParsedOptions } from '../../lib/cli/options';
import { helpText, USAGE, usageLines } from '../../lib/cli/option-layer';

/** The options a scan set, as `--name` or `--name=value` (for short expectations). */
function given(s: ScannedArgv): string[] {
  const defaults = defaultOptions() as Record<string, unknown>;
  return Object.entries(s.options as Record<string, unknown>)
    .filter(([k, v]) => v !== defaults[k])
    .map(([k, v]) => (v === true ? `--${k}` : `--${k}=${String(v)}`));
}
const HOSTS = new Set(['site', 'web', 'db', 'all']);
const isHost = (w: string) => HOSTS.has(w);

describe('scanArgv', () => {
  test('long options anywhere before --; short ones before the first command word; other dash words are arguments', () => {
    const s = scanArgv(['-cfoo.cfg', 'site', 'run', 'ls', '-la', '-v', '--dry-run', '-qU'], isHost);
    expect(given(s).sort()).toEqual(['--configuration=foo.cfg', '--dry-run'].sort());
    expect(s.positional).toEqual(['site', 'run', 'ls', '-la', '-v', '-qU']);
    expect(given(scanArgv(['site', '--configuration', 'x.cfg', 'run', '--color=auto'], isHost))).toEqual(['--configuration=x.cfg']);
    expect(scanArgv(['site', 'run', '--color=auto'], isHost).positional).toEqual(['site', 'run', '--color=auto']);
  });

  test('short options among the hosts are hostout\'s, optparse style (-qU, -cFILE, -c FILE)', () => {
    const s = scanArgv(['web', '-c', 'x.cfg', 'db', '-qU', 'run', 'df', '-h'], isHost);
    expect(given(s).sort()).toEqual(['--configuration=x.cfg', '--no-user-defaults', '--quiet']);
    expect(s.positional).toEqual(['web', 'db', 'run', 'df', '-h']);
    expect(s.options.configuration).toBe('x.cfg');
  });

  test('arguments are sacred: the words people reported reach the command unchanged', () => {
    for (const words of [['grep', '-v', 'foo', 'log'], ['df', '-h'], ['ps', '-U', 'root'], ['tail', '-c', '100', 'log'], ['-c', 'x.cfg']]) {
      const s = scanArgv(['web', 'run', ...words], isHost);
      expect(s.positional).toEqual(['web', 'run', ...words]);
      expect(given(s)).toEqual([]);
    }
  });

  test('without the hosts, a dash word after the first positional is kept and the scan says it depends on the hosts', () => {
    const s = scanArgv(['web', '-v', 'run']);
    expect(s.positional).toEqual(['web', '-v', 'run']);
    expect(s.hostDependent).toBe(true);
    expect(scanArgv(['web', 'run', 'uptime']).hostDependent).toBe(false);
  });

  test('`--` stays in the words, at dashDash; nothing after it is an option', () => {
    expect(scanArgv(['site', 'run', '--', '-v', '--', '-c', 'x'], isHost)).toEqual({
      options: defaultOptions(), pluginOptions: {}, assignments: [], positional: ['site', 'run', '--', '-v', '--', '-c', 'x'], dashDash: 2, hostDependent: false,
    });
  });

  test('assignments only before the first positional', () => {
    const s = scanArgv(['buildout:parts=a', 'a:path=/x', 'x+=1', 'a', 'run', 'FOO=bar']);
    expect(s.assignments).toEqual(['buildout:parts=a', 'a:path=/x', 'x+=1']);
    expect(s.positional).toEqual(['a', 'run', 'FOO=bar']);
  });

  test('any word with = before the first positional is an assignment, as in zc.buildout (the engine validates it)', () => {
    const s = scanArgv([' s : y = spaced ', 'a:b:c=1', 's:=1', 'site', 'run', 'x=1']);
    expect(s.assignments).toEqual([' s : y = spaced ', 'a:b:c=1', 's:=1']);
    expect(s.positional).toEqual(['site', 'run', 'x=1']);
  });

  test('usage errors: an unknown option before any command word, a missing value, a value for a flag', () => {
    expect(() => scanArgv(['-x', 'site'])).toThrow(new UsageError('no such option: -x'));
    expect(() => scanArgv(['--nope'])).toThrow(UsageError);
    expect(() => scanArgv(['site', '-c'], isHost)).toThrow(new UsageError('option --configuration needs a value: --configuration FILE'));
    expect(() => scanArgv(['--verbose=yes'])).toThrow(new UsageError('option --verbose takes no value'));
    const caught = (argv: string[], hosts?: (w: string) => boolean): UsageError => {
      try { scanArgv(argv, hosts); } catch (e) { return e as UsageError; }
      throw new Error(`no error for ${argv.join(' ')}`);
    };
    expect(caught(['--dryrun', 'site'])).toMatchObject({ message: 'no such option: --dryrun', didYouMean: '--dry-run', suggestHelp: true });
    expect(caught(['site', '--verbos', 'run'], isHost)).toMatchObject({ message: 'no such option: --verbos', didYouMean: '--verbose' });
    expect(caught(['-x', 'site'])).toMatchObject({ message: 'no such option: -x', didYouMean: undefined, suggestHelp: true });
  });

  test('a near miss of a long option after the command word: exit 2 with both correct forms', () => {
    for (const typo of ['--dryrun', '--dry_run', '--Dry-Run', '--dry', '-dry-run', '\u2014dry-run', '--ofline']) {
      let err: unknown;
      try { scanArgv(['web', 'run', 'uptime', typo], isHost); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(UsageError);
      const lines = (err as Error).message.split('\n');
      const meant = typo.includes('of') ? '--offline' : '--dry-run';
      expect(lines[1]).toContain(`hostout web run uptime ${meant}`);
      expect(lines[2]).toContain('hostout web run --literal -- uptime ');
    }
    expect(() => scanArgv(['web', 'run', 'uptime', '--verbos'], isHost)).toThrow(/--verbose: +hostout web run uptime --verbose\n.*command: +hostout web run -- uptime --verbos$/);
    // Not near anything of ours: an argument.
    expect(scanArgv(['web', 'run', 'ls', '--color=auto', '--all', '-n'], isHost).positional).toEqual(['web', 'run', 'ls', '--color=auto', '--all', '-n']);
  });

  test('a safety option (or a near miss of one) after `--` is refused, saying how to write either meaning; --literal hands it on', () => {
    expect(() => scanArgv(['web', 'run', '--', 'grep', 'foo', 'log', '--dry-run'], isHost)).toThrow(
      new UsageError([
        '--dry-run comes after --, so the command would get it and the run would be real. Refusing:',
        "  for hostout's --dry-run, put it before --:       hostout web run --dry-run -- grep foo log",
        '  to give --dry-run to the command, add --literal: hostout web run --literal -- grep foo log --dry-run',
      ].join('\n')),
    );
    expect(() => scanArgv(['web', 'run', '--', 'x', '--dryrun'], isHost)).toThrow(UsageError);
    expect(() => scanArgv(['web', 'run', '--', 'x', '-offline'], isHost)).toThrow(UsageError);
    const s = scanArgv(['web', 'run', '--literal', '--', 'rsync', '--dry-run', 'a', 'b'], isHost);
    expect(s.options['dry-run']).toBe(false);
    expect(s.positional).toEqual(['web', 'run', '--', 'rsync', '--dry-run', 'a', 'b']);
    // Other options of ours after `--` are the command's.
    expect(scanArgv(['web', 'run', '--', 'ls', '--verbose', '-v'], isHost).positional).toEqual(['web', 'run', '--', 'ls', '--verbose', '-v']);
  });
});

describe('the option table', () => {
  test('--help is rendered from it: every option, with its placeholder, and examples', () => {
    const help = helpText(100);
    for (const o of OPTIONS) expect(help).toContain(`--${o.name}${'placeholder' in o ? ` ${o.placeholder}` : ''}`);
    expect(help).toContain('-c, --configuration FILE');
    expect(help).toContain('--query SECTION:OPTION');
    expect(help).toContain('--install-script [DIR]');
    expect(help).toContain('--annotate [SECTION...]');
    expect(help).toMatch(/Examples:\n/);
  });

  test('--help\'s usage line breaks only between the parts of the grammar, at any width', () => {
    for (const width of [40, 60, 80, 100, 200]) {
      const lines = usageLines(width);
      expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(`Usage: ${USAGE.join(' ')}`);
      for (const part of USAGE) expect(lines.some((l) => l.includes(part))).toBe(true);
      expect(lines.every((l) => l.length <= Math.max(width, 'Usage: hostout [section:option=value...]'.length))).toBe(true);
      expect(helpText(width).startsWith(`${lines.join('\n')}\n`)).toBe(true);
    }
    expect(usageLines(60)).toEqual([
      'Usage: hostout [options] [section:option=value...]',
      '               HOST [HOST...|all] COMMAND [COMMAND...]',
      '               [--] [ARG...]',
    ]);
  });

  test('yargs types the words the scanner took: values verbatim (even dashes, `=`, spaces, empty), the last one wins, flags true', () => {
    const s = scanArgv(['-c', 'a.cfg', '--configuration=-x b=c.cfg', '-P', '3', '--parallel=', '-qU', '--query', 'x:y']);
    expect(s.options).toEqual({ ...defaultOptions(), configuration: '-x b=c.cfg', parallel: '', quiet: true, 'no-user-defaults': true, query: true });
    expect(scanArgv(['-V']).options.version).toBe(true);
    expect(scanArgv(['-cx.cfg', 'web']).options.configuration).toBe('x.cfg');
  });

  test('the config-engine modes are the rows marked so', () => {
    expect(CONFIG_MODES).toEqual(['resolve', 'annotate', 'query']);
  });

  test('the typed options have one key per row', () => {
    const opts: ParsedOptions = defaultOptions();
    expect(Object.keys(opts).sort()).toEqual(OPTIONS.filter((o) => o.type === 'flag').map((o) => o.name).sort());
  });
});

describe('splitPositionals', () => {
  const hosts = ['alpha', 'beta', 'gamma'];
  const cmds: Record<string, string[]> = { alpha: ['run', 'deploy', 'echo'], beta: ['run', 'deploy'], gamma: ['run'] };
  const commandsOf = (hs: string[]) => new Set(hs.flatMap((h) => cmds[h]));

  test('hosts, then commands greedily from the union, then the arguments', () => {
    expect(splitPositionals(['alpha', 'beta', 'run', 'deploy', 'echo', 'x', 'run'], hosts, commandsOf)).toEqual({
      hosts: ['alpha', 'beta'], commands: ['run', 'deploy', 'echo'], args: ['x', 'run'],
    });
  });

  test('`all` is every host in order, keeps earlier hosts, never duplicates', () => {
    expect(splitPositionals(['gamma', 'all', 'beta', 'gamma', 'run'], hosts, commandsOf).hosts).toEqual(['gamma', 'alpha', 'beta']);
  });

  test('a host named `all` shadows the keyword', () => {
    expect(splitPositionals(['all', 'run'], ['all', 'x'], () => new Set(['run'])).hosts).toEqual(['all']);
  });

  test('no host: nothing else is parsed; no command: the rest are arguments', () => {
    expect(splitPositionals(['deploy', 'alpha'], hosts, commandsOf)).toEqual({ hosts: [], commands: [], args: ['deploy', 'alpha'] });
    expect(splitPositionals(['gamma', 'echo', 'x'], hosts, commandsOf)).toEqual({ hosts: ['gamma'], commands: [], args: ['echo', 'x'] });
    expect(splitPositionals([], hosts, commandsOf)).toEqual({ hosts: [], commands: [], args: [] });
  });

  test('`--` before the first host only ends the options: hosts and commands are matched after it', () => {
    expect(splitPositionals(['--', 'alpha', 'run', '-m'], hosts, commandsOf, 0)).toEqual({ hosts: ['alpha'], commands: ['run'], args: ['-m'] });
  });

  test('`--` ends command matching; directly after the last command it is dropped, later it is an argument', () => {
    const words = (...w: string[]) => ({ positional: w, dashDash: w.indexOf('--') });
    const split = (w: { positional: string[]; dashDash: number }) => splitPositionals(w.positional, hosts, commandsOf, w.dashDash);
    expect(split(words('alpha', 'echo', '--', 'run', 'deploy'))).toEqual({ hosts: ['alpha'], commands: ['echo'], args: ['run', 'deploy'] });
    expect(split(words('alpha', 'run', 'git', 'checkout', '--', 'f'))).toEqual({ hosts: ['alpha'], commands: ['run'], args: ['git', 'checkout', '--', 'f'] });
    expect(split(words('alpha', 'run', '--', '--', 'x'))).toEqual({ hosts: ['alpha'], commands: ['run'], args: ['--', 'x'] });
    // No command before `--`: the `--` is the word that is not a command.
    expect(split(words('alpha', '--', 'run'))).toEqual({ hosts: ['alpha'], commands: [], args: ['--', 'run'] });
  });
});

describe('listings', () => {
  test('Valid hosts are: byte-sorted', () => {
    expect(formatValidHosts(['beta', 'Zulu', 'alpha'])).toBe('Valid hosts are: Zulu alpha beta');
  });

  test('Valid commands are: 3 spaces, padded names, " : " and the first line verbatim; a lone space without one', () => {
    const text = formatValidCommands(unionListing([
      [{ name: 'deploy', description: ' Deploy it \nmore', from: 'a', overrides: [] }, { name: 'x', description: '', from: 'a', overrides: [] }],
      [{ name: 'deploy', description: 'shadowed', from: 'b', overrides: [] }, { name: 'DockerFile', description: '\nsecond', from: 'b', overrides: [] }],
    ]));
    expect(text).toBe([
      'Valid commands are:',
      '   DockerFile :',
      '   deploy     :  Deploy it ',
      '   x          ',
    ].join('\n').replace('DockerFile :', 'DockerFile : '));
  });
  test('with -v each row says which plugin provides the command and what it overrides', () => {
    const text = formatValidCommands([
      { name: 'deploy', description: 'Push it', from: 'hostout.pushdeploy', overrides: ['collective.hostout'] },
      { name: 'run', description: '', from: 'collective.hostout', overrides: [] },
    ], { verbose: true });
    expect(text.split('\n')).toEqual([
      'Valid commands are:',
      '   deploy : Push it  [from hostout.pushdeploy; overrides collective.hostout]',
      '   run    [from collective.hostout]',
    ]);
  });

  test('did-you-mean for hosts and commands; a part with another recipe is named with the recipe it would need', () => {
    const sections: Record<string, Record<string, string>> = {
      www: { recipe: 'plone.recipe.zope2instance' }, spare: { recipe: 'collective.hostout' },
    };
    const bo = { hasSection: (n: string) => n in sections, section: (n: string) => sections[n] };
    expect(notAHost('fisrt-site', ['first-site', 'other'], bo, 'buildout.cfg')).toBe("'fisrt-site' is not a host of buildout.cfg\nDid you mean 'first-site'?");
    expect(notAHost('zzz', ['first-site'], bo, 'buildout.cfg')).toBe("'zzz' is not a host of buildout.cfg");
    expect(notAHost('www', [], bo, 'buildout.cfg')).toBe(
      "'www' is not a host of buildout.cfg: its recipe is 'plone.recipe.zope2instance', and a host is a part with recipe = collective.hostout",
    );
    expect(notAHost('spare', [], bo, 'b.cfg')).toContain('not named in [buildout] parts');
    expect(formatValidHosts([], 'b.cfg')).toBe('Valid hosts are: \nb.cfg has no hosts: a host is a part (named in [buildout] parts) with recipe = collective.hostout');
    const cmds = ['deploy', 'stage', 'run'].map((name) => ({ name, description: '', from: 'x', overrides: [] }));
    expect(notACommand('deplyo', "host 'web'", cmds)).toBe("'deplyo' is not a valid command for host 'web'\nDid you mean 'deploy'?");
    expect(notACommand('nosuchcmd', "host 'web'", cmds)).toBe("'nosuchcmd' is not a valid command for host 'web'");
  });
});

describe('Return value', () => {
  test('formatting follows Python str() for the common cases', () => {
    expect([true, false, null, 'text', 3, { a: 1 }, ['x']].map(formatReturnValue)).toEqual(['True', 'False', 'None', 'text', '3', '{"a":1}', '["x"]']);
  });

  test('no line for nothing returned, an empty string or a raw command result', () => {
    for (const v of [undefined, '', '  \n', { stdout: '', stderr: '', code: 0 }, { code: 1, stdout: 'x', stderr: 'y' }]) {
      expect(formatReturnValue(v)).toBeUndefined();
    }
    // An object that merely has those keys among others was chosen by the command: printed.
    expect(formatReturnValue({ stdout: '', stderr: '', code: 0, host: 'web' })).toBe('{"stdout":"","stderr":"","code":0,"host":"web"}');
  });

  test('an object JSON cannot hold (a cycle, a BigInt) prints in Node\'s one-line form; a shared one prints twice as JSON', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { x: 1 };
    expect(formatReturnValue(a)).toBe("<ref *1> { name: 'a', self: [Circular *1] }");
    expect(formatReturnValue({ p: shared, q: shared })).toBe('{"p":{"x":1},"q":{"x":1}}');
    expect(formatReturnValue({ n: 10n })).toBe('{ n: 10n }');
  });
});

describe('options of plugins (Plugin.options)', () => {
  const rows = pluginOptionRows([{ name: 'acme.deploy', options: [
    { name: 'canary', type: 'boolean', description: 'one host first', sets: 'canary-first', value: 'yes' },
    { name: 'batch-size', type: 'number', placeholder: 'N', description: 'hosts per batch', sets: 'batch' },
    { name: 'tag', type: 'string', description: 'the tag', sets: 'tag' },
  ] }]);
  const isHost = (w: string) => w === 'web' || w === 'db';

  test('declared: taken where hostout\'s long options are, typed apart from hostout\'s own', () => {
    const s = scanArgv(['--batch-size', '3', 'web', 'deploy', '--canary', '--tag=', 'x', '--', '--tag', 'y'], { isHost, rows });
    expect(s.pluginOptions).toEqual({ 'batch-size': '3', canary: true, tag: '' });
    expect(s.options).toEqual(defaultOptions());
    expect(s.positional).toEqual(['web', 'deploy', 'x', '--', '--tag', 'y']);
  });

  test('undeclared: no such option, with the did-you-mean among the plugins\' options too', () => {
    expect(() => scanArgv(['--canary', 'web', 'deploy'], { isHost })).toThrow(/no such option: --canary/);
    try {
      scanArgv(['--batchsize', '2', 'web', 'deploy'], { isHost, rows });
      throw new Error('not refused');
    } catch (e) {
      expect((e as UsageError).didYouMean).toBe('--batch-size');
    }
  });

  test('a number option refuses what is not a number', () => {
    expect(() => scanArgv(['web', 'deploy', '--batch-size', 'two'], { isHost, rows })).toThrow("option --batch-size needs a number (N), not 'two'");
  });

  test('lenient (the hosts\' plugins not loaded yet): the unknown option is kept, the hosts after its value found', () => {
    const s = scanArgv(['--batch-size', '3', 'web', 'db', 'deploy'], { isHost, lenient: true });
    expect(s.unknownOption?.message).toBe('no such option: --batch-size');
    expect(s.hostDependent).toBe(true);
    expect(s.positional).toEqual(['web', 'db', 'deploy']);
  });

  test('rows: the plugin\'s group in --help; hostout\'s own names and bad names refused, naming the plugin', () => {
    expect(rows.map((r) => [r.name, r.type, r.placeholder, r.group])).toEqual([
      ['canary', 'flag', undefined, 'Options of acme.deploy'],
      ['batch-size', 'value', 'N', 'Options of acme.deploy'],
      ['tag', 'value', 'STRING', 'Options of acme.deploy'],
    ]);
    expect(() => pluginOptionRows([{ name: 'p', options: [{ name: 'dry-run', type: 'boolean', description: '', sets: 'x' }] }]))
      .toThrow("plugin p: command-line option 'dry-run' is one of hostout's own options");
    expect(() => pluginOptionRows([{ name: 'p', options: [{ name: '--x', type: 'boolean', description: '', sets: 'x' }] }])).toThrow(/is not an option name/);
    expect(helpText(100, [...OPTIONS, ...rows])).toMatch(/Options of acme\.deploy:\n +--canary +one host first\n +--batch-size N +hosts per batch/);
  });
});
