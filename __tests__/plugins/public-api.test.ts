/**
 * The public plugin API: what `require('hostout')` gives a plugin, that the
 * shipped plugins use nothing else, that loading the entry stays light, and
 * the edges of the lifecycle hooks and cross-host handles (through
 * hostout/testing).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as api from 'hostout';
import { loadPluginForTest } from 'hostout/testing';

const ROOT = path.resolve(__dirname, '../..');

test('the entry exports definePlugin, quoting and the error classes', () => {
  const plugin = { name: 'x', commands: {} };
  expect(api.definePlugin(plugin)).toBe(plugin);
  expect(api.shellQuote("a'b")).toBe("'a'\\''b'");
  expect(api.shellJoin(['echo', 'a b'])).toBe("echo 'a b'");
  for (const cls of [api.UsageError, api.ConfigError, api.CommandError, api.TransportError]) expect(cls.prototype instanceof api.HostoutError).toBe(true);
});

test('the entry exports the plugin API only: not the command line, the runtime, host loading or the transport factories', () => {
  for (const internal of ['main', 'Runtime', 'loadHost', 'loadHosts', 'hostCatalog', 'loadPlugin', 'loadFabfile', 'buildoutFromObject', 'findHostParts',
    'mergeExtends', 'applyRecipeDefaults', 'applyRuntimeDefaults', 'createTransportFactory', 'RecordingTransportFactory', 'RealTransportFactory']) {
    expect(Object.keys(api)).not.toContain(internal);
  }
});

test('the shipped plugins import only `hostout`, node: modules, their own files and packages hostout depends on', () => {
  // A shipped plugin's npm dependencies are hostout's own (a third party's would be its package's): never lib/ internals.
  const dependencies = Object.keys((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  const offending: string[] = [];
  for (const plugin of readdirSync(path.join(ROOT, 'plugins'))) {
    for (const file of readdirSync(path.join(ROOT, 'plugins', plugin)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(ROOT, 'plugins', plugin, file), 'utf8');
      for (const m of text.matchAll(/(?:from|require\()\s*'([^']+)'/g)) {
        if (!/^(hostout|node:.*|\.\/[^/]+)$/.test(m[1]) && !dependencies.includes(m[1])) offending.push(`plugins/${plugin}/${file}: ${m[1]}`);
      }
    }
  }
  expect(offending).toEqual([]);
  expect(readdirSync(path.join(ROOT, 'plugins')).sort()).toEqual(['builtin', 'legacy', 'overridedeploy', 'plone', 'pushdeploy', 'supervisor']);
});

test('require("hostout") from the built package does not load the ssh stack (every plugin load pays for it)', () => {
  const loaded = execFileSync(process.execPath, ['-e',
    "require(process.argv[1]); console.log(Object.keys(require.cache).filter((f) => /node_modules\\/(ssh2|node-ssh)\\//.test(f)).length)",
    path.join(ROOT, 'dist', 'lib', 'index.js')], { encoding: 'utf8' });
  expect(loaded.trim()).toBe('0');
});

describe('hooks', () => {
  test('resolve may only set host, port, user and identity-file, each a non-empty word', async () => {
    const make = (value: object) => api.definePlugin({ name: 'hostout.r', resolve: async () => value as api.ConnectionOverrides, commands: {} });
    await expect(loadPluginForTest(make({ password: 'x' }))).rejects.toThrow("[site] plugin 'hostout.r' failed in resolve(): it returned 'password'; only host, port, user and identity-file can be resolved");
    await expect(loadPluginForTest(make({ host: 'a b' }))).rejects.toThrow('it returned an invalid host: "a b"');
    const t = await loadPluginForTest(make({ host: 'db.internal:2200', user: 'ops' }), { options: { host: 'placeholder', 'buildout-user': 'plone' } });
    expect([t.options.host, t.options.port, t.options.user, t.options['buildout-user'], t.options['effective-user']]).toEqual(['db.internal:2200', '2200', 'ops', 'plone', 'plone']);
    await t.close();
  });

  test('defaults returning something that is not an object is an error naming plugin and host', async () => {
    const p = api.definePlugin({ name: 'hostout.d', defaults: (() => 'oops') as unknown as api.Plugin['defaults'], commands: {} });
    await expect(loadPluginForTest(p, { host: 'web' })).rejects.toThrow("[web] plugin 'hostout.d' failed in defaults(): it returned string, not an options object");
  });

  test('another host is loaded on demand: options need load(), call() loads it', async () => {
    const seen: string[] = [];
    const p = api.definePlugin({
      name: 'hostout.peek',
      defaults: (o, info) => { seen.push(info.part); },
      commands: {
        peek: {
          description: 'read the other host',
          async run(ctx, other) {
            const h = ctx.hosts[other];
            let before = '';
            try { void h.options; } catch (err) { before = (err as Error).message; }
            await h.load();
            return `${before} | ${h.options.path} | ${h.has('peek')}`;
          },
        },
      },
    });
    const t = await loadPluginForTest(p, { hosts: { other: { options: { path: '/srv/other' }, plugins: [p] } } });
    expect(seen).toEqual(['site']);
    await expect(t.run('peek', 'other')).resolves.toBe("ctx.hosts['other'].options: host 'other' is not loaded yet; `await ctx.hosts['other'].load()` first | /srv/other | true");
    expect(seen).toEqual(['site', 'other']);
    await t.close();
  });

  test('ctx.once: one value per key for the whole run, shared by every host and command; each run() of the test harness is a run of its own', async () => {
    let made = 0;
    const p = api.definePlugin({
      name: 'hostout.oncer',
      commands: {
        one: { description: 'the run\'s value', run: (ctx) => ctx.once('hostout.oncer:v', () => ++made) },
        both: {
          description: 'this host\'s value, then the other host\'s, in one run',
          async run(ctx, other) {
            const mine = await ctx.call('one');
            await ctx.hosts[other].load();
            return [mine, await ctx.hosts[other].call('one'), ctx.once('hostout.oncer:w', () => 'w')];
          },
        },
      },
    });
    const t = await loadPluginForTest(p, { hosts: { other: { options: {}, plugins: [p] } } });
    await expect(t.run('both', 'other')).resolves.toEqual([1, 1, 'w']);
    await expect(t.run('one')).resolves.toBe(2);
    await expect(t.runOn('other', 'one')).resolves.toBe(3);
    expect(made).toBe(3);
    await t.close();
  });

  test('ctx.report: a named step with the plugin\'s name and the host; bad names and values are refused; secrets masked', async () => {
    const p = api.definePlugin({
      name: 'hostout.reporter',
      commands: {
        step: { description: 'report one step', run: (ctx) => ctx.report({ kind: 'sync', step: 'copied', subject: 'files', durationMs: 12.4, fields: { n: 3, dry: false, who: `pw=${ctx.options.password}` } }) },
        bad: { description: 'a bad name', run: (ctx) => ctx.report({ kind: 'Sync Step', step: 'x' }) },
        badField: { description: 'a bad field', run: (ctx) => ctx.report({ kind: 'sync', step: 'x', fields: { o: {} as unknown as string } }) },
      },
    });
    const t = await loadPluginForTest(p, { options: { password: 's3cr3t-pw' } });
    await t.run('step');
    expect(t.reports).toEqual([{ host: 'site', plugin: 'hostout.reporter', kind: 'sync', step: 'copied', subject: 'files', durationMs: 12, fields: { n: 3, dry: false, who: expect.not.stringContaining('s3cr3t-pw') } }]);
    await expect(t.run('bad')).rejects.toThrow(/ctx\.report: kind "Sync Step" is not a lower-case word/);
    await expect(t.run('badField')).rejects.toThrow(/ctx\.report: field o is not a string, a finite number or a boolean/);
    expect(t.reports).toHaveLength(1);
    await t.close();
  });
});
