/** Hosts and their options from plain buildout data: parts, extends, defaults, ~/.ssh/config. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../lib/errors';
import { buildoutFromObject } from '../../lib/hostout/buildout-view';
import { mergeExtends } from '../../lib/hostout/extends';
import { applyRecipeDefaults, applyRuntimeDefaults } from '../../lib/hostout/options';
import { findHostParts, isHostoutRecipe } from '../../lib/hostout/parts';
import { NO_SSH } from '../support/runtime';

describe('parts', () => {
  test.each([
    ['collective.hostout', true], ['collective.hostout==1.0a5', true], ['collective.hostout[foo]', true],
    ['collective.hostout:default', true], [' collective.hostout >= 1.0', true], ['Collective.Hostout', true],
    ['collective.hostoutx', false], ['zc.recipe.egg', false], ['', false],
  ])('isHostoutRecipe(%j) = %s', (recipe, expected) => {
    expect(isHostoutRecipe(recipe)).toBe(expected);
  });

  test('hosts are the hostout parts of [buildout] parts, in parts order', () => {
    const bo = buildoutFromObject('/b', {
      buildout: { parts: 'zeta\n  eggs alpha zeta' },
      zeta: { recipe: 'collective.hostout==1.0a5' },
      eggs: { recipe: 'zc.recipe.egg' },
      alpha: { recipe: 'collective.hostout' },
      unlisted: { recipe: 'collective.hostout' },
    });
    expect(findHostParts(bo)).toEqual(['zeta', 'alpha']);
  });

  test('a part without a section is a ConfigError', () => {
    const bo = buildoutFromObject('/b', { buildout: { parts: 'ghost' } });
    expect(() => findHostParts(bo)).toThrow(ConfigError);
  });

  test('a generated hostout.cfg: every section but [buildout] and [versions], in file order', () => {
    const sections = { buildout: { location: '/b' }, prod: { host: 'x' }, versions: {}, dev: { host: 'y' } };
    expect(findHostParts(buildoutFromObject('/b', sections))).toEqual(['prod', 'dev']);
    expect(findHostParts(buildoutFromObject('/b', { ...sections, buildout: {} }), '/b/parts/hostout/hostout.cfg')).toEqual(['prod', 'dev']);
  });
});

describe('extends', () => {
  const bo = buildoutFromObject('/b', {
    grand: { recipe: 'collective.hostout', extends: 'hostout.supervisor', user: 'grand', path: '/grand', 'pre-commands': 'g1', fabfiles: 'g.js' },
    parent: { recipe: 'collective.hostout', extends: 'grand hostout.cloud', user: 'parent', 'pre-commands': 'bin/supervisorctl shutdown', 'post-commands': 'p-post' },
    child: { recipe: 'collective.hostout', extends: 'parent hostout.pushdeploy', host: 'c', 'pre-commands': 'c1 with words\nc2', fabfiles: 'c.js' },
    loop1: { extends: 'loop2', a: '1' },
    loop2: { extends: 'loop1', b: '2' },
  });

  test('own options win, the nearest parent beats the grandparent, lines concatenate child first', () => {
    const { options, plugins } = mergeExtends(bo, 'child');
    expect(options.host).toBe('c');
    expect(options.user).toBe('parent');
    expect(options.path).toBe('/grand');
    expect(options['pre-commands']).toBe('c1 with words\nc2\nbin/supervisorctl shutdown\ng1');
    expect(options['post-commands']).toBe('p-post');
    expect(options.fabfiles).toBe('c.js\ng.js');
    expect(options.extends).toBe('parent hostout.pushdeploy');
    expect(options.recipe).toBe('collective.hostout');
    // The child gets its parents' plugins too (the original forgot them).
    expect(plugins).toEqual(['hostout.supervisor', 'hostout.cloud', 'hostout.pushdeploy']);
  });

  test('cycles end', () => {
    expect(mergeExtends(bo, 'loop1').options).toMatchObject({ a: '1', b: '2' });
  });
});

describe('option defaults', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hostout-opts-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  const env = { buildoutDirectory: '/home/me/site', ssh: NO_SSH };

  test('recipe and run-time defaults of a bare part', () => {
    const o = applyRuntimeDefaults('prod', applyRecipeDefaults('prod', { recipe: 'collective.hostout' }, env), env).options;
    expect(o).toMatchObject({
      path: '/var/buildout/prod', hostname: 'prod', host: '', port: '22', user: 'tester', 'buildout-user': 'tester',
      'effective-user': 'tester', 'buildout-group': 'buildout', buildout: 'buildout.cfg', versionsfile: 'hostoutversions.cfg',
      versions: 'versions', dist_dir: 'dist', location: '/home/me/site/parts/hostout', 'pre-commands': '', 'post-commands': '',
      include: '', parts: '', password: '', 'no-sudo': 'false', 'force-python-compile': 'false', tunnel: '',
      'python-path': '/var/buildout/python', 'buildout-cache': '/var/buildout/buildout-cache',
      download_cache: '/var/buildout/buildout-cache/downloads', 'python-version': '3', buildout_location: '/home/me/site',
    });
    expect(o['identity-file']).toBeUndefined();
  });

  test('old option names, host:port, explicit users, flags', () => {
    const o = applyRuntimeDefaults('p', applyRecipeDefaults('p', {
      remote_path: '/srv/site', start_cmd: 'start', stop_cmd: 'stop', extra_config: 'etc', host: 'example.com:2222',
      user: 'admin', 'effective-user': 'zope', 'no-sudo': 'YES', 'force-python-compile': 'yes', tunnel: 'false',
      'buildout-cache': '/cache/', 'identity-file': '~/keys/id',
    }, env), env).options;
    expect(o).toMatchObject({
      path: '/srv/site', 'post-commands': 'start', 'pre-commands': 'stop', include: 'etc', host: 'example.com:2222', port: '2222',
      user: 'admin', 'buildout-user': 'admin', 'effective-user': 'zope', 'no-sudo': 'true', 'force-python-compile': 'true',
      tunnel: '', download_cache: '/cache/downloads', 'identity-file': `${NO_SSH.home}/keys/id`,
    });
  });

  test('~/.ssh/config gives the login user (and buildout-user follows it), port and identity file', () => {
    const config = path.join(dir, 'ssh_config');
    writeFileSync(config, 'Host prod.example.com\n  HostName 10.0.0.5\n  User deploy\n  Port 2200\n  IdentityFile ~/.ssh/prod_key\n');
    const ssh = { ...NO_SSH, home: dir, configPath: config };
    const e = { ...env, ssh };
    const o = applyRuntimeDefaults('prod', applyRecipeDefaults('prod', { host: 'prod.example.com' }, e), e).options;
    expect(o).toMatchObject({
      host: 'prod.example.com', port: '2200', user: 'deploy', 'buildout-user': 'deploy', 'effective-user': 'deploy',
      'identity-file': path.join(dir, '.ssh', 'prod_key'),
    });
  });

  test('[buildout] parts-directory and versions reach the options', () => {
    const e = { ...env, partsDirectory: '/elsewhere/parts', versionsSection: 'pins' };
    expect(applyRecipeDefaults('x', {}, e)).toMatchObject({ location: '/elsewhere/parts/hostout', versions: 'pins' });
  });
});
