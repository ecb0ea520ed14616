/** The command-line grammar functions (collective.hostout's positional grammar) and the listing formats (its no-host / no-command output). */
import { UsageError } from '../../lib/errors';
import { scanArgv, splitPositionals } from '../../lib/cli/grammar';
import { formatValidCommands, formatValidHosts, unionListing } from '../../lib/cli/listing';
import { formatReturnValue } from '../../lib/cli/run';

describe('scanArgv', () => {
  test('our options anywhere, normalised; other dash words after a positional are arguments', () => {
    expect(scanArgv(['-cfoo.cfg', 'site', 'run', 'ls', '-la', '-v', '--dry-run', '-qU'])).toEqual({
      optionWords: ['--configuration=foo.cfg', '--verbose', '--dry-run', '--quiet', '--no-user-defaults'],
      assignments: [],
      positional: ['site', 'run', 'ls', '-la'],
    });
    expect(scanArgv(['site', '--configuration', 'x.cfg', 'run', '--color=auto']).optionWords).toEqual(['--configuration=x.cfg']);
    expect(scanArgv(['site', 'run', '--color=auto']).positional).toEqual(['site', 'run', '--color=auto']);
  });

  test('`--` ends option parsing and is dropped', () => {
    expect(scanArgv(['site', 'run', '--', '-v', '--', '-c', 'x'])).toEqual({
      optionWords: [], assignments: [], positional: ['site', 'run', '-v', '--', '-c', 'x'],
    });
  });

  test('assignments only before the first positional', () => {
    expect(scanArgv(['buildout:parts=a', 'a:path=/x', 'x+=1', 'a', 'run', 'FOO=bar'])).toEqual({
      optionWords: [], assignments: ['buildout:parts=a', 'a:path=/x', 'x+=1'], positional: ['a', 'run', 'FOO=bar'],
    });
  });

  test('any word with = before the first positional is an assignment, as in zc.buildout (the engine validates it)', () => {
    expect(scanArgv([' s : y = spaced ', 'a:b:c=1', 's:=1', 'site', 'run', 'x=1'])).toEqual({
      optionWords: [], assignments: [' s : y = spaced ', 'a:b:c=1', 's:=1'], positional: ['site', 'run', 'x=1'],
    });
  });

  test('usage errors: an unknown option before any positional, a missing value, a value for a flag', () => {
    expect(() => scanArgv(['-x', 'site'])).toThrow(new UsageError('no such option: -x'));
    expect(() => scanArgv(['--nope'])).toThrow(UsageError);
    expect(() => scanArgv(['site', '-c'])).toThrow(new UsageError('option --configuration needs a value'));
    expect(() => scanArgv(['--verbose=yes'])).toThrow(new UsageError('option --verbose takes no value'));
  });
});

describe('splitPositionals', () => {
  const hosts = ['alpha', 'beta', 'gamma'];
  const cmds: Record<string, string[]> = { alpha: ['run', 'deploy', 'echo'], beta: ['run', 'deploy'], gamma: ['run'] };
  const commandsOf = (hs: string[]) => new Set(hs.flatMap((h) => cmds[h]));

  test('hosts, then commands greedily from the union, then the arguments', () => {
    expect(splitPositionals(['alpha', 'beta', 'run', 'deploy', 'echo', 'x', 'run'], hosts, commandsOf)).toEqual({
      hosts: ['alpha', 'beta'], commands: ['run', 'deploy', 'echo'], args: ['x', 'run'], firstUnknown: 'x',
    });
  });

  test('`all` is every host in order, keeps earlier hosts, never duplicates', () => {
    expect(splitPositionals(['gamma', 'all', 'beta', 'gamma', 'run'], hosts, commandsOf).hosts).toEqual(['gamma', 'alpha', 'beta']);
  });

  test('a host named `all` shadows the keyword', () => {
    expect(splitPositionals(['all', 'run'], ['all', 'x'], () => new Set(['run'])).hosts).toEqual(['all']);
  });

  test('no host: nothing else is parsed; no command: the rest are arguments', () => {
    expect(splitPositionals(['deploy', 'alpha'], hosts, commandsOf)).toEqual({ hosts: [], commands: [], args: ['deploy', 'alpha'], firstUnknown: 'deploy' });
    expect(splitPositionals(['gamma', 'echo', 'x'], hosts, commandsOf)).toEqual({ hosts: ['gamma'], commands: [], args: ['echo', 'x'], firstUnknown: 'echo' });
    expect(splitPositionals([], hosts, commandsOf)).toEqual({ hosts: [], commands: [], args: [], firstUnknown: undefined });
  });
});

describe('listings', () => {
  test('Valid hosts are: byte-sorted', () => {
    expect(formatValidHosts(['beta', 'Zulu', 'alpha'])).toBe('Valid hosts are: Zulu alpha beta');
  });

  test('Valid commands are: 3 spaces, padded names, " : " and the first line verbatim; a lone space without one', () => {
    const text = formatValidCommands(unionListing([
      [{ name: 'deploy', description: ' Deploy it \nmore' }, { name: 'x', description: '' }],
      [{ name: 'deploy', description: 'shadowed' }, { name: 'DockerFile', description: '\nsecond' }],
    ]));
    expect(text).toBe([
      'Valid commands are:',
      '   DockerFile :',
      '   deploy     :  Deploy it ',
      '   x          ',
    ].join('\n').replace('DockerFile :', 'DockerFile : '));
  });
});

test('Return value formatting follows Python str() for the common cases', () => {
  expect([true, false, null, 'text', 3, { a: 1 }, ['x']].map(formatReturnValue)).toEqual(['True', 'False', 'None', 'text', '3', '{"a":1}', '["x"]']);
});
