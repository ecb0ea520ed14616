import { CommandError, UsageError } from '../../lib/errors';
import type { CommandContext } from '../../lib/hostout/types';
import { host, runtime, set } from '../support/runtime';

describe('dispatch: the override chain', () => {
  test('the first set runs; next() walks three deep with the args it is given and returns the result back up', async () => {
    const calls: string[] = [];
    const a = set('plugin-a', { commands: { greet: { description: 'a', run: async (ctx, ...args) => { calls.push(`a:${args.join(',')}`); return `a(${await ctx.next('from-a')})`; } } } });
    const b = set('plugin-b', { commands: { greet: { description: 'b', run: async (ctx, ...args) => { calls.push(`b:${args.join(',')}`); return `b(${await ctx.next()})`; } } } });
    const c = set('plugin-c', { commands: { greet: { description: 'c', run: async (ctx, ...args) => { calls.push(`c:${args.join(',')}`); return `c(${String(await ctx.next())})`; } } } });
    const { rt, log } = runtime([host('h', [a, b, c])]);
    await expect(rt.run('h', 'greet', ['x', 'y'])).resolves.toBe('a(b(c(undefined)))');
    expect(calls).toEqual(['a:x,y', 'b:from-a', 'c:']);
    expect(log.lines).toEqual([
      "Hostout: Running command 'greet' from 'plugin-a'",
      "Hostout: Running command 'greet' from 'plugin-b'",
      "Hostout: Running command 'greet' from 'plugin-c'",
    ]);
  });

  test('a set that does not call next() replaces everything after it', async () => {
    const ran: string[] = [];
    const a = set('a', { commands: { deploy: { description: '', run: () => { ran.push('a'); } } } });
    const b = set('b', { commands: { deploy: { description: '', run: () => { ran.push('b'); } } } });
    const { rt } = runtime([host('h', [a, b])]);
    await rt.run('h', 'deploy');
    expect(ran).toEqual(['a']);
  });

  test('call() dispatches through the full chain, nested calls keep their own next()', async () => {
    const seen: string[] = [];
    const a = set('a', {
      commands: {
        outer: { description: '', run: async (ctx) => { seen.push('a.outer'); await ctx.call('inner', '1'); return ctx.next(); } },
        inner: { description: '', run: async (ctx, v) => { seen.push(`a.inner ${v}`); return ctx.next(`${v}+`); } },
      },
    });
    const b = set('b', {
      commands: {
        outer: { description: '', run: () => { seen.push('b.outer'); return 'done'; } },
        inner: { description: '', run: (_ctx, v) => { seen.push(`b.inner ${v}`); } },
      },
    });
    const { rt } = runtime([host('h', [a, b])]);
    await expect(rt.run('h', 'outer')).resolves.toBe('done');
    expect(seen).toEqual(['a.outer', 'a.inner 1', 'b.inner 1+', 'b.outer']);
  });

  test('init hooks run before every dispatch (nested included, next hops not), in set order', async () => {
    const inits: string[] = [];
    const a = set('a', {
      init: (cmd, ctx) => { inits.push(`a:${cmd}:${ctx.name}`); },
      commands: { top: { description: '', run: async (ctx) => { await ctx.call('leaf'); return ctx.next(); } } },
    });
    const b = set('b', {
      init: async (cmd) => { inits.push(`b:${cmd}`); },
      commands: { top: { description: '', run: () => 'b' }, leaf: { description: '', run: () => undefined } },
    });
    const { rt } = runtime([host('h', [a, b])]);
    await rt.run('h', 'top');
    expect(inits).toEqual(['a:top:h', 'b:top', 'a:leaf:h', 'b:leaf']);
  });

  test('has() probes hooks; an unknown command is a UsageError naming it and the valid ones', async () => {
    const probes: boolean[] = [];
    const a = set('a', { commands: { probe: { description: '', run: (ctx) => { probes.push(ctx.has('probe'), ctx.has('bootstrap_users_ubuntu')); return ctx.call('nope'); } } } });
    const { rt } = runtime([host('h', [a])]);
    const err = await rt.run('h', 'probe').catch((e: unknown) => e);
    expect(probes).toEqual([true, false]);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("[h] 'nope' is not a valid command for this host; valid commands are: probe");
  });

  test('a plain Error from a plugin becomes a CommandError naming host, command and plugin', async () => {
    const a = set('boomer', { commands: { boom: { description: '', run: () => { throw new Error('kaput'); } } } });
    const { rt } = runtime([host('h', [a])]);
    const err = await rt.run('h', 'boom').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toBe("[h] 'boom' (from boomer) failed: kaput");
    expect((err as CommandError).reason).toBe("'boom' (from boomer) failed: kaput");
    expect((err as CommandError).plugin).toBe('boomer');
    expect(((err as CommandError).cause as Error).message).toBe('kaput');
    expect((err as CommandError).host).toBe('h');
    expect((err as CommandError).command).toBe('boom');
  });
});

