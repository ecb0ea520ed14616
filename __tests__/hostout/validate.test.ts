/**
 * The one validator of values that become command-line words (lib/validate.ts).
 * The real-server proof that refused values never run is __tests__/cli/e2e-injection.test.ts.
 */
import { ConfigError } from '../../lib/errors';
import {
  ConfigValueError, isPortableName, validateBranch, validateGroup, validatePath, validateRepository, validateUser,
} from '../../lib/validate';
import { localCommand } from '../../lib/transport/command-line';

const src = { option: 'buildout-user', host: 'prod' };

function refusal(fn: () => unknown): ConfigValueError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigValueError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('user and group names', () => {
  test.each(['zope', 'plone_1', '_svc', 'a.b-c', 'x'.repeat(32)])('%s is a portable name', (n) => {
    expect(isPortableName(n)).toBe(true);
    expect(validateUser(n, src)).toBe(n);
    expect(validateGroup(n, src)).toBe(n);
  });
  test.each([
    '-', '-m', '--login', '-p', '--shell=/bin/sh', '--command=id', '--reference=/etc/passwd', '#0', 'root:root',
    'a b', 'x;touch /tmp/m', '$(id)', '`id`', 'zope\n', '1abc', '', 'x'.repeat(33), 'é',
  ])('%j is refused with exit 2, naming option and value', (n) => {
    const err = refusal(() => validateUser(n, src));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.option).toBe('buildout-user');
    expect(err.value).toBe(n);
    expect(err.message).toMatch(/^\[prod\] buildout-user = /);
  });
  test('a value with a newline is shown escaped, not acted on', () => {
    expect(refusal(() => validateUser('zope\nroot', src)).message).toContain('"zope\\nroot"');
  });
});

describe('paths', () => {
  test.each(['/var/buildout/site', '/srv/my site', "/srv/it's", 'relative/dir'])('%j is accepted', (p) => {
    expect(validatePath(p, { option: 'path' })).toBe(p);
  });
  test.each(['/var/buildout/a\n/etc', '/srv/x\r', '/srv/\t', '/srv/\x1b[2J', '-rf', '--delete', ''])('%j is refused', (p) => {
    expect(refusal(() => validatePath(p, { option: 'path' })).option).toBe('path');
  });
  test('absolute when asked', () => {
    expect(refusal(() => validatePath('srv', { option: 'path' }, { absolute: true })).message).toMatch(/absolute/);
  });
});

describe('branches and repositories', () => {
  test.each(['main', 'stable', 'release/1.0', 'v1.2', 'default'])('branch %s is accepted', (b) => {
    expect(validateBranch(b, { option: 'BRANCH' })).toBe(b);
  });
  test.each(['--orphan=evil', '-b', '--config=hooks.pre-update=touch X', 'x --config=hooks.a=b', 'x -R /etc', 'a\nb', ''])(
    'branch %j is refused', (b) => {
      expect(refusal(() => validateBranch(b, { option: 'BRANCH' })).option).toBe('BRANCH');
    });
  test.each(['/srv/repo.git', 'https://github.com/x/y.git', 'hg+http://example.com/repo', 'git+ssh://git@example.com/r', 'git@example.com:x/y.git'])(
    'repository %s is accepted', (r) => {
      expect(validateRepository(r, { option: 'REPOSITORY' })).toBe(r);
    });
  test.each([
    'hg+--config=hooks.pre-clone=touch X', '--upload-pack=touch X', 'git+-u', 'ssh://-oProxyCommand=touch%20X/r',
    'ssh://git@-oProxyCommand=x/r', 'http://h/r --config=hooks.x=y', 'x\ny',
  ])('repository %j is refused', (r) => {
    expect(refusal(() => validateRepository(r, { option: 'REPOSITORY' })).value).toBe(r);
  });
});

describe('the local `as` user of the transport', () => {
  test('a name su or sudo would read as an option is refused before any argv exists', () => {
    for (const as of ['-m', '--shell=/bin/sh', '#0']) {
      expect(() => localCommand('id', { as }, 'me', true)).toThrow(ConfigValueError);
      expect(() => localCommand('id', { as }, 'me', false)).toThrow(ConfigValueError);
    }
    expect(localCommand('id', { as: 'zope' }, 'me', true).argv).toEqual(['su', '-s', '/bin/sh', 'zope', '-c', 'id']);
  });
});