describe('dispatch: scopes', () => {
  test('each host has its own frozen options and context; nothing one host does leaks to the next', async () => {
    const contexts: CommandContext[] = [];
    const a = set('a', {
      commands: {
        poke: {
          description: '',
          run: (ctx) => {
            contexts.push(ctx);
            expect(() => { (ctx.options as Record<string, string>).hostos = 'leaked'; }).toThrow(TypeError);
            return ctx.options.path;
          },
        },
      },
    });
    const { rt } = runtime([host('one', [a]), host('two', [a])]);
    expect(await rt.run('one', 'poke')).toBe('/srv/one');
    expect(await rt.run('two', 'poke')).toBe('/srv/two');
    expect(contexts[0]).not.toBe(contexts[1]);
    expect(contexts[1].options.hostos).toBeUndefined();
    expect(Object.isFrozen(contexts[0])).toBe(true);
  });

  test('ctx.hosts: every host, its options, and its commands run in its own scope and transport', async () => {
    const remoteRun = set('core', {
      commands: {
        run: { description: '', run: async (ctx, ...args) => { await ctx.remote.run(args.join(' '), { cwd: ctx.options.path }); } },
        copyto: {
          description: '',
          run: async (ctx, target) => {
            const other = ctx.hosts[target];
            await other.call('run', 'echo', 'hi');
            await ctx.call('run', 'echo', 'me');
            return [other.options.path, other.has('run'), Object.keys(ctx.hosts)];
          },
        },
      },
    });
    const { rt, transport } = runtime([host('src', [remoteRun]), host('dst', [remoteRun])]);
    await expect(rt.run('src', 'copyto', ['dst'])).resolves.toEqual(['/srv/dst', true, ['src', 'dst']]);
    expect(transport.records).toEqual([
      "[dst] remote(root@dst.example.com:22): /bin/bash -l -c 'cd /srv/dst && echo hi'",
      "[src] remote(root@src.example.com:22): /bin/bash -l -c 'cd /srv/src && echo me'",
    ]);
  });

  test('commands(): union of the sets, byte-sorted, described by the implementation that runs, with the sets it overrides', () => {
    const a = set('a', { commands: { deploy: { description: 'A deploys', run: () => 1 }, Zed: { description: '', run: () => 1 } } });
    const b = set('b', { commands: { deploy: { description: 'B deploys', run: () => 1 }, bootstrap: { description: 'boot\nmore', run: () => 1 } } });
    const { rt } = runtime([host('h', [a, b])]);
    expect(rt.commands('h')).toEqual([
      { name: 'Zed', description: '', from: 'a', overrides: [] },
      { name: 'bootstrap', description: 'boot\nmore', from: 'b', overrides: [] },
      { name: 'deploy', description: 'A deploys', from: 'a', overrides: ['b'] },
    ]);
    expect(() => rt.commands('nohost')).toThrow(UsageError);
  });
});
